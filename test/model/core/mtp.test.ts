/**
 * MTP heads as vLLM serves them (model/core/mtp.ts): the layer count read from config.json, the module's
 * parameters, and the architecture the KV cache manager sees with the drafter loaded. Figures by hand below, from
 * Qwen3.5-0.8B's published geometry (24 layers, 18 gated-delta-net + 6 full attention, hidden 1024, 2 KV heads of
 * 256, GDN 16 key / 16 value heads of 128, conv kernel 4, float32 recurrent state, mtp_num_hidden_layers 1).
 */
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../../src/catalog/core/presets-schema.js';
import { parseHfConfig } from '../../../src/model/core/hf-config.js';
import { buildDraftArchitecture, computeMtpParams, computeMtpWeights } from '../../../src/model/core/mtp.js';
import { buildKvCacheLayout, computeSequenceBytes } from '../../../src/model/core/kv-cache-layout.js';
import { computeLayerBlocksForSequence } from '../../../src/model/core/architecture.js';
import { QWEN35_08B_TEXT } from '../../helpers/qwen35-config.js';

/** Qwen3.5-0.8B's text config (Qwen/Qwen3.5-0.8B, as pinned in a public model.yaml; text fields only). */

const parse = (config: object): Architecture => {
  const r = parseHfConfig(config, 'test');
  if (!r.ok) throw new Error(r.problem);
  return r.arch;
};

describe('MTP layers from config.json', () => {
  it('Qwen3.5 mtp_num_hidden_layers, Qwen3-Next / DeepSeek num_nextn_predict_layers; none when 0 or absent', () => {
    expect(parse(QWEN35_08B_TEXT).mtp).toEqual({ layers: 1 });
    expect(parse({ ...QWEN35_08B_TEXT, mtp_num_hidden_layers: undefined, num_nextn_predict_layers: 2 }).mtp).toEqual({
      layers: 2,
    });
    expect(parse({ ...QWEN35_08B_TEXT, mtp_num_hidden_layers: 0 }).mtp).toBeUndefined();
    expect(parse({ ...QWEN35_08B_TEXT, mtp_num_hidden_layers: 1e9 }).mtp).toBeUndefined();
    const { mtp_num_hidden_layers: _none, ...plain } = QWEN35_08B_TEXT;
    expect(parse(plain).mtp).toBeUndefined();
  });
});

describe("the MTP module's weights", () => {
  it('one MTP layer of Qwen3.5-0.8B: 20,452,864 parameters, 40,905,728 B in 16 bits (its mtp.* tensors)', () => {
    const arch = parse(QWEN35_08B_TEXT);
    // Gated attention: q_proj 1024 → 2 × 8 × 256 = 4,194,304, k/v_proj 2 × 1024 × 512 = 1,048,576, o_proj
    // 2048 × 1024 = 2,097,152, q/k norms 512; MLP 3 × 1024 × 3584 = 11,010,048; two layer norms 2048;
    // fc 2048 × 1024 = 2,097,152; pre_fc_norm_hidden / _embedding 2048; the final norm 1024.
    const params = 4_194_304 + 1_048_576 + 2_097_152 + 512 + 11_010_048 + 2048 + 2_097_152 + 2048 + 1024;
    expect(params).toBe(20_452_864);
    expect(computeMtpParams(arch)).toBe(20_452_864);
    expect(computeMtpWeights(arch)).toEqual({ bytes: 40_905_728, source: 'computed' });
    // Read from the tensor headers, the checkpoint's bytes are used as they are.
    expect(computeMtpWeights({ ...arch, mtp: { layers: 1, checkpointBytes: 40_905_728 } })).toEqual({
      bytes: 40_905_728,
      source: 'tensor headers',
    });
    expect(computeMtpWeights({ ...arch, mtp: null })).toBeNull();
  });
});

describe('the KV cache with the drafter loaded (hybrid groups, state pages)', () => {
  const arch = parse(QWEN35_08B_TEXT);
  // State page: conv 6144 channels × 3 steps × 2 B = 36,864 + recurrent 16·128·128 × 4 B = 1,048,576 → 1,085,440 B.
  // Attention page of one token 2 × 2 × 256 × 2 B = 2048 B; block = 16 · cdiv(1,085,440, 16 · 2048) = 16 · 34 = 544;
  // page = 544 · 2048 = 1,114,112 B.
  it('without MTP: groups of 6 (6 attention, 18 state), 1 + 3 groups; an 8k request is 16 + 3 block ids', () => {
    const layout = buildKvCacheLayout(arch, 'v1', 2, 16);
    expect(layout.blockSize).toBe(544);
    expect(layout.hybrid).toMatchObject({ size: 6, attention: 1, state: 3, pageBytes: 1_114_112, statePages: 1 });
    expect(layout.bytesPerBlock).toBe(6 * 1_114_112);
    // cdiv(8192, 544) = 16.
    expect(computeSequenceBytes(layout, arch, 8192, 2048)).toBe(19 * 6 * 1_114_112);
  });
  it('MTP, 1 token: the MTP layer makes 7 attention layers, groups of 7; state pages 2 per request: 16 + 6 ids', () => {
    const draft = buildDraftArchitecture(arch, 1);
    expect(draft.layers).toBe(25);
    expect(draft.stateLayers).toMatchObject({ layers: 18, attentionLayers: 7, speculativeBlocks: 1 });
    const layout = buildKvCacheLayout(draft, 'v1', 2, 16);
    // fewest 7, most 18 (not under 1.5 × 7 = 10.5): size 7; cdiv(7, 7) = 1 attention, cdiv(18, 7) = 3 state groups.
    expect(layout.hybrid).toMatchObject({ size: 7, attention: 1, state: 3, pageBytes: 1_114_112, statePages: 2 });
    expect(layout.bytesPerBlock).toBe(7_798_784);
    expect(computeSequenceBytes(layout, draft, 8192, 2048)).toBe((16 + 3 * 2) * 7_798_784);
    expect(computeSequenceBytes(layout, draft, 8192, 2048)).toBe(171_573_248);
    // The planner's block count agrees (layer-blocks / layers = block ids per request).
    expect(computeLayerBlocksForSequence(draft, 'v1', 8192, 16, 2048) / draft.layers).toBe(22);
    expect(layout.why).toContain('2 state pages per request (speculative decoding)');
  });
  it('MTP, 3 tokens: 4 state pages per request: 16 + 12 block ids', () => {
    const draft = buildDraftArchitecture(arch, 3);
    const layout = buildKvCacheLayout(draft, 'v1', 2, 16);
    expect(computeSequenceBytes(layout, draft, 8192, 2048)).toBe(28 * 7_798_784);
    expect(layout.stateBytesPerSequence).toBe(3 * 4 * 7 * 1_114_112);
  });
  it('a plain model: the MTP layers are more attention layers', () => {
    const dense: Architecture = { ...arch, stateLayers: null, mtp: { layers: 1 } };
    const draft = buildDraftArchitecture(dense, 1);
    expect(draft.layers).toBe(25);
    expect(buildKvCacheLayout(draft, 'v1', 2, 16).bytesPerToken).toBe(25 * 2 * 2 * 256 * 2);
  });
});
