/**
 * Gemma 4 (31B) as vLLM sizes it, from the recorded config.json (test/fixtures/hub/nvidia/Gemma-4-31B-IT-NVFP4) and
 * the preset. vLLM at the commits read: vllm/model_executor/models/gemma4.py (`Gemma4DecoderLayer`: global layers
 * take global_head_dim and, with attention_k_eq_v, num_global_key_value_heads; `Gemma4Attention`: K loaded into the
 * K and V slots of QKVParallelLinear, both cached by Attention), vllm/v1/core/kv_cache_utils.py
 * (`unify_kv_cache_spec_page_size`: the smaller page's block size × max page / page;
 * `_get_kv_cache_groups_uniform_page_size`), vllm/v1/kv_cache_interface.py (`SlidingWindowSpec.max_memory_usage_bytes`),
 * vllm/model_executor/layers/rotary_embedding (`get_rope`, gemma4_rope.py `Gemma4RotaryEmbedding`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  computeGlobalAttentionPages,
  computeKEqVCopyParams,
  computeKvBytesPerToken,
  computeLayerBlocksForSequence,
  computeParams,
} from '../../../src/model/core/architecture.js';
import { parseHfConfig } from '../../../src/model/core/hf-config.js';
import { buildKvCacheLayout, computeSequenceBytes } from '../../../src/model/core/kv-cache-layout.js';
import { estimateWeightBytes } from '../../../src/model/core/quantization.js';
import { computeRotaryCacheBytes } from '../../../src/plan/core/budget.js';
import { loadTestCatalog, planFor } from '../../helpers/catalog.js';

const recorded = (() => {
  const config: unknown = JSON.parse(
    readFileSync(new URL('../../fixtures/hub/nvidia/Gemma-4-31B-IT-NVFP4/config.json', import.meta.url), 'utf8'),
  );
  const r = parseHfConfig(config, 'nvidia/Gemma-4-31B-IT-NVFP4');
  if (!r.ok) throw new Error(r.problem);
  return r;
})();
const preset = (() => {
  const m = loadTestCatalog().models.find((x) => x.id === 'gemma-4-31b-it');
  if (m === undefined) throw new Error('gemma-4-31b-it');
  return m;
})();

describe('Gemma 4 31B: the config read as vLLM builds the model', () => {
  it('50 sliding layers of 16 × 256, 10 global layers of 4 × 512 with K = V, two rotary caches; the preset agrees', () => {
    expect(recorded.arch).toMatchObject({
      architecture: 'Gemma4ForConditionalGeneration',
      layers: 60,
      hiddenSize: 5376,
      kvHeads: 16,
      headDim: 256,
      slidingWindow: 1024,
      slidingWindowLayers: 50,
      globalAttention: { headDim: 512, kvHeads: 4, kEqV: true },
      // sliding: default rope over 256; global: "proportional" caches the whole 512-wide head (not 512 × 0.25).
      rotaryCaches: [{ dim: 256 }, { dim: 512 }],
    });
    // modelopt NVFP4 (quant_algo in the top-level quantization_config).
    expect(recorded.quant).toMatchObject({ id: 'nvfp4', scheme: 'nvfp4' });
    expect(recorded.arch).toEqual(preset.arch);
  });

  it('parameters: 30,696,664,320 in the text model; vLLM holds 110,100,480 more (the V copy of K)', () => {
    // Sliding attention 2 × 5376 × 8192 + 2 × 5376 × 4096 = 132,120,576; global 2 × 5376 × 16,384 + 5376 × 2048
    // = 187,170,816 (no v_proj); MLP 3 × 5376 × 21,504 = 346,816,512.
    // Linear 60 × (132,120,576 + 346,816,512) + 10 × (187,170,816 − 132,120,576) = 29,286,727,680;
    // embedding 262,144 × 5376 = 1,409,286,144 (tied); norms counted 60 × 2 × 5376 + 5376 = 650,496.
    const p = computeParams(preset.arch);
    expect(p.linear).toBe(29_286_727_680);
    expect(p.total).toBe(29_286_727_680 + 1_409_286_144 + 650_496);
    expect(p.total).toBe(30_696_664_320);
    // 10 global layers × 4 KV heads × 512 × 5376.
    expect(computeKEqVCopyParams(preset.arch)).toBe(110_100_480);
  });

  it('weights: bf16 computed = 2 × (30,696,664,320 + 575,743,536 + 110,100,480) = 62,765,016,672 B; a published size gets the copy added', () => {
    const bf16 = preset.quants.find((q) => q.id === 'bf16');
    if (bf16 === undefined) throw new Error('bf16');
    // Computed from the architecture (no published size): text + the vision tower + the V copy of K, × 2 B.
    const { sizeBytes: _published, sizeSource: _source, ...unsized } = bf16;
    const w = estimateWeightBytes(preset.arch, unsized);
    expect(w.weightBytes).toBe(62_765_016_672);
    expect(w.why).toContain('copy of K');
    expect(w.why).toContain('vision encoder');
    // The preset's published size: the Hub's 31,273,088,876 parameters × 2 B + 110,100,480 × 2 B of V copy.
    expect(estimateWeightBytes(preset.arch, bf16).weightBytes).toBe(62_546_177_752 + 220_200_960);
    const published = estimateWeightBytes(preset.arch, { ...bf16, sizeBytes: 1_000_000, sizeSource: 'published' });
    // 110,100,480 × 2 B.
    expect(published.weightBytes).toBe(1_000_000 + 220_200_960);
  });

  it('rotary caches: 262,144 × (256 + 512) × 2 B = 384 MiB', () => {
    expect(computeRotaryCacheBytes(recorded.arch)).toBe(402_653_184);
    expect(computeRotaryCacheBytes(preset.arch)).toBe(402_653_184);
  });
});

describe('Gemma 4 31B KV cache in V1: two page sizes made one', () => {
  it('per token 50 × 16,384 + 10 × 8192 = 901,120 B (bf16); fp8 half of it', () => {
    // sliding 2 × 16 × 256 × 2 = 16,384; global 2 × 4 × 512 × 2 = 8192 (K = V still caches both).
    expect(computeKvBytesPerToken(preset.arch, 2)).toBe(901_120);
    expect(computeKvBytesPerToken(preset.arch, 1)).toBe(450_560);
  });

  it('pages of 16 × 16,384 = 262,144 B: the global layers get blocks of 32 tokens', () => {
    expect(computeGlobalAttentionPages(preset.arch, 2, 16)).toEqual({
      localPerToken: 16_384,
      globalPerToken: 8192,
      localBlock: 16,
      globalBlock: 32,
      pageBytes: 262_144,
    });
    const layout = buildKvCacheLayout(preset.arch, 'v1', 2, 16);
    // A block id across all 60 layers: 60 pages.
    expect(layout.bytesPerBlock).toBe(60 * 262_144);
    expect(layout.bytesPerToken).toBe(901_120);
    expect(layout.why).toContain('blocks of 32');
  });

  it('an 8k request with 2048 batched tokens: 10 × 256 + 50 × 193 pages = 3,200,778,240 B', () => {
    // Global: cdiv(8192, 32) = 256 blocks in each of 10 layers; sliding: min(cdiv(8192, 16) = 512,
    // cdiv(min(1023 + 2048, 8192), 16) + 1 = 193) in each of 50. vLLM's groups (10 layers a group: 1 full, 5 sliding)
    // give the same: (256 + 5 × 193) block ids × 10 pages × 262,144 B.
    expect(computeLayerBlocksForSequence(preset.arch, 'v1', 8192, 16, 2048)).toBe(2560 + 9650);
    const layout = buildKvCacheLayout(preset.arch, 'v1', 2, 16);
    expect(computeSequenceBytes(layout, preset.arch, 8192, 2048)).toBe(12_210 * 262_144);
    expect((256 + 5 * 193) * 10 * 262_144).toBe(3_200_778_240);
  });

  it('a request shorter than the window: every layer holds the whole request', () => {
    // 512 tokens: global cdiv(512, 32) = 16, sliding min(32, cdiv(512, 16) + 1) = 32.
    expect(computeLayerBlocksForSequence(preset.arch, 'v1', 512, 16, 2048)).toBe(10 * 16 + 50 * 32);
  });
});

describe('a Gemma 4 31B plan on AGX Orin 64 GB (AWQ, vLLM 0.31, 1 × 8k)', () => {
  it('weights = the AWQ estimate + 384 MiB of rotary caches; the KV term is 12,210 pages of 262,144 B', () => {
    const p = planFor({
      device: 'agx-orin-64gb',
      model: 'gemma-4-31b-it',
      quant: 'awq',
      vllmVersion: '0.31.0',
      maxModelLen: '8192',
      maxNumSeqs: '1',
    });
    const awq = preset.quants.find((q) => q.id === 'awq');
    if (awq === undefined) throw new Error('awq');
    const weights = p.budget.items.find((i) => i.key === 'weights')?.bytes;
    expect(weights).toBe(estimateWeightBytes(preset.arch, awq).weightBytes + 402_653_184);
    expect(p.kvCache.bytesPerBlock).toBe(60 * 262_144);
    expect(p.kvCache.bytesPerSequence).toBe(3_200_778_240);
  });
});

describe('Gemma 4 E4B: KV shared by the last 18 layers, per-layer embeddings', () => {
  const e4b = (() => {
    const m = loadTestCatalog().models.find((x) => x.id === 'gemma-4-e4b-it');
    if (m === undefined) throw new Error('gemma-4-e4b-it');
    return m;
  })();
  const config: unknown = JSON.parse(
    readFileSync(new URL('../../fixtures/hub/google/gemma-4-E4B-it/config.json', import.meta.url), 'utf8'),
  );

  it('the recorded config: 18 shared layers (15 sliding, 3 global), PLE 256 wide; the preset agrees', () => {
    const r = parseHfConfig(config, 'google/gemma-4-E4B-it');
    if (!r.ok) throw new Error(r.problem);
    // Layers 24..41 share: of them 29, 35, 41 are full attention.
    expect(r.arch).toMatchObject({
      slidingWindowLayers: 35,
      globalAttention: { headDim: 512, kvHeads: 2, kEqV: false },
      kvSharedLayers: { sliding: 15, global: 3 },
      perLayerInput: { hiddenSize: 256, vocabSize: 262_144 },
      rotaryCaches: [{ dim: 256 }, { dim: 512 }],
    });
    expect(r.arch).toEqual(e4b.arch);
  });

  it('parameters: 7,517,721,088 in the text model, 2,818,572,288 of them the per-layer embedding table', () => {
    // Sliding attention 2 × 2560 × 2048 + 2 × 2560 × 512 = 13,107,200; global 2 × 2560 × 4096 + 2 × 2560 × 1024
    // = 26,214,400; MLP 3 × 2560 × 10,240 = 78,643,200. Linear 42 × 91,750,400 + 7 × 13,107,200 + PLE
    // (2560 × 10,752 + 42 × 2 × 2560 × 256 = 82,575,360) = 4,027,842,560. Embeddings 262,144 × 2560 +
    // 262,144 × 42 × 256 = 3,489,660,928; norms 42 × 2 × 2560 + 2560 = 217,600.
    const p = computeParams(e4b.arch);
    expect(p.linear).toBe(4_027_842_560);
    expect(p.embedding).toBe(3_489_660_928);
    expect(p.total).toBe(7_517_721_088);
    const bf16 = e4b.quants[0];
    if (bf16 === undefined) throw new Error('bf16');
    // Computed: text + vision tower 169,331,136 + audio tower 308,757,248, × 2 B; the preset's published size is the
    // Hub's 7,996,156,490 × 2 B.
    const { sizeBytes: _published, sizeSource: _source, ...unsized } = bf16;
    expect(estimateWeightBytes(e4b.arch, unsized).weightBytes).toBe(2 * (7_517_721_088 + 169_331_136 + 308_757_248));
    expect(estimateWeightBytes(e4b.arch, bf16).weightBytes).toBe(15_992_312_980);
    // Two rotary caches of 131,072 rows: (256 + 512) × 131,072 × 2 B = 192 MiB.
    expect(computeRotaryCacheBytes(e4b.arch)).toBe(201_326_592);
  });

  it('KV: 24 layers keep it, 20 × 2048 + 4 × 4096 = 57,344 B a token; pages of 65,536 B, sliding blocks of 32', () => {
    expect(computeKvBytesPerToken(e4b.arch, 2)).toBe(57_344);
    expect(computeGlobalAttentionPages(e4b.arch, 2, 16)).toMatchObject({
      localBlock: 32,
      globalBlock: 16,
      pageBytes: 65_536,
    });
    const layout = buildKvCacheLayout(e4b.arch, 'v1', 2, 16);
    expect(layout.bytesPerBlock).toBe(24 * 65_536);
    // 8k, 2048 batched: global 4 × cdiv(8192, 16) = 2048 pages; sliding 20 × min(cdiv(8192, 32) = 256,
    // cdiv(511 + 2048, 32) + 1 = 81) = 1620. vLLM's groups of 4 (1 full, 5 sliding): (512 + 5 × 81) × 4 pages.
    expect(computeLayerBlocksForSequence(e4b.arch, 'v1', 8192, 16, 2048)).toBe(3668);
    expect(computeSequenceBytes(layout, e4b.arch, 8192, 2048)).toBe(3668 * 65_536);
    expect((512 + 5 * 81) * 4 * 65_536).toBe(240_386_048);
  });

  it('an AGX Orin plan (vLLM 0.31, bf16, 1 × 4k) sizes the KV cache for the 24 layers that keep it', () => {
    const p = planFor({
      device: 'agx-orin-64gb',
      model: 'gemma-4-e4b-it',
      quant: 'bf16',
      vllmVersion: '0.31.0',
      maxModelLen: '4096',
      maxNumSeqs: '1',
    });
    expect(p.kvCache.bytesPerBlock).toBe(24 * 65_536);
    // 4096 tokens, 2048 batched: 4 × 256 + 20 × min(128, 81) = 2644 pages.
    expect(p.kvCache.bytesPerSequence).toBe(2644 * 65_536);
  });
});

describe('Gemma 4 26B-A4B: a dense MLP beside 128 experts, K = V global layers', () => {
  const moe = (() => {
    const m = loadTestCatalog().models.find((x) => x.id === 'gemma-4-26b-a4b-it');
    if (m === undefined) throw new Error('gemma-4-26b-a4b-it');
    return m;
  })();

  it('the recorded config (top_k_experts, enable_moe_block) reads as the preset', () => {
    const config: unknown = JSON.parse(
      readFileSync(
        new URL('../../fixtures/hub/bg-digitalservices/Gemma-4-26B-A4B-it-NVFP4A16/config.json', import.meta.url),
        'utf8',
      ),
    );
    const r = parseHfConfig(config, 'bg-digitalservices/Gemma-4-26B-A4B-it-NVFP4A16');
    if (!r.ok) throw new Error(r.problem);
    expect(r.arch.moe).toEqual({
      experts: 128,
      expertsPerToken: 8,
      expertIntermediateSize: 704,
      sharedExperts: 0,
      denseIntermediateSize: 2112,
    });
    expect(r.arch).toEqual(moe.arch);
    expect(r.quant).toMatchObject({ id: 'nvfp4' });
  });

  it('parameters: 25,232,613,120 in the text model (the published 25.2 B), weights 51,639,650,912 B in bf16', () => {
    // Per layer: sliding attention 2 × 2816 × 4096 + 2 × 2816 × 2048 = 34,603,008; dense MLP 3 × 2816 × 2112 =
    // 17,842,176; experts 128 × 3 × 2816 × 704 = 761,266,176. Global attention 2 × 2816 × 8192 + 2816 × 1024 =
    // 49,020,928. Linear 30 × 813,711,360 + 5 × 14,417,920 = 24,483,430,400; embedding 262,144 × 2816 =
    // 738,197,504; norms and routers 30 × (2 × 2816 + 2816 × 128) + 2816 = 10,985,216.
    const p = computeParams(moe.arch);
    expect(p.linear).toBe(24_483_430_400);
    expect(p.total).toBe(25_232_613_120);
    // + the V copy of K: 5 × 2 × 512 × 2816 = 14,417,920 parameters.
    expect(computeKEqVCopyParams(moe.arch)).toBe(14_417_920);
    const bf16 = moe.quants.find((q) => q.id === 'bf16');
    if (bf16 === undefined) throw new Error('bf16');
    // With the vision tower (572,794,416); the preset's published size is the Hub's 25,805,936,206 × 2 B + the copy.
    const { sizeBytes: _published, sizeSource: _source, ...unsized } = bf16;
    expect(estimateWeightBytes(moe.arch, unsized).weightBytes).toBe(2 * (25_232_613_120 + 572_794_416 + 14_417_920));
    expect(estimateWeightBytes(moe.arch, bf16).weightBytes).toBe(51_611_872_412 + 2 * 14_417_920);
  });

  it('KV: 25 × 8192 + 5 × 4096 = 225,280 B a token; an 8k request (256 + 5 × 193) × 5 pages of 131,072 B', () => {
    expect(computeKvBytesPerToken(moe.arch, 2)).toBe(225_280);
    const layout = buildKvCacheLayout(moe.arch, 'v1', 2, 16);
    expect(layout.bytesPerBlock).toBe(30 * 131_072);
    // Global cdiv(8192, 32) = 256 in 5 layers; sliding min(512, cdiv(1023 + 2048, 16) + 1 = 193) in 25.
    expect(computeSequenceBytes(layout, moe.arch, 8192, 2048)).toBe((5 * 256 + 25 * 193) * 131_072);
    expect((256 + 5 * 193) * 5 * 131_072).toBe(800_194_560);
  });
});
