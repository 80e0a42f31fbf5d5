/**
 * The page-size unification and layer groups of vLLM V1's hybrid KV cache manager for models with state
 * layers (Mamba2, gated delta net). Pure; shared by architecture.ts (block counts) and kv-cache-layout.ts.
 *
 * - vllm/model_executor/models/config.py `HybridAttentionMambaModelConfig.verify_and_update_config`:
 *   attention block size = 16 · cdiv(mamba page, 16 · attention page of one token) when --block-size is
 *   unset or smaller; the Mamba page is padded up to the attention page (`mamba_page_size_padded`).
 * - vllm/v1/kv_cache_interface.py `MambaSpec.page_size_bytes`: Σ state elements × dtype size.
 * - vllm/v1/core/kv_cache_utils.py `_get_kv_cache_groups_uniform_page_size`: group size = the fewest layers
 *   of one type (the most, when the most is under 1.5 × the fewest); each type splits into cdiv(layers,
 *   group size) groups, the last one padded.
 */
import type { Architecture } from '../../catalog/core/presets-schema.js';
import { computeKvHeadBytes, type KvElementSize } from './kv-element.js';

/** The KV cache groups of a hybrid model under V1's hybrid manager. */
export interface HybridGroups {
  /** Tokens per attention block after the hybrid manager's raise. */
  blockSize: number;
  /** Layers per group (the number of tensors one block id spans). */
  size: number;
  attention: number;
  state: number;
  /** Bytes of one page (one layer, one block id), after padding. */
  pageBytes: number;
  /** The Mamba/GDN state of one layer before padding. */
  statePageBytes: number;
  /**
   * Pages one request holds in each state group: 1, plus num_speculative_blocks with speculative decoding
   * (vllm/v1/kv_cache_interface.py `MambaSpec.max_memory_usage_bytes`: page × (1 + num_speculative_blocks) without
   * prefix caching; vllm/model_executor/layers/mamba/abstract.py `get_kv_cache_spec` sets it to
   * num_speculative_tokens); 2 + num_speculative_blocks when prefix caching keeps the states aligned to the
   * attention blocks (mamba_cache_mode 'align': the running state and the last block's).
   */
  statePages: number;
}

const cdiv = (a: number, b: number): number => Math.ceil(a / b);

/** Bytes of one sequence's state in one state layer, before padding (MambaSpec.page_size_bytes). */
export function computeStatePageBytes(arch: Architecture): number {
  const state = arch.stateLayers;
  if (state === null || state === undefined) return 0;
  const model = arch.torchDtype === 'float32' ? 4 : 2;
  const temporal = state.temporalDtype === 'float32' ? 4 : state.temporalDtype === 'auto' ? model : 2;
  return state.convDim * (state.convKernel - 1) * model + state.temporalElements * temporal;
}

/**
 * The V1 hybrid groups for `arch` with KV elements of `kvBytes` and the requested --block-size; null for a
 * model without state layers or without attention layers.
 */
export function computeHybridGroups(
  arch: Architecture,
  kvBytes: KvElementSize,
  blockSize: number,
): HybridGroups | null {
  const state = arch.stateLayers;
  if (state === null || state === undefined || state.attentionLayers === 0) return null;
  // FullAttentionSpec.page_size_bytes of one token: K and V, every KV head.
  const attnPerToken = 2 * arch.kvHeads * computeKvHeadBytes(arch.headDim, kvBytes);
  const statePage = computeStatePageBytes(arch);
  const attnBlock = Math.max(blockSize, 16 * cdiv(statePage, 16 * attnPerToken));
  const fewest = Math.min(state.attentionLayers, state.layers);
  const most = Math.max(state.attentionLayers, state.layers);
  const size = most < fewest * 1.5 ? most : fewest;
  return {
    blockSize: attnBlock,
    size,
    attention: cdiv(state.attentionLayers, size),
    state: cdiv(state.layers, size),
    pageBytes: attnBlock * attnPerToken,
    statePageBytes: statePage,
    statePages: (state.cacheMode === 'align' ? 2 : 1) + (state.speculativeBlocks ?? 0),
  };
}
