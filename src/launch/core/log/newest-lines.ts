/**
 * Log lines only the newest vLLM prints (0.21+: CUDA graph memory profiled inside the budget). Lines of 0.12+ that
 * only reword an older one are matched by that one's pattern (common-lines.ts, v1-lines.ts, failures.ts).
 * Format: reference/vllm-memory.md §7.
 */
import { N, SN, type FigureRule, type StageMarker } from './grammar.js';

/** The figure rules of the newest lines, in the order the reducer applies them. */
export const NEWEST_FIGURE_RULES: readonly FigureRule[] = [
  // v0.21+: `The current --gpu-memory-utilization=0.9200 is equivalent to --gpu-memory-utilization=0.9129 without
  // CUDA graph memory profiling.` — the first value is the one in force.
  { re: new RegExp(`--gpu-memory-utilization=(${N}) is equivalent to`), keys: ['gpuMemoryUtilization'] },
  // v0.21+: `Estimated CUDA graph memory: 0.36 GiB total`.
  { re: new RegExp(`Estimated CUDA graph memory: (${SN}) ?GiB`), keys: ['cudaGraphEstimateBytes'], isGiB: true },
];

/** The stage markers of the newest lines. */
export const NEWEST_STAGE_MARKERS: readonly StageMarker[] = [
  // v0.21+ profiles the CUDA graph memory during the profile run.
  ['memory-profiling', /Profiling CUDA graph memory|Estimated CUDA graph memory|CUDA graph memory profiling is/],
];
