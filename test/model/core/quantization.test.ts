import { describe, expect, it } from 'vitest';
import { checkCapability, estimateWeightBytes, kvDtypeBytes } from '../../../src/model/core/quantization.js';
import { computeParams } from '../../../src/model/core/architecture.js';
import { parseVersion } from '../../../src/shared/units.js';
import { loadTestCatalog } from '../../helpers/catalog.js';

const v = (s: string) => parseVersion(s) ?? [0, 0, 0];
const model = (id: string) => {
  const m = loadTestCatalog().models.find((x) => x.id === id);
  if (m === undefined) throw new Error(id);
  return m;
};

describe('weights', () => {
  it('counts Meta-Llama-3-8B at 8.03 B parameters (published 8.03 B)', () => {
    expect(computeParams(model('meta-llama-3-8b').arch).total).toBe(8_030_261_248);
  });
  it('bf16 weights are 2 bytes per parameter', () => {
    const m = model('meta-llama-3-8b');
    const bf16 = m.quants.find((q) => q.id === 'bf16');
    if (bf16 === undefined) throw new Error('bf16');
    expect(estimateWeightBytes(m.arch, bf16).weightBytes).toBe(2 * 8_030_261_248);
  });
  it('AWQ keeps embeddings and lm_head in 16 bits: Qwen2.5-7B-AWQ ≈ 5.2–5.6 GB', () => {
    const m = model('qwen2.5-7b-instruct');
    const awq = m.quants.find((q) => q.id === 'awq');
    if (awq === undefined) throw new Error('awq');
    const bytes = estimateWeightBytes(m.arch, awq).weightBytes;
    expect(bytes).toBeGreaterThan(5.2e9);
    expect(bytes).toBeLessThan(5.7e9);
  });
  it('every preset variant has a positive weight size', () => {
    for (const m of loadTestCatalog().models) {
      for (const q of m.quants)
        expect(estimateWeightBytes(m.arch, q).weightBytes, `${m.id} ${q.id}`).toBeGreaterThan(0);
    }
  });
});

describe('compute capability (reference §6)', () => {
  it('refuses AWQ on Xavier with the numbers', () => {
    const r = checkCapability('awq-int4', '7.2', v('0.8.6'));
    expect(r).toEqual({
      ok: false,
      minimum: 75,
      reason: 'not supported on this GPU: awq-int4 needs compute capability ≥ 7.5, this is 7.2',
    });
  });
  it('runs FP8 weight-only on Orin', () => {
    expect(checkCapability('fp8', '8.7', v('0.11.2'))).toEqual({
      ok: true,
      note: 'FP8 runs weight-only (FP8-Marlin) below compute capability 8.9',
    });
  });
  it('W4A16 needs 8.0 before 0.12 and 7.5 after', () => {
    expect(checkCapability('w4a16', '7.5', v('0.11.2')).ok).toBe(false);
    expect(checkCapability('w4a16', '7.5', v('0.12.0')).ok).toBe(true);
  });
  it('bf16 needs 8.0; GGUF runs from 6.0', () => {
    expect(checkCapability('bf16', '7.5', v('0.11.2')).ok).toBe(false);
    expect(checkCapability('gguf', '6.2', v('0.11.2')).ok).toBe(true);
  });
  it('NVFP4 does not exist before 0.8', () => {
    expect(checkCapability('nvfp4', '11.0', v('0.7.0')).ok).toBe(false);
  });
  it('fp8 KV elements are 1 byte, auto 2', () => {
    expect(kvDtypeBytes('fp8_e4m3')).toBe(1);
    expect(kvDtypeBytes('auto')).toBe(2);
  });
});
