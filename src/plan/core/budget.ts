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
import { computeKvElementBytes } from './dtype.js';
import { computeDrafterBytes, resolveServedArchitecture, type SpeculativeSettings } from './speculative.js';
import { computeGdnGraphOverReserve, resolveCaptureSizes, type GraphOptions } from './graph-terms.js';
import { describeMeasured, type Calibration } from './calibration.js';
import { combineWithEncoder, computeEncoderProfile, type MmLimits } from './multimodal/encoder-profile.js';
import { GiB, MiB, isAtLeast } from '../../shared/units.js';
import {
  computeCudaGraphSizes,
  isGraphMemoryReserved,
  resolveModelRunner,
  type VllmVersionInfo,
} from './vllm-version.js';

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
  /** MemFree read on the board before the launch (unified only); absent before launch. */
  memFreeBytes?: number;
}

/** What 0.6.3's free-memory delta keeps below MemFree at start on a Jetson (corrections §5: "~0.1 GiB"). */
export const MEMFREE_FLOOR_BYTES = 0.1 * GiB;

export interface BudgetInput {
  device: BudgetDevice;
  arch: Architecture;
  weightBytes: number;
  info: VllmVersionInfo;
  settings: Settings;
  runtime: 'docker' | 'native';
  /** Bytes per element of the dtype the model runs in (--dtype resolved): 2, or 4 for float32. Default 2. */
  modelDtypeBytes?: number;
  /** This board's measured terms for the version family (calibration.ts); they replace the estimates. */
  calibration?: Calibration | null;
  /** --speculative-config as planned (speculative.ts); absent or null: none. */
  speculative?: SpeculativeSettings | null;
  /** -O level and capture-size knobs (graph-terms.ts); absent or null: none given. */
  graphOptions?: GraphOptions | null;
  /** --limit-mm-per-prompt as given (multimodal/encoder-profile.ts); absent or null: vLLM's default of 1 per modality. */
  mmLimits?: MmLimits | null;
}

export type BudgetKey =
  | 'os'
  | 'runtime'
  | 'container'
  | 'weights'
  | 'activations'
  | 'cudaGraphs'
  | 'sampler'
  | 'kvCache'
  | 'stateCache'
  | 'swapSpace';

export interface BudgetItem {
  key: BudgetKey;
  label: string;
  bytes: number;
  why: string;
  /** True when the figure is this tool's estimate rather than exact arithmetic. */
  isEstimate: boolean;
}

/**
 * fits / tight: runs; oom: killed (unified) or CUDA OOM; max-len: vLLM refuses after profiling (KV cache too
 * small, no blocks, swap too large); startup-check: vLLM refuses before loading anything, at its start-up
 * free-memory check (free < util × total).
 */
export type Verdict = 'fits' | 'tight' | 'oom' | 'max-len' | 'startup-check' | 'unsupported';

/** The numbers of vLLM's start-up free-memory check (V1 ≥ 0.9.1 `Worker.init_device`). */
export interface StartupCheck {
  /** What vLLM reads as free: MemAvailable on Orin/Thor from 0.11.1, cudaMemGetInfo free before. */
  freeSource: 'MemAvailable' | 'cudaMemGetInfo';
  freeBytes: number;
  totalBytes: number;
  utilization: number;
  /** util × total. */
  requestedBytes: number;
  /** Named estimates (or measurements) of what is in use when the check runs. */
  inUse: { label: string; bytes: number; source: string }[];
}

export interface Refusal {
  reason: 'startup-free-memory' | 'no-cache-blocks' | 'max-len' | 'swap-too-large' | 'unsupported-model';
  /** The message vLLM would print. */
  message: string;
  /** The check's figures when reason is startup-free-memory. */
  check?: StartupCheck;
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
 * Device-wide non-torch memory of one vLLM process on a discrete GPU (CUDA context, cuBLAS/cuDNN handles):
 * what 0.6.4 and V1 0.8–0.9.0 subtract besides the torch peak. Estimate: ≈ 0.35 GiB on a discrete GPU
 * (reference vllm-memory-corrections.md §2); on a Jetson the same context lives in the shared RAM.
 */
export const CUDA_CONTEXT_BYTES = 0.35 * GiB;
/**
 * The same context on a Jetson: its device-side reservations are mapped from the shared RAM as they are touched, so
 * less of it is resident. Estimate (≈ 0.25 GiB), chosen so that context + non-torch growth stay the 0.5 GiB the
 * physical budget was calibrated with on Orin (reference vllm-memory.md §5: 0.3–0.6 GiB).
 */
export const CUDA_CONTEXT_BYTES_UNIFIED = 0.25 * GiB;

/** The CUDA context estimate for a device kind. */
export function estimateCudaContextBytes(isUnified: boolean): number {
  return isUnified ? CUDA_CONTEXT_BYTES_UNIFIED : CUDA_CONTEXT_BYTES;
}
/**
 * Non-torch memory that appears after vLLM's initial snapshot (cuBLAS workspaces, NCCL, allocator slack): what
 * V0 ≥ 0.6.5 (`vllm/utils.py::memory_profiling`) and V1 ≥ 0.9.1 (`vllm/utils/mem_utils.py::memory_profiling`)
 * subtract, and what 0.6.3's free-memory delta (`worker.py::determine_num_available_blocks`) sees besides the
 * torch peak. Logged figures are 0.03–0.25 GiB on one GPU (corrections §2): the upper end is taken, so the
 * KV cache is not over-promised. Estimate.
 */
export const NON_TORCH_INCREASE_BYTES = 0.25 * GiB;
/** cuBLAS workspace held through the profile run on Ampere and later (≈ 8 MiB, corrections §1). */
export const CUBLAS_WORKSPACE_BYTES = 8 * MiB;
/**
 * The vLLM Python processes' own RAM (interpreter, torch, tokenizer) — on a Jetson it is taken from
 * the same pool. V0 runs one process (≈1.0 GiB); V1 runs the API server and the engine core (≈1.5 GiB).
 * Estimate from §9 ("python_runtime ~1.0–1.5 GiB").
 */
export const PYTHON_HEAP_BYTES = { v0: 1 * GiB, v1: 1.5 * GiB } as const;
/**
 * What vLLM's own processes hold when the start-up check runs (V1 `Worker.init_device`, before the weights load
 * and long before the KV cache): the API server and the engine core with its CUDA context, mostly still lazily
 * mapped. Estimate fitted to public Orin Nano 8 GB reports at 0.19 (corrections §8: MemAvailable 5.1–5.2 GB
 * before launch, 0.65 × 7.44 GiB passing at the margin): ≈ 0.25 GiB, not the full runtime charge.
 */
export const VLLM_AT_CHECK_BYTES = 0.25 * GiB;
/** docker's per-container overhead (shim, runc, network namespace). Estimate. */
export const CONTAINER_BYTES = 64 * MiB;
/** Per captured CUDA graph and layer: static buffers plus the graph pool. Estimate fitted to §2.4. */
const CUDA_GRAPH_BYTES_PER_LAYER = 512 * 1024;
const CUDA_GRAPH_POOL_BYTES = 32 * MiB;

/** Headroom below which a plan is "tight": 5 % of memory, at least 512 MiB (unified) / 256 MiB. */
export function computeMargin(memTotalBytes: number, isUnified: boolean): number {
  return isUnified ? Math.max(512 * MiB, 0.05 * memTotalBytes) : Math.max(256 * MiB, 0.02 * memTotalBytes);
}

/** Which MLP form keeps which tensors alive through the forward pass (see computeForwardPeakBytes). */
export type MlpForm = 'gate-up-freed' | 'gate-up-alive' | 'moe';

/**
 * The MLP form of an architecture at a version. vLLM's `LlamaMLP.forward` (vllm/model_executor/models/llama.py)
 * writes `x, _ = self.gate_up_proj(x); x = self.act_fn(x)` since PR #10339 (0.6.4), so gate_up is freed before
 * down_proj; Mistral and Phi-3 are served by llama.py's classes. Qwen2/Qwen3 (`Qwen2MLP.forward`, qwen2.py; qwen3.py
 * reuses it), Gemma (gemma*.py `GemmaMLP.forward`) and every MLP before 0.6.4 keep `gate_up` alive through
 * down_proj (`gate_up, _ = …; x = self.act_fn(gate_up)`).
 */
export function resolveMlpForm(arch: Architecture, info: VllmVersionInfo): MlpForm {
  if (arch.moe !== null) return 'moe';
  const llamaFile = /^(Llama|Mistral|Phi3)/.test(arch.architecture);
  return llamaFile && isAtLeast(info.version, '0.6.4') ? 'gate-up-freed' : 'gate-up-alive';
}

/**
 * Forward-pass torch peak over N tokens, inside the decoder layer's MLP (corrections §1): alive together are the
 * layer input the model loop holds (h), the residual (h), the post-attention-norm output (h), gate_up (2I) and the
 * activation output (I) — F = N·(3I + 3h)·b — plus the down_proj output (h) while gate_up is still alive:
 * F = N·(3I + 4h)·b. Fused MoE (vllm/model_executor/layers/fused_moe/fused_moe.py `fused_experts_impl`) holds
 * intermediate_cache1/2/3: N·top-k·(2I_e + I_e + h) besides the 3 h-wide stream tensors; I: widest MLP (Gemma 4 E2B).
 */
export function computeForwardPeakBytes(arch: Architecture, info: VllmVersionInfo, tokens: number, b = 2): number {
  const [h, i] = [arch.hiddenSize, arch.intermediateSize * ((arch.doubleWideMlpLayers ?? 0) > 0 ? 2 : 1)];
  const form = resolveMlpForm(arch, info);
  switch (form) {
    case 'gate-up-freed':
      return tokens * (3 * i + 3 * h) * b;
    case 'gate-up-alive':
      return tokens * (3 * i + 4 * h) * b;
    case 'moe': {
      const moe = arch.moe;
      const perToken = moe === null ? 0 : moe.expertsPerToken * (3 * moe.expertIntermediateSize + h);
      return tokens * (perToken + 3 * h) * b;
    }
    default: {
      const unreachable: never = form;
      throw new Error(`unknown MLP form ${String(unreachable)}`);
    }
  }
}

/**
 * Bytes per logit element alive at the sampler's peak: V0 `vllm/model_executor/layers/sampler.py::_apply_top_k_top_p`
 * holds the logits, an fp32 copy, the sorted values with int64 indices, the masks, softmax, cumsum and the scatter
 * result at once. 38.5 B was fitted from two public logs (38.4 and 39.2, corrections §1); the tensor list is the
 * code's. V1 `gpu_model_runner.py::_dummy_sampler_run` runs top-k/top-p and the penalties over the same rows: the
 * same figure is used, unchecked: no recorded V1 log prints its torch peak (a DEBUG line), and the hints found point
 * lower for V1/V2 (≈ 14 B in one public V1 log; V2's dummy sampler "may skip top_k, top_p"), README §How the plan.
 */
export const SAMPLER_BYTES_PER_LOGIT = 38.5;

/** Sampler torch peak: the hidden states of N tokens, then R × vocab logits through top-k/top-p (corrections §1). */
export function computeSamplerPeakBytes(arch: Architecture, tokens: number, rows: number, b = 2): number {
  return tokens * arch.hiddenSize * b + Math.ceil(rows * arch.vocabSize * SAMPLER_BYTES_PER_LOGIT);
}

/**
 * Activation peak of the profile run: max(forward, sampler) + the cuBLAS workspace. The forward pass and the
 * sampler run one after the other in V0 `model_runner.py::profile_run` and V1 `gpu_model_runner.py::profile_run`,
 * so the torch peak is the larger of the two, not their sum. Worked check (PR #10511, Llama-3-8B, 8192 tokens,
 * 256 rows): F = 0.844 GiB, S = 1.240 GiB → 1.248 GiB; the log shows 1.26 GiB.
 */
export function estimateActivationBytes(
  arch: Architecture,
  batchedTokens: number,
  logitsRows: number,
  info: VllmVersionInfo,
  dtypeBytes = 2,
  encoder: ReturnType<typeof computeEncoderProfile> = null,
): number {
  const forward = computeForwardPeakBytes(arch, info, encoder?.textForwardTokens ?? batchedTokens, dtypeBytes);
  const sampler = computeSamplerPeakBytes(arch, batchedTokens, logitsRows, dtypeBytes);
  return combineWithEncoder(Math.max(forward, sampler), encoder) + CUBLAS_WORKSPACE_BYTES;
}

/**
 * The rotary embedding's cos/sin cache vLLM registers as a buffer (vllm/model_executor/layers/rotary_embedding.py
 * `RotaryEmbedding._compute_cos_sin_cache`): max_position_embeddings × rotary_dim elements in the model dtype, one
 * instance per distinct set of rope parameters shared through `get_rope` (rotary_dim = head_dim × partial_rotary_factor,
 * arch.rotaryCaches). It is inside "Loading model weights took …" (Llama-3.1-8B: 32 MiB, exactly
 * the gap to the safetensors total, corrections §3).
 */
export function computeRotaryCacheBytes(arch: Architecture, dtypeBytes = 2): number {
  const caches = arch.rotaryCaches ?? [{ dim: arch.mla !== null ? arch.mla.qkRopeHeadDim : arch.headDim }];
  return caches.reduce((sum, c) => sum + (c.positions ?? arch.maxPositionEmbeddings) * c.dim * dtypeBytes, 0);
}

/**
 * CUDA-graph memory for the captured batch sizes (0 with --enforce-eager or -O0; the capture-size knobs set how many,
 * graph-terms.ts). Estimate (§2.4).
 */
export function estimateCudaGraphBytes(
  arch: Architecture,
  info: VllmVersionInfo,
  settings: Settings,
  graphOptions?: GraphOptions | null,
): { bytes: number; graphs: number } {
  if (settings.enforceEager) return { bytes: 0, graphs: 0 };
  const graphs = resolveCaptureSizes(
    info,
    settings.maxNumSeqs,
    settings.maxNumBatchedTokens,
    arch.architecture,
    graphOptions,
  ).length;
  if (graphs === 0) return { bytes: 0, graphs: 0 };
  return { bytes: CUDA_GRAPH_POOL_BYTES + graphs * arch.layers * CUDA_GRAPH_BYTES_PER_LAYER, graphs };
}

/**
 * What is in use when vLLM's start-up free-memory check runs (V1 ≥ 0.9.1 `Worker.init_device`, before the weights
 * load): the OS and other processes (measured or assumed), the container shim, vLLM's own processes so far. Each
 * entry is named with its source; on the board the OS figure is measured.
 */
export function computeInUseAtCheck(
  device: BudgetDevice,
  runtime: BudgetInput['runtime'],
): { label: string; bytes: number; source: string }[] {
  if (!device.isUnified) return [{ label: 'CUDA context', bytes: CUDA_CONTEXT_BYTES, source: 'estimate (≈ 0.35 GiB)' }];
  const items = [
    {
      label: 'OS and other processes',
      bytes: device.osUsedBytes,
      source: device.osSource === 'measured' ? 'measured (MemTotal − MemAvailable)' : 'assumed (a headless L4T)',
    },
    {
      label: "vLLM's API server and engine core so far",
      bytes: VLLM_AT_CHECK_BYTES,
      source: 'estimate from public Orin Nano 0.19 reports',
    },
  ];
  if (runtime === 'docker') items.push({ label: 'container', bytes: CONTAINER_BYTES, source: 'estimate' });
  return items;
}

/** Free memory vLLM's start-up check will read: total − what is in use at that moment (computeInUseAtCheck). */
export function computeFreeAtCheck(device: BudgetDevice, runtime: BudgetInput['runtime']): number {
  return device.memTotalBytes - computeInUseAtCheck(device, runtime).reduce((sum, i) => sum + i.bytes, 0);
}

const gib = (bytes: number): string => `${(bytes / GiB).toFixed(2)} GiB`;

/**
 * V0's Mamba / gated-delta-net states, outside the KV pool: vllm/model_executor/models/mamba_cache.py
 * `MambaCacheManager.__init__` allocates conv and temporal state tensors of (layers, max_batch_size, …) with
 * max_batch_size = max_num_seqs, padded up to the next CUDA-graph batch size (`vllm_config.pad_for_cudagraph`)
 * unless --enforce-eager. The hybrid models create it on their first forward (the profile run), so vLLM's profiled
 * peak holds it and the KV cache gets what is left. The per-sequence bytes are kv-cache-layout.ts's state page,
 * whose temporal dtype follows the config; V0's manager allocated the temporal state in the model dtype at most
 * commits read (float32 at one), so for a float32 SSM state this may overstate V0 by up to half that term.
 * Returns the bytes and the sequences they are sized for.
 */
export function computeV0StateCache(
  stateBytesPerSequence: number,
  info: VllmVersionInfo,
  s: Settings,
): { bytes: number; sequences: number } {
  if (info.engine !== 'v0' || stateBytesPerSequence === 0) return { bytes: 0, sequences: 0 };
  const sequences = s.enforceEager
    ? s.maxNumSeqs
    : (computeCudaGraphSizes(info, s.maxNumSeqs, s.maxNumBatchedTokens).at(-1) ?? s.maxNumSeqs);
  return { bytes: stateBytesPerSequence * sequences, sequences };
}

/** Computes the whole budget, KV figures and verdict for one set of settings. */
export function computeBudget(input: BudgetInput): Budget {
  const { device, info, settings, weightBytes } = input;
  const total = device.memTotalBytes;
  const unified = device.isUnified;
  const s = settings;
  // With MTP speculative decoding the drafter's layers join the KV cache and its weights and buffers the rest.
  const arch = resolveServedArchitecture(input.arch, input.speculative, info);

  const dtypeBytes = input.modelDtypeBytes ?? 2;
  // KV per token, or a fixed state per sequence for hybrid layers (model/core/kv-cache-layout.ts); an 'auto'
  // KV dtype follows the model's dtype (dtype.ts).
  const layout = buildKvCacheLayout(arch, info.engine, computeKvElementBytes(s.kvCacheDtype, dtypeBytes), s.blockSize);
  const { bytesPerToken, bytesPerBlock } = layout;
  const bytesPerSequence = computeSequenceBytes(layout, arch, s.maxModelLen, s.maxNumBatchedTokens);

  const pythonHeap = unified ? PYTHON_HEAP_BYTES[info.engine] : 0;
  const container = unified && input.runtime === 'docker' ? CONTAINER_BYTES : 0;
  const os = unified ? device.osUsedBytes : 0;
  const others = os + pythonHeap + container;
  const logitsRows = Math.min(s.maxNumSeqs, s.maxNumBatchedTokens);
  // Measured on this board (same version family) where launches logged the figure; else the estimate.
  const cal = input.calibration ?? null;
  const measured = cal === null ? '' : describeMeasured(cal);
  const perToken = cal?.activationBytesPerToken ?? null;
  const drafter = computeDrafterBytes(input.arch, input.speculative, s.maxNumBatchedTokens, dtypeBytes);
  const encoder = computeEncoderProfile(arch, info, s, input.mmLimits ?? null, dtypeBytes);
  const activations =
    drafter.buffers +
    (perToken !== null
      ? Math.round(perToken * s.maxNumBatchedTokens)
      : estimateActivationBytes(arch, s.maxNumBatchedTokens, logitsRows, info, dtypeBytes, encoder));
  const estimatedGraphs = estimateCudaGraphBytes(arch, info, s, input.graphOptions);
  const graphScale = cal?.graphScale ?? null;
  const graphs =
    graphScale !== null
      ? { ...estimatedGraphs, bytes: Math.round(estimatedGraphs.bytes * graphScale) }
      : estimatedGraphs;
  const measuredNonTorch = cal?.nonTorchBytes ?? null;
  const nonTorchIncrease = measuredNonTorch ?? NON_TORCH_INCREASE_BYTES;
  const rotary = computeRotaryCacheBytes(arch, dtypeBytes);
  const weights = weightBytes + rotary + drafter.weights;
  const requested = Math.ceil(total * s.gpuMemoryUtilization);
  // A hybrid (state layers) is not "dense" for Model Runner V2's rollout: V2 could not page mixed linear/full
  // attention (vllm issue #38041), and from 0.26 hybrids are charged by V1's graph profiler (issue #50780).
  const isDense = arch.moe === null && (arch.stateLayers === null || arch.stateLayers === undefined);
  const runner = resolveModelRunner(info, arch.architecture, isDense);
  const reservesGraphs = isGraphMemoryReserved(info, runner);

  const stateCache = computeV0StateCache(layout.stateBytesPerSequence, info, s);

  // vLLM's own sizing of the KV cache (see MemoryAlgorithm in vllm-version.ts for the citations).
  let nonKv = weights + activations + stateCache.bytes;
  let gdnOverReserve = 0;
  let algorithmWhy: string;
  switch (info.algorithm) {
    case 'v0-free-delta':
      // 0.6.3 worker.py determine_num_available_blocks: peak = free at init_device − free after profile_run; the
      // CUDA context predates the first reading, the non-torch growth after it is inside the delta.
      nonKv += nonTorchIncrease;
      algorithmWhy = `vLLM ${info.label}: util × total − (free memory before − after profiling)`;
      // On Tegra cudaMemGetInfo's free follows MemFree: once vLLM's growth passes it the kernel evicts page cache,
      // so the measured delta saturates near MemFree at start (corrections §5). With MemFree read on the board, the
      // prediction is what vLLM will allocate; without it, the no-reclaim figure above is a bound.
      if (unified && device.memFreeBytes !== undefined && device.memFreeBytes - MEMFREE_FLOOR_BYTES < nonKv) {
        nonKv = Math.max(0, device.memFreeBytes - MEMFREE_FLOOR_BYTES);
        algorithmWhy += `, the delta saturating at MemFree ${gib(device.memFreeBytes)} (measured on the board) − 0.1 GiB (page cache reclaimed)`;
      }
      break;
    case 'v0-device-peak':
    case 'v1-device-peak':
      // 0.6.4 worker.py / V1 0.8–0.9.0 gpu_worker.py determine_available_memory: every non-torch byte on the device.
      // The logged non_torch_memory of these versions is device-wide: a measurement replaces context + others.
      nonKv += measuredNonTorch ?? estimateCudaContextBytes(unified) + others;
      algorithmWhy = `vLLM ${info.label}: util × total − (torch peak + all non-torch memory in use on the device)`;
      break;
    case 'v0-profiled':
    case 'v1-profiled':
      nonKv += nonTorchIncrease;
      algorithmWhy = `vLLM ${info.label}: util × total − (weights + activation peak + non-torch increase)`;
      break;
    case 'v1-profiled-graphs':
      // From 0.26 the estimate also charges a GDN profiling transient (graph-terms.ts, issue #50780): reserved, not held.
      gdnOverReserve = computeGdnGraphOverReserve(arch, info, s.maxNumBatchedTokens, reservesGraphs, graphs.graphs);
      nonKv += nonTorchIncrease + (reservesGraphs ? graphs.bytes + gdnOverReserve : 0);
      algorithmWhy = reservesGraphs
        ? `vLLM ${info.label}: util × total − (weights + activations + non-torch + CUDA graphs)`
        : `vLLM ${info.label} (Model Runner V2): util × total − (weights + activations + non-torch); graphs not reserved`;
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
  const v1 =
    info.engine === 'v1' ? computeConcurrency(layout, arch, gpuBlocks, s.maxModelLen, s.maxNumBatchedTokens) : null;
  // By 0.24 vLLM logs int(concurrency × max_model_len) as the KV cache size (kv-cache-layout.ts computeKvTokens).
  const byConcurrency = v1 !== null && isAtLeast(info.version, '0.24.0');
  const tokens = computeKvTokens(
    layout,
    gpuBlocks,
    byConcurrency ? { concurrency: v1, maxModelLen: s.maxModelLen } : undefined,
  );
  const maxConcurrency = v1 ?? tokens / s.maxModelLen;

  // The physical non-torch growth: a device-wide measurement (0.6.4, V1 0.8-0.9.0) also holds the OS and the
  // processes already counted on their own lines, so only an increase measurement replaces the estimate.
  const isNonTorchMeasured = measuredNonTorch !== null && !info.algorithm.endsWith('device-peak');
  const physicalNonTorch = isNonTorchMeasured ? measuredNonTorch : NON_TORCH_INCREASE_BYTES;
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
    pythonHeap + estimateCudaContextBytes(unified) + physicalNonTorch,
    `${unified ? `${info.engine === 'v1' ? 'API server + engine core processes' : 'one Python process'} ≈ ${gib(pythonHeap)}, ` : ''}CUDA context ≈ ${gib(estimateCudaContextBytes(unified))}, non-torch growth (cuBLAS, allocator) ${isNonTorchMeasured ? `${gib(physicalNonTorch)} ${measured}` : `≈ ${gib(physicalNonTorch)}`}`,
    true,
  );
  push('container', 'Container', container, 'docker shim and namespaces', true);
  push(
    'weights',
    'Model weights',
    weights,
    `from the checkpoint format, + ${(rotary / MiB).toFixed(1)} MiB rotary cos/sin cache${drafter.weightsSource === null ? '' : `, + ${(drafter.weights / MiB).toFixed(1)} MiB MTP layers for speculative decoding (${drafter.weightsSource === 'computed' ? 'computed, 16-bit' : 'tensor headers'})`}`,
    drafter.weightsSource === 'computed',
  );
  push(
    'activations',
    encoder === null ? 'Activations (profile peak)' : 'Activations + vision encoder',
    activations,
    perToken !== null
      ? `${(perToken / 1024).toFixed(1)} KiB per batched token × ${s.maxNumBatchedTokens}, ${measured}`
      : `max(forward over ${s.maxNumBatchedTokens} tokens, sampler over ${logitsRows} rows) + cuBLAS workspace${drafter.buffers > 0 ? ` + ${(drafter.buffers / MiB).toFixed(1)} MiB drafter buffers` : ''}${encoder?.note ?? ''}`,
    perToken === null,
  );
  push(
    'cudaGraphs',
    'CUDA graphs',
    graphs.bytes,
    `${graphs.graphs} captured batch sizes${info.algorithm === 'v1-profiled-graphs' && reservesGraphs ? " (inside vLLM's budget since v0.21)" : ", outside vLLM's budget"}${graphScale !== null ? `; ${measured}: ×${graphScale.toFixed(2)} the estimate` : ''}${gdnOverReserve > 0 ? `; vLLM's estimate also charges ${gib(gdnOverReserve)} for gated delta net (128 KiB × ${s.maxNumBatchedTokens} batched tokens, ≥ 0.26, issue #50780): taken from the KV cache, not held` : ''}`,
    graphScale === null,
  );
  push(
    'kvCache',
    'KV cache',
    kvBytes,
    `${gpuBlocks} blocks × ${bytesPerBlock} B = ${tokens} tokens; ${algorithmWhy}${layout.why === null ? '' : `; ${layout.why}`}`,
    s.kvCacheMemoryBytes === null && s.numGpuBlocksOverride === null,
  );
  // Keyed as KV cache (the same kind of memory; in V1 it lives inside the KV pool), on a line of its own.
  const kvItem = items.find((i) => i.key === 'kvCache');
  if (stateCache.bytes > 0)
    items.push({
      key: 'stateCache',
      label: `State cache (${arch.stateLayers?.kind ?? 'state'}, V0)`,
      bytes: stateCache.bytes,
      why: `${layout.stateBytesPerSequence} B per sequence × ${stateCache.sequences} (max_num_seqs ${s.maxNumSeqs}${stateCache.sequences !== s.maxNumSeqs ? ', padded to a CUDA-graph batch size' : ''}): V0's MambaCacheManager (mamba_cache.py) keeps them outside the KV pool`,
      isEstimate: false,
    });
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
    swapBytesRequested,
  });
  const beforeKv = counted
    .filter((i) => i !== kvItem && i.key !== 'swapSpace' && i.key !== 'cudaGraphs')
    .reduce((sum, i) => sum + i.bytes, 0);
  let verdict: Verdict;
  if (refusal !== null && refusal.reason === 'startup-free-memory') verdict = 'startup-check';
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
  // V1 ≥ 0.9.1 Worker.init_device: fail fast unless free ≥ util × total (PR #19312). On Orin/Thor from 0.11.1
  // "free" is psutil MemAvailable (PR #26098; generalised to is_integrated by PR #35356), before that
  // cudaMemGetInfo's free, which on Tegra follows MemFree (page cache counts as used).
  const freeAtCheck = computeFreeAtCheck(device, input.runtime);
  if (info.hasStartupFreeCheck && freeAtCheck < requested) {
    return {
      reason: 'startup-free-memory',
      message: `Free memory on device (${(freeAtCheck / GiB).toFixed(2)}/${gib(device.memTotalBytes)}) on startup is less than desired GPU memory utilization (${s.gpuMemoryUtilization}, ${gib(requested)}).`,
      check: {
        freeSource: device.isUnified && info.isFreeMemAvailable ? 'MemAvailable' : 'cudaMemGetInfo',
        freeBytes: freeAtCheck,
        totalBytes: device.memTotalBytes,
        utilization: s.gpuMemoryUtilization,
        requestedBytes: requested,
        inUse: computeInUseAtCheck(device, input.runtime),
      },
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
  const { info, settings: s } = input;
  const arch = resolveServedArchitecture(input.arch, input.speculative, info);
  const layout = buildKvCacheLayout(
    arch,
    info.engine,
    computeKvElementBytes(s.kvCacheDtype, input.modelDtypeBytes ?? 2),
    s.blockSize,
  );
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
