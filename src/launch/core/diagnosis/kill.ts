/**
 * The diagnosis of an OOM kill from its evidence: the plan that ran (described as it ran, never by defaults it
 * did not use), vLLM's own figures against the plan's (vLLM grew past its plan: the prediction was wrong, and the
 * board is re-planned with the measured figure), the processes that grew or that the kernel listed (something
 * else took the memory: stop it), the page cache or zram that held more than the plan left to spare (drop the
 * caches, or swap to disk, and launch the same plan), and, when the plan predicted a large headroom and nothing
 * names a culprit, the honest answer: the cause is elsewhere (another process, the page cache, a wrong estimate)
 * and doctor shows it.
 * Only a plan that predicted little headroom is shrunk down the ladder of replan.ts. Pure.
 */
import type { BudgetKey } from '../../../plan/core/budget.js';
import type { Plan } from '../../../plan/core/plan.js';
import { formatGiB, GiB, MiB } from '../../../shared/units.js';
import { listGrownProcesses, type StartEvidence } from './evidence.js';
import { findOtherHolders, isVllmProcess } from './kernel-oom.js';
import { MEMORY_CULPRITS, buildRungs, dropCulprits, fixOutOfMemory, solveMemory } from './replan.js';
import type { LogState } from '../log/state.js';
import type { DiagnosisContext, DiagnosisOutcome, GrownProcess, KillEvidence } from './types.js';

/**
 * Returns what a launch saw of a failed start, for the diagnosis: vLLM's figures, its last stage, the lowest
 * memory, and, when the launch gathered them (evidence.ts), the first memory sample, the processes that grew and
 * the kernel's report of the kill.
 */
export function buildKillEvidence(log: LogState, lowestBytes: number | null, start?: StartEvidence): KillEvidence {
  const reached = log.stages.filter((s) => s.stage !== 'failed').at(-1)?.stage ?? null;
  const evidence: KillEvidence = { measured: log.figures, stage: reached, memory: { firstBytes: null, lowestBytes } };
  if (start === undefined) return evidence;
  return {
    ...evidence,
    memory: {
      firstBytes: start.firstBytes,
      lowestBytes: lowestBytes ?? start.lowestBytes,
      // Only figures that were read: a launch without them says nothing of the page cache or zram.
      ...(start.pageCacheBytes !== null ? { pageCacheBytes: start.pageCacheBytes } : {}),
      ...(start.zramUsedBytes !== null ? { zramUsedBytes: start.zramUsedBytes } : {}),
      ...(start.zramRamBytes !== null ? { zramRamBytes: start.zramRamBytes } : {}),
    },
    processes: listGrownProcesses(start),
    kernel: start.kernel,
  };
}

/** The advice for memory the page cache holds on a Jetson (reference anchors.md, failure modes 2–4). */
export const DROP_CACHES = 'sync && echo 3 | sudo tee /proc/sys/vm/drop_caches';

/** What disables JetPack's zram swap (jetson-containers docs/setup.md, "Mounting Swap"; reference anchors.md). */
export const DISABLE_ZRAM = 'sudo systemctl disable nvzramconfig';

/** The command that lists what holds the board's memory. */
export const DOCTOR_COMMAND = 'jetson-vllm doctor';

/** Growth below this is noise (allocator slack, a log line's rounding), not a culprit. */
const NOISE_BYTES = 256 * MiB;

/** What stage names read as, in "by the time it was …". */
const STAGE_WORDS: Record<string, string> = {
  'weights-loading': 'loading the weights',
  'memory-profiling': 'profiling memory',
  'kv-cache': 'allocating the KV cache',
  'cuda-graphs': 'capturing CUDA graphs',
  'api-server': 'starting the API server',
};

/** A page cache or a zram use under this is never named as a cause: a board always holds some. */
const CACHE_MIN_BYTES = 1 * GiB;

/**
 * The page cache, when it held more than the plan left to spare: the memory it kept is enough to explain the kill.
 * The plan counts the page cache as free, as MemAvailable does (and as vLLM ≥ 0.11.1 does on a Jetson: psutil's
 * MemAvailable, reference field-2026-12.md); a kill with `headroom` predicted free means at least that much of
 * what was counted free was not. Null: no figure, or too small to explain it.
 */
export function findPageCacheCause(plan: Plan, evidence: KillEvidence | undefined): number | null {
  const bytes = evidence?.memory?.pageCacheBytes ?? null;
  if (bytes === null || bytes < Math.max(CACHE_MIN_BYTES, plan.budget.headroomBytes)) return null;
  return bytes;
}

/**
 * The RAM zram took (mm_stat's mem_used_total) to hold what it swapped, when it was more than the plan left to
 * spare: the same rule as the page cache (findPageCacheCause), as zram keeps what it swaps in RAM itself,
 * compressed, so that RAM was never free for vLLM. Null: no zram, its RAM unread (the swapped size alone says
 * nothing of the RAM it took), or too little to explain the kill.
 */
export function findZramCause(
  plan: Plan,
  evidence: KillEvidence | undefined,
): { usedBytes: number; ramBytes: number } | null {
  const ram = evidence?.memory?.zramRamBytes ?? null;
  const used = evidence?.memory?.zramUsedBytes ?? null;
  if (ram === null || used === null || ram < Math.max(CACHE_MIN_BYTES, plan.budget.headroomBytes)) return null;
  return { usedBytes: used, ramBytes: ram };
}

/** Returns whether the plan left a large headroom: at least 1 GiB and 15 % of the memory it plans in. */
export function hasLargeHeadroom(plan: Plan): boolean {
  return plan.verdict === 'fits' && plan.budget.headroomBytes >= Math.max(1 * GiB, 0.15 * plan.budget.limitBytes);
}

/** Returns what vLLM measured beyond each predicted item (bytes over, item by item), largest first. */
export function computeOvershoot(
  plan: Plan,
  measured: KillEvidence['measured'],
): { key: BudgetKey; label: string; predicted: number; measured: number }[] {
  if (measured === undefined) return [];
  const figures: [BudgetKey, number | null | undefined][] = [
    ['weights', measured.weightsBytes],
    ['kvCache', measured.availableKvBytes],
    ['cudaGraphs', measured.cudaGraphBytes],
    ['activations', measured.activationPeakBytes],
  ];
  const out: { key: BudgetKey; label: string; predicted: number; measured: number }[] = [];
  for (const [key, value] of figures) {
    const item = plan.budget.items.find((i) => i.key === key);
    if (item === undefined || value === null || value === undefined) continue;
    if (value - item.bytes > 0) out.push({ key, label: item.label, predicted: item.bytes, measured: value });
  }
  return out.sort((a, b) => b.measured - b.predicted - (a.measured - a.predicted));
}

/** The plan that ran, as it ran: vLLM's defaults only when they were what ran. */
export function describePlanThatRan(ctx: DiagnosisContext): string {
  const s = ctx.plan.settings;
  // Only V0's cache engine pins --swap-space of RAM (vllm/worker/cache_engine.py); V1 allocates no CPU swap.
  const swap = ctx.plan.vllm.engine === 'v0' ? (s.swapSpaceGiB ?? 0) : 0;
  const swapText = swap > 0 ? `, plus ${swap} GiB of pinned swap (--swap-space, V0)` : '';
  if (ctx.request.defaults === 'vllm' && s.gpuMemoryUtilization >= 0.9) {
    return `It ran with vLLM's defaults: ${Math.round(s.gpuMemoryUtilization * 100)} % of all the memory for vLLM (--gpu-memory-utilization ${s.gpuMemoryUtilization})${swapText}.`;
  }
  const flags = [`--gpu-memory-utilization ${s.gpuMemoryUtilization}`];
  if (s.swapSpaceGiB !== null) flags.push(`--swap-space ${s.swapSpaceGiB}`);
  if (s.kvCacheMemoryBytes !== null) flags.push(`--kv-cache-memory-bytes ${s.kvCacheMemoryBytes}`);
  if (s.numGpuBlocksOverride !== null) flags.push(`--num-gpu-blocks-override ${s.numGpuBlocksOverride}`);
  flags.push(`--max-model-len ${s.maxModelLen}`, `--max-num-seqs ${s.maxNumSeqs}`);
  return `It ran with ${flags.join(', ')}.`;
}

/** "This plan predicted 7.04 GiB of 15.29 GiB, 8.25 GiB to spare". */
function describePrediction(plan: Plan): string {
  const b = plan.budget;
  return `This plan predicted ${formatGiB(b.totalBytes)} of ${formatGiB(b.limitBytes)}, ${formatGiB(Math.max(0, b.headroomBytes))} to spare`;
}

/** "available memory fell from 12.10 GiB to 0.20 GiB", or "". */
function describeMemoryFall(evidence: KillEvidence | undefined): string {
  const m = evidence?.memory;
  // Without the first sample the fall is unknown: the lowest figure alone says nothing of where it went.
  if (m === undefined || m.lowestBytes === null || m.firstBytes === null) return '';
  return `available memory fell from ${formatGiB(m.firstBytes)} to ${formatGiB(m.lowestBytes)}`;
}

/** The processes other than vLLM that took memory: those that grew, else the kernel's largest others. */
function findCulprits(evidence: KillEvidence | undefined): GrownProcess[] {
  const grown = (evidence?.processes ?? [])
    .filter((p) => p.grewBytes >= NOISE_BYTES && !isVllmProcess(p.name))
    .sort((a, b) => b.grewBytes - a.grewBytes);
  if (grown.length > 0) return grown;
  const kernel = evidence?.kernel ?? null;
  if (kernel === null) return [];
  return findOtherHolders(kernel).map((t) => ({ name: t.name, pid: t.pid, grewBytes: 0, rssBytes: t.rssBytes }));
}

/** "ollama (pid 812) grew by 6.20 GiB to 6.50 GiB" or "ollama (pid 812) held 6.50 GiB". */
function describeCulprit(p: GrownProcess): string {
  const who = p.pid === null ? p.name : `${p.name} (pid ${p.pid})`;
  return p.grewBytes > 0
    ? `${who} grew by ${formatGiB(p.grewBytes)} to ${formatGiB(p.rssBytes)}`
    : `${who} held ${formatGiB(p.rssBytes)}`;
}

/** Returns the cause detail and the fix of an OOM kill, from the plan that ran and the evidence. */
export function diagnoseKill(ctx: DiagnosisContext, describeBudget: (plan: Plan) => string): DiagnosisOutcome {
  const { plan, request } = ctx;
  const evidence = ctx.failure.evidence;
  const ran = describePlanThatRan(ctx);
  const fall = describeMemoryFall(evidence);
  const stage = evidence?.stage ?? null;
  const during = stage !== null && STAGE_WORDS[stage] !== undefined ? ` while ${STAGE_WORDS[stage]}` : '';

  // 1. vLLM grew past its plan: its own figures are larger than the plan's.
  const over = computeOvershoot(plan, evidence?.measured);
  const overBytes = over.reduce((sum, o) => sum + o.measured - o.predicted, 0);
  const vllmPredicted = plan.budget.items.filter((i) => i.key !== 'os').reduce((sum, i) => sum + i.bytes, 0);
  if (overBytes >= Math.max(NOISE_BYTES, 0.05 * vllmPredicted)) {
    const parts = over.map(
      (o) => `${o.label.toLowerCase()} ${formatGiB(o.measured)} against ${formatGiB(o.predicted)} predicted`,
    );
    const percent = Math.round((overBytes / Math.max(1, vllmPredicted)) * 100);
    const detail = `${ran} vLLM grew past its plan${during}: ${parts.join(', ')}. The prediction was wrong by ${formatGiB(overBytes)} (+${percent} % of the ${formatGiB(vllmPredicted)} predicted for vLLM).`;
    const osItem = plan.budget.items.find((i) => i.key === 'os');
    if (!plan.device.isUnified || osItem === undefined) return { detail, fix: fixOutOfMemory(ctx, true) };
    // Re-plan with the measured figure: the bytes vLLM took beyond its plan are reserved before anything else.
    const remeasured: DiagnosisContext = {
      ...ctx,
      request: { ...request, device: { ...request.device, osUsedBytes: osItem.bytes + overBytes } },
    };
    const fix = solveMemory(remeasured, buildRungs(dropCulprits(remeasured, MEMORY_CULPRITS), true), [
      `re-planned counting the ${formatGiB(overBytes)} vLLM took beyond its plan`,
    ]);
    // The fix is a plan made with the measured figure, not the old one shrunk: said where the fix is shown.
    const replanned =
      fix.kind === 'replan'
        ? ` The fix is re-planned for this board counting the ${formatGiB(overBytes)} vLLM took beyond its plan.`
        : '';
    return { detail: `${detail}${replanned}`, fix };
  }

  // 2. Something else took the memory: a process that grew, or the kernel's largest others.
  const culprits = findCulprits(evidence);
  const first = culprits[0];
  if (first !== undefined) {
    const named = culprits.slice(0, 3).map(describeCulprit).join(', ');
    const detail = `${ran} ${describePrediction(plan)}: vLLM's settings are not what ran out. Something else took the memory${fall === '' ? '' : ` (${fall})`}: ${named}.`;
    const stop =
      first.pid === null
        ? `stop ${first.name}`
        : `stop ${first.name} (kill ${first.pid}, or sudo systemctl stop <its service>)`;
    return {
      detail,
      fix: {
        kind: 'command',
        command: DOCTOR_COMMAND,
        explanation: `${stop}, then launch the same plan again; ${DOCTOR_COMMAND} lists what else holds memory`,
      },
    };
  }

  // 3. A large predicted headroom, vLLM within its plan, no process grew: the page cache or zram held the memory.
  // On a Jetson the GPU's memory is the same RAM, and its allocations (nvmap, cudaMalloc) do not wait for the page
  // cache to be reclaimed: CUDA's free memory is MemFree, not MemAvailable (ollama #12283), so a full page cache
  // fails vLLM's allocations or its profiling (vLLM #35920, #48140; reference anchors.md, failure modes 2–4),
  // and drop_caches is the fix all of them give.
  const pageCache = hasLargeHeadroom(plan) ? findPageCacheCause(plan, evidence) : null;
  if (pageCache !== null) {
    const detail = `${ran} ${describePrediction(plan)}, vLLM stayed within it and no other process grew${fall === '' ? '' : ` (${fall})`}. The page cache held ${formatGiB(pageCache)} when vLLM was killed, more than the ${formatGiB(plan.budget.headroomBytes)} to spare; a Jetson's GPU allocations do not wait for it to be reclaimed. Halving the KV cache would not address it.`;
    return {
      detail,
      fix: {
        kind: 'command',
        command: DROP_CACHES,
        explanation: `free the page cache (${formatGiB(pageCache)}), then launch the same plan again`,
      },
    };
  }
  const zram = hasLargeHeadroom(plan) ? findZramCause(plan, evidence) : null;
  if (zram !== null) {
    // doctor's swap check says the same of a zram-only board (doctor/core/checks.ts checkSwap).
    const detail = `${ran} ${describePrediction(plan)}, vLLM stayed within it and no other process grew${fall === '' ? '' : ` (${fall})`}. zram held ${formatGiB(zram.usedBytes)} of swapped memory in ${formatGiB(zram.ramBytes)} of RAM when vLLM was killed, more than the ${formatGiB(plan.budget.headroomBytes)} to spare: zram keeps what it swaps in RAM itself, compressed, and swap never holds GPU memory (CUDA memory is pinned). Halving the KV cache would not address it.`;
    return {
      detail,
      fix: {
        kind: 'command',
        command: DOCTOR_COMMAND,
        explanation: `disable zram (${DISABLE_ZRAM}, then reboot) and use a disk swap file (${DOCTOR_COMMAND} sizes one to this board's disk), then launch the same plan again`,
      },
    };
  }

  // 4. A large predicted headroom and no culprit named: the cause is elsewhere, not the plan's size.
  if (hasLargeHeadroom(plan)) {
    const detail = `${ran} ${describePrediction(plan)}: a kill with that much headroom means the memory went elsewhere — another process, the page cache, or an estimate that was wrong${fall === '' ? '' : ` (${fall})`}. Halving the KV cache would not address it.`;
    return {
      detail,
      fix: {
        kind: 'command',
        command: DOCTOR_COMMAND,
        explanation: `see what holds the memory (${DOCTOR_COMMAND} names the largest processes and the NvMap/GPU memory held by others), stop it or free the page cache (${DROP_CACHES}), then launch the same plan again`,
      },
    };
  }

  // 5. The plan itself was tight or too large: shrink it.
  return { detail: `${ran} ${describeBudget(plan)}`, fix: fixOutOfMemory(ctx, true) };
}
