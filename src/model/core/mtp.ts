/**
 * Multi-token-prediction (MTP) heads as vLLM serves them with --speculative-config method "mtp": the weights the
 * drafter loads, and the architecture the KV cache manager sees once the drafter's layers are registered. Pure.
 *
 * Read at vllm-project/vllm (config/speculative.py at 002e77c1, models/qwen3_next_mtp.py at 055e47c2,
 * v1/spec_decode/eagle.py at 008603a3, v1/kv_cache_interface.py at 001cabc1):
 * - config/speculative.py `SpeculativeConfig.hf_config_override`: the draft is the same checkpoint with
 *   n_predict = mtp_num_hidden_layers (Qwen3.5) or num_nextn_predict_layers (Qwen3-Next, DeepSeek-V3, GLM-4.5,
 *   MiMo); `__post_init__` defaults num_speculative_tokens to n_predict and refuses a larger count that n_predict
 *   does not divide (the MTP layers are reused in turn).
 * - models/qwen3_next_mtp.py `Qwen3NextMultiTokenPredictor.__init__`: per MTP layer one decoder layer with
 *   layer_type "full_attention" (its own attention KV), fc (2h → h), pre_fc_norm_hidden / _embedding and a final
 *   norm; deepseek_mtp.py the same shape (eh_proj, enorm, hnorm, shared_head.norm, mtp_block).
 * - v1/spec_decode/eagle.py `EagleProposer.load_model`: `_maybe_share_embeddings` / `_maybe_share_lm_head` give
 *   the drafter the target's embed_tokens and lm_head, so only the mtp.* layers add weights.
 * - v1/kv_cache_interface.py `MambaSpec.max_memory_usage_bytes` (the same at bc8282e6 and 001cabc1): a state layer
 *   holds 1 + num_speculative_blocks pages per request without prefix caching (2 + … in mamba_cache_mode "align",
 *   not planned here), num_speculative_blocks = num_speculative_tokens (layers/mamba/abstract.py).
 */
import type { Architecture } from '../../catalog/core/presets-schema.js';

/**
 * The parameters of vLLM's MTP module for `arch` (its decoder layers, fc and norms); 0 without MTP layers.
 * Qwen3-Next / Qwen3.5 attention is gated (qwen3_next.py `Qwen3NextAttention`: q_proj gives heads × head_dim × 2,
 * the query and its gate) and has q/k norms of head_dim each.
 */
export function computeMtpParams(arch: Architecture): number {
  const mtp = arch.mtp;
  if (mtp === null || mtp === undefined) return 0;
  const h = arch.hiddenSize;
  const qDim = arch.attentionHeads * arch.headDim;
  const kvDim = arch.kvHeads * arch.headDim;
  const isGated = /^Qwen3(Next|_5)/.test(arch.architecture);
  const attention = (isGated ? 3 : 2) * h * qDim + 2 * h * kvDim + (isGated ? 2 * arch.headDim : 0);
  const mlp =
    arch.moe === null
      ? 3 * h * arch.intermediateSize
      : (arch.moe.experts + arch.moe.sharedExperts) * 3 * h * arch.moe.expertIntermediateSize + h * arch.moe.experts;
  // One full-attention decoder layer (two norms) per MTP layer, its fc (2h × h) and two pre-fc norms; one final norm.
  return mtp.layers * (attention + mlp + 2 * h + 2 * h * h + 2 * h) + h;
}

/** The bytes the MTP weights add when the drafter loads them, and whether they were read or computed. */
export interface MtpWeights {
  bytes: number;
  source: 'tensor headers' | 'computed';
}

/**
 * Returns the MTP weights vLLM loads for speculative decoding: the mtp.* tensors' bytes when the headers were read,
 * else the module's parameters in 16 bits (quantizers leave these layers unquantized: qwen3_next_mtp.py keeps mtp.fc
 * in bf16 even for NVFP4 checkpoints) — an estimate. Null without MTP layers.
 */
export function computeMtpWeights(arch: Architecture): MtpWeights | null {
  const mtp = arch.mtp;
  if (mtp === null || mtp === undefined) return null;
  if (mtp.checkpointBytes !== undefined) return { bytes: mtp.checkpointBytes, source: 'tensor headers' };
  return { bytes: 2 * computeMtpParams(arch), source: 'computed' };
}

/**
 * Returns the architecture as vLLM's KV cache manager sees it with the MTP drafter loaded: its n_predict
 * full-attention layers join the attention layers (same KV heads and head size, so the same page), and a hybrid
 * model's state layers hold 1 + `speculativeTokens` pages per request.
 */
export function buildDraftArchitecture(arch: Architecture, speculativeTokens: number): Architecture {
  const n = arch.mtp?.layers ?? 0;
  const state = arch.stateLayers;
  if (state === null || state === undefined) return { ...arch, layers: arch.layers + n };
  return {
    ...arch,
    layers: arch.layers + n,
    stateLayers: { ...state, attentionLayers: state.attentionLayers + n, speculativeBlocks: speculativeTokens },
  };
}
