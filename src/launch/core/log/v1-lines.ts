/**
 * Log lines of the V1 engine (vllm/v1/…): vLLM 0.8 onwards, the default from 0.8 and the only engine from 0.11.
 * Prefixes `INFO 03-18 12:34:56 [core.py:53] `, `(EngineCore_0 pid=107) `, `(Worker_TP1 pid=448) `.
 * Format: reference/vllm-memory.md §7; the stage order §2.1. The newest additions are in newest-lines.ts.
 */
import { COUNT, N, SN, type FigureRule, type StageMarker } from './grammar.js';

/** The figure rules of V1 lines, in the order the reducer applies them. */
export const V1_FIGURE_RULES: readonly FigureRule[] = [
  // V1 `Model loading took 2.5521 GiB and 6.006044 seconds`; 0.8.x V1 and 0.7.x V0 print "GB" (still GiB):
  // `Model loading took 2.3840 GB and 9.881751 seconds` (jetson-containers#989, dustynv/vllm:0.7.4).
  // 0.12+ adds "memory" (vllm/v1/worker/gpu_model_runner.py and gpu/model_runner.py `load_model`, PR #28178),
  // first with four places (`%.4f`, 0.13: `Model loading took 1.9148 GiB memory and 1.154851 seconds`), later by
  // format_gib: `Model loading took 2.88 GiB memory and 14.230517 seconds` — its seconds overwrite the loader's own.
  { re: new RegExp(`Model loading took (${N}) Gi?B`), keys: ['weightsBytes'], isGiB: true },
  { re: new RegExp(`Model loading took ${N} Gi?B(?: memory)? and (${N}) seconds`), keys: ['weightsSeconds'] },
  // The loader's own time comes first and counts only the weights: `Loading weights took 3.44 seconds`.
  { re: new RegExp(`Loading weights took (${N}) seconds`), keys: ['weightsSeconds'], isFallback: true },
  // 0.9.1+: `Available KV cache memory: 5.98 GiB`.
  { re: new RegExp(`Available KV cache memory: (${SN}) ?GiB`), keys: ['availableKvBytes'], isGiB: true },
  // 0.11+ with --kv-cache-memory-bytes: `Initial free memory 12.34 GiB, reserved 4.00 GiB memory for KV Cache as
  // specified by kv_cache_memory_bytes config and skipped memory profiling.`
  {
    re: new RegExp(`reserved (${N}) ?GiB memory for KV Cache as specified by kv_cache_memory_bytes`),
    keys: ['availableKvBytes'],
    isGiB: true,
  },
  // V1 debug summary: `Memory profiling takes 2.1 seconds. Total non KV cache memory: 9.5GiB; torch peak memory
  // increase: 1.2GiB; non-torch forward increase memory: 0.1GiB; weights memory: 8.2GiB.`
  { re: new RegExp(`torch peak memory increase: (${SN}) ?GiB`), keys: ['activationPeakBytes'], isGiB: true },
  { re: new RegExp(`non-torch forward increase memory: (${SN}) ?GiB`), keys: ['nonTorchBytes'], isGiB: true },
  { re: new RegExp(`weights memory: (${N}) ?GiB`), keys: ['weightsBytes'], isGiB: true, isFallback: true },
  // V1 `GPU KV cache size: 567,978 tokens` (thousands separators).
  { re: new RegExp(`GPU KV cache size: ${COUNT} tokens`), keys: ['kvTokens'] },
];

/** Lines only the V1 engine prints: its EngineCore process, KV lines, max-len and sampler messages (vllm/v1/…). */
export const V1_ONLY_RE =
  /EngineCore|GPU KV cache size:|Available KV cache memory:|To serve at least one request with the models?'s|warming up sampler/;

/** The stage markers of V1 lines. */
export const V1_STAGE_MARKERS: readonly StageMarker[] = [
  // 0.9+ config lines: `Using max model len 8192`, `Resolved architecture: Qwen2ForCausalLM`.
  ['engine-config', /Using max model len \d|Resolved architecture: \S/],
  // Weights loaded: the profile run follows (§2.1.3); with torch.compile V1 compiles during it.
  ['memory-profiling', /Model loading took \d/],
  // The profile's result: the debug summary `Memory profiling takes …`, 0.9.1+ `Available KV cache memory:`,
  // 0.11+ `… as specified by kv_cache_memory_bytes`.
  ['memory-profiling', /Memory profiling takes|Available KV cache memory:|as specified by kv_cache_memory_bytes/],
  ['memory-profiling', /torch\.compile takes|Compiling a graph for dynamic shape/],
  ['kv-cache', /GPU KV cache size: \d/],
  // V1 tqdm `Capturing CUDA graph shapes: 100%|…| 67/67`, newest `Capturing CUDA graphs (mixed prefill-decode,
  // PIECEWISE)`; 0.8 prints only the end line (common-lines.ts).
  ['cuda-graphs', /Capturing CUDA graph/],
];
