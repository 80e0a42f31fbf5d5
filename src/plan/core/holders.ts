/**
 * Who holds the memory a plan does not get: when "OS and other processes" is the largest item of the budget, plan
 * says so first — with the GPU memory others hold (NvMapMemUsed), the largest processes by name when they were
 * detected, and what freeing them would allow ("stop ollama (4.70 GiB) and it fits with 8192 tokens"), re-planned
 * with that much less held. Pure.
 */
import type { Catalog } from '../../catalog/core/presets-schema.js';
import { formatGiB, GiB } from '../../shared/units.js';
import { buildPlan, type Plan, type PlanRequest } from './plan.js';
import { ASSUMED_OS_BYTES } from './planner.js';

/** What the device detection saw holding memory: processes by name (largest first) and NvMap. */
export interface MemoryHolders {
  processes: { name: string; bytes: number }[];
  /** NvMapMemUsed: GPU memory held by processes (null where the kernel has no such figure). */
  nvmapBytes: number | null;
}

/** Processes that are the system itself: never proposed to be stopped. */
const SYSTEM_NAMES = /^(?:systemd|kthreadd|init|sshd|dbus-daemon|NetworkManager|containerd|dockerd|jetson-vllm|node)$/;

/** Returns the plan for the same request with `freedBytes` less held by the OS and other processes (or null). */
function replanFreed(
  plan: Plan,
  request: PlanRequest,
  catalog: Catalog,
  osBytes: number,
  freedBytes: number,
): Plan | null {
  const outcome = buildPlan(
    { ...request, device: { ...request.device, osUsedBytes: Math.max(0, osBytes - freedBytes) } },
    catalog,
  );
  if (!outcome.ok) return null;
  const p = outcome.plan;
  return p.verdict === 'fits' || p.verdict === 'tight' ? p : null;
}

/** "it fits with 8192 tokens (4 sequences)". */
function describeRoom(p: Plan): string {
  const verdict = p.verdict === 'fits' ? 'it fits' : 'it fits, tight,';
  return `${verdict} with ${p.settings.maxModelLen} tokens (${p.settings.maxNumSeqs} sequence${p.settings.maxNumSeqs === 1 ? '' : 's'})`;
}

/**
 * Returns the lines that name the OS and other processes as the largest item, first of the plan's report, or []
 * when another item is larger: the figure, NvMap, the largest processes and what freeing them would allow.
 */
export function describeMemoryHolders(
  plan: Plan,
  request: PlanRequest,
  catalog: Catalog,
  holders: MemoryHolders | null,
): string[] {
  if (!plan.device.isUnified) return [];
  const os = plan.budget.items.find((i) => i.key === 'os');
  if (os === undefined || os.bytes <= 0) return [];
  const largestOther = Math.max(0, ...plan.budget.items.filter((i) => i.key !== 'os').map((i) => i.bytes));
  if (os.bytes < largestOther) return [];
  const lines: string[] = [];
  const nvmap = holders?.nvmapBytes ?? null;
  const nvmapText =
    nvmap !== null && nvmap >= 0.5 * GiB
      ? `, ${formatGiB(nvmap)} of it GPU memory held by other processes (NvMapMemUsed)`
      : '';
  lines.push(
    `The largest item is the OS and other processes: ${formatGiB(os.bytes)} of ${formatGiB(plan.budget.limitBytes)}${nvmapText}.`,
  );
  const named = (holders?.processes ?? [])
    .filter((p) => p.bytes >= 0.1 * GiB && !SYSTEM_NAMES.test(p.name))
    .sort((a, b) => b.bytes - a.bytes);
  if (named.length > 0)
    lines.push(
      `Largest processes: ${named
        .slice(0, 5)
        .map((p) => `${p.name} ${formatGiB(p.bytes)}`)
        .join(', ')}.`,
    );
  // What freeing them would allow: the largest processes one by one, else the GPU memory, else down to a typical OS.
  let freed = 0;
  const stopped: string[] = [];
  for (const p of named.slice(0, 3)) {
    freed += p.bytes;
    stopped.push(`${p.name} (${formatGiB(p.bytes)})`);
    const room = replanFreed(plan, request, catalog, os.bytes, freed);
    if (room !== null) {
      lines.push(`Stop ${stopped.join(' and ')} and ${describeRoom(room)}; jetson-vllm doctor lists the rest.`);
      return lines;
    }
  }
  if (named.length === 0 && nvmap !== null && nvmap >= 0.5 * GiB) {
    const room = replanFreed(plan, request, catalog, os.bytes, nvmap);
    if (room !== null) {
      lines.push(
        `Free that GPU memory (stop the processes that hold it; jetson-vllm doctor shows how) and ${describeRoom(room)}.`,
      );
      return lines;
    }
  }
  const typical = Math.max(0, os.bytes - ASSUMED_OS_BYTES);
  if (typical > 0) {
    const room = replanFreed(plan, request, catalog, os.bytes, typical);
    lines.push(
      room !== null
        ? `Freed down to a typical ${formatGiB(ASSUMED_OS_BYTES)} for the OS, ${describeRoom(room)}; jetson-vllm doctor names what holds it.`
        : `Even freed down to a typical ${formatGiB(ASSUMED_OS_BYTES)} for the OS it would not fit: the model itself is too large here.`,
    );
  }
  return lines;
}
