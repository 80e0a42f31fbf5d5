/**
 * Model architecture math: parameter counts and KV-cache bytes. Pure.
 * KV formulas mirror vLLM's own: V0 vllm/worker/cache_engine.py `CacheEngine.get_cache_block_size`,
 * V1 vllm/v1/kv_cache_interface.py `AttentionSpec.page_size_bytes` / `MLAAttentionSpec` (§1.2, §2.3).
 */
import type { Architecture } from '../../catalog/core/presets-schema.js';
import { computeHybridGroups } from './hybrid-groups.js';
import { computeKvHeadBytes, computeMlaElementBytes, type KvElementSize } from './kv-element.js';

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
  // Gemma 4's global layers: their own head size and KV heads, and no v_proj with attention_k_eq_v.
  const g = arch.globalAttention ?? null;
  const globalLayers = g === null ? 0 : countFullAttentionLayers(arch);
  const globalAttention =
    g === null ? 0 : 2 * h * arch.attentionHeads * g.headDim + (g.kEqV ? 1 : 2) * h * g.kvHeads * g.headDim;
  const mlp =
    arch.moe === null
      ? 3 * h * arch.intermediateSize
      : (arch.moe.experts + arch.moe.sharedExperts) * 3 * h * arch.moe.expertIntermediateSize +
        3 * h * (arch.moe.denseIntermediateSize ?? 0);
  const router = arch.moe === null ? 0 : h * arch.moe.experts;
  const other = arch.layers * (2 * h + router) + h;
  // Gemma 4 E-models: the per-layer embedding table (16 bits, with the embeddings), its model projection
  // (h → layers · ple) and each layer's gate (h → ple) and projection (ple → h).
  const ple = arch.perLayerInput;
  const pleWidth = ple === undefined ? 0 : arch.layers * ple.hiddenSize;
  const pleLinear = ple === undefined ? 0 : h * pleWidth + arch.layers * 2 * h * ple.hiddenSize;
  const embedding = arch.vocabSize * h + (ple === undefined ? 0 : ple.vocabSize * pleWidth);
  const lmHead = arch.tieWordEmbeddings ? 0 : arch.vocabSize * h;
  // Hybrid models mix Mamba/GDN mixers, attention and MLP-only blocks in ways the fields above do not
  // describe; with a published count, the linear layers are what it leaves after the rest.
  const published = arch.publishedParams;
  const linear =
    arch.stateLayers !== null && arch.stateLayers !== undefined && published !== undefined
      ? Math.max(0, published - computeEncoderParams(arch) - embedding - lmHead - other)
      : arch.layers * (attention + mlp) +
        globalLayers * (globalAttention - attention) +
        pleLinear +
        computeDoubleWideMlpExtra(arch);
  return { embedding, lmHead, linear, other, total: embedding + lmHead + linear + other };
}

/**
 * The parameters Gemma 4 E2B's double-wide MLPs add: each of the last doubleWideMlpLayers layers has gate, up and
 * down projections 2 × intermediate_size wide (transformers models/gemma4 `Gemma4TextMLP`: use_double_wide_mlp on the
 * KV-shared layers), 3 × hidden × intermediate more than computeParams' per-layer MLP.
 */
function computeDoubleWideMlpExtra(arch: Architecture): number {
  const n = Math.min(arch.layers, arch.doubleWideMlpLayers ?? 0);
  return arch.moe === null ? n * 3 * arch.hiddenSize * arch.intermediateSize : 0;
}

/** The multimodal encoders' parameters (vision and audio towers with their projectors), 0 for a text model. */
export function computeEncoderParams(arch: Architecture): number {
  return (arch.vision?.encoderParams ?? 0) + (arch.audio?.encoderParams ?? 0);
}

/**
 * Parameters vLLM holds beyond the checkpoint's for attention_k_eq_v (Gemma 4): the global layers' QKVParallelLinear
 * keeps a V slot of kv_heads × head_dim × hidden that the loader fills with a copy of K
 * (vllm/model_executor/models/gemma4.py `Gemma4Attention`: "k_eq_v layers load K weights into both K and V slots").
 */
export function computeKEqVCopyParams(arch: Architecture): number {
  const g = arch.globalAttention ?? null;
  if (g === null || !g.kEqV) return 0;
  return countFullAttentionLayers(arch) * g.kvHeads * g.headDim * arch.hiddenSize;
}

/**
 * KV-cache bytes one token takes in one attention layer: 2 × kv_heads × the bytes of one head (head_dim × dtype, or
 * NVFP4's packed head, kv-element.ts); MLA: the latent row.
 */
export function computeKvBytesPerTokenPerLayer(arch: Architecture, kvDtypeBytes: KvElementSize): number {
  if (arch.mla !== null) {
    return (arch.mla.kvLoraRank + arch.mla.qkRopeHeadDim) * computeMlaElementBytes(kvDtypeBytes);
  }
  return 2 * arch.kvHeads * computeKvHeadBytes(arch.headDim, kvDtypeBytes);
}

/** KV-cache bytes one token takes across all layers (what vLLM's block size formula multiplies). */
export function computeKvBytesPerToken(arch: Architecture, kvDtypeBytes: KvElementSize): number {
  const pages = computeGlobalAttentionPages(arch, kvDtypeBytes, 16);
  if (pages !== null) {
    const { local, global } = countKvLayersByKind(arch);
    return local * pages.localPerToken + global * pages.globalPerToken;
  }
  return arch.layers * computeKvBytesPerTokenPerLayer(arch, kvDtypeBytes);
}

/** The layers that keep KV of their own: all of them but the KV-shared ones (Gemma 4 E-models). */
export function countKvLayers(arch: Architecture): number {
  const shared = arch.kvSharedLayers;
  return arch.layers - (shared === undefined ? 0 : shared.sliding + shared.global);
}

/** The sliding-window (local) and full-attention (global) layers that keep KV of their own. */
export function countKvLayersByKind(arch: Architecture): { local: number; global: number } {
  const full = countFullAttentionLayers(arch);
  const shared = arch.kvSharedLayers ?? { sliding: 0, global: 0 };
  return { local: arch.layers - full - shared.sliding, global: full - shared.global };
}

/** How many layers attend to the full context (the rest use the sliding window). */
export function countFullAttentionLayers(arch: Architecture): number {
  return arch.layers - (arch.slidingWindow === null ? 0 : arch.slidingWindowLayers);
}

/** Gemma 4's two attention page sizes and the V1 block sizes that make them one. */
export interface GlobalAttentionPages {
  /** KV bytes of one token in one sliding (local) layer: 2 × kv_heads × head_dim × dtype. */
  localPerToken: number;
  /** KV bytes of one token in one global layer: 2 × num_global_key_value_heads × global_head_dim × dtype. */
  globalPerToken: number;
  /** Tokens per block in the local and the global layers after the page-size unification. */
  localBlock: number;
  globalBlock: number;
  /** Bytes of one page (one layer, one block id), the same in every layer. */
  pageBytes: number;
}

/**
 * The pages of a model whose global layers have their own head size (Gemma 4), null for others. Both layer kinds
 * cache K and V: attention_k_eq_v shares the projection, not the cache (gemma4.py `Gemma4Attention.forward` passes
 * k and v to Attention, which keeps a FullAttentionSpec / SlidingWindowSpec of num_kv_heads × head_size for each).
 * V1 then unifies the page sizes (vllm/v1/core/kv_cache_utils.py `unify_kv_cache_spec_page_size`): the smaller
 * page's block size is multiplied by max page / its page; a page that does not divide the largest keeps its block
 * size and is padded (the newest releases; older ones refuse the model).
 */
export function computeGlobalAttentionPages(
  arch: Architecture,
  kvBytes: KvElementSize,
  blockSize: number,
): GlobalAttentionPages | null {
  const g = arch.globalAttention ?? null;
  if (g === null || arch.mla !== null || countFullAttentionLayers(arch) === 0) return null;
  const localPerToken = 2 * arch.kvHeads * computeKvHeadBytes(arch.headDim, kvBytes);
  const globalPerToken = 2 * g.kvHeads * computeKvHeadBytes(g.headDim, kvBytes);
  const hasLocal = countFullAttentionLayers(arch) < arch.layers;
  const max = hasLocal ? Math.max(localPerToken, globalPerToken) : globalPerToken;
  const raise = (perToken: number): number => (max % perToken === 0 ? blockSize * (max / perToken) : blockSize);
  return {
    localPerToken,
    globalPerToken,
    localBlock: raise(localPerToken),
    globalBlock: raise(globalPerToken),
    pageBytes: blockSize * max,
  };
}

/**
 * Blocks one request of `seqLen` tokens reserves. V0 allocates full-length blocks in every layer
 * (§1.2); V1 caps sliding-window layers at cdiv(min(window − 1 + max_num_batched_tokens, len),
 * block) + 1 blocks (vllm/v1/kv_cache_interface.py `SlidingWindowSpec.max_memory_usage_bytes`).
 * Returned as layer-blocks: the sum over layers of the blocks each layer holds (for a hybrid model, the
 * block ids of vLLM's hybrid layout × layers).
 */
export function computeLayerBlocksForSequence(
  arch: Architecture,
  engine: 'v0' | 'v1',
  seqLen: number,
  blockSize: number,
  maxNumBatchedTokens: number,
  kvBytes: KvElementSize = 2,
): number {
  if (arch.stateLayers !== null && arch.stateLayers !== undefined) {
    // Hybrid models: the block ids one request takes in vLLM's layout (kv-cache-layout.ts), × layers, so that
    // layer-blocks / layers stays "block ids per request" for callers that divide (the planner). V1 pages
    // the state with the attention KV in groups, whose block size follows the KV element (`kvBytes`, 2 bytes
    // unless given); V0 keeps the states apart and pages the attention layers only.
    const groups = engine === 'v1' ? computeHybridGroups(arch, kvBytes, blockSize) : null;
    if (groups === null) return arch.layers * Math.ceil(seqLen / blockSize);
    return arch.layers * (groups.attention * Math.ceil(seqLen / groups.blockSize) + groups.state * groups.statePages);
  }
  const pages = engine === 'v1' ? computeGlobalAttentionPages(arch, kvBytes, blockSize) : null;
  if (pages !== null && arch.slidingWindow !== null) {
    // Gemma 4 in V1: each kind of layer in blocks of its own (unified) size, every layer-block one page; the
    // KV-shared layers hold none.
    const kv = countKvLayersByKind(arch);
    const local = pages.localBlock;
    const localFull = Math.ceil(seqLen / local);
    const window = Math.ceil(Math.min(arch.slidingWindow - 1 + maxNumBatchedTokens, seqLen) / local) + 1;
    return kv.global * Math.ceil(seqLen / pages.globalBlock) + kv.local * Math.min(localFull, window);
  }
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

/** A field of the architecture that is a count, including the MoE and MLA ones. */
export type ArchCountField =
  | 'layers'
  | 'hiddenSize'
  | 'intermediateSize'
  | 'attentionHeads'
  | 'kvHeads'
  | 'headDim'
  | 'vocabSize'
  | 'maxPositionEmbeddings'
  | 'slidingWindow'
  | 'experts'
  | 'expertsPerToken'
  | 'expertIntermediateSize'
  | 'sharedExperts'
  | 'kvLoraRank'
  | 'qkRopeHeadDim';

/**
 * The range each count of a model's metadata may take: every published model sits far inside it
 * (Llama-3.1-405B: 126 layers, hidden 16384; Llama-4-Scout: 10M positions; Gemma-3: 262144 tokens;
 * Qwen3-Next: 512 experts), and with every count at its maximum the planner's arithmetic stays finite.
 * A config.json or GGUF header past it (1e308, 2^53 + 1, a negative or fractional count) is refused.
 */
export const ARCH_COUNT_RANGES: Readonly<Record<ArchCountField, readonly [number, number]>> = {
  layers: [1, 1024],
  hiddenSize: [1, 131_072],
  intermediateSize: [1, 1_048_576],
  attentionHeads: [1, 4096],
  kvHeads: [1, 4096],
  headDim: [1, 4096],
  vocabSize: [1, 4_194_304],
  maxPositionEmbeddings: [1, 134_217_728],
  slidingWindow: [1, 134_217_728],
  experts: [1, 4096],
  expertsPerToken: [1, 4096],
  expertIntermediateSize: [1, 1_048_576],
  sharedExperts: [0, 256],
  kvLoraRank: [1, 65_536],
  qkRopeHeadDim: [1, 4096],
};

/** Formats a metadata value for a message: numbers as JSON writes them, bigints exactly, others by type. */
function showValue(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : String(value);
  return JSON.stringify(value) ?? typeof value;
}

/**
 * Returns the first count of `arch` out of its range, as one line naming the metadata key (`keyOf` maps a
 * field to "hidden_size" or "qwen2.embedding_length") and what is accepted; null when every count is a safe
 * integer in range.
 */
export function checkArchitectureCounts(arch: Architecture, keyOf: (field: ArchCountField) => string): string | null {
  const counts: [ArchCountField, unknown][] = [
    ['layers', arch.layers],
    ['hiddenSize', arch.hiddenSize],
    ['intermediateSize', arch.intermediateSize],
    ['attentionHeads', arch.attentionHeads],
    ['kvHeads', arch.kvHeads],
    ['headDim', arch.headDim],
    ['vocabSize', arch.vocabSize],
    ['maxPositionEmbeddings', arch.maxPositionEmbeddings],
  ];
  if (arch.slidingWindow !== null) counts.push(['slidingWindow', arch.slidingWindow]);
  if (arch.moe !== null) {
    counts.push(
      ['experts', arch.moe.experts],
      ['expertsPerToken', arch.moe.expertsPerToken],
      ['expertIntermediateSize', arch.moe.expertIntermediateSize],
      ['sharedExperts', arch.moe.sharedExperts],
    );
  }
  if (arch.mla !== null) counts.push(['kvLoraRank', arch.mla.kvLoraRank], ['qkRopeHeadDim', arch.mla.qkRopeHeadDim]);
  for (const [field, value] of counts) {
    const [min, max] = ARCH_COUNT_RANGES[field];
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max) continue;
    return `${keyOf(field)} is out of range (${showValue(value)}; a whole number from ${min} to ${max} is needed)`;
  }
  if (arch.moe !== null && arch.moe.expertsPerToken > arch.moe.experts) {
    return `${keyOf('expertsPerToken')} is out of range (${arch.moe.expertsPerToken}; at most the ${arch.moe.experts} experts)`;
  }
  return null;
}
