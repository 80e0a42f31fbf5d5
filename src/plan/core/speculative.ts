/**
 * `--speculative-config` as a plan option: which methods the planner sizes (MTP heads the checkpoint ships, and
 * n-gram lookup, which holds no GPU memory), the count vLLM resolves, and the architecture and weights the budget
 * sizes with the drafter loaded (model/core/mtp.ts). Pure.
 */
import type { Architecture, VllmData } from '../../catalog/core/presets-schema.js';
import { buildDraftArchitecture, computeMtpWeights } from '../../model/core/mtp.js';
import { describeFlagRange, hasFlag, type VllmVersionInfo } from './vllm-version.js';
import { isAtLeast } from '../../shared/units.js';

/** The speculative decoding methods the planner sizes. */
export type SpeculativeMethod = 'mtp' | 'ngram';

/** Speculative decoding as planned: the method and vLLM's resolved num_speculative_tokens. */
export interface SpeculativeSettings {
  method: SpeculativeMethod;
  numSpeculativeTokens: number;
}

/** The speculative config as given: the method, and the count when one was given. */
export interface SpeculativeRequest {
  method: SpeculativeMethod;
  numSpeculativeTokens: number | null;
}

/**
 * The per-model MTP method names vLLM still accepts and maps to "mtp" with a deprecation warning
 * (vllm/config/speculative.py `MTPModelTypes`, `__post_init__`).
 */
const MTP_ALIASES = new Set([
  'mtp',
  'deepseek_mtp',
  'mimo_mtp',
  'glm4_moe_mtp',
  'ernie_mtp',
  'nemotron_h_mtp',
  'qwen3_next_mtp',
  'qwen3_5_mtp',
  'longcat_flash_mtp',
  'pangu_ultra_moe_mtp',
]);

/** Parses `--speculative-config` (vLLM's JSON); one line naming what is wrong otherwise. */
export function parseSpeculativeConfig(
  text: string,
): { ok: true; value: SpeculativeRequest } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {
      ok: false,
      message: `--speculative-config: "${text}" is not JSON (e.g. '{"method":"mtp","num_speculative_tokens":1}')`,
    };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return { ok: false, message: '--speculative-config: a JSON object is needed (e.g. {"method":"mtp"})' };
  const o = json as Record<string, unknown>;
  const raw = o.method;
  const tokens = o.num_speculative_tokens;
  if (
    tokens !== undefined &&
    (typeof tokens !== 'number' || !Number.isSafeInteger(tokens) || tokens < 1 || tokens > 64)
  )
    return { ok: false, message: '--speculative-config: num_speculative_tokens is a whole number from 1 to 64' };
  const count = typeof tokens === 'number' ? tokens : null;
  if (typeof raw === 'string' && MTP_ALIASES.has(raw)) {
    if (o.model !== undefined)
      return {
        ok: false,
        message: '--speculative-config: method "mtp" reads the heads from the model itself; leave "model" out',
      };
    return { ok: true, value: { method: 'mtp', numSpeculativeTokens: count } };
  }
  if (raw === 'ngram' || raw === '[ngram]' || (raw === undefined && (o.model === 'ngram' || o.model === '[ngram]'))) {
    // SpeculativeConfig._verify_args: n-gram has no n_predict to default to.
    if (count === null)
      return { ok: false, message: '--speculative-config: method "ngram" needs num_speculative_tokens' };
    return { ok: true, value: { method: 'ngram', numSpeculativeTokens: count } };
  }
  return {
    ok: false,
    message: `--speculative-config: method ${JSON.stringify(raw ?? null)} is not planned: the planner sizes "mtp" (the heads the checkpoint ships) and "ngram"; a draft model or EAGLE head is not sized`,
  };
}

/**
 * Resolves the count as vLLM does (config/speculative.py `__post_init__`): MTP defaults to n_predict and refuses a
 * larger count n_predict does not divide; a model without MTP layers cannot use method "mtp".
 */
export function resolveSpeculative(
  arch: Architecture,
  request: SpeculativeRequest,
): { ok: true; settings: SpeculativeSettings } | { ok: false; message: string } {
  if (request.method === 'ngram' && request.numSpeculativeTokens !== null)
    return { ok: true, settings: { method: 'ngram', numSpeculativeTokens: request.numSpeculativeTokens } };
  const n = arch.mtp?.layers ?? 0;
  if (n === 0)
    return {
      ok: false,
      message: `--speculative-config: ${arch.architecture} ships no multi-token-prediction layers (no mtp_num_hidden_layers or num_nextn_predict_layers in its config), so method "mtp" has nothing to load`,
    };
  const k = request.numSpeculativeTokens ?? n;
  if (k > n && k % n !== 0)
    return {
      ok: false,
      message: `--speculative-config: num_speculative_tokens:${k} must be divisible by n_predict=${n}`,
    };
  return { ok: true, settings: { method: 'mtp', numSpeculativeTokens: k } };
}

/** Returns the JSON vLLM is given for the planned speculative decoding. */
export function formatSpeculativeConfig(s: SpeculativeSettings): string {
  return JSON.stringify({ method: s.method, num_speculative_tokens: s.numSpeculativeTokens });
}

/**
 * Returns the architecture the budget sizes: with MTP, the drafter's layers join the KV cache (mtp.ts); on a release
 * that turns prefix caching on for hybrid models, each request holds one more state page (isHybridPrefixCaching).
 */
export function resolveServedArchitecture(
  arch: Architecture,
  s: SpeculativeSettings | null | undefined,
  info?: VllmVersionInfo,
): Architecture {
  const served = s?.method === 'mtp' ? buildDraftArchitecture(arch, s.numSpeculativeTokens) : arch;
  const state = served.stateLayers;
  if (info === undefined || state === null || state === undefined || !isHybridPrefixCaching(info, served))
    return served;
  // mamba_cache_mode "align": page × (2 + num_speculative_blocks) per request instead of (1 + …)
  // (vllm/v1/kv_cache_interface.py `MambaSpec.max_memory_usage_bytes`; model/core/hybrid-groups.ts statePages).
  return { ...served, stateLayers: { ...state, cacheMode: 'align' } };
}

/**
 * Whether vLLM serves a hybrid (state + attention layers) with prefix caching by default: from 0.28.0, PR #50991
 * ("[Mamba] enable prefix cache by default", merged 2026-08-04: `default_prefix_caching =
 * model_config.is_prefix_caching_supported`, default mamba_cache_mode "align"; vllm-project/vllm-metal#645: "0.28.0
 * turns prefix caching on by default for hybrid models", 0.27.1 did not). Before, vllm/engine/arg_utils.py kept it
 * off ("Disable prefix caching default for hybrid models since the feature is still experimental"), and the planner
 * never passes --enable-prefix-caching.
 */
export function isHybridPrefixCaching(info: VllmVersionInfo, arch: Architecture): boolean {
  const state = arch.stateLayers;
  if (state === null || state === undefined || state.attentionLayers === 0) return false;
  return info.engine === 'v1' && isAtLeast(info.version, '0.28.0');
}

/**
 * Returns what the drafter adds besides its KV cache: its MTP weights (shared embeddings and lm_head excluded) and
 * the persistent buffers `EagleProposer.__init__` (v1/spec_decode/eagle.py) allocates for max_num_batched_tokens
 * tokens: hidden_states and inputs_embeds (N × h in the model dtype), input_ids (int32) and positions (int64).
 */
export function computeDrafterBytes(
  arch: Architecture,
  s: SpeculativeSettings | null | undefined,
  maxNumBatchedTokens: number,
  dtypeBytes: number,
): { weights: number; weightsSource: 'tensor headers' | 'computed' | null; buffers: number } {
  if (s?.method !== 'mtp') return { weights: 0, weightsSource: null, buffers: 0 };
  const w = computeMtpWeights(arch);
  const buffers = maxNumBatchedTokens * (2 * arch.hiddenSize * dtypeBytes + 4 + 8);
  return { weights: w?.bytes ?? 0, weightsSource: w?.source ?? null, buffers };
}

/**
 * Returns speculative decoding as planned for this model and version, with a note saying what the drafter adds, or
 * one line why it cannot be planned: the flag must exist in the version, and MTP drafting runs on the V1 engine.
 */
export function planSpeculative(
  request: SpeculativeRequest,
  arch: Architecture,
  info: VllmVersionInfo,
  vllm: VllmData,
): { ok: true; settings: SpeculativeSettings; note: string } | { ok: false; message: string } {
  if (!hasFlag(vllm, info.version, '--speculative-config'))
    return {
      ok: false,
      message: `--speculative-config: vLLM ${info.label} does not have it (${describeFlagRange(vllm, '--speculative-config')})`,
    };
  const resolved = resolveSpeculative(arch, request);
  if (!resolved.ok) return resolved;
  const s = resolved.settings;
  if (s.method === 'ngram')
    return {
      ok: true,
      settings: s,
      note: `--speculative-config ngram, ${s.numSpeculativeTokens} tokens: the n-gram proposer looks tokens up on the CPU and adds no GPU memory`,
    };
  if (info.engine === 'v0')
    return {
      ok: false,
      message: `--speculative-config: MTP drafting is planned for the V1 engine; vLLM ${info.label} runs V0`,
    };
  const n = arch.mtp?.layers ?? 0;
  const weights = computeMtpWeights(arch);
  const state = arch.stateLayers;
  const statePages =
    state !== null && state !== undefined && state.attentionLayers > 0
      ? `; each state layer holds ${1 + s.numSpeculativeTokens} pages per request (MambaSpec num_speculative_blocks)`
      : '';
  return {
    ok: true,
    settings: s,
    note: `--speculative-config mtp, ${s.numSpeculativeTokens} token${s.numSpeculativeTokens === 1 ? '' : 's'}: the drafter loads ${n} MTP layer${n === 1 ? '' : 's'} (${weights === null ? 0 : (weights.bytes / 1048576).toFixed(1)} MiB, ${weights?.source ?? 'none'}; embeddings and lm_head shared with the model), whose attention joins the KV cache${statePages}`,
  };
}
