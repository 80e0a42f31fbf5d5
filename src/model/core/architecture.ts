/**
 * Model architecture math: parameter counts and KV-cache bytes. Pure.
 * KV formulas mirror vLLM's own: V0 vllm/worker/cache_engine.py `CacheEngine.get_cache_block_size`,
 * V1 vllm/v1/kv_cache_interface.py `AttentionSpec.page_size_bytes` / `MLAAttentionSpec` (§1.2, §2.3).
 */
import type { Architecture } from '../../catalog/core/presets-schema.js';

/** Parameter counts split by how quantized formats treat them. */
export interface ParamBreakdown {
  /** Token embedding (vocab × hidden). */
  embedding: number;
  /** Output projection; 0 when tied to the embedding. */
  lmHead: number;
  /** Linear layers inside the transformer blocks (what AWQ/GPTQ/… quantize). */
  linear: number;
  /** Norms, biases and routers (kept in 16 bits by every format). */
  other: number;
  total: number;
}

/** Counts parameters from the architecture (gated MLP, GQA, MoE, MLA-free attention). */
export function computeParams(arch: Architecture): ParamBreakdown {
  const h = arch.hiddenSize;
  const qDim = arch.attentionHeads * arch.headDim;
  const kvDim = arch.kvHeads * arch.headDim;
  const attention = h * qDim + 2 * h * kvDim + qDim * h;
  const mlp =
    arch.moe === null
      ? 3 * h * arch.intermediateSize
      : (arch.moe.experts + arch.moe.sharedExperts) * 3 * h * arch.moe.expertIntermediateSize;
  const router = arch.moe === null ? 0 : h * arch.moe.experts;
  const linear = arch.layers * (attention + mlp);
  const other = arch.layers * (2 * h + router) + h;
  const embedding = arch.vocabSize * h;
  const lmHead = arch.tieWordEmbeddings ? 0 : arch.vocabSize * h;
  return { embedding, lmHead, linear, other, total: embedding + lmHead + linear + other };
}

/** KV-cache bytes one token takes in one attention layer: 2 × kv_heads × head_dim × dtype (MLA: latent). */
export function computeKvBytesPerTokenPerLayer(arch: Architecture, kvDtypeBytes: number): number {
  if (arch.mla !== null) return (arch.mla.kvLoraRank + arch.mla.qkRopeHeadDim) * kvDtypeBytes;
  return 2 * arch.kvHeads * arch.headDim * kvDtypeBytes;
}

/** KV-cache bytes one token takes across all layers (what vLLM's block size formula multiplies). */
export function computeKvBytesPerToken(arch: Architecture, kvDtypeBytes: number): number {
  return arch.layers * computeKvBytesPerTokenPerLayer(arch, kvDtypeBytes);
}

/**
 * Blocks one request of `seqLen` tokens reserves. V0 allocates full-length blocks in every layer
 * (§1.2); V1 caps sliding-window layers at cdiv(min(window − 1 + max_num_batched_tokens, len),
 * block) + 1 blocks (vllm/v1/kv_cache_interface.py `SlidingWindowSpec.max_memory_usage_bytes`).
 * Returned as layer-blocks: the sum over layers of the blocks each layer holds.
 */
export function computeLayerBlocksForSequence(
  arch: Architecture,
  engine: 'v0' | 'v1',
  seqLen: number,
  blockSize: number,
  maxNumBatchedTokens: number,
): number {
  const fullBlocks = Math.ceil(seqLen / blockSize);
  const swLayers = arch.slidingWindow === null ? 0 : arch.slidingWindowLayers;
  if (engine === 'v0' || swLayers === 0 || arch.slidingWindow === null) {
    return arch.layers * fullBlocks;
  }
  const window = arch.slidingWindow;
  const swBlocks = Math.min(fullBlocks, Math.ceil(Math.min(window - 1 + maxNumBatchedTokens, seqLen) / blockSize) + 1);
  return (arch.layers - swLayers) * fullBlocks + swLayers * swBlocks;
}

/** The context the model's config allows (max_position_embeddings). */
export function computeModelMaxLen(arch: Architecture): number {
  return arch.maxPositionEmbeddings;
}
