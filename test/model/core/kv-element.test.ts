/**
 * The NVFP4 KV page layout as vLLM computes it (vllm/utils/torch_utils.py `nvfp4_kv_cache_full_dim`,
 * vllm/v1/kv_cache_interface.py `FullAttentionSpec.real_page_size_bytes`), against the 0.5625 B per element the
 * planner used before: equal for a head_dim that is a multiple of 16, smaller otherwise (floor divisions).
 */
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../../src/catalog/core/presets-schema.js';
import { computeKvBytesPerToken, computeKvBytesPerTokenPerLayer } from '../../../src/model/core/architecture.js';
import { computeKvHeadBytes, computeMlaElementBytes } from '../../../src/model/core/kv-element.js';
import { buildKvCacheLayout } from '../../../src/model/core/kv-cache-layout.js';
import { kvDtypeBytes } from '../../../src/model/core/quantization.js';
import { loadTestCatalog } from '../../helpers/catalog.js';

const catalog = loadTestCatalog();
const arch = (id: string): Architecture => {
  const m = catalog.models.find((x) => x.id === id);
  if (m === undefined) throw new Error(id);
  return m.arch;
};

describe('one K (or V) head of one token', () => {
  it('plain dtypes: head_dim × element size', () => {
    expect(computeKvHeadBytes(128, 2)).toBe(256);
    expect(computeKvHeadBytes(128, 1)).toBe(128);
    expect(computeKvHeadBytes(64, 4)).toBe(256);
  });
  it('nvfp4: head_dim // 2 + head_dim // 16 bytes', () => {
    // 64 data bytes + 8 scale bytes.
    expect(computeKvHeadBytes(128, 'nvfp4')).toBe(72);
    // 128 + 16 = 144 = 0.5625 × 256.
    expect(computeKvHeadBytes(256, 'nvfp4')).toBe(144);
    // 32 + 4.
    expect(computeKvHeadBytes(64, 'nvfp4')).toBe(36);
    // A head_dim that is not a multiple of 16: 36 + 4 = 40, not 0.5625 × 72 = 40.5.
    expect(computeKvHeadBytes(72, 'nvfp4')).toBe(40);
    // 40 + 5 = 45 = 0.5625 × 80.
    expect(computeKvHeadBytes(80, 'nvfp4')).toBe(45);
  });
  it('MLA keeps the storage dtype (uint8 for nvfp4, 1 byte); kvDtypeBytes gives that storage size', () => {
    expect(computeMlaElementBytes('nvfp4')).toBe(1);
    expect(computeMlaElementBytes(2)).toBe(2);
    expect(kvDtypeBytes('nvfp4')).toBe(1);
    expect(kvDtypeBytes('fp8_e5m2')).toBe(1);
    expect(kvDtypeBytes('auto')).toBe(2);
  });
});

describe('nvfp4 in the KV cache layout', () => {
  it('Qwen3-4B (36 layers, 8 KV heads, head_dim 128): 36 × 8 × 2 × 72 = 41,472 B per token, 16 tokens a block', () => {
    const a = arch('qwen3-4b');
    expect(computeKvBytesPerTokenPerLayer(a, 'nvfp4')).toBe(8 * 2 * 72);
    expect(computeKvBytesPerToken(a, 'nvfp4')).toBe(41_472);
    const layout = buildKvCacheLayout(a, 'v1', 'nvfp4', 16);
    expect(layout.bytesPerBlock).toBe(41_472 * 16);
  });
  it('a head_dim of 72 (8 heads, 2 layers): 2 × 8 × 2 × 40 = 1,280 B per token, under the 1,296 of 0.5625 B', () => {
    const a: Architecture = { ...arch('qwen3-4b'), layers: 2, headDim: 72 };
    expect(computeKvBytesPerToken(a, 'nvfp4')).toBe(1280);
    expect(2 * 8 * 2 * 72 * 0.5625).toBe(1296);
  });
  it('a hybrid model: the attention page of one token is the packed one, and the block size follows it', () => {
    const a = arch('nemotron-3-nano-30b-a3b');
    const auto = buildKvCacheLayout(a, 'v1', 2, 16);
    const fp4 = buildKvCacheLayout(a, 'v1', 'nvfp4', 16);
    const perToken = 2 * a.kvHeads * computeKvHeadBytes(a.headDim, 'nvfp4');
    expect(fp4.hybrid?.pageBytes).toBe(fp4.blockSize * perToken);
    // The state page does not shrink, so the attention block grows to hold it: 16 · cdiv(state, 16 · per token).
    const state = fp4.hybrid?.statePageBytes ?? 0;
    expect(fp4.blockSize).toBe(Math.max(16, 16 * Math.ceil(state / (16 * perToken))));
    expect(fp4.blockSize).toBeGreaterThan(auto.blockSize);
  });
});
