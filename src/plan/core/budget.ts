/**
 * The memory budget: what vLLM will allocate for given settings, mirroring its own algorithm for the
 * targeted version (reference/vllm-memory.md §1–§5), plus what it does not count on a unified-memory
 * Jetson (the OS, the Python processes, the container). Pure and synchronous.
 */
import type { Architecture } from '../../catalog/core/presets-schema.js';
import {
  buildKvCacheLayout,
  computeConcurrency,
  computeKvTokens,
  computeSequenceBytes,
} from '../../model/core/kv-cache-layout.js';
import { kvDtypeBytes } from '../../model/core/quantization.js';
import { GiB, MiB } from '../../shared/units.js';
import { computeCudaGraphSizes, type VllmVersionInfo } from './vllm-version.js';

/** The effective vLLM settings a budget is computed for (vLLM's own names, camel-cased). */
export interface Settings {
  maxModelLen: number;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  gpuMemoryUtilization: number;
  /** GiB of pinned CPU swap (V0); null when the version has no such flag. */
  swapSpaceGiB: number | null;
  kvCacheDtype: string;
  /** --kv-cache-memory-bytes (≥ 0.11); null when not set. */
  kvCacheMemoryBytes: number | null;
  enforceEager: boolean;
  blockSize: number;
  /** --num-gpu-blocks-override; null when not set. */
  numGpuBlocksOverride: number | null;
}

export interface BudgetDevice {
  /** Total memory as CUDA reports it (on a Jetson: MemTotal, the whole shared RAM). */
  memTotalBytes: number;
  /** CPU and GPU share one pool (Jetson). */
  isUnified: boolean;
  /** Memory the OS and other processes hold before vLLM starts (unified only). */
  osUsedBytes: number;
  /** "measured" on the device, or "assumed" (a typical L4T figure). */
  osSource: 'measured' | 'assumed';
}

export interface BudgetInput {
  device: BudgetDevice;
  arch: Architecture;
  weightBytes: number;
  info: VllmVersionInfo;
  settings: Settings;
  runtime: 'docker' | 'native';
}

export type BudgetKey =
  'os' | 'runtime' | 'container' | 'weights' | 'activations' | 'cudaGraphs' | 'sampler' | 'kvCache' | 'swapSpace';

export interface BudgetItem {
  key: BudgetKey;
  label: string;
  bytes: number;
  why: string;
  /** True when the figure is this tool's estimate rather than exact arithmetic. */
  isEstimate: boolean;
}

export type Verdict = 'fits' | 'tight' | 'oom' | 'max-len';

export interface Refusal {
  reason: 'startup-free-memory' | 'no-cache-blocks' | 'max-len' | 'swap-too-large';
  /** The message vLLM would print. */
  message: string;
}

export interface KvCacheFigures {
  bytesPerToken: number;
  bytesPerBlock: number;
  /** vLLM's "available KV cache memory" before rounding to blocks (may be negative). */
  availableBytes: number;
  gpuBlocks: number;
  cpuBlocks: number;
  tokens: number;
  maxConcurrency: number;
  /** Bytes one request of max-model-len reserves. */
  bytesPerSequence: number;
}

export interface Budget {
  /** The physical memory compared against (CUDA's total). */
  limitBytes: number;
  totalBytes: number;
  headroomBytes: number;
  /** Headroom under which the verdict is "tight". */
  marginBytes: number;
  /** util × total: what vLLM takes for itself. */
  requestedBytes: number;
  items: BudgetItem[];
  kvCache: KvCacheFigures;
  verdict: Verdict;
  refusal: Refusal | null;
}

/**
 * CUDA context, cuBLAS/cuDNN workspaces and NCCL: vLLM's "non_torch_memory". Estimate: 0.3–0.6 GiB on
 * Orin (§5), 0.39 GiB on a 24 GB GPU in the PR #12126 log.
 */
export const CUDA_CONTEXT_BYTES = 512 * MiB;
/**
 * The vLLM Python processes' own RAM (interpreter, torch, tokenizer) — on a Jetson it is taken from
 * the same pool. V0 runs one process (≈1.0 GiB); V1 runs the API server and the engine core (≈1.5 GiB).
 * Estimate from §9 ("python_runtime ~1.0–1.5 GiB").
 */
export const PYTHON_HEAP_BYTES = { v0: 1 * GiB, v1: 1.5 * GiB } as const;
/** docker's per-container overhead (shim, runc, network namespace). Estimate. */
export const CONTAINER_BYTES = 64 * MiB;
/** Per captured CUDA graph and layer: static buffers plus the graph pool. Estimate fitted to §2.4. */
const CUDA_GRAPH_BYTES_PER_LAYER = 512 * 1024;
const CUDA_GRAPH_POOL_BYTES = 32 * MiB;

/** Headroom below which a plan is "tight": 5 % of memory, at least 512 MiB (unified) / 256 MiB. */
export function computeMargin(memTotalBytes: number, isUnified: boolean): number {
  return isUnified ? Math.max(512 * MiB, 0.05 * memTotalBytes) : Math.max(256 * MiB, 0.02 * memTotalBytes);
}

/**
 * Activation peak of the profile run, in bytes. The forward pass over max_num_batched_tokens keeps the
 * gated MLP's gate/up output (2 × intermediate), its activation (intermediate) and the residual
 * stream alive (≈ 4 × intermediate + 2 × hidden values per token, 2 bytes each); fused MoE keeps
 * top-k × (3 × expert width + hidden) (vllm fused_moe intermediate caches). The sampler adds fp32
 * logits and probabilities for the sampled rows (V0 model_runner `profile_run`, V1
 * `_dummy_sampler_run`). Calibrated on the PR #10511 log (Llama-3-8B, 8192 tokens: 1.26 GiB logged,
 * 1.24 GiB here).
 */
export function estimateActivationBytes(arch: Architecture, batchedTokens: number, logitsRows: number): number {
  const h = arch.hiddenSize;
  const perTokenValues =
    arch.moe === null
      ? 4 * arch.intermediateSize + 2 * h
      : 2 * h + arch.moe.expertsPerToken * (3 * arch.moe.expertIntermediateSize + h);
  return batchedTokens * perTokenValues * 2 + logitsRows * arch.vocabSize * 4 * 2;
}

/** CUDA-graph memory for the captured batch sizes (0 with --enforce-eager). Estimate (§2.4). */
export function estimateCudaGraphBytes(
  arch: Architecture,
  info: VllmVersionInfo,
  settings: Settings,
): { bytes: number; graphs: number } {
  if (settings.enforceEager) return { bytes: 0, graphs: 0 };
  const graphs = computeCudaGraphSizes(info, settings.maxNumSeqs, settings.maxNumBatchedTokens).length;
  return { bytes: CUDA_GRAPH_POOL_BYTES + graphs * arch.layers * CUDA_GRAPH_BYTES_PER_LAYER, graphs };
}

/**
 * V1 sampler warm-up after the KV cache is allocated (`_dummy_sampler_run`): fp32 logits,
 * probabilities and a sorted copy for top-p over max_num_seqs rows; kept cached, outside the budget.
 */
export function estimateSamplerBytes(arch: Architecture, info: VllmVersionInfo, settings: Settings): number {
  if (info.engine === 'v0') return 0;
  const rows = Math.min(settings.maxNumSeqs, settings.maxNumBatchedTokens);
  return rows * arch.vocabSize * 4 * 3;
}

const gib = (bytes: number): string => `${(bytes / GiB).toFixed(2)} GiB`;

/** Computes the whole budget, KV figures and verdict for one set of settings. */
export function computeBudget(input: BudgetInput): Budget {
  const { device, arch, info, settings, weightBytes } = input;
  const total = device.memTotalBytes;
  const unified = device.isUnified;
  const s = settings;

  // KV per token, or a fixed state per sequence for hybrid layers (model/core/kv-cache-layout.ts).
  const layout = buildKvCacheLayout(arch, info.engine, kvDtypeBytes(s.kvCacheDtype), s.blockSize);
  const { bytesPerToken, bytesPerBlock } = layout;
  const bytesPerSequence = computeSequenceBytes(layout, arch, s.maxModelLen, s.maxNumBatchedTokens);

  const pythonHeap = unified ? PYTHON_HEAP_BYTES[info.engine] : 0;
  const container = unified && input.runtime === 'docker' ? CONTAINER_BYTES : 0;
  const os = unified ? device.osUsedBytes : 0;
  const others = os + pythonHeap + container;
  const logitsRows = Math.min(s.maxNumSeqs, s.maxNumBatchedTokens);
  const activations = estimateActivationBytes(arch, s.maxNumBatchedTokens, logitsRows);
  const graphs = estimateCudaGraphBytes(arch, info, s);
  const sampler = estimateSamplerBytes(arch, info, s);
  const requested = Math.ceil(total * s.gpuMemoryUtilization);

  // vLLM's own sizing of the KV cache (see MemoryAlgorithm in vllm-version.ts for the citations).
  let nonKv = weightBytes + activations + CUDA_CONTEXT_BYTES;
  let algorithmWhy: string;
  switch (info.algorithm) {
    case 'v0-free-delta':
      algorithmWhy = `vLLM ${info.label}: util × total − (free memory before − after profiling)`;
      break;
    case 'v0-device-peak':
    case 'v1-device-peak':
      nonKv += others;
      algorithmWhy = `vLLM ${info.label}: util × total − (torch peak + all non-torch memory in use)`;
      break;
    case 'v0-profiled':
    case 'v1-profiled':
      algorithmWhy = `vLLM ${info.label}: util × total − (weights + activation peak + non-torch)`;
      break;
    case 'v1-profiled-graphs':
      nonKv += graphs.bytes;
      algorithmWhy = `vLLM ${info.label}: util × total − (weights + activations + non-torch + CUDA graphs)`;
      break;
    default: {
      const unreachable: never = info.algorithm;
      throw new Error(`unknown algorithm ${String(unreachable)}`);
    }
  }
  let available = requested - nonKv;
  if (s.kvCacheMemoryBytes !== null) {
    available = s.kvCacheMemoryBytes;
    algorithmWhy = `--kv-cache-memory-bytes ${s.kvCacheMemoryBytes} (profiling result ignored)`;
  }
  let gpuBlocks = Math.max(0, Math.floor(available / bytesPerBlock));
  if (s.numGpuBlocksOverride !== null) {
    gpuBlocks = s.numGpuBlocksOverride;
    algorithmWhy = `--num-gpu-blocks-override ${s.numGpuBlocksOverride}`;
  }
  const kvBytes = gpuBlocks * bytesPerBlock;
  const swapBytesRequested = info.allocatesSwapSpace && s.swapSpaceGiB !== null ? s.swapSpaceGiB * GiB : 0;
  // vllm/config.py CacheConfig: num_cpu_blocks = swap_space_bytes // cache_block_size.
  const cpuBlocks = Math.floor(swapBytesRequested / bytesPerBlock);
  const swapBytes = cpuBlocks * bytesPerBlock;
  const tokens = computeKvTokens(layout, gpuBlocks);
  const maxConcurrency =
    info.engine === 'v0'
      ? tokens / s.maxModelLen
      : computeConcurrency(layout, arch, gpuBlocks, s.maxModelLen, s.maxNumBatchedTokens);

  const items: BudgetItem[] = [];
  const push = (key: BudgetKey, label: string, bytes: number, why: string, isEstimate: boolean): void => {
    if (bytes > 0 || key === 'kvCache' || key === 'weights') items.push({ key, label, bytes, why, isEstimate });
  };
  if (unified) {
    push(
      'os',
      'OS and other processes',
      os,
      device.osSource === 'measured'
        ? 'measured on this device (MemTotal − MemAvailable)'
        : 'assumed: a typical headless L4T; run on the board to measure it',
      device.osSource !== 'measured',
    );
  }
  push(
    'runtime',
    unified ? 'vLLM runtime (Python, CUDA)' : 'CUDA context, workspaces',
    pythonHeap + CUDA_CONTEXT_BYTES,
    unified
      ? `${info.engine === 'v1' ? 'API server + engine core processes' : 'one Python process'} ≈ ${gib(pythonHeap)}, CUDA context/cuBLAS ≈ ${gib(CUDA_CONTEXT_BYTES)}`
      : `CUDA context, cuBLAS/cuDNN workspaces ≈ ${gib(CUDA_CONTEXT_BYTES)}`,
    true,
  );
  push('container', 'Container', container, 'docker shim and namespaces', true);
  push('weights', 'Model weights', weightBytes, 'from the checkpoint format', false);
  push(
    'activations',
    'Activations (profile peak)',
    activations,
    `${s.maxNumBatchedTokens} batched tokens through the MLP + logits of ${logitsRows} sequences`,
    true,
  );
  push(
    'cudaGraphs',
    'CUDA graphs',
    graphs.bytes,
    `${graphs.graphs} captured batch sizes${info.algorithm === 'v1-profiled-graphs' ? " (inside vLLM's budget since v0.21)" : ", outside vLLM's budget"}`,
    true,
  );
  push(
    'sampler',
    'Sampler warm-up',
    sampler,
    `fp32 logits for ${Math.min(s.maxNumSeqs, s.maxNumBatchedTokens)} dummy requests, kept cached`,
    true,
  );
  push(
    'kvCache',
    'KV cache',
    kvBytes,
    `${gpuBlocks} blocks × ${bytesPerBlock} B = ${tokens} tokens; ${algorithmWhy}${layout.why === null ? '' : `; ${layout.why}`}`,
    s.kvCacheMemoryBytes === null && s.numGpuBlocksOverride === null,
  );
  push(
    'swapSpace',
    'Pinned CPU swap space',
    swapBytes,
    `--swap-space ${s.swapSpaceGiB ?? 0} GiB → ${cpuBlocks} CPU blocks, pinned and zeroed${unified ? ' in the same RAM' : ' in host RAM'}`,
    false,
  );

  // Pinned swap lives in host RAM: on a discrete GPU it does not count against GPU memory.
  const counted = items.filter((i) => unified || i.key !== 'swapSpace');
  const totalBytes = counted.reduce((sum, i) => sum + i.bytes, 0);
  const margin = computeMargin(total, unified);
  const headroom = total - totalBytes;

  const refusal = findRefusal({
    input,
    requested,
    available,
    gpuBlocks,
    tokens,
    bytesPerSequence,
    freeAtStart: total - others - CUDA_CONTEXT_BYTES,
    swapBytesRequested,
  });
  const beforeKv = counted
    .filter((i) => i.key !== 'kvCache' && i.key !== 'swapSpace' && i.key !== 'cudaGraphs' && i.key !== 'sampler')
    .reduce((sum, i) => sum + i.bytes, 0);
  let verdict: Verdict;
  if (refusal !== null && refusal.reason === 'startup-free-memory') verdict = 'max-len';
  else if (refusal !== null && refusal.reason === 'swap-too-large') verdict = 'max-len';
  else if (beforeKv > total) verdict = 'oom';
  else if (refusal !== null) verdict = 'max-len';
  else if (totalBytes > total) verdict = 'oom';
  else if (headroom < margin) verdict = 'tight';
  else verdict = 'fits';

  return {
    limitBytes: total,
    totalBytes,
    headroomBytes: headroom,
    marginBytes: margin,
    requestedBytes: requested,
    items,
    kvCache: {
      bytesPerToken,
      bytesPerBlock,
      availableBytes: available,
      gpuBlocks,
      cpuBlocks,
      tokens,
      maxConcurrency: Math.round(maxConcurrency * 100) / 100,
      bytesPerSequence,
    },
    verdict,
    refusal,
  };
}

function findRefusal(args: {
  input: BudgetInput;
  requested: number;
  available: number;
  gpuBlocks: number;
  tokens: number;
  bytesPerSequence: number;
  freeAtStart: number;
  swapBytesRequested: number;
}): Refusal | null {
  const { input, requested, available, gpuBlocks, tokens, bytesPerSequence } = args;
  const { info, settings: s, device } = input;
  // vllm/config.py CacheConfig.verify_with_parallel_config: > 70 % of CPU RAM is an error.
  if (device.isUnified && args.swapBytesRequested > 0.7 * device.memTotalBytes) {
    return {
      reason: 'swap-too-large',
      message: `Too large swap space. ${gib(args.swapBytesRequested)} out of the ${gib(device.memTotalBytes)} total CPU memory is allocated for the swap space.`,
    };
  }
  // V1 ≥ 0.9.1 Worker.init_device: fail fast unless free ≥ util × total (PR #19312).
  if (info.hasStartupFreeCheck && args.freeAtStart < requested) {
    return {
      reason: 'startup-free-memory',
      message: `Free memory on device (${(args.freeAtStart / GiB).toFixed(2)}/${gib(device.memTotalBytes)}) on startup is less than desired GPU memory utilization (${s.gpuMemoryUtilization}, ${gib(requested)}).`,
    };
  }
  if (gpuBlocks <= 0) {
    return {
      reason: 'no-cache-blocks',
      message:
        'No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.',
    };
  }
  if (info.engine === 'v0' && tokens < s.maxModelLen) {
    return {
      reason: 'max-len',
      message: `The model's max seq len (${s.maxModelLen}) is larger than the maximum number of tokens that can be stored in KV cache (${tokens}).`,
    };
  }
  // V1 get_kv_cache_config checks the available memory before any block override applies.
  const kvForCheck = s.kvCacheMemoryBytes ?? available;
  if (info.engine === 'v1' && bytesPerSequence > kvForCheck) {
    const estimate = estimateMaxModelLen(input, kvForCheck);
    return {
      reason: 'max-len',
      message: `To serve at least one request with the model's max seq len (${s.maxModelLen}), (${gib(bytesPerSequence)} KV cache is needed, which is larger than the available KV cache memory (${gib(kvForCheck)}).${estimate > 0 ? ` Based on the available memory, the estimated maximum model length is ${estimate}.` : ''}`,
    };
  }
  return null;
}

/**
 * The longest context whose one request fits in `kvBytes`, as vLLM's `estimate_max_model_len`
 * (vllm/v1/core/kv_cache_utils.py) reports it in the max-len error; 0 when not even one block fits.
 */
export function estimateMaxModelLen(input: BudgetInput, kvBytes: number): number {
  const { arch, info, settings: s } = input;
  const layout = buildKvCacheLayout(arch, info.engine, kvDtypeBytes(s.kvCacheDtype), s.blockSize);
  const fitsLen = (len: number): boolean => computeSequenceBytes(layout, arch, len, s.maxNumBatchedTokens) <= kvBytes;
  let lo = 0;
  let hi = s.maxModelLen;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fitsLen(mid)) lo = mid;
    else hi = mid;
  }
  return fitsLen(hi) ? hi : lo;
}
