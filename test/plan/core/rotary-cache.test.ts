/**
 * The rotary cos/sin cache counted in the weights follows vLLM's `get_rope`
 * (vllm/model_executor/layers/rotary_embedding/__init__.py): rotary_dim = int(head_size × partial_rotary_factor),
 * and `RotaryEmbedding._compute_cos_sin_cache` (base.py) builds a [max_position, rotary_dim] buffer in the model
 * dtype. vllm/transformers_utils/config.py `patch_rope_parameters` moves a top-level partial_rotary_factor
 * (or rotary_pct / rotary_emb_fraction) into rope_parameters, so either place counts. One cache per distinct set
 * of rope parameters (get_rope's _ROPE_DICT key): Gemma 3 (gemma3.py `Gemma3Attention`) builds one for its sliding
 * layers (rope_local_base_freq, default) and one for its global layers (rope_theta, the config's rope_scaling); a
 * linear scaling caches max_position × factor rows (linear_scaling_rope.py
 * `LinearScalingRotaryEmbedding._compute_cos_sin_cache`).
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
    expect(arch.rotaryCaches).toEqual([{ dim: 64 }]);
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
      expect(arch.rotaryCaches).toEqual([{ dim: 64 }]);
      expect(computeRotaryCacheBytes(arch)).toBe(524_288);
    }
    expect(computeRotaryCacheBytes(neox)).toBe(262_144);
  });

  it('a factor of 1, none, or one get_rope refuses leaves one full head_dim cache (Llama-3.1-8B: 32 MiB)', () => {
    expect(parse({ ...base, partial_rotary_factor: 1 }).rotaryCaches).toBeUndefined();
    expect(parse({ ...base, partial_rotary_factor: 1.5 }).rotaryCaches).toBeUndefined();
    expect(parse(base).rotaryCaches).toBeUndefined();
    // 131,072 positions × 128 × 2 B, the 32 MiB corrections §3 measured.
    expect(computeRotaryCacheBytes(preset('llama-3.1-8b-instruct'))).toBe(33_554_432);
  });

  it('Phi-4-mini (partial_rotary_factor 0.75): 131,072 × 96 × 2 B = 24 MiB', () => {
    expect(computeRotaryCacheBytes(preset('phi-4-mini-instruct'))).toBe(25_165_824);
  });
});

describe('Gemma 3: one cache for the sliding layers, one for the global layers', () => {
  it('gemma-3-12b-it (recorded config, linear factor 8): 131,072 × 256 × 2 + 1,048,576 × 256 × 2 = 576 MiB', () => {
    const config: unknown = JSON.parse(
      readFileSync(new URL('../../fixtures/hub/google/gemma-3-12b-it/config.json', import.meta.url), 'utf8'),
    );
    const arch = parse(config);
    expect(arch.rotaryCaches).toEqual([{ dim: 256 }, { dim: 256, positions: 1_048_576 }]);
    // 67,108,864 + 536,870,912: 512 MiB more than one 131,072 × 256 cache.
    expect(computeRotaryCacheBytes(arch)).toBe(603_979_776);
    expect(computeRotaryCacheBytes(preset('gemma-3-12b-it'))).toBe(603_979_776);
    expect(computeRotaryCacheBytes(preset('gemma-3-4b-it'))).toBe(603_979_776);
  });

  it('gemma-3-27b-it (head 128): 33,554,432 + 268,435,456 B; gemma-3-1b-it (no scaling): 2 × 32,768 × 256 × 2 B', () => {
    expect(computeRotaryCacheBytes(preset('gemma-3-27b-it'))).toBe(301_989_888);
    expect(computeRotaryCacheBytes(preset('gemma-3-1b-it'))).toBe(33_554_432);
    expect(computeRotaryCacheBytes(preset('gemma-3-270m-it'))).toBe(33_554_432);
    // A Gemma 3 config without rope_scaling: two default caches.
    const oneB = parse({
      architectures: ['Gemma3ForCausalLM'],
      model_type: 'gemma3_text',
      num_hidden_layers: 26,
      hidden_size: 1152,
      num_attention_heads: 4,
      num_key_value_heads: 1,
      head_dim: 256,
      vocab_size: 262_144,
      max_position_embeddings: 32_768,
      rope_scaling: null,
    });
    expect(oneB.rotaryCaches).toEqual([{ dim: 256 }, { dim: 256 }]);
  });

  it('Gemma 2 (one rope for every layer) keeps one cache', () => {
    expect(preset('gemma-2-2b-it').rotaryCaches).toBeUndefined();
  });
});
