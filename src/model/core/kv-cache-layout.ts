/**
 * How vLLM lays out the KV cache of one model: bytes per block id, the blocks one request reserves,
 * and for hybrid models (Mamba2, gated delta net) the fixed state per sequence and the page-size
 * unification of V1's hybrid KV cache manager. Pure.
 *
 * Gemma 4 (global layers with their own head size) in V1: architecture.ts `computeGlobalAttentionPages`.
 *
 * Hybrid V1 follows, at the commits read:
 * - vllm/model_executor/models/config.py `HybridAttentionMambaModelConfig.verify_and_update_config`:
 *   attention block size = 16 · cdiv(mamba_page, 16 · attention page of one token) when --block-size is
 *   unset or smaller; the Mamba page is then padded up to the attention page (`mamba_page_size_padded`).
 * - vllm/v1/kv_cache_interface.py `MambaSpec.page_size_bytes` (Σ state elements × dtype size, or the
 *   padded size) and `max_memory_usage_bytes` (one page per request without prefix caching).
 * - vllm/v1/core/kv_cache_utils.py `_get_kv_cache_groups_uniform_page_size`: group size = the fewest
 *   layers of one type (the most, when the most is under 1.5 × the fewest); each type splits into
 *   cdiv(layers, group size) groups, padded; `get_kv_cache_config_from_groups`: one block id is a page in
 *   each of group-size tensors; `_max_memory_usage_bytes_from_groups`: a request needs Σ over groups of
 *   cdiv(its max memory, page) block ids. The log's token count divides the blocks by the groups
 *   (`_report_kv_cache_config`: num_blocks // groups × the smallest block size; by 0.24, int(concurrency ×
 *   max_model_len): computeKvTokens). With prefix caching (mamba_cache_mode 'align') a request holds two state
 *   pages per state group (`MambaSpec.max_memory_usage_bytes`), hybrid-groups.ts `statePages`.
 */
import type { Architecture } from '../../catalog/core/presets-schema.js';
import {
  computeGlobalAttentionPages,
  countKvLayers,
  countKvLayersByKind,
  computeKvBytesPerToken,
  computeKvBytesPerTokenPerLayer,
  computeLayerBlocksForSequence,
} from './architecture.js';
import { computeHybridGroups, computeStatePageBytes, type HybridGroups } from './hybrid-groups.js';
import type { KvElementSize } from './kv-element.js';

/** One model's KV cache layout for a set of cache settings. */
export interface KvCacheLayout {
  engine: 'v0' | 'v1';
  /** Tokens per attention block: --block-size, or what the hybrid manager raised it to. */
  blockSize: number;
  /** KV bytes one token takes across the layers that keep KV. */
  bytesPerToken: number;
  /** Bytes one block id takes across all layers (what vLLM divides the available memory by). */
  bytesPerBlock: number;
  /** The state bytes one sequence holds whatever its length (0 without state layers). */
  stateBytesPerSequence: number;
  hybrid: HybridGroups | null;
  /** How the figures follow vLLM, for the KV cache line; null for a plain model. */
  why: string | null;
}

const cdiv = (a: number, b: number): number => Math.ceil(a / b);

/**
 * Builds the layout vLLM uses for `arch` with these cache settings (`kvBytes`: bytes of one KV element
 * for the --kv-cache-dtype, or 'nvfp4' for its packed layout).
 */
export function buildKvCacheLayout(
  arch: Architecture,
  engine: 'v0' | 'v1',
  kvBytes: KvElementSize,
  blockSize: number,
): KvCacheLayout {
  const state = arch.stateLayers;
  if (state === null || state === undefined) {
    const bytesPerToken = computeKvBytesPerToken(arch, kvBytes);
    const pages = engine === 'v1' ? computeGlobalAttentionPages(arch, kvBytes, blockSize) : null;
    if (pages !== null) {
      // Gemma 4: one page size for every layer after unification; a block id here is a page in every layer.
      const kv = countKvLayersByKind(arch);
      return {
        engine,
        blockSize,
        bytesPerToken,
        bytesPerBlock: (kv.local + kv.global) * pages.pageBytes,
        stateBytesPerSequence: 0,
        hybrid: null,
        why:
          `${kv.local} sliding layers of ${pages.localPerToken} B a token in blocks of ${pages.localBlock}, ` +
          `${kv.global} global layers of ${pages.globalPerToken} B a token in blocks of ${pages.globalBlock}: ` +
          `pages of ${pages.pageBytes} B (vLLM unifies the page sizes)`,
      };
    }
    return {
      engine,
      blockSize,
      bytesPerToken,
      bytesPerBlock: bytesPerToken * blockSize,
      stateBytesPerSequence: 0,
      hybrid: null,
      why: null,
    };
  }
  const attnPerToken = computeKvBytesPerTokenPerLayer(arch, kvBytes);
  const bytesPerToken = state.attentionLayers * attnPerToken;
  const statePage = computeStatePageBytes(arch);
  if (engine === 'v0' || state.attentionLayers === 0) {
    // V0's MambaCacheManager keeps the states outside the KV pool (max_num_seqs of them).
    return {
      engine,
      blockSize,
      bytesPerToken,
      bytesPerBlock: bytesPerToken * blockSize,
      stateBytesPerSequence: state.layers * statePage,
      hybrid: null,
      why: `KV in the ${state.attentionLayers} attention layers only; the ${state.layers} ${state.kind} states sit outside the KV pool`,
    };
  }
  const groups = computeHybridGroups(arch, kvBytes, blockSize);
  if (groups === null) throw new Error('unreachable: state and attention layers without hybrid groups');
  const { blockSize: attnBlock, size, pageBytes } = groups;
  const hybrid: HybridGroups = groups;
  const padded = pageBytes > statePage ? `, padded to ${pageBytes} B` : '';
  return {
    engine,
    blockSize: attnBlock,
    bytesPerToken,
    bytesPerBlock: size * pageBytes,
    stateBytesPerSequence: hybrid.state * hybrid.statePages * size * pageBytes,
    hybrid,
    why:
      `hybrid ${state.kind}: ${state.layers} state layers of ${statePage} B per sequence${padded}; ` +
      `${state.attentionLayers} attention layers in blocks of ${attnBlock} tokens; ` +
      `${hybrid.attention + hybrid.state} groups of ${size} layers (${hybrid.attention} attention, ${hybrid.state} state)` +
      (hybrid.statePages > 1 ? `; ${hybrid.statePages} state pages per request (${describeStatePages(state)})` : ''),
  };
}

/** Why a request holds more than one state page: prefix caching's aligned states, speculative decoding, or both. */
function describeStatePages(state: NonNullable<Architecture['stateLayers']>): string {
  const why = [
    state.cacheMode === 'align' ? 'prefix caching' : null,
    (state.speculativeBlocks ?? 0) > 0 ? 'speculative decoding' : null,
  ];
  return why.filter((w) => w !== null).join(' and ');
}

/** Bytes one request of `seqLen` tokens reserves (KV plus its state). */
export function computeSequenceBytes(
  layout: KvCacheLayout,
  arch: Architecture,
  seqLen: number,
  maxNumBatchedTokens: number,
): number {
  const h = layout.hybrid;
  if (h !== null) return h.size * h.pageBytes * (h.attention * cdiv(seqLen, layout.blockSize) + h.state * h.statePages);
  if (arch.stateLayers !== null && arch.stateLayers !== undefined) {
    return cdiv(seqLen, layout.blockSize) * layout.bytesPerBlock;
  }
  const layerBlocks = computeLayerBlocksForSequence(arch, layout.engine, seqLen, layout.blockSize, maxNumBatchedTokens);
  return layerBlocks * (layout.bytesPerBlock / countKvLayers(arch));
}

/** Requests of `seqLen` tokens that `gpuBlocks` block ids hold (vLLM's "maximum concurrency"). */
export function computeConcurrency(
  layout: KvCacheLayout,
  arch: Architecture,
  gpuBlocks: number,
  seqLen: number,
  maxNumBatchedTokens: number,
): number {
  const h = layout.hybrid;
  if (h !== null) return gpuBlocks / (h.attention * cdiv(seqLen, layout.blockSize) + h.state * h.statePages);
  if (arch.stateLayers !== null && arch.stateLayers !== undefined) {
    const blocks = cdiv(seqLen, layout.blockSize);
    return blocks > 0 ? gpuBlocks / blocks : 0;
  }
  const layerBlocks = computeLayerBlocksForSequence(arch, layout.engine, seqLen, layout.blockSize, maxNumBatchedTokens);
  return layerBlocks > 0 ? (gpuBlocks * countKvLayers(arch)) / layerBlocks : 0;
}

/**
 * The token count vLLM logs for `gpuBlocks` ("GPU KV cache size: N tokens"). Up to 0.19 at least
 * `_report_kv_cache_config` (vllm/v1/core/kv_cache_utils.py) divides the blocks by the groups and multiplies by the
 * smallest block size (issue #40691 shows it with 0.19.0 on Qwen3.5); by 0.24.0 it logs int(maximum concurrency ×
 * max_model_len) (`get_max_concurrency_for_kv_cache_config`; PR #40694 / #38364 proposed it; the log of
 * noonghunna/club-3090#612, case 6 of the recorded logs, has 567,978 tokens = int(299 / 69 × 131,072)), pass
 * `byConcurrency` with that maximum concurrency and max_model_len for those versions. The two agree for a
 * model of one group.
 */
export function computeKvTokens(
  layout: KvCacheLayout,
  gpuBlocks: number,
  byConcurrency?: { concurrency: number; maxModelLen: number },
): number {
  if (byConcurrency !== undefined) return Math.floor(byConcurrency.concurrency * byConcurrency.maxModelLen);
  const h = layout.hybrid;
  if (h !== null) return Math.floor(gpuBlocks / (h.attention + h.state)) * layout.blockSize;
  return gpuBlocks * layout.blockSize;
}

/** Block ids `seqs` requests of `seqLen` tokens need (fractional for sliding-window models, as before). */
export function computeBlocksForRequests(
  layout: KvCacheLayout,
  arch: Architecture,
  seqs: number,
  seqLen: number,
  maxNumBatchedTokens: number,
): number {
  const h = layout.hybrid;
  if (h !== null) return seqs * (h.attention * cdiv(seqLen, layout.blockSize) + h.state * h.statePages);
  if (arch.stateLayers !== null && arch.stateLayers !== undefined) return seqs * cdiv(seqLen, layout.blockSize);
  const layerBlocks = computeLayerBlocksForSequence(arch, layout.engine, seqLen, layout.blockSize, maxNumBatchedTokens);
  return Math.ceil((seqs * layerBlocks) / countKvLayers(arch));
}
