/**
 * The planner: chooses the vLLM settings a user left open so the whole system fits, keeps and judges
 * the ones the user gave, and solves for the largest context and concurrency that fit. Pure.
 */
import {
  computeBudget,
  computeFreeAtCheck,
  computeMargin,
  type Budget,
  type BudgetInput,
  type Settings,
} from './budget.js';
import { computeLayerBlocksForSequence, countKvLayers } from '../../model/core/architecture.js';
import type { Architecture, VllmData } from '../../catalog/core/presets-schema.js';
import { GiB, MiB } from '../../shared/units.js';
import type { Calibration } from './calibration.js';
import { resolveServedArchitecture, type SpeculativeSettings } from './speculative.js';
import type { MmLimits } from './multimodal/encoder-profile.js';
import type { GraphOptions } from './graph-terms.js';
import { computeKvElementBytes } from './dtype.js';
import { defaultMaxNumBatchedTokens, defaultMaxNumSeqs, hasFlag, type VllmVersionInfo } from './vllm-version.js';

/** The vLLM knobs a user may give; absent ones are chosen. */
export type Knobs = Partial<Settings>;

/** Who chooses the knobs the user left out: this planner, or vLLM's own defaults. */
export type DefaultsMode = 'planner' | 'vllm';

export interface PlanContext {
  arch: Architecture;
  weightBytes: number;
  info: VllmVersionInfo;
  vllm: VllmData;
  device: BudgetInput['device'];
  runtime: BudgetInput['runtime'];
  knobs: Knobs;
  defaults: DefaultsMode;
  /** Set when nothing runs with CUDA graphs and --enforce-eager was left open: the planner turns them off. */
  fallbackEager?: boolean;
  /** Bytes per element of the dtype the model runs in (--dtype resolved); default 2. */
  modelDtypeBytes?: number;
  /** This board's measured terms for the version family (calibration.ts). */
  calibration?: Calibration | null;
  /** --speculative-config as planned: the drafter's layers, weights and buffers join the budget. */
  speculative?: SpeculativeSettings | null;
  /** -O level and capture-size knobs (graph-terms.ts): the graph term follows them. */
  graphOptions?: GraphOptions | null;
  /** --limit-mm-per-prompt as given (multimodal/encoder-profile.ts): the vision encoder's profiling term follows it. */
  mmLimits?: MmLimits | null;
}

export interface SettingsChoice {
  settings: Settings;
  /** Why each knob the planner chose has its value (keyed by setting name). */
  reasons: Partial<Record<keyof Settings, string>>;
}

/** Typical memory an L4T system holds with no desktop (used when nothing was measured). */
export const ASSUMED_OS_BYTES = 1.2 * GiB;

const round2Up = (x: number): number => Math.ceil(x * 100 - 1e-9) / 100;
const round2Down = (x: number): number => Math.floor(x * 100 + 1e-9) / 100;

/** The most of the memory the planner itself ever gives vLLM: never all of it (the OS, page cache). */
export const MAX_PLANNED_UTILIZATION = 0.99;

/**
 * Returns the --gpu-memory-utilization the planner chooses for a share of the memory: rounded up to a
 * hundredth (never less than the share), from 0.05 to 0.99 — a share above 0.99 (0.991, 1.2) is capped at
 * 0.99, not rounded to 1. A value the user gives is not capped: vLLM's own range, (0, 1], is checked where
 * it is read (request.ts).
 */
export function chooseUtilization(share: number): number {
  return Math.max(0.05, Math.min(MAX_PLANNED_UTILIZATION, round2Up(share)));
}

/** Sequences the planner serves by default: a few on a small board, more on a big one. */
export function chooseDefaultMaxNumSeqs(memTotalBytes: number): number {
  if (memTotalBytes <= 9 * GiB) return 2;
  if (memTotalBytes <= 17 * GiB) return 4;
  if (memTotalBytes <= 34 * GiB) return 8;
  if (memTotalBytes <= 70 * GiB) return 16;
  return 32;
}

/** The context the planner aims for before shrinking it to what fits. */
export function chooseTargetMaxModelLen(memTotalBytes: number, modelMax: number): number {
  let target = 32768;
  if (memTotalBytes <= 9 * GiB) target = 4096;
  else if (memTotalBytes <= 17 * GiB) target = 8192;
  else if (memTotalBytes <= 34 * GiB) target = 16384;
  return Math.min(target, modelMax);
}

/** Memory free at vLLM's start-up check: total − what is in use then (budget.ts computeInUseAtCheck). */
export function computeFreeAtStart(ctx: PlanContext): number {
  return computeFreeAtCheck(ctx.device, ctx.runtime);
}

/**
 * Resolves every setting for a context length: the user's knobs as given, the rest chosen by the
 * planner (or vLLM's defaults in "vllm" mode).
 */
export function chooseSettings(ctx: PlanContext, maxModelLen: number, maxNumSeqs: number): SettingsChoice {
  const { knobs, info, device, vllm } = ctx;
  const total = device.memTotalBytes;
  const unified = device.isUnified;
  const reasons: SettingsChoice['reasons'] = {};
  const hasSwapFlag = hasFlag(vllm, info.version, '--swap-space');
  const hasKvBytesFlag = hasFlag(vllm, info.version, '--kv-cache-memory-bytes');
  const hasOverrideFlag = hasFlag(vllm, info.version, '--num-gpu-blocks-override');

  if (ctx.defaults === 'vllm') {
    const settings: Settings = {
      maxModelLen,
      maxNumSeqs,
      maxNumBatchedTokens:
        knobs.maxNumBatchedTokens ?? defaultMaxNumBatchedTokens(info, total, maxModelLen, maxNumSeqs),
      gpuMemoryUtilization: knobs.gpuMemoryUtilization ?? info.defaultGpuMemoryUtilization,
      swapSpaceGiB: hasSwapFlag ? (knobs.swapSpaceGiB ?? 4) : null,
      kvCacheDtype: knobs.kvCacheDtype ?? 'auto',
      kvCacheMemoryBytes: knobs.kvCacheMemoryBytes ?? null,
      enforceEager: knobs.enforceEager ?? false,
      blockSize: knobs.blockSize ?? 16,
      numGpuBlocksOverride: knobs.numGpuBlocksOverride ?? null,
    };
    return { settings, reasons };
  }

  const smallBoard = unified && total <= 17 * GiB;
  const enforceEager = knobs.enforceEager ?? (smallBoard || ctx.fallbackEager === true);
  if (knobs.enforceEager === undefined && enforceEager) {
    reasons.enforceEager = smallBoard
      ? 'no CUDA graphs: saves their memory and minutes of capture on a small board'
      : 'no CUDA graphs: nothing fits with their memory';
  }
  let maxNumBatchedTokens = knobs.maxNumBatchedTokens;
  if (maxNumBatchedTokens === undefined) {
    if (info.engine === 'v0') {
      // V0 without chunked prefill needs max_num_batched_tokens ≥ max_model_len (SchedulerConfig).
      maxNumBatchedTokens = maxModelLen > 32768 ? 512 : Math.max(maxModelLen, maxNumSeqs);
      if (maxNumBatchedTokens < Math.max(maxModelLen, 2048) && maxModelLen <= 32768) {
        reasons.maxNumBatchedTokens =
          "as small as V0 allows (≥ max-model-len): the profile run's activations shrink with it";
      }
    } else {
      const vllmDefault = defaultMaxNumBatchedTokens(info, total, maxModelLen, maxNumSeqs);
      maxNumBatchedTokens = smallBoard ? Math.min(1024, vllmDefault) : vllmDefault;
      maxNumBatchedTokens = Math.max(maxNumBatchedTokens, Math.min(maxNumSeqs, 1024));
      if (maxNumBatchedTokens !== vllmDefault) {
        reasons.maxNumBatchedTokens = 'smaller prefill chunks: less activation memory, same results';
      }
    }
  }
  const swapSpaceGiB = hasSwapFlag ? (knobs.swapSpaceGiB ?? (unified ? 0 : 4)) : null;
  if (hasSwapFlag && knobs.swapSpaceGiB === undefined && unified) {
    reasons.swapSpaceGiB = info.allocatesSwapSpace
      ? 'V0 pins 4 GiB of RAM for swapped KV blocks by default; on a Jetson that is the same RAM the GPU uses'
      : 'ignored by the V1 engine, set to 0 so the V0 fallback cannot pin RAM';
  }
  const base: Settings = {
    maxModelLen,
    maxNumSeqs,
    maxNumBatchedTokens,
    gpuMemoryUtilization: knobs.gpuMemoryUtilization ?? info.defaultGpuMemoryUtilization,
    swapSpaceGiB,
    kvCacheDtype: knobs.kvCacheDtype ?? 'auto',
    kvCacheMemoryBytes: knobs.kvCacheMemoryBytes ?? null,
    enforceEager,
    blockSize: knobs.blockSize ?? 16,
    numGpuBlocksOverride: knobs.numGpuBlocksOverride ?? null,
  };
  if (!unified) return { settings: base, reasons };

  // Size the KV cache for exactly maxNumSeqs requests of maxModelLen tokens.
  const served = resolveServedArchitecture(ctx.arch, ctx.speculative, info);
  const layerBlocks = computeLayerBlocksForSequence(
    served,
    info.engine,
    maxModelLen,
    base.blockSize,
    maxNumBatchedTokens,
    computeKvElementBytes(base.kvCacheDtype, ctx.modelDtypeBytes ?? 2),
  );
  const blocksNeeded = Math.ceil((maxNumSeqs * layerBlocks) / countKvLayers(served));
  const probe = computeBudget({
    ...budgetInput(ctx),
    settings: { ...base, gpuMemoryUtilization: 1, kvCacheMemoryBytes: null, numGpuBlocksOverride: null },
  });
  const bytesPerBlock = probe.kvCache.bytesPerBlock;
  const targetKvBytes = blocksNeeded * bytesPerBlock;
  const nonKv = probe.requestedBytes - probe.kvCache.availableBytes;
  const free = computeFreeAtStart(ctx);
  const kvText = `${maxNumSeqs} × ${maxModelLen} tokens`;

  if (hasKvBytesFlag && knobs.kvCacheMemoryBytes === undefined && knobs.numGpuBlocksOverride === undefined) {
    base.kvCacheMemoryBytes = targetKvBytes;
    reasons.kvCacheMemoryBytes = `a KV cache of exactly ${kvText}, instead of a share of all memory`;
    if (knobs.gpuMemoryUtilization === undefined) {
      // The start-up check still compares util × total with free memory (V1 Worker.init_device).
      const util = Math.max(0.05, Math.min(info.defaultGpuMemoryUtilization, round2Down((free - 256 * MiB) / total)));
      base.gpuMemoryUtilization = util;
      reasons.gpuMemoryUtilization = "low enough to pass vLLM's free-memory check at start-up, which counts the OS";
    }
  } else if (knobs.gpuMemoryUtilization === undefined && knobs.kvCacheMemoryBytes === undefined) {
    const util = chooseUtilization((targetKvBytes + nonKv) / total);
    base.gpuMemoryUtilization = util;
    reasons.gpuMemoryUtilization = `vLLM's share sized to the weights, activations and a KV cache of ${kvText}, not ${info.defaultGpuMemoryUtilization} of all memory`;
    if (info.engine === 'v0' && hasOverrideFlag && knobs.numGpuBlocksOverride === undefined) {
      base.numGpuBlocksOverride = blocksNeeded;
      reasons.numGpuBlocksOverride = `exactly ${blocksNeeded} KV blocks: V0's profiling misreads free memory on unified memory (page cache)`;
    }
  }
  return { settings: base, reasons };
}

function budgetInput(ctx: PlanContext): Omit<BudgetInput, 'settings'> {
  return {
    device: ctx.device,
    arch: ctx.arch,
    weightBytes: ctx.weightBytes,
    info: ctx.info,
    runtime: ctx.runtime,
    ...(ctx.modelDtypeBytes !== undefined ? { modelDtypeBytes: ctx.modelDtypeBytes } : {}),
    ...(ctx.calibration !== undefined ? { calibration: ctx.calibration } : {}),
    ...(ctx.speculative !== undefined ? { speculative: ctx.speculative } : {}),
    ...(ctx.graphOptions !== undefined ? { graphOptions: ctx.graphOptions } : {}),
    ...(ctx.mmLimits !== undefined ? { mmLimits: ctx.mmLimits } : {}),
  };
}

/** Budget for a context length and sequence count, with settings chosen as the context says. */
export function evaluate(
  ctx: PlanContext,
  maxModelLen: number,
  maxNumSeqs: number,
): { choice: SettingsChoice; budget: Budget } {
  const choice = chooseSettings(ctx, maxModelLen, maxNumSeqs);
  return { choice, budget: computeBudget({ ...budgetInput(ctx), settings: choice.settings }) };
}

const isRunnable = (b: Budget): boolean => b.verdict === 'fits' || b.verdict === 'tight';

/**
 * Largest value in [lo, hi] (multiples of `step` from lo) for which `ok` holds, assuming ok is
 * monotone (true up to some point, false after); null when ok(lo) is false.
 */
export function findLargest(lo: number, hi: number, step: number, ok: (v: number) => boolean): number | null {
  if (hi < lo || !ok(lo)) return null;
  let good = 0;
  let bad = Math.floor((hi - lo) / step) + 1;
  if (ok(lo + (bad - 1) * step)) return lo + (bad - 1) * step;
  bad -= 1;
  while (bad - good > 1) {
    const mid = Math.floor((good + bad) / 2);
    if (ok(lo + mid * step)) good = mid;
    else bad = mid;
  }
  return lo + good * step;
}

/** The most sequences the solver tries. */
export const MAX_SEQS_SEARCHED = 1024;

/**
 * Context ranges in which memory grows with the context. V0 switches chunked prefill on above 32768
 * tokens (max-num-batched-tokens drops to 512), so its memory is monotone only on each side of it.
 */
export function contextSegments(ctx: PlanContext, lo: number, hi: number): [number, number][] {
  const step = ctx.knobs.blockSize ?? 16;
  const split = 32768;
  if (ctx.info.engine === 'v1' || ctx.knobs.maxNumBatchedTokens !== undefined || hi <= split || lo > split)
    return [[lo, hi]];
  return [
    [lo, split],
    [Math.ceil((split + 1) / step) * step, hi],
  ];
}

/** Largest value over the monotone segments for which `ok` holds. */
function findLargestInSegments(segments: [number, number][], step: number, ok: (v: number) => boolean): number | null {
  let best: number | null = null;
  for (const [lo, hi] of segments) {
    const found = findLargest(lo, hi, step, ok);
    if (found !== null && (best === null || found > best)) best = found;
  }
  return best;
}

/** Largest max-model-len that runs for `seqs` sequences, in steps of the block size. */
export function solveMaxModelLen(ctx: PlanContext, seqs: number, modelMax: number): number | null {
  const step = ctx.knobs.blockSize ?? 16;
  return findLargestInSegments(contextSegments(ctx, step, modelMax), step, (len) =>
    isRunnable(evaluate(ctx, len, seqs).budget),
  );
}

/** Largest max-num-seqs that runs at context `len`. */
export function solveMaxNumSeqs(ctx: PlanContext, len: number): number | null {
  return findLargest(1, MAX_SEQS_SEARCHED, 1, (seqs) => isRunnable(evaluate(ctx, len, seqs).budget));
}

export interface ChosenShape {
  maxModelLen: number;
  maxNumSeqs: number;
  reasons: { maxModelLen?: string; maxNumSeqs?: string };
  /** True when the planner turned CUDA graphs off because nothing ran with them (see PlanContext). */
  fallbackEager: boolean;
}

/**
 * Picks max-model-len and max-num-seqs when the user left them open, so that the plan runs whenever any choice of
 * the open knobs runs: a sensible target for the device, shrunk to what fits with a margin (verdict "fits"), then
 * fewer sequences, then a "tight" fit; and when nothing runs with CUDA graphs and --enforce-eager is open, the same
 * search without them.
 */
export function chooseShape(ctx: PlanContext, modelMax: number): ChosenShape {
  const { knobs, device, info } = ctx;
  if (ctx.defaults === 'vllm') {
    return {
      maxModelLen: knobs.maxModelLen ?? modelMax,
      maxNumSeqs: knobs.maxNumSeqs ?? defaultMaxNumSeqs(info, device.memTotalBytes),
      reasons: {},
      fallbackEager: false,
    };
  }
  const first = chooseShapeWith(ctx, modelMax);
  const runs = (c: PlanContext, shape: ChosenShape): boolean =>
    isRunnable(evaluate(c, shape.maxModelLen, shape.maxNumSeqs).budget);
  if (runs(ctx, first) || knobs.enforceEager !== undefined) return first;
  const eagerCtx: PlanContext = { ...ctx, fallbackEager: true };
  if (chooseSettings(ctx, first.maxModelLen, first.maxNumSeqs).settings.enforceEager) return first;
  const second = chooseShapeWith(eagerCtx, modelMax);
  return runs(eagerCtx, second) ? { ...second, fallbackEager: true } : first;
}

function chooseShapeWith(ctx: PlanContext, modelMax: number): ChosenShape {
  const { knobs, device, info } = ctx;
  const reasons: ChosenShape['reasons'] = {};
  const unified = device.isUnified;
  const defaultSeqs = unified
    ? chooseDefaultMaxNumSeqs(device.memTotalBytes)
    : defaultMaxNumSeqs(info, device.memTotalBytes);
  const fitsWell = (len: number, n: number): boolean => evaluate(ctx, len, n).budget.verdict === 'fits';
  const runs = (len: number, n: number): boolean => isRunnable(evaluate(ctx, len, n).budget);
  const shape = (maxModelLen: number, maxNumSeqs: number): ChosenShape => ({
    maxModelLen,
    maxNumSeqs,
    reasons,
    fallbackEager: false,
  });
  let seqs = knobs.maxNumSeqs ?? defaultSeqs;
  if (knobs.maxNumSeqs === undefined && unified)
    reasons.maxNumSeqs = `${seqs} concurrent requests: enough for a board, far below vLLM's ${defaultMaxNumSeqs(info, device.memTotalBytes)}`;

  if (knobs.maxModelLen !== undefined) {
    const len = knobs.maxModelLen;
    if (knobs.maxNumSeqs !== undefined || fitsWell(len, seqs)) return shape(len, seqs);
    // Fewer sequences at the context the user asked for: the most that fit with a margin, else the most that run.
    const well = findLargest(1, seqs, 1, (n) => fitsWell(len, n));
    const best = well ?? findLargest(1, seqs, 1, (n) => runs(len, n));
    if (best === null) {
      reasons.maxNumSeqs = `one request at a time: not even one fits at ${len} tokens`;
      return shape(len, 1);
    }
    if (best !== seqs)
      reasons.maxNumSeqs = `${best} concurrent request${best === 1 ? '' : 's'}: the most that ${well !== null ? 'fit with a margin' : 'run'} at ${len} tokens`;
    return shape(len, best);
  }

  const target = unified ? chooseTargetMaxModelLen(device.memTotalBytes, modelMax) : modelMax;
  const step = ctx.knobs.blockSize ?? 16;
  const pick = (n: number, ok: (len: number, n: number) => boolean): number | null => {
    if (ok(target, n)) return target;
    const best = findLargestInSegments(contextSegments(ctx, step, target), step, (len) => ok(len, n));
    if (best === null) return null;
    const rounded = best >= 256 ? Math.floor(best / 256) * 256 : best;
    return ok(rounded, n) ? rounded : best;
  };
  let len = pick(seqs, fitsWell);
  if (len === null && knobs.maxNumSeqs === undefined && seqs > 1) {
    seqs = 1;
    reasons.maxNumSeqs = 'one request at a time: nothing more fits';
    len = pick(seqs, fitsWell);
  }
  let isTight = false;
  if (len === null) {
    len = pick(seqs, runs);
    isTight = len !== null;
  }
  if (len === null) {
    reasons.maxModelLen = 'nothing fits; showing the model at a short context';
    return shape(Math.min(target, 2048), seqs);
  }
  reasons.maxModelLen =
    len === modelMax
      ? "the model's full context fits"
      : `${len} tokens: ${isTight ? 'the largest that runs (with little headroom)' : len === target ? 'a practical context for this device' : 'the largest that fits with a margin'} (the model allows ${modelMax})`;
  return shape(len, seqs);
}

/** Margin re-exported for the text output. */
export { computeMargin };
