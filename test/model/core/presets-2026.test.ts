/**
 * The presets added for the models Jetson AI Lab lists (presets/models.yaml): their architecture fields agree
 * with the published parameter counts, and their weights and KV terms are the ones the model core computes.
 */
import { describe, expect, it } from 'vitest';
import { computeParams } from '../../../src/model/core/architecture.js';
import { buildKvCacheLayout, computeSequenceBytes } from '../../../src/model/core/kv-cache-layout.js';
import { estimateWeightBytes } from '../../../src/model/core/quantization.js';
import { computeMtpParams } from '../../../src/model/core/mtp.js';
import { loadTestCatalog, planFor } from '../../helpers/catalog.js';

const catalog = loadTestCatalog();
const model = (id: string) => {
  const m = catalog.models.find((x) => x.id === id);
  if (m === undefined) throw new Error(id);
  return m;
};
const quant = (id: string, q: string) => {
  const v = model(id).quants.find((x) => x.id === q);
  if (v === undefined) throw new Error(`${id} ${q}`);
  return v;
};

describe('dense presets: the architecture gives the published parameter count', () => {
  it('Llama-3.1-70B exactly; Qwen3-32B and Gemma-3-270M up to the q/k norms computeParams leaves out', () => {
    expect(computeParams(model('llama-3.1-70b-instruct').arch).total).toBe(70_553_706_496);
    // q_norm + k_norm: 64 layers × 2 × 128.
    expect(computeParams(model('qwen3-32b').arch).total + 64 * 2 * 128).toBe(32_762_123_264);
    // Gemma 3 also has pre/post-feedforward norms: 18 × (2 × 640 + 2 × 256).
    expect(computeParams(model('gemma-3-270m-it').arch).total + 18 * (2 * 640 + 2 * 256)).toBe(268_098_176);
  });

  it('vision-language presets: text model + vision encoder = the published count', () => {
    const gemma = model('gemma-3-27b-it').arch;
    expect(computeParams(gemma).total + 62 * (2 * 5376 + 2 * 128) + (gemma.vision?.encoderParams ?? 0)).toBe(
      27_432_406_640,
    );
    const vl8 = model('qwen3-vl-8b').arch;
    expect(computeParams(vl8).total + 36 * 2 * 128 + (vl8.vision?.encoderParams ?? 0)).toBe(8_767_123_696);
    const vl4 = model('qwen3-vl-4b').arch;
    // Tied embeddings: no lm_head.
    expect(computeParams(vl4).total + 36 * 2 * 128 + (vl4.vision?.encoderParams ?? 0)).toBe(4_437_815_808);
    const cosmos = model('cosmos-reason1-7b').arch;
    // Qwen2.5 has q/k/v biases: 28 × (3584 + 2 × 512).
    expect(computeParams(cosmos).total + 28 * (3584 + 2 * 512) + (cosmos.vision?.encoderParams ?? 0)).toBe(
      8_292_166_656,
    );
  });
});

describe('gpt-oss and Nemotron-3-Nano presets plan as vLLM loads them', () => {
  it('gpt-oss-20b: 14,679,227,520 B with the Marlin padding; gpt-oss-120b computed at 65.9 GiB', () => {
    expect(estimateWeightBytes(model('gpt-oss-20b').arch, quant('gpt-oss-20b', 'mxfp4')).weightBytes).toBe(
      14_679_227_520,
    );
    const big = estimateWeightBytes(model('gpt-oss-120b').arch, quant('gpt-oss-120b', 'mxfp4'));
    expect(big.source).toBe('computed');
    // 36 layers × 128 experts × (padded w13 + w2) = 36 × 128 × 14,431,744 B, + 2 B for each other parameter.
    const experts = 36 * 128 * 14_431_744;
    const other = computeParams(model('gpt-oss-120b').arch).total - 36 * 128 * 3 * 2880 * 2880;
    expect(big.weightBytes).toBe(experts + 2 * other);
  });

  it('Nemotron-3-Nano: bf16 63,155,895,296 B; an 8k request is 8 block ids of 6 × 2,146,304 B', () => {
    const m = model('nemotron-3-nano-30b-a3b');
    expect(estimateWeightBytes(m.arch, quant(m.id, 'bf16')).weightBytes).toBe(63_155_895_296);
    const layout = buildKvCacheLayout(m.arch, 'v1', 2, 16);
    expect(layout.blockSize).toBe(2096);
    expect(computeSequenceBytes(layout, m.arch, 8192, 2048)).toBe(8 * 6 * 2_146_304);
  });
});

describe('computed sizes of vision-language and hybrid presets', () => {
  it('a quantized VL checkpoint keeps its vision encoder in 16 bits; a hybrid preset counts its published parameters', () => {
    const vl = model('qwen3-vl-8b');
    const awq = estimateWeightBytes(vl.arch, quant('qwen3-vl-8b', 'awq'));
    const textOnly = estimateWeightBytes({ ...vl.arch, vision: null }, quant('qwen3-vl-8b', 'awq'));
    expect(awq.weightBytes - textOnly.weightBytes).toBe(2 * 576_388_336);
    expect(awq.why).toContain('the vision encoder too');
    // bf16 computed (without the published size) = all 8.77 B parameters less the q/k norms.
    const bf16 = estimateWeightBytes(vl.arch, {
      ...quant('qwen3-vl-8b', 'bf16'),
      sizeBytes: undefined,
      sizeSource: undefined,
    });
    expect(bf16.weightBytes).toBe(2 * (8_767_123_696 - 36 * 2 * 128));
    expect(computeParams(model('nemotron-3-nano-30b-a3b').arch).total).toBe(31_577_940_288);
  });
});

describe('Qwen3.6-27B preset (hybrid gated delta net + vision + MTP)', () => {
  it('the parameters add up to the recorded checkpoint; the computed MTP layer is its 15 mtp.* tensors', () => {
    const m = model('qwen3.6-27b');
    // computeParams counts the text model (published − vision); + the vision encoder = 27,356,728,560, the
    // checkpoint's 27,781,427,952 less the MTP layer.
    expect(computeParams(m.arch).total + (m.arch.vision?.encoderParams ?? 0)).toBe(27_356_728_560);
    // fc 5120 × 10240 + gated q_proj 12288 × 5120 + k/v 2 × 1024 × 5120 + o_proj 5120 × 6144 + q/k norms 512
    // + MLP 3 × 17408 × 5120 + 5 norms of 5120 = 424,699,392 (the recorded mtp.* shapes).
    expect(computeMtpParams(m.arch)).toBe(424_699_392);
    expect(27_356_728_560 + 424_699_392).toBe(27_781_427_952);
    expect(estimateWeightBytes(m.arch, quant('qwen3.6-27b', 'bf16')).weightBytes).toBe(54_713_457_120);
  });

  it('an AGX Orin plan with MTP-3 (the Jetson AI Lab command): + 849,398,784 B of weights, 4 state pages a request', () => {
    const base = {
      device: 'agx-orin-64gb',
      model: 'qwen3.6-27b',
      quant: 'awq',
      // 0.27.0: prefix caching still off for hybrids (from 0.28.0 one state page more a request: test/plan/core/speculative.test.ts).
      vllmVersion: '0.27.0',
      maxModelLen: '8192',
      maxNumSeqs: '1',
    };
    const off = planFor(base);
    const on = planFor({ ...base, speculativeConfig: '{"method":"qwen3_next_mtp","num_speculative_tokens":3}' });
    const w = (p: typeof on): number => p.budget.items.find((i) => i.key === 'weights')?.bytes ?? 0;
    expect(w(on) - w(off)).toBe(2 * 424_699_392);
    // 8k: cdiv(8192, 784) = 11 attention + 3 state groups × 4 pages = 23 block ids of 17 pages of 3,211,264 B.
    expect(on.kvCache.bytesPerSequence).toBe(23 * 17 * 3_211_264);
    expect(off.kvCache.bytesPerSequence).toBe(14 * 16 * 3_211_264);
    expect(on.argv).toContain('{"method":"mtp","num_speculative_tokens":3}');
  });
});

describe('the planner sizes a hybrid KV cache with the KV element it plans (fp8: larger attention blocks)', () => {
  it('Qwen3.6-27B, fp8 KV, 2 × 8k: 2 × (6 + 3) block ids of 51,380,224 B, not the 2 × (11 + 3) of a 2-byte KV', () => {
    // fp8 attention per token 2 × 4 × 256 × 1 = 2048 B; block 16 · cdiv(3,207,168, 32,768) = 16 · 98 = 1568 tokens;
    // page 1568 × 2048 = 3,211,264 B; 16 layers a group; cdiv(8192, 1568) = 6 attention + 3 state ids a request.
    const p = planFor({
      device: 'agx-orin-64gb',
      model: 'qwen3.6-27b',
      quant: 'awq',
      // 0.27.0: prefix caching still off for hybrids (from 0.28.0 one state page more a request: test/plan/core/speculative.test.ts).
      vllmVersion: '0.27.0',
      maxModelLen: '8192',
      maxNumSeqs: '2',
      kvCacheDtype: 'fp8',
    });
    expect(p.kvCache.bytesPerBlock).toBe(16 * 3_211_264);
    expect(p.settings.kvCacheMemoryBytes).toBe(2 * 9 * 51_380_224);
  });
});

describe('Qwen3.5-9B preset (hybrid gated delta net + vision + MTP)', () => {
  it('the checkpoint total (19,306,216,416 B) = the loaded parameters + the computed MTP layer, all in bf16', () => {
    const m = model('qwen3.5-9b');
    // fc 4096 × 8192 + gated q_proj 8192 × 4096 + k/v 2 × 1024 × 4096 + o_proj 4096 × 4096 + q/k norms 512
    // + MLP 3 × 12,288 × 4096 + 5 norms of 4096 = 243,290,624.
    expect(computeMtpParams(m.arch)).toBe(243_290_624);
    expect(2 * (9_409_817_584 + 243_290_624)).toBe(19_306_216_416);
    expect(computeParams(m.arch).total + (m.arch.vision?.encoderParams ?? 0)).toBe(9_409_817_584);
    expect(estimateWeightBytes(m.arch, quant('qwen3.5-9b', 'bf16')).weightBytes).toBe(18_819_635_168);
  });

  it('KV: state page 8192 × 3 × 2 + 524,288 × 4 = 2,146,304 B; blocks of 16 · cdiv(2,146,304, 65,536) = 528 tokens', () => {
    const m = model('qwen3.5-9b');
    const layout = buildKvCacheLayout(m.arch, 'v1', 2, 16);
    // Attention per token 2 × 4 × 256 × 2 = 4096 B; 16 · 33 = 528; page 528 × 4096 = 2,162,688 B. 8 attention vs 24
    // state layers (24 ≥ 1.5 × 8): groups of 8, 1 attention + 3 state groups. 8k: cdiv(8192, 528) = 16 + 3 block ids.
    expect(layout.blockSize).toBe(528);
    expect(layout.hybrid).toMatchObject({ size: 8, attention: 1, state: 3, pageBytes: 2_162_688 });
    expect(computeSequenceBytes(layout, m.arch, 8192, 2048)).toBe(19 * 8 * 2_162_688);
  });
});
