/**
 * Gemma 4's vision and audio towers counted from config.json as vLLM builds them
 * (vllm/model_executor/models/gemma4_mm.py `Gemma4ForConditionalGeneration.__init__`: AutoModel.from_config of the
 * vision and, with an audio_config, the audio tower, and one `Gemma4MultimodalEmbedder` each), with transformers'
 * models/gemma4 module shapes. Cross-checked against the Hub's safetensors parameter counts
 * (google/gemma-4-31B-it 31,273,088,876; gemma-4-26B-A4B-it 25,805,936,206; gemma-4-E4B-it 7,996,156,490).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeKvBytesPerToken, computeParams } from '../../../src/model/core/architecture.js';
import { describeCheckpointExtras } from '../../../src/model/core/checkpoint-notes.js';
import { computeGemma4AudioParams, computeGemma4VisionParams } from '../../../src/model/core/gemma4-encoders.js';
import { parseHfConfig } from '../../../src/model/core/hf-config.js';
import { loadTestCatalog } from '../../helpers/catalog.js';

const readConfig = (repo: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../fixtures/hub/${repo}/config.json`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

const presetArch = (id: string) => {
  const m = loadTestCatalog().models.find((x) => x.id === id);
  if (m === undefined) throw new Error(id);
  return m.arch;
};

describe('the 31B / 26B-A4B vision tower (27 layers of 1152)', () => {
  it('575,743,536 parameters with embed_vision into 5376; the Hub count of google/gemma-4-31B-it to the parameter', () => {
    // Per layer: q/k/v/o 4 × 1152 × (16 × 72) = 5,308,416; q_norm + k_norm 2 × 72 = 144; four RMSNorms 4 × 1152 =
    // 4608; gated MLP 3 × 1152 × 4304 = 14,874,624: 20,187,792 × 27 = 545,070,384. Patch embedder 3 × 16² × 1152 =
    // 884,736; position table 2 × 10,240 × 1152 = 23,592,960; std_bias + std_scale 2304; embed_vision 1152 × 5376 =
    // 6,193,152. Total 575,743,536.
    const config = readConfig('nvidia/Gemma-4-31B-IT-NVFP4');
    expect(computeGemma4VisionParams(config.vision_config, 5376)).toEqual({
      encoderParams: 575_743_536,
      depth: 27,
      hiddenSize: 1152,
    });
    const r = parseHfConfig(config, 'nvidia/Gemma-4-31B-IT-NVFP4');
    if (!r.ok) throw new Error(r.problem);
    expect(r.arch.vision).toEqual({ encoderParams: 575_743_536, depth: 27, hiddenSize: 1152 });
    expect(r.arch.audio).toBeUndefined();
    // The Hub: 31,273,088,876 = the text model as computeParams counts it + 681,020 it leaves out (two more RMSNorms
    // and a layer scalar per layer, 60 × (2 × 5376 + 1) = 645,180, and q/k norms 50 × 2 × 256 + 10 × 2 × 512 = 35,840)
    // + the tower.
    expect(computeParams(r.arch).total + 645_180 + 35_840 + 575_743_536).toBe(31_273_088_876);
    expect(presetArch('gemma-4-31b-it').vision).toEqual(r.arch.vision);
  });

  it('572,794,416 for 26B-A4B (embed_vision into 2816); the Hub count less the text model leaves 528,670 of norms', () => {
    const config = readConfig('bg-digitalservices/Gemma-4-26B-A4B-it-NVFP4A16');
    // 575,743,536 − 1152 × (5376 − 2816) = 572,794,416.
    expect(computeGemma4VisionParams(config.vision_config, 2816)?.encoderParams).toBe(572_794_416);
    const r = parseHfConfig(config, 'bg-digitalservices/Gemma-4-26B-A4B-it-NVFP4A16');
    if (!r.ok) throw new Error(r.problem);
    // 25,805,936,206 − 25,232,613,120 − 572,794,416 = 528,670: 30 × (2 × 2816 + 1) + q/k norms 25 × 512 + 5 × 1024
    // (186,910) and the MoE block's 3 more norms, router scale and per-expert scales 30 × (4 × 2816 + 128).
    expect(25_805_936_206 - computeParams(r.arch).total - 572_794_416).toBe(30 * (2 * 2816 + 1) + 17_920 + 30 * 11_392);
    expect(presetArch('gemma-4-26b-a4b-it').vision).toEqual(r.arch.vision);
  });
});

describe('the E4B towers (vision 16 layers of 768 with clipped linears; a 12-layer audio conformer of 1024)', () => {
  it('vision 169,331,136 and audio 308,757,248 with their projectors into 2560', () => {
    // Vision per layer: 4 × 768² = 2,359,296; q/k norms 128; norms 3072; MLP 3 × 768 × 3072 = 7,077,888; clip bounds
    // 7 × 4 = 28: 9,440,412 × 16 = 151,046,592. Patch 768 × 768 = 589,824; positions 2 × 10,240 × 768 = 15,728,640;
    // embed_vision 768 × 2560 = 1,966,080. Total 169,331,136.
    // Audio: subsampling 128 × 9 + 128 + 32 × 128 × 9 + 32 + 32 × 32 × 1024 = 1,086,752. Per layer: two
    // feed-forwards 2 × (8 × 1024² + 2048) = 16,781,312; attention 5 × 1024² + 128 = 5,243,008; light conv
    // 3 × 1024² + 5 × 1024 + 2048 = 3,152,896; norms 3072; clip bounds 10 × 4 = 40: 25,180,328 × 12 = 302,163,936.
    // output_proj 1024 × 1536 + 1536 = 1,574,400; embed_audio 1536 × 2560 = 3,932,160. Total 308,757,248.
    const config = readConfig('google/gemma-4-E4B-it');
    const r = parseHfConfig(config, 'google/gemma-4-E4B-it');
    if (!r.ok) throw new Error(r.problem);
    expect(r.arch.vision).toEqual({ encoderParams: 169_331_136, depth: 16, hiddenSize: 768 });
    expect(r.arch.audio).toEqual({ encoderParams: 308_757_248, depth: 12, hiddenSize: 1024 });
    // Against the Hub's 7,996,156,490: the text norms computeParams leaves out (42 × (2 × 2560 + 1) = 215,082; q norms
    // 35 × 256 + 7 × 512 = 12,544; k norms of the 24 KV layers 20 × 256 + 4 × 512 = 7,168; PLE norms 256 + 42 × 2560
    // = 107,776) leave 4,448 unaccounted (0.00006 %).
    const accounted = computeParams(r.arch).total + 169_331_136 + 308_757_248 + 215_082 + 12_544 + 7168 + 107_776;
    expect(7_996_156_490 - accounted).toBe(4448);
    expect(presetArch('gemma-4-e4b-it').audio).toEqual(r.arch.audio);
  });

  it('audio_config null (31B, 26B): no audio tower, as gemma4_mm.py builds none', () => {
    expect(computeGemma4AudioParams(null, 5376)).toBeNull();
  });

  it('tensors read from a checkpoint replace the config count (vision_tower., embed_vision., audio_tower., embed_audio.)', () => {
    const config = readConfig('google/gemma-4-E4B-it');
    const r = parseHfConfig(config, 'google/gemma-4-E4B-it');
    if (!r.ok) throw new Error(r.problem);
    const tensors = [
      { name: 'model.vision_tower.encoder.layers.0.mlp.up_proj.linear.weight', dtype: 'BF16', shape: [3072, 768] },
      { name: 'model.embed_vision.embedding_projection.weight', dtype: 'BF16', shape: [2560, 768] },
      { name: 'model.audio_tower.output_proj.weight', dtype: 'BF16', shape: [1536, 1024] },
      { name: 'model.embed_audio.embedding_projection.weight', dtype: 'BF16', shape: [2560, 1536] },
      { name: 'model.language_model.embed_tokens.weight', dtype: 'BF16', shape: [262_144, 2560] },
    ];
    const { arch, notes } = describeCheckpointExtras(r.arch, { method: null, scheme: 'bf16' }, tensors);
    expect(arch.vision?.encoderParams).toBe(3072 * 768 + 2560 * 768);
    expect(arch.audio?.encoderParams).toBe(1536 * 1024 + 2560 * 1536);
    expect(notes.join('\n')).toMatch(/audio encoder: 5\.5 M parameters/);
  });
});

describe('properties', () => {
  const count = fc.integer({ min: 1, max: 4096 });
  const visionConfig = fc.record({
    hidden_size: count,
    intermediate_size: count,
    num_hidden_layers: fc.integer({ min: 1, max: 64 }),
    num_attention_heads: fc.integer({ min: 1, max: 64 }),
    num_key_value_heads: fc.integer({ min: 1, max: 64 }),
    head_dim: fc.integer({ min: 1, max: 256 }),
    patch_size: fc.integer({ min: 1, max: 32 }),
    position_embedding_size: count,
    standardize: fc.boolean(),
    use_clipped_linears: fc.boolean(),
  });

  it('vision: a whole count, and each more layer adds the same per-layer count', () => {
    fc.assert(
      fc.property(visionConfig, count, (vc, text) => {
        const a = computeGemma4VisionParams(vc, text);
        const b = computeGemma4VisionParams({ ...vc, num_hidden_layers: vc.num_hidden_layers + 1 }, text);
        const c = computeGemma4VisionParams({ ...vc, num_hidden_layers: vc.num_hidden_layers + 2 }, text);
        if (a === null || b === null || c === null) return false;
        const h = vc.hidden_size;
        const perLayer =
          2 * h * vc.num_attention_heads * vc.head_dim +
          2 * h * vc.num_key_value_heads * vc.head_dim +
          2 * vc.head_dim +
          4 * h +
          3 * h * vc.intermediate_size +
          (vc.use_clipped_linears ? 28 : 0);
        return (
          Number.isSafeInteger(a.encoderParams) &&
          a.encoderParams > 0 &&
          b.encoderParams - a.encoderParams === perLayer &&
          c.encoderParams - b.encoderParams === perLayer
        );
      }),
    );
  });

  it('a field that is not a count (0, negative, fractional, huge, a string) reads as no tower, never NaN', () => {
    const bad = fc.oneof(
      fc.constant(0),
      fc.integer({ max: -1 }),
      fc.double({ min: 0.1, max: 0.9 }),
      fc.constant(1e308),
      fc.constant(Number.NaN),
      fc.string(),
    );
    const field = fc.constantFrom('hidden_size', 'intermediate_size', 'num_hidden_layers', 'head_dim', 'patch_size');
    fc.assert(
      fc.property(field, bad, (key, value) => {
        const v = computeGemma4VisionParams({ [key]: value }, 2560);
        const a = computeGemma4AudioParams({ hidden_size: value }, 2560);
        return v === null && a === null;
      }),
    );
  });

  it('any counts up to 2^20 (the largest read): a safe whole count or no tower, never an inexact one', () => {
    const big = fc.integer({ min: 1, max: 1_048_576 });
    fc.assert(
      fc.property(big, big, big, big, big, (h, inter, layers, heads, text) => {
        const v = computeGemma4VisionParams(
          { hidden_size: h, intermediate_size: inter, num_hidden_layers: layers, num_attention_heads: heads },
          text,
        );
        const a = computeGemma4AudioParams({ hidden_size: h, num_hidden_layers: layers }, text);
        return [v, a].every((r) => r === null || (Number.isSafeInteger(r.encoderParams) && r.encoderParams > 0));
      }),
    );
  });

  it('audio: defaults fill what the config leaves out, and the projector grows with the text width', () => {
    fc.assert(
      fc.property(count, (text) => {
        const a = computeGemma4AudioParams({}, text);
        const b = computeGemma4AudioParams({}, text + 1);
        return a !== null && b !== null && b.encoderParams - a.encoderParams === 1536;
      }),
    );
  });
});

describe('Gemma 4 E2B: the recorded config reads as the preset, double-wide MLPs on the 20 KV-shared layers', () => {
  it('text 4,647,266,816 + vision 168,544,704 + audio 307,184,384; the Hub count less the uncounted norms leaves 5,216', () => {
    const r = parseHfConfig(readConfig('google/gemma-4-E2B-it'), 'google/gemma-4-E2B-it');
    if (!r.ok) throw new Error(r.problem);
    expect(r.arch).toEqual(presetArch('gemma-4-e2b-it'));
    expect(r.arch).toMatchObject({
      slidingWindowLayers: 28,
      kvSharedLayers: { sliding: 16, global: 4 },
      doubleWideMlpLayers: 20,
    });
    // Attention: 28 × (2 × 1536 × 2048 + 2 × 1536 × 256) + 7 × (2 × 1536 × 4096 + 2 × 1536 × 512) = 297,271,296.
    // MLP: 15 × 3 × 1536 × 6144 + 20 × 3 × 1536 × 12,288 = 1,557,135,360. PLE: 1536 × 35 × 256 + 35 × 2 × 1536 × 256
    // = 41,287,680. Linear 1,895,694,336; embeddings 262,144 × 1536 + 262,144 × 35 × 256 = 2,751,463,424; norms
    // 35 × 2 × 1536 + 1536 = 109,056.
    const p = computeParams(r.arch);
    expect(p.linear).toBe(1_895_694_336);
    expect(p.total).toBe(4_647_266_816);
    // Towers: the E4B's with projectors into 1536 (vision 167,365,056 + 768 × 1536; audio 304,825,088 + 1536²).
    expect(r.arch.vision?.encoderParams).toBe(167_365_056 + 768 * 1536);
    expect(r.arch.audio?.encoderParams).toBe(304_825_088 + 1536 * 1536);
    // Uncounted: 35 × (2 × 1536 + 1) = 107,555; q norms 28 × 256 + 7 × 512 = 10,752; k norms of the 15 KV layers
    // 12 × 256 + 3 × 512 = 4608; PLE norms 256 + 35 × 1536 = 54,016.
    const accounted = p.total + 168_544_704 + 307_184_384 + 107_555 + 10_752 + 4608 + 54_016;
    expect(5_123_178_051 - accounted).toBe(5216);
    // KV: 12 sliding layers × 2 × 256 × 2 B + 3 global × 2 × 512 × 2 B = 18,432 B a token (bf16).
    expect(computeKvBytesPerToken(r.arch, 2)).toBe(12 * 1024 + 3 * 2048);
  });
});
