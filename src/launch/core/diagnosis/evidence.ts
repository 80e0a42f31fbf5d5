/**
 * The evidence a launch gathers while vLLM starts, for the diagnosis of a kill (kill.ts): available memory at the
 * first, lowest and last samples (with the last few kept), the resident memory of the other processes at their
 * first and last samples (so the one that grew can be named), and the kernel's oom-kill report read after the
 * kill. Bounded: a fixed number of memory samples and of processes, whatever the length of the start. Pure.
 */
import { MiB } from '../../../shared/units.js';
import type { SwapArea } from '../../../device/core/system-parsers.js';
import { parseKernelOom, type KernelOomReport } from './kernel-oom.js';
import type { GrownProcess } from './types.js';

/** One process as /proc/<pid>/status gives it: its pid, parent, name and resident memory (bytes). */
export interface ProcessReading {
  pid: number;
  ppid: number | null;
  name: string;
  rssBytes: number;
}

/** One process followed through the start: its resident memory when first and last seen (bytes). */
export interface TrackedProcess {
  pid: number;
  name: string;
  firstBytes: number;
  lastBytes: number;
}

/** What the launch saw of memory while vLLM started. */
export interface StartEvidence {
  /** Available memory (MemAvailable + free swap) at the first, lowest and last sample (bytes). */
  firstBytes: number | null;
  lowestBytes: number | null;
  /** The last MEMORY_SAMPLES samples of available memory, oldest first (bytes). */
  recent: number[];
  /** How many process samples were taken (the first one is the baseline: what ran before vLLM). */
  processSamples: number;
  /** The other processes followed, at most MAX_PROCESSES of them. */
  processes: TrackedProcess[];
  /**
   * What each process held at the first sample (at most MAX_BASELINE of them): a process dropped from the
   * followed ones and seen again is measured from here, not from nothing.
   */
  baseline: ReadonlyMap<number, { name: string; bytes: number }>;
  /** The kernel's report of the kill, once read (null: none, unreadable, or not read). */
  kernel: KernelOomReport | null;
  /** The page cache (computePageCacheBytes) at the last memory sample, the one closest to a kill (bytes). */
  pageCacheBytes: number | null;
  /** The memory swapped out to zram at the last sample of /proc/swaps (bytes, as swapped, before compression). */
  zramUsedBytes: number | null;
  /** The RAM zram took to hold it at that sample (mm_stat's mem_used_total, bytes); null: not readable. */
  zramRamBytes: number | null;
}

/** What zram held at one sample: the memory swapped out to it, and the RAM it took to hold it (null: unknown). */
export interface ZramReading {
  usedBytes: number;
  ramBytes: number | null;
}

/** How many samples of available memory are kept (a minute at four a second). */
export const MEMORY_SAMPLES = 240;

/** How many other processes are followed: the largest of each sample; more would only be noise. */
export const MAX_PROCESSES = 64;

/** How many processes the first sample remembers (a board runs a few hundred). */
export const MAX_BASELINE = 4096;

/** A process under this much resident memory is not followed: it could not have taken the board's memory. */
export const MIN_TRACKED_BYTES = 16 * MiB;

/** Returns the evidence of a start before its first sample. */
export function createStartEvidence(): StartEvidence {
  return {
    firstBytes: null,
    lowestBytes: null,
    recent: [],
    processSamples: 0,
    processes: [],
    baseline: new Map(),
    kernel: null,
    pageCacheBytes: null,
    zramUsedBytes: null,
    zramRamBytes: null,
  };
}

/**
 * Returns the evidence with one sample of available memory (MemAvailable + free swap, bytes) added, and the page
 * cache of the same /proc/meminfo read (computePageCacheBytes; null or left out: not known, the last figure kept).
 */
export function observeAvailableMemory(
  state: StartEvidence,
  availableBytes: number,
  pageCacheBytes: number | null = null,
): StartEvidence {
  const recent =
    state.recent.length >= MEMORY_SAMPLES
      ? state.recent.slice(state.recent.length - MEMORY_SAMPLES + 1)
      : [...state.recent];
  recent.push(availableBytes);
  return {
    ...state,
    firstBytes: state.firstBytes ?? availableBytes,
    lowestBytes: state.lowestBytes === null ? availableBytes : Math.min(state.lowestBytes, availableBytes),
    recent,
    pageCacheBytes: pageCacheBytes ?? state.pageCacheBytes,
  };
}

/**
 * Returns the page cache of a parsed /proc/meminfo (bytes), or null without a Cached line. The kernel's
 * Documentation/filesystems/proc.rst (copied in test/fixtures/upstream/kernel-meminfo.txt): "Cached: In-memory
 * cache for files read from the disk (the pagecache) as well as tmpfs & shmem"; "Buffers: Relatively temporary
 * storage for raw disk blocks"; "Shmem: Total memory used by shared memory (shmem) and tmpfs". tmpfs and shared
 * memory cannot be dropped, only swapped: they are taken out, what remains is the file cache that
 * `echo 3 > /proc/sys/vm/drop_caches` frees.
 */
export function computePageCacheBytes(meminfo: Readonly<Record<string, number>>): number | null {
  const cached = meminfo['Cached'];
  if (cached === undefined) return null;
  return Math.max(0, cached + (meminfo['Buffers'] ?? 0) - (meminfo['Shmem'] ?? 0));
}

/** Returns the memory swapped out to zram devices (bytes), from the swap areas of /proc/swaps; null: no zram. */
export function computeZramUsedBytes(swaps: readonly SwapArea[]): number | null {
  const zram = swaps.filter((s) => s.kind === 'zram');
  return zram.length === 0 ? null : zram.reduce((sum, s) => sum + s.usedBytes, 0);
}

/**
 * Returns the RAM a zram device takes (bytes) from its /sys/block/zram<id>/mm_stat, or null when unreadable. The
 * kernel's Documentation/admin-guide/blockdev/zram.rst: the third field, mem_used_total, is "the amount of memory
 * allocated for this disk", allocator fragmentation and metadata included (the first two are the data's
 * uncompressed and compressed sizes).
 */
export function parseZramMemUsedBytes(mmStat: string): number | null {
  const field = mmStat.trim().split(/\s+/)[2];
  if (field === undefined || !/^\d+$/.test(field)) return null;
  const bytes = Number(field);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** Returns the evidence with what zram held at this sample (null: no zram swap). */
export function observeZram(state: StartEvidence, zram: ZramReading | null): StartEvidence {
  return { ...state, zramUsedBytes: zram?.usedBytes ?? null, zramRamBytes: zram?.ramBytes ?? null };
}

/**
 * Returns the evidence with one sample of the other processes (vLLM's own tree already left out by the caller).
 * A process not in the first sample did not run then: it started from nothing. Only MAX_PROCESSES are followed,
 * those that grew first; one dropped and seen again is measured from the first sample's figure.
 */
export function observeProcesses(state: StartEvidence, readings: readonly ProcessReading[]): StartEvidence {
  const baseline =
    state.processSamples === 0
      ? new Map(
          readings
            .filter((r) => r.rssBytes >= MIN_TRACKED_BYTES)
            .slice(0, MAX_BASELINE)
            .map((r) => [r.pid, { name: r.name, bytes: r.rssBytes }]),
        )
      : state.baseline;
  const byPid = new Map(state.processes.map((p) => [p.pid, p]));
  for (const r of readings) {
    const known = byPid.get(r.pid);
    // A pid reused by another program is another process.
    if (known !== undefined && known.name === r.name) byPid.set(r.pid, { ...known, lastBytes: r.rssBytes });
    else if (r.rssBytes >= MIN_TRACKED_BYTES) {
      const base = baseline.get(r.pid);
      // Not running at the first sample (or another program under that pid): it grew from nothing.
      const firstBytes = base !== undefined && base.name === r.name ? base.bytes : 0;
      byPid.set(r.pid, { pid: r.pid, name: r.name, firstBytes, lastBytes: r.rssBytes });
    }
  }
  const processes = [...byPid.values()]
    .sort((a, b) => b.lastBytes - b.firstBytes - (a.lastBytes - a.firstBytes) || b.lastBytes - a.lastBytes)
    .slice(0, MAX_PROCESSES);
  return { ...state, processSamples: state.processSamples + 1, processes, baseline };
}

/** Returns the evidence with the kernel's report of the kill read from its log lines (none: null). */
export function observeKernelLog(state: StartEvidence, lines: readonly string[]): StartEvidence {
  return { ...state, kernel: parseKernelOom(lines) };
}

/** Returns the processes that grew while vLLM started (growth over `minBytes`), largest growth first. */
export function listGrownProcesses(state: StartEvidence, minBytes = 0): GrownProcess[] {
  return state.processes
    .filter((p) => p.lastBytes - p.firstBytes > minBytes)
    .map((p) => ({ name: p.name, pid: p.pid, grewBytes: p.lastBytes - p.firstBytes, rssBytes: p.lastBytes }))
    .sort((a, b) => b.grewBytes - a.grewBytes);
}

/** Returns a process's name, parent and resident memory from its /proc/<pid>/status text, or null without VmRSS. */
export function parseProcStatus(pid: number, text: string): ProcessReading | null {
  const name = /^Name:\s*(.*)$/m.exec(text)?.[1]?.trim();
  const rss = /^VmRSS:\s*(\d+)\s*kB/m.exec(text)?.[1];
  // A kernel thread or a zombie has no VmRSS: it holds no memory of its own.
  if (name === undefined || rss === undefined) return null;
  const ppid = /^PPid:\s*(\d+)/m.exec(text)?.[1];
  return { pid, ppid: ppid === undefined ? null : Number(ppid), name, rssBytes: Number(rss) * 1024 };
}

/** Returns the pids of a process and all its descendants among the readings (vLLM's own tree). */
export function findProcessTree(readings: readonly ProcessReading[], rootPid: number): Set<number> {
  const tree = new Set([rootPid]);
  // Parents are listed before or after their children: repeat until nothing is added.
  let isGrowing = true;
  while (isGrowing) {
    isGrowing = false;
    for (const r of readings) {
      if (!tree.has(r.pid) && r.ppid !== null && tree.has(r.ppid)) {
        tree.add(r.pid);
        isGrowing = true;
      }
    }
  }
  return tree;
}

/**
 * Returns the kernel log lines printed since the launch started: those after the last line of the log read before
 * it (`before`), all of them when that line is gone from the buffer (it wrapped) or nothing was read before.
 */
export function selectNewKernelLines(before: readonly string[] | null, after: readonly string[]): string[] {
  const mark = before?.findLast((l) => l.trim() !== '');
  if (mark === undefined) return [...after];
  const at = after.lastIndexOf(mark);
  return at < 0 ? [...after] : after.slice(at + 1);
}
