/**
 * doctor's memory checks: who holds the memory a model needs (low MemAvailable against what the chosen model
 * needs, the largest processes by name, NvMap/GPU memory held by others — also under --root, from the files),
 * and swap sized to this board (on its largest local disk that is not an SD card, sized to its free space, as
 * idempotent steps). On a board vLLM cannot run on, no vLLM fix is offered. Pure.
 */
import type { DiskFact, ProcessFact, SystemFacts } from '../../device/core/system-facts.js';
import { GiB, MiB } from '../../shared/units.js';

/** One doctor check's result (checks.ts's Check, repeated here to keep this module free of a cycle). */
export interface MemoryCheck {
  id: string;
  status: 'pass' | 'warn' | 'fail' | 'skipped';
  summary: string;
  fix: string | null;
  gain: string | null;
}

const gib = (b: number): string => `${(b / GiB).toFixed(1)} GiB`;

/** Memory besides the weights a vLLM server needs at the least: runtime, CUDA context, a small KV cache. */
export const SERVER_OVERHEAD_BYTES = 2.5 * GiB;

/** Processes grouped by name, largest resident memory first (a name's processes summed). */
export function rankHolders(processes: readonly ProcessFact[], count = 5): { name: string; rssBytes: number }[] {
  const byName = new Map<string, number>();
  for (const p of processes) {
    const name = p.comm.trim() === '' ? `pid ${p.pid}` : p.comm.trim();
    byName.set(name, (byName.get(name) ?? 0) + p.rssBytes);
  }
  return [...byName]
    .map(([name, rssBytes]) => ({ name, rssBytes }))
    .sort((a, b) => b.rssBytes - a.rssBytes)
    .slice(0, count);
}

/** "ollama 4.1 GiB, VLLM::EngineCore 7.1 GiB" of the holders over 100 MiB. */
function describeHolders(holders: readonly { name: string; rssBytes: number }[]): string {
  return holders
    .filter((h) => h.rssBytes >= 100 * MiB)
    .map((h) => `${h.name} ${gib(h.rssBytes)}`)
    .join(', ');
}

/**
 * Returns the check of available memory against what the chosen model needs (`needBytes`: weights plus
 * {@link SERVER_OVERHEAD_BYTES}): who holds the rest, by name when the process list is known, with NvMap.
 */
export function checkAvailableMemory(
  facts: SystemFacts,
  needBytes: number,
  canRunVllm: boolean,
  what = 'a typical model',
): MemoryCheck {
  const total = facts.memTotalBytes.value;
  const available = facts.memAvailableBytes.value;
  if (total === null || available === null)
    return {
      id: 'memory',
      status: 'skipped',
      summary: `available memory: ${facts.memAvailableBytes.source}`,
      fix: null,
      gain: null,
    };
  const held = Math.max(0, total - available);
  const nvmap = facts.nvmapBytes.value;
  const procs = facts.processes.value;
  const holders = procs === null ? '' : describeHolders(rankHolders(procs));
  const parts = [`${gib(available)} of ${gib(total)} available: ${gib(held)} held by the OS and other processes`];
  if (nvmap !== null && nvmap >= 512 * MiB) parts.push(`${gib(nvmap)} of it GPU memory (NvMapMemUsed)`);
  if (holders !== '') parts.push(`largest: ${holders}`);
  const summary = parts.join('; ');
  const isShort = available < needBytes;
  const isMostlyHeld = held > 0.5 * total;
  if (!isShort && !isMostlyHeld)
    return {
      id: 'memory',
      status: 'pass',
      summary: `${summary} (${what}, ${gib(needBytes)}, fits)`,
      fix: null,
      gain: null,
    };
  const need = `${what} needs ${gib(needBytes)} (weights and vLLM's runtime)`;
  // Larger than the board itself: nothing to stop would make room; a smaller variant would.
  if (needBytes > total)
    return {
      id: 'memory',
      status: 'warn',
      summary: `${summary}; ${need}: more than the board's ${gib(total)}`,
      fix: canRunVllm
        ? 'a smaller model or quantization: jetson-vllm models --device <this board> lists what fits'
        : null,
      gain: null,
    };
  const fix = canRunVllm
    ? procs === null
      ? "see who holds it: ps -eo rss,comm --sort=-rss | head   (and jtop's GPU tab for NvMap); stop what you do not need (sudo systemctl stop ollama, docker stop <container>)"
      : `stop what you do not need of: ${holders}   (sudo systemctl stop <service>, docker stop <container>, kill <pid>)`
    : null;
  return {
    id: 'memory',
    status: 'warn',
    summary: `${summary}; ${need}${isShort ? ': it does not fit now' : ''}`,
    fix,
    gain: canRunVllm ? `up to ${gib(held)} back for the model and its KV cache` : null,
  };
}

/**
 * Returns the NvMap check for when the process list is unknown (--root): GPU memory held while no vLLM of this
 * tool runs is someone else's, named as such; null when there is no NvMap figure or it is small.
 */
export function checkNvmapHeld(facts: SystemFacts, canRunVllm: boolean): MemoryCheck | null {
  const nvmap = facts.nvmapBytes.value;
  const desktopAllowance = (facts.displayManagers.value?.length ?? 0) > 0 ? 1024 * MiB : 0;
  if (nvmap === null || nvmap <= 512 * MiB + desktopAllowance) return null;
  const total = facts.memTotalBytes.value;
  const share = total === null ? '' : ` (${Math.round((nvmap / total) * 100)} % of ${gib(total)})`;
  return {
    id: 'gpu-users',
    status: 'warn',
    summary: `${gib(nvmap)} of GPU memory (NvMapMemUsed) is held by other processes${share}; which ones was ${facts.processes.source}`,
    fix: canRunVllm
      ? 'see who: sudo cat /sys/kernel/debug/nvmap/iovmm/clients (or jtop); stop them (sudo systemctl stop ollama, docker stop <container>); memory stuck with nothing running: reboot'
      : null,
    gain: canRunVllm ? `${gib(nvmap)} back for the model` : null,
  };
}

/** The disk a swap file goes on: the largest local disk by free space that is not an SD card, else null. */
export function chooseSwapDisk(disks: readonly DiskFact[]): DiskFact | null {
  const byTarget = new Map<string, DiskFact>();
  for (const d of disks) if (!byTarget.has(d.target)) byTarget.set(d.target, d);
  const local = [...byTarget.values()].filter((d) => d.medium !== 'sd-card' && d.medium !== null);
  return local.sort((a, b) => b.availBytes - a.availBytes)[0] ?? null;
}

/** Whole GiB of swap for a disk's free space: at most the RAM and 16 GiB, at most half the free space. */
export function sizeSwapGiB(availBytes: number, memTotalBytes: number): number {
  return Math.max(0, Math.min(16, Math.ceil(memTotalBytes / GiB), Math.floor(availBytes / GiB / 2)));
}

/** Idempotent steps for a swap file at `file` of `sizeGiB` (a second run adds nothing, no second fstab line). */
export function buildSwapSteps(file: string, sizeGiB: number): string {
  return [
    `1. [ -e ${file} ] || { sudo fallocate -l ${sizeGiB}G ${file} && sudo chmod 600 ${file} && sudo mkswap ${file}; }`,
    `2. swapon --show=NAME --noheadings | grep -qx ${file} || sudo swapon ${file}`,
    `3. grep -q '^${file} ' /etc/fstab || echo '${file} none swap sw 0 0' | sudo tee -a /etc/fstab`,
  ].join('\n');
}

/** The swap fix for this board: steps on the chosen disk, or why none is given; null fix where there is none. */
export function buildSwapFix(
  facts: SystemFacts,
  canRunVllm: boolean,
): { fix: string | null; gain: string | null; why: string } {
  if (!canRunVllm)
    return { fix: null, gain: null, why: 'vLLM cannot run on this board: no swap fix is offered for it' };
  const disks = facts.disks.value;
  const total = facts.memTotalBytes.value ?? 8 * GiB;
  if (disks === null || disks.length === 0)
    return {
      fix: null,
      gain: null,
      why: `the disks were ${facts.disks.source}: run doctor on the board for a swap file sized to its disk`,
    };
  const local = chooseSwapDisk(disks);
  // Only an SD card: a smaller file there (a quarter of its free space), said to be slow and to wear the card.
  const disk = local ?? [...disks].sort((a, b) => b.availBytes - a.availBytes)[0];
  if (disk === undefined) return { fix: null, gain: null, why: 'no disk figures' };
  const isSd = local === null;
  const size = isSd ? Math.min(sizeSwapGiB(disk.availBytes / 2, total), 4) : sizeSwapGiB(disk.availBytes, total);
  if (size < 1)
    return {
      fix: null,
      gain: null,
      why: `${disk.target} has ${gib(disk.availBytes)} free: too little for a swap file`,
    };
  const file = `${disk.target === '/' ? '' : disk.target}/jetson-vllm.swap`;
  return {
    fix: buildSwapSteps(file, size),
    gain: `${size} GiB of swap on ${disk.target} (${gib(disk.availBytes)} free): room for the loader's CPU-side peak instead of an OOM kill`,
    why: isSd
      ? `the only disk is an SD card (${gib(disk.availBytes)} free on ${disk.target}): swap there is slow and wears the card, so the file is small; an NVMe drive is better`
      : '',
  };
}
