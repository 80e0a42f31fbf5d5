/**
 * The rotary caches of a GGUF checkpoint, as vLLM builds them from the config transformers derives from the file
 * (transformers integrations/ggml.py `GGUF_CONFIG_MAPPING`: rope.freq_base → rope_theta, rope.dimension_count → not
 * read; vllm/model_executor/layers/rotary_embedding/__init__.py `get_rope`: one cache per distinct parameter set).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGgufRotaryCaches, describeGgufRopeWidth } from '../../../src/model/core/gguf-rope.js';
import { GGML_TYPES, describeGgufModel, type GgufTensorInfoLike } from '../../../src/model/core/weights.js';
import { computeRotaryCacheBytes } from '../../../src/plan/core/budget.js';

const typeId = (name: string): number => {
  const entry = Object.entries(GGML_TYPES).find(([, t]) => t.name === name);
  if (entry === undefined) throw new Error(name);
  return Number(entry[0]);
};

/** A small GGUF header of `arch` (2 layers, hidden 1024, 4 heads of 256, 8k context). */
function header(arch: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'general.architecture': arch,
    'general.file_type': 7,
    [`${arch}.block_count`]: 2,
    [`${arch}.embedding_length`]: 1024,
    [`${arch}.feed_forward_length`]: 2048,
    [`${arch}.attention.head_count`]: 4,
    [`${arch}.attention.head_count_kv`]: 1,
    [`${arch}.attention.key_length`]: 256,
    [`${arch}.context_length`]: 8192,
    'tokenizer.ggml.tokens': Array.from({ length: 64 }, (_, i) => `t${i}`),
    ...extra,
  };
}

function tensors(): GgufTensorInfoLike[] {
  const q8 = typeId('Q8_0');
  const specs: [string, number[], number][] = [['token_embd.weight', [1024, 64], q8]];
  for (let l = 0; l < 2; l++) {
    specs.push(
      [`blk.${l}.attn_q.weight`, [1024, 1024], q8],
      [`blk.${l}.attn_k.weight`, [1024, 256], q8],
      [`blk.${l}.attn_v.weight`, [1024, 256], q8],
      [`blk.${l}.attn_output.weight`, [1024, 1024], q8],
      [`blk.${l}.ffn_up.weight`, [1024, 2048], q8],
    );
  }
  let offset = 0n;
  return specs.map(([name, shape, dtype]) => {
    const t = { name, shape: shape.map(BigInt), dtype, offset };
    offset += 1n << 22n;
    return t;
  });
}

describe('GGUF rotary caches', () => {
  it('the recorded Qwen2.5-0.5B Q8_0 header: one cache of head_dim 64 (the default), no note', () => {
    const record = JSON.parse(
      readFileSync(
        new URL(
          '../../fixtures/hub/bartowski/Qwen2.5-0.5B-Instruct-GGUF/Qwen2.5-0.5B-Instruct-Q8_0.gguf.header.json',
          import.meta.url,
        ),
        'utf8',
      ),
    ) as { metadata: [string, string, unknown][]; tensors: { name: string; shape: number[]; type: string }[] };
    const metadata = Object.fromEntries(record.metadata.map(([k, , v]) => [k, v]));
    let offset = 0n;
    const infos = record.tensors.map((t) => {
      const info = { name: t.name, shape: t.shape.map(BigInt), dtype: typeId(t.type), offset };
      offset += 1n << 28n;
      return info;
    });
    const r = describeGgufModel(metadata, infos, 'Qwen2.5-0.5B-Instruct-Q8_0.gguf');
    if (!r.ok) throw new Error(r.problem);
    expect(r.arch.headDim).toBe(64);
    expect(r.arch.rotaryCaches).toBeUndefined();
    // 32,768 positions × 64 × 2 B = 4 MiB.
    expect(computeRotaryCacheBytes(r.arch)).toBe(4_194_304);
    expect(r.notes.join('\n')).not.toMatch(/rope\.dimension_count/);
  });

  it('gemma3: sliding layers at 10,000 and global layers at rope.freq_base, two caches of 256 → 8 MiB', () => {
    const r = describeGgufModel(
      header('gemma3', { 'gemma3.rope.freq_base': 1_000_000, 'gemma3.attention.sliding_window': 512 }),
      tensors(),
      'g.gguf',
    );
    if (!r.ok) throw new Error(r.problem);
    expect(r.arch.rotaryCaches).toEqual([{ dim: 256 }, { dim: 256 }]);
    // 2 × 8192 × 256 × 2 B (rope scaling is not read from a GGUF: context_length rows each).
    expect(computeRotaryCacheBytes(r.arch)).toBe(8_388_608);
    // A rope.freq_base equal to the local base: get_rope shares one cache.
    expect(buildGgufRotaryCaches('gemma3', 256, 10_000)).toBeNull();
    // No rope.freq_base: Gemma3TextConfig's rope_theta 1,000,000.
    expect(buildGgufRotaryCaches('gemma3', 256, undefined)).toEqual([{ dim: 256 }, { dim: 256 }]);
  });

  it("stablelm: StableLmConfig's partial_rotary_factor 0.25 whatever rope.dimension_count says, and a note when they differ", () => {
    const r = describeGgufModel(header('stablelm', { 'stablelm.rope.dimension_count': 128 }), tensors(), 's.gguf');
    if (!r.ok) throw new Error(r.problem);
    expect(r.arch.rotaryCaches).toEqual([{ dim: 64 }]);
    expect(r.notes.join('\n')).toContain('rope.dimension_count is 128');
    const same = describeGgufModel(header('stablelm', { 'stablelm.rope.dimension_count': 64 }), tensors(), 's.gguf');
    if (!same.ok) throw new Error(same.problem);
    expect(same.notes.join('\n')).not.toMatch(/rope\.dimension_count/);
  });

  it('a llama GGUF whose rope.dimension_count is not head_dim: vLLM still caches head_dim (the note says so)', () => {
    const r = describeGgufModel(header('llama', { 'llama.rope.dimension_count': 64 }), tensors(), 'l.gguf');
    if (!r.ok) throw new Error(r.problem);
    expect(r.arch.rotaryCaches).toBeUndefined();
    expect(r.notes.join('\n')).toContain('vLLM caches rotary values 256 wide');
  });

  it('properties: any architecture, head size and base give null or whole widths no wider than the head', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('llama', 'qwen2', 'gemma3', 'stablelm', 'phi3', 'x'),
        fc.integer({ min: 1, max: 1024 }),
        fc.option(fc.double({ min: 1, max: 1e9, noNaN: true }), { nil: undefined }),
        (arch, headDim, base) => {
          const caches = buildGgufRotaryCaches(arch, headDim, base);
          const note = describeGgufRopeWidth(headDim, caches, headDim);
          return (
            (caches === null || caches.every((c) => Number.isSafeInteger(c.dim) && c.dim >= 1 && c.dim <= headDim)) &&
            (caches === null || arch === 'gemma3' || arch === 'stablelm') &&
            (note === null) === (caches === null || caches.every((c) => c.dim === headDim))
          );
        },
      ),
    );
  });
});
