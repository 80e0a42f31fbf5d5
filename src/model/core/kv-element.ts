/**
 * The size of one KV-cache element for a --kv-cache-dtype, and the bytes one K (or V) head of one token takes in
 * vLLM's page layout: plain dtypes are head_dim × element size; NVFP4 packs 4-bit values with FP8 block scales. Pure.
 */

/** Bytes of one element of a plain KV dtype (2 for 16-bit, 1 for fp8, 4 for float32), or the packed NVFP4 layout. */
export type KvElementSize = number | 'nvfp4';

/**
 * Returns the bytes one K (or V) head of one token takes in a page. NVFP4 (vLLM ≥ 0.21, PR #40177):
 * vllm/utils/torch_utils.py `nvfp4_kv_cache_full_dim` = head_size // 2 (two fp4 values per byte) + head_size // 16
 * (one fp8 E4M3 scale per 16 elements), in uint8 (`STR_DTYPE_TO_TORCH_DTYPE["nvfp4"]`, 1 byte);
 * vllm/v1/kv_cache_interface.py `FullAttentionSpec.real_page_size_bytes` multiplies it by block_size × num_kv_heads for
 * K and for V. Read at vllm-project/vllm commit 001cabc1.
 */
export function computeKvHeadBytes(headDim: number, kv: KvElementSize): number {
  if (kv === 'nvfp4') return Math.floor(headDim / 2) + Math.floor(headDim / 16);
  return headDim * kv;
}

/**
 * Returns the bytes of one element of an MLA latent row: `MLAAttentionSpec.real_page_size_bytes` (kv_cache_interface.py)
 * has no nvfp4 packing and takes the storage dtype's size, uint8 (1 byte) for nvfp4.
 */
export function computeMlaElementBytes(kv: KvElementSize): number {
  return kv === 'nvfp4' ? 1 : kv;
}
