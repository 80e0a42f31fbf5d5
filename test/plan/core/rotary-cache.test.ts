/**
 * The rotary cos/sin cache counted in the weights follows vLLM's `get_rope`
 * (vllm/model_executor/layers/rotary_embedding/__init__.py): rotary_dim = int(head_size × partial_rotary_factor),
 * and `RotaryEmbedding._compute_cos_sin_cache` (base.py) builds a [max_position, rotary_dim] buffer in the model
 * dtype. vllm/transformers_utils/config.py `patch_rope_parameters` moves a top-level partial_rotary_factor
 * (or rotary_pct / rotary_emb_fraction) into rope_parameters, so either place counts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseHfConfig } from '../../../src/model/core/hf-config.js';
import { computeRotaryCacheBytes } from '../../../src/plan/core/budget.js';
import { loadTestCatalog } from '../../helpers/catalog.js';

const catalog = loadTestCatalog();
const preset = (id: string) => {
  const m = catalog.models.find((x) => x.id === id);
  if (m === undefined) throw new Error(id);
  return m.arch;
};
const parse = (config: unknown) => {
  const r = parseHfConfig(config, 'test');
  if (!r.ok) throw new Error(r.problem);
  return r.arch;
};
const base = {
  architectures: ['LlamaForCausalLM'],
  num_hidden_layers: 2,
  hidden_size: 1024,
  num_attention_heads: 8,
  head_dim: 128,
  vocab_size: 1000,
  max_position_embeddings: 4096,
};

describe('the rotary cache is head_dim × partial_rotary_factor wide', () => {
  it('Qwen3.6-27B (recorded config.json): 262,144 × 64 × 2 B = 32 MiB, 96 MiB less than a 256-wide cache', () => {
    const config: unknown = JSON.parse(
      readFileSync(new URL('../../fixtures/hub/Qwen/Qwen3.6-27B/config.json', import.meta.url), 'utf8'),
    );
    const arch = parse(config);
    // rope_parameters.partial_rotary_factor 0.25 × head_dim 256 = 64.
    expect(arch.rotaryDims).toEqual([64]);
    expect(computeRotaryCacheBytes(arch)).toBe(33_554_432);
    expect(262_144 * 256 * 2 - computeRotaryCacheBytes(arch)).toBe(96 * 1024 * 1024);
    // The preset says the same.
    expect(computeRotaryCacheBytes(preset('qwen3.6-27b'))).toBe(33_554_432);
  });

  it('the factor is read from rope_parameters, rope_scaling, or the top level (partial_rotary_factor, rotary_pct)', () => {
    const nested = parse({ ...base, rope_parameters: { rope_type: 'default', partial_rotary_factor: 0.5 } });
    const legacy = parse({ ...base, rope_scaling: { rope_type: 'linear', factor: 2, partial_rotary_factor: 0.5 } });
    const top = parse({ ...base, partial_rotary_factor: 0.5 });
    const neox = parse({ ...base, rotary_pct: 0.25 });
    // 4096 positions × int(128 × 0.5) = 64 wide × 2 B = 524,288 B; rotary_pct 0.25: 32 wide, 262,144 B.
    for (const arch of [nested, legacy, top]) {
      expect(arch.rotaryDims).toEqual([64]);
      expect(computeRotaryCacheBytes(arch)).toBe(524_288);
    }
    expect(computeRotaryCacheBytes(neox)).toBe(262_144);
  });

  it('a factor of 1, none, or one get_rope refuses leaves one full head_dim cache (Llama-3.1-8B: 32 MiB)', () => {
    expect(parse({ ...base, partial_rotary_factor: 1 }).rotaryDims).toBeUndefined();
    expect(parse({ ...base, partial_rotary_factor: 1.5 }).rotaryDims).toBeUndefined();
    expect(parse(base).rotaryDims).toBeUndefined();
    // 131,072 positions × 128 × 2 B, the 32 MiB corrections §3 measured.
    expect(computeRotaryCacheBytes(preset('llama-3.1-8b-instruct'))).toBe(33_554_432);
  });

  it('Phi-4-mini (partial_rotary_factor 0.75): 131,072 × 96 × 2 B = 24 MiB', () => {
    expect(computeRotaryCacheBytes(preset('phi-4-mini-instruct'))).toBe(25_165_824);
  });
});
