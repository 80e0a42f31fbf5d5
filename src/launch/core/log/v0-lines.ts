/**
 * Log lines of the V0 engine: vLLM 0.6.3–0.7, and later releases up to 0.10 run with VLLM_USE_V1=0. Prefix
 * `INFO 01-23 07:32:01 model_runner.py:1060] `. Format: reference/vllm-memory.md §7; the stage order §1.1.
 */
import { N, SN, type FigureRule, type StageMarker } from './grammar.js';

/** The figure rules of V0 lines, in the order the reducer applies them. */
export const V0_FIGURE_RULES: readonly FigureRule[] = [
  // V0, every version: `Loading model weights took 4.3752 GB` — the "GB" is GiB (value / 2^30).
  { re: new RegExp(`Loading model weights took (${N}) GB`), keys: ['weightsBytes'], isGiB: true },
  // 0.6.4 one line: `Memory profiling results: total_gpu_memory=15.29GiB … non_torch_memory=0.60GiB
  // kv_cache_size=7.76GiB gpu_memory_utilization=0.90`; 0.6.5 sentence: `total_gpu_memory (23.55GiB) x
  // gpu_memory_utilization (0.90) = 21.19GiB`; PR #10511 table: `total_gpu_memory     79.22GiB`.
  // (gpu_memory_utilization in all three forms: common-lines.ts.)
  { re: new RegExp(`total_gpu_memory(?:=|\\s+\\(|\\s+)(${N})\\s*GiB`), keys: ['totalGpuMemoryBytes'], isGiB: true },
  // 0.6.5–0.7 sentence: `model weights take 7.51GiB; non_torch_memory takes 0.39GiB; PyTorch activation peak
  // memory takes 2.53GiB; the rest of the memory reserved for KV Cache is 4.55GiB.`; table: `model weights take
  // 14.96GiB`. Two decimals: the 4-decimal load line wins when both are seen.
  { re: new RegExp(`model weights take\\s+(${N})\\s*GiB`), keys: ['weightsBytes'], isGiB: true, isFallback: true },
  { re: new RegExp(`non_torch_memory(?:=|\\s+takes\\s+|\\s+)(${SN})\\s*GiB`), keys: ['nonTorchBytes'], isGiB: true },
  {
    re: new RegExp(`PyTorch activation peak memory(?:\\s+takes)?\\s+(${SN})\\s*GiB`),
    keys: ['activationPeakBytes'],
    isGiB: true,
  },
  { re: new RegExp(`reserved for KV Cache is (${SN})\\s*GiB`), keys: ['availableKvBytes'], isGiB: true },
  { re: new RegExp(`available_kv_cache_memory\\s+(${SN})\\s*GiB`), keys: ['availableKvBytes'], isGiB: true },
  { re: new RegExp(`kv_cache_size=(${SN})\\s*GiB`), keys: ['availableKvBytes'], isGiB: true },
  // `# GPU blocks: 11836, # CPU blocks: 4681`; 0.7: `# CUDA blocks: 6001, # CPU blocks: 1638` / `# cuda blocks:`;
  // early V1 (0.7.x) printed `# GPU blocks: 1234` alone.
  { re: /# (?:GPU|CUDA) blocks: (\d+)(?:, # CPU blocks: (\d+))?/i, keys: ['gpuBlocks', 'cpuBlocks'] },
];

/** Lines only the V0 engine prints: its block pair (early V1 printed `# GPU blocks: N` alone) and its weights line. */
export const V0_ONLY_RE = /# (?:GPU|CUDA) blocks: \d+, # CPU blocks:|Loading model weights took/i;

/** The stage markers of V0 lines. */
export const V0_STAGE_MARKERS: readonly StageMarker[] = [
  // Weights loaded: the profile run follows (§1.1.3).
  ['memory-profiling', /Loading model weights took \d/],
  // The profile's result: 0.6.4 `Memory profiling results: …`, 0.6.5–0.7 `model weights take …`, the table's
  // `available_kv_cache_memory`, 0.6.4 `kv_cache_size=`.
  ['memory-profiling', /Memory profiling results|model weights take|available_kv_cache_memory|kv_cache_size=/],
  // The block pair (0.7: `# CUDA blocks:` / `# cuda blocks:`; early V1 printed `# GPU blocks: N` alone).
  ['kv-cache', /# (?:GPU|CUDA) blocks: \d/i],
  // V0 0.6.3 `Capturing the model for CUDA graphs. …`, 0.6.5–0.7 `Capturing cudagraphs for decoding. …`, and the
  // warning before them, `CUDA graphs can take additional 1~3 GiB memory per GPU`.
  ['cuda-graphs', /Capturing the model for CUDA graph|Capturing cudagraphs|CUDA graphs can take additional/],
];
