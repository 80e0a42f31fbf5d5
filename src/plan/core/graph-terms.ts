/**
 * The CUDA-graph knobs a plan can set (--optimization-level, --max-cudagraph-capture-size,
 * --cudagraph-capture-sizes, --performance-mode) and what they do to the graph term, plus the graph memory vLLM's
 * profiler over-charges on hybrid gated-delta-net models from 0.26. Pure.
 */
import type { Architecture, VllmData } from '../../catalog/core/presets-schema.js';
import { isAtLeast } from '../../shared/units.js';
import {
  computeCudaGraphSizes,
  defaultMaxNumBatchedTokens,
  defaultMaxNumSeqs,
  describeFlagRange,
  hasFlag,
  type VllmVersionInfo,
} from './vllm-version.js';

/** The values of --performance-mode (vllm/engine/arg_utils.py, PR #34936). */
export const PERFORMANCE_MODES = ['balanced', 'interactivity', 'throughput'] as const;
export type PerformanceMode = (typeof PERFORMANCE_MODES)[number];

/** The CUDA-graph knobs as planned; null fields were not given. */
export interface GraphOptions {
  /** -O level (PR #26847): 0 = no torch.compile and no CUDA graphs; 1–3 compile and capture. */
  optimizationLevel: 0 | 1 | 2 | 3 | null;
  /** --max-cudagraph-capture-size (PR #26016): the largest captured batch. */
  maxCudagraphCaptureSize: number | null;
  /** --cudagraph-capture-sizes: the captured batch sizes, as given. */
  cudagraphCaptureSizes: number[] | null;
  performanceMode: PerformanceMode | null;
}

/** Returns graph options with nothing set. */
export function buildNoGraphOptions(): GraphOptions {
  return { optimizationLevel: null, maxCudagraphCaptureSize: null, cudagraphCaptureSizes: null, performanceMode: null };
}

/**
 * Returns the batch sizes vLLM captures: none at -O0 (no CUDA graphs); an explicit --cudagraph-capture-sizes list,
 * sorted, without repeats, kept ≤ max_num_batched_tokens (vllm/config/vllm.py `_set_cudagraph_sizes`); the ≥ 0.11.1
 * ladder [1, 2, 4] + 8…248 by 8 + 256… by 16 up to min(--max-cudagraph-capture-size, max_num_batched_tokens);
 * otherwise the version's default (vllm-version.ts computeCudaGraphSizes).
 */
export function resolveCaptureSizes(
  info: VllmVersionInfo,
  maxNumSeqs: number,
  maxNumBatchedTokens: number,
  architecture: string,
  options: GraphOptions | null | undefined,
): number[] {
  if (options?.optimizationLevel === 0) return [];
  const explicit = options?.cudagraphCaptureSizes ?? null;
  if (explicit !== null) {
    return [...new Set(explicit)].filter((s) => s <= maxNumBatchedTokens).sort((a, b) => a - b);
  }
  const max = options?.maxCudagraphCaptureSize ?? null;
  if (max !== null) {
    const limit = Math.max(1, Math.min(max, maxNumBatchedTokens));
    const sizes = [1, 2, 4].filter((s) => s <= limit);
    for (let s = 8; s <= limit; s += s >= 256 ? 16 : 8) sizes.push(s);
    return sizes;
  }
  return computeCudaGraphSizes(info, maxNumSeqs, maxNumBatchedTokens, architecture);
}

/**
 * Bytes per batched token vLLM's CUDA-graph memory estimate over-charges on a hybrid gated-delta-net model from
 * 0.26.0: vllm-project/vllm issue #50780 ("CUDA graph memory profiler charges an mnbt-linear profiling transient as
 * graph memory → KV cache pool −18–24 % on hybrid GDN models since v0.26.0"; `profile_cudagraph_memory` measures
 * a ~128 KiB per context token transient of the GDN decode-with-context path, not graph residency). Estimate from
 * that report; still open at the newest release this tool knows.
 */
export const GDN_GRAPH_OVER_RESERVE_PER_TOKEN = 128 * 1024;

/**
 * Returns the bytes vLLM's profiler reserves on top of the real graphs for a gated-delta-net hybrid (0 otherwise):
 * 128 KiB × max_num_batched_tokens from 0.26.0 when the graph estimate is inside vLLM's budget and graphs are
 * captured. They shrink the KV cache but are not held once start-up is over (the transient is freed).
 */
export function computeGdnGraphOverReserve(
  arch: Architecture,
  info: VllmVersionInfo,
  maxNumBatchedTokens: number,
  isGraphReserved: boolean,
  graphCount: number,
): number {
  const state = arch.stateLayers;
  const isGdn = state !== null && state !== undefined && state.kind === 'gated-delta-net' && state.attentionLayers > 0;
  if (!isGdn || !isGraphReserved || graphCount === 0 || !isAtLeast(info.version, '0.26.0')) return 0;
  return GDN_GRAPH_OVER_RESERVE_PER_TOKEN * maxNumBatchedTokens;
}

/**
 * Returns vLLM's default --max-num-seqs and --max-num-batched-tokens under a --performance-mode (≥ 0.17): throughput
 * doubles both defaults before the caps (vllm/engine/arg_utils.py `_set_default_max_num_seqs_and_batched_tokens_args`:
 * "If throughput mode is set, double max_num_batched_tokens and max_num_seqs"), then batched tokens stay ≤ max_num_seqs
 * × max_model_len (≥ 0.21). balanced and interactivity keep the defaults here (their scheduling changes are not sized).
 */
export function computeModeDefaults(
  info: VllmVersionInfo,
  memTotalBytes: number,
  maxModelLen: number,
  maxNumSeqs: number | null,
  mode: PerformanceMode | null,
): { maxNumSeqs: number; maxNumBatchedTokens: number } {
  const factor = mode === 'throughput' && isAtLeast(info.version, '0.17.0') ? 2 : 1;
  const seqs = maxNumSeqs ?? factor * defaultMaxNumSeqs(info, memTotalBytes);
  const base = factor * defaultMaxNumBatchedTokens(info, memTotalBytes, Infinity, Infinity);
  const batched = isAtLeast(info.version, '0.21.0') ? Math.min(base, seqs * maxModelLen) : base;
  return { maxNumSeqs: seqs, maxNumBatchedTokens: batched };
}

/** The graph knobs as the command line gives them. */
export interface GraphOptionTexts {
  optimizationLevel?: string;
  maxCudagraphCaptureSize?: string;
  cudagraphCaptureSizes?: string;
  performanceMode?: string;
}

/** Parses the graph knobs; null when none is given, one line naming the bad value otherwise. */
export function parseGraphOptions(
  o: GraphOptionTexts,
): { ok: true; value: GraphOptions | null } | { ok: false; message: string } {
  const value = buildNoGraphOptions();
  if (o.optimizationLevel !== undefined) {
    const level = o.optimizationLevel.trim().replace(/^O/i, '');
    if (!/^[0-3]$/.test(level))
      return { ok: false, message: `--optimization-level: "${o.optimizationLevel}" is not one of 0, 1, 2, 3` };
    value.optimizationLevel = Number(level) as 0 | 1 | 2 | 3;
  }
  const size = (text: string): number | null =>
    /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65536 ? Number(text) : null;
  if (o.maxCudagraphCaptureSize !== undefined) {
    const n = size(o.maxCudagraphCaptureSize.trim());
    if (n === null)
      return {
        ok: false,
        message: `--max-cudagraph-capture-size: "${o.maxCudagraphCaptureSize}" is not a whole number from 1 to 65536`,
      };
    value.maxCudagraphCaptureSize = n;
  }
  if (o.cudagraphCaptureSizes !== undefined) {
    const parts = o.cudagraphCaptureSizes.split(/[\s,]+/).filter((p) => p !== '');
    const sizes = parts.map(size);
    if (parts.length === 0 || parts.length > 1024 || sizes.some((n) => n === null))
      return {
        ok: false,
        message: `--cudagraph-capture-sizes: "${o.cudagraphCaptureSizes}" is not a list of batch sizes from 1 to 65536 (e.g. 1,2,4,8)`,
      };
    value.cudagraphCaptureSizes = sizes.filter((n): n is number => n !== null);
  }
  if (o.performanceMode !== undefined) {
    const mode = PERFORMANCE_MODES.find((m) => m === o.performanceMode);
    if (mode === undefined)
      return {
        ok: false,
        message: `--performance-mode: "${o.performanceMode}" is not one of ${PERFORMANCE_MODES.join(', ')}`,
      };
    value.performanceMode = mode;
  }
  const isAnyGiven = Object.values(value).some((v) => v !== null);
  return { ok: true, value: isAnyGiven ? value : null };
}

/** The vLLM flag of each graph knob, for the version check and the command. */
export const GRAPH_OPTION_FLAGS: Readonly<Record<keyof GraphOptions, string>> = {
  optimizationLevel: '--optimization-level',
  maxCudagraphCaptureSize: '--max-cudagraph-capture-size',
  cudagraphCaptureSizes: '--cudagraph-capture-sizes',
  performanceMode: '--performance-mode',
};

/** Returns the serve argv entries for the graph knobs given (a list flag takes one argument per size). */
export function buildGraphOptionArgs(o: GraphOptions): { flag: string; values: string[] }[] {
  const out: { flag: string; values: string[] }[] = [];
  if (o.optimizationLevel !== null)
    out.push({ flag: GRAPH_OPTION_FLAGS.optimizationLevel, values: [String(o.optimizationLevel)] });
  if (o.maxCudagraphCaptureSize !== null)
    out.push({ flag: GRAPH_OPTION_FLAGS.maxCudagraphCaptureSize, values: [String(o.maxCudagraphCaptureSize)] });
  if (o.cudagraphCaptureSizes !== null)
    out.push({ flag: GRAPH_OPTION_FLAGS.cudagraphCaptureSizes, values: o.cudagraphCaptureSizes.map(String) });
  if (o.performanceMode !== null) out.push({ flag: GRAPH_OPTION_FLAGS.performanceMode, values: [o.performanceMode] });
  return out;
}

/**
 * Checks the graph knobs against the version (each flag must exist in it) and returns the knobs the plan sizes with:
 * under --vllm-defaults, --performance-mode throughput doubles the max_num_seqs and max_num_batched_tokens the user
 * left to vLLM (computeModeDefaults), so the budget sees what vLLM will run.
 */
export function planGraphOptions<K extends { maxModelLen?: number; maxNumSeqs?: number; maxNumBatchedTokens?: number }>(
  o: GraphOptions,
  ctx: { info: VllmVersionInfo; defaults: 'planner' | 'vllm'; device: { memTotalBytes: number }; knobs: K },
  vllm: VllmData,
  modelMaxLen: number,
): { ok: true; knobs: K } | { ok: false; message: string } {
  for (const key of Object.keys(GRAPH_OPTION_FLAGS) as (keyof GraphOptions)[]) {
    const flag = GRAPH_OPTION_FLAGS[key];
    if (o[key] !== null && !hasFlag(vllm, ctx.info.version, flag))
      return {
        ok: false,
        message: `${flag}: vLLM ${ctx.info.label} does not have it (${describeFlagRange(vllm, flag)})`,
      };
  }
  if (o.performanceMode !== 'throughput' || ctx.defaults !== 'vllm') return { ok: true, knobs: ctx.knobs };
  const k = ctx.knobs;
  const d = computeModeDefaults(
    ctx.info,
    ctx.device.memTotalBytes,
    k.maxModelLen ?? modelMaxLen,
    k.maxNumSeqs ?? null,
    o.performanceMode,
  );
  return {
    ok: true,
    knobs: {
      ...k,
      maxNumSeqs: k.maxNumSeqs ?? d.maxNumSeqs,
      maxNumBatchedTokens: k.maxNumBatchedTokens ?? d.maxNumBatchedTokens,
    },
  };
}
