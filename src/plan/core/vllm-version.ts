/**
 * What a vLLM version does with memory: its engine, the algorithm that sizes the KV cache, its
 * defaults and its flags. Every rule cites reference/vllm-memory.md (§ numbers) and vLLM's code.
 */
import type { VllmData } from '../../catalog/core/presets-schema.js';
import { GiB, compareVersions, formatVersion, isAtLeast, parseVersion, type Version } from '../../shared/units.js';

/**
 * How vLLM decides the KV cache size.
 * - v0-free-delta: ≤ 0.6.3 — vllm/worker/worker.py `determine_num_available_blocks`:
 *   peak = free(at init) − free(after profile); KV = util × total − peak (§1.1.3).
 * - v0-device-peak: 0.6.4 — torch peak + device-wide non-torch bytes (other processes count) (§0).
 * - v0-profiled: 0.6.5–0.7.x — `memory_profiling` (PR #10511): KV = util × total − (weights +
 *   activation peak + vLLM's own non-torch increase) (§0).
 * - v1-device-peak: 0.8.0–0.9.0 — vllm/v1/worker/gpu_worker.py `determine_available_memory`, same rule
 *   as 0.6.4 (§2.1.3).
 * - v1-profiled: 0.9.1–0.20 — PR #19312: requested = util × total, fail fast when free < requested,
 *   KV = requested − non-KV (§2.1.1, §2.1.3).
 * - v1-profiled-graphs: ≥ 0.21 — PR #38284: the CUDA-graph estimate is inside the budget (§2.1.3).
 */
export type MemoryAlgorithm =
  'v0-free-delta' | 'v0-device-peak' | 'v0-profiled' | 'v1-device-peak' | 'v1-profiled' | 'v1-profiled-graphs';

export interface VllmVersionInfo {
  version: Version;
  /** The version as given ("0.6.3"). */
  label: string;
  engine: 'v0' | 'v1';
  algorithm: MemoryAlgorithm;
  /** Default --gpu-memory-utilization: 0.90, 0.92 from v0.21 (PR #38284). */
  defaultGpuMemoryUtilization: number;
  /** Whether V0's pinned CPU swap space is allocated (V0 engine only, §4). */
  allocatesSwapSpace: boolean;
  /** Whether vLLM refuses to start when free memory < util × total (V1 ≥ 0.9.1, PR #19312). */
  hasStartupFreeCheck: boolean;
  /**
   * Whether "free" on Orin/Thor is psutil MemAvailable rather than cudaMemGetInfo free: from 0.11.1 (PR #26098,
   * merged 2025-10-03, hard-coded compute capabilities 8.7, 11.0, 12.1; PR #35356 only generalised it to
   * `is_integrated`). vllm/v1/worker/utils.py `request_memory` / gpu_worker.py `init_device`.
   */
  isFreeMemAvailable: boolean;
  /** Whether the vLLM release is one the presets list (otherwise rules were extrapolated). */
  isKnownRelease: boolean;
  /** The newest release the presets list. */
  newestKnown: string;
  /** True when the version is newer than every listed release: planned with the newest family's rules. */
  isNewerThanKnown: boolean;
}

/** Resolves a version string into its memory behaviour; null when the text is not a version. */
export function resolveVllmVersion(text: string, data: VllmData): VllmVersionInfo | null {
  const version = parseVersion(text);
  if (version === null) return null;
  const engine = isAtLeast(version, '0.8.0') ? 'v1' : 'v0';
  let algorithm: MemoryAlgorithm;
  if (!isAtLeast(version, '0.6.4')) algorithm = 'v0-free-delta';
  else if (!isAtLeast(version, '0.6.5')) algorithm = 'v0-device-peak';
  else if (!isAtLeast(version, '0.8.0')) algorithm = 'v0-profiled';
  else if (!isAtLeast(version, '0.9.1')) algorithm = 'v1-device-peak';
  else if (!isAtLeast(version, '0.21.0')) algorithm = 'v1-profiled';
  else algorithm = 'v1-profiled-graphs';
  const isKnownRelease = data.releases.some((r) => {
    const rv = parseVersion(r.version);
    return rv !== null && compareVersions(rv, version) === 0;
  });
  const newest = data.releases
    .map((r) => parseVersion(r.version))
    .filter((v): v is Version => v !== null)
    .reduce<Version | null>((a, b) => (a === null || compareVersions(b, a) > 0 ? b : a), null);
  return {
    version,
    label: formatVersion(version),
    engine,
    algorithm,
    defaultGpuMemoryUtilization: isAtLeast(version, '0.21.0') ? 0.92 : 0.9,
    allocatesSwapSpace: engine === 'v0',
    hasStartupFreeCheck: isAtLeast(version, '0.9.1'),
    isFreeMemAvailable: isAtLeast(version, '0.11.1'),
    isKnownRelease,
    newestKnown: newest === null ? formatVersion(version) : formatVersion(newest),
    isNewerThanKnown: newest !== null && compareVersions(version, newest) > 0,
  };
}

/** Which GPU model runner executes a model: V0's, V1's `gpu_model_runner.py`, or Model Runner V2 (`v1/worker/gpu/`). */
export type ModelRunner = 'v0' | 'v1' | 'v2';

/**
 * The model runner a version uses by default for an architecture (field-2026-12.md §1 #4, release notes of 0.22,
 * 0.23, 0.25, 0.29): Model Runner V2 became the default for Qwen3 dense models in 0.22, for Llama/Mistral dense in
 * 0.23, for all dense models in 0.25 and for all models in 0.29 (opt out: VLLM_USE_V2_MODEL_RUNNER=0).
 */
export function resolveModelRunner(info: VllmVersionInfo, architecture: string, isDense: boolean): ModelRunner {
  if (info.engine === 'v0') return 'v0';
  const v = info.version;
  if (isAtLeast(v, '0.29.0')) return 'v2';
  if (isDense && isAtLeast(v, '0.25.0')) return 'v2';
  if (isDense && isAtLeast(v, '0.23.0') && /^(Llama|Mistral)ForCausalLM$/.test(architecture)) return 'v2';
  if (isDense && isAtLeast(v, '0.22.0') && architecture === 'Qwen3ForCausalLM') return 'v2';
  return 'v1';
}

/**
 * Whether vLLM reserves its CUDA-graph estimate inside the KV budget: Model Runner V1 from 0.21 (PR #38284);
 * Model Runner V2 returned 0 from `profile_cudagraph_memory()` (issue #49224) until its graph profiling of 0.29
 * (release notes, third-party summary, not checked in code).
 */
export function isGraphMemoryReserved(info: VllmVersionInfo, runner: ModelRunner): boolean {
  if (info.algorithm !== 'v1-profiled-graphs') return false;
  return runner !== 'v2' || isAtLeast(info.version, '0.29.0');
}

/** True when the targeted version has the CLI flag (per presets/vllm.yaml since/until). */
export function hasFlag(data: VllmData, version: Version, flag: string): boolean {
  const entry = data.flags.find((f) => f.name === flag);
  if (entry === undefined) return false;
  if (!isAtLeast(version, entry.since)) return false;
  return entry.until === undefined || !isAtLeast(version, entry.until);
}

/** The flag's availability as words ("needs vLLM ≥ 0.11.0", "removed in vLLM 0.18.0"). */
export function describeFlagRange(data: VllmData, flag: string): string {
  const entry = data.flags.find((f) => f.name === flag);
  if (entry === undefined) return 'not a flag this tool knows';
  if (entry.until !== undefined) return `exists from vLLM ${entry.since} until before ${entry.until}`;
  return `exists from vLLM ${entry.since}`;
}

/**
 * Default --max-num-seqs (§3): V0 256; V1 0.8.0–0.8.3 1024; from PR #16158 (≈0.8.4) 256 on devices
 * under 70 GiB, else 1024 (vllm/engine/arg_utils.py `get_batch_defaults`).
 */
export function defaultMaxNumSeqs(info: VllmVersionInfo, memTotalBytes: number): number {
  if (info.engine === 'v0') return 256;
  if (!isAtLeast(info.version, '0.8.4')) return 1024;
  return memTotalBytes >= 70 * GiB ? 1024 : 256;
}

/**
 * Default --max-num-batched-tokens (§3). V0 (vllm/config.py `SchedulerConfig`): chunked prefill is
 * auto-enabled above 32768 tokens of context and then uses 512; otherwise max(max_model_len, 2048).
 * V1 (always chunked) OpenAI server: 2048 below 70 GiB, 8192 above; newest (≥ 0.21) caps it at
 * max_num_seqs × max_model_len.
 */
export function defaultMaxNumBatchedTokens(
  info: VllmVersionInfo,
  memTotalBytes: number,
  maxModelLen: number,
  maxNumSeqs: number,
): number {
  if (info.engine === 'v0') return maxModelLen > 32768 ? 512 : Math.max(maxModelLen, 2048);
  const base = memTotalBytes >= 70 * GiB ? 8192 : 2048;
  if (isAtLeast(info.version, '0.21.0')) return Math.min(base, maxNumSeqs * maxModelLen);
  return base;
}

/** Whether V0 turns chunked prefill on by itself for this context (max_model_len > 32768). */
export function isChunkedPrefill(info: VllmVersionInfo, maxModelLen: number): boolean {
  return info.engine === 'v1' || maxModelLen > 32768;
}

/**
 * The batch sizes vLLM captures CUDA graphs for (§1.1.7, §2.4).
 * V0: [1, 2, 4, 8, 16, …] up to max_num_seqs padded to the next entry (model_runner.py
 * `_get_max_graph_batch_size`). V1 0.8–0.9: [1, 2, 4] + 8…512 by 8, ≤ max_num_batched_tokens
 * (vllm/config.py `_set_cudagraph_sizes`). 0.10 (PR #20628): up to min(2 × max_num_seqs, 512).
 * ≥ 0.11.1 (PR #26016): [1, 2, 4] + 8…248 by 8 + 256… by 16 up to min(2 × max_num_seqs, 512).
 * gpt-oss (`architecture` GptOssForCausalLM) overrides the sizes up to 1024 (83 graphs instead of 67):
 * vllm/model_executor/models/config.py `GptOssForCausalLMConfig.verify_and_update_config` sets
 * scheduler_config.cuda_graph_sizes to [1, 2, 4] + 8…248 by 8 + 256…1024 by 16 (0.10.x), then
 * compilation_config.max_cudagraph_capture_size = 1024 (≥ 0.11.1) when the user set neither capture flag;
 * both are kept ≤ max_num_batched_tokens (vllm/config/vllm.py `_set_cudagraph_sizes`).
 */
export function computeCudaGraphSizes(
  info: VllmVersionInfo,
  maxNumSeqs: number,
  maxNumBatchedTokens: number,
  architecture?: string,
): number[] {
  const ladder = (limit: number, coarseFrom = Infinity): number[] => {
    const sizes = [1, 2, 4].filter((s) => s <= limit);
    for (let s = 8; s <= limit; s += s >= coarseFrom ? 16 : 8) sizes.push(s);
    return sizes;
  };
  if (info.engine === 'v0') {
    const all = ladder(8192);
    const padded = all.find((s) => s >= maxNumSeqs) ?? 8192;
    return all.filter((s) => s <= padded);
  }
  if (!isAtLeast(info.version, '0.10.0')) return ladder(Math.min(512, maxNumBatchedTokens));
  if (architecture === 'GptOssForCausalLM') return ladder(Math.max(1, Math.min(1024, maxNumBatchedTokens)), 256);
  const limit = Math.max(1, Math.min(maxNumSeqs * 2, 512, maxNumBatchedTokens));
  if (!isAtLeast(info.version, '0.11.1')) return ladder(limit);
  return ladder(limit, 256);
}
