import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safetensorsDtypeBytes } from '../../../src/model/core/model-source.js';
import {
  GGML_TYPES,
  computeGgufTensorBytes,
  describeGgufModel,
  describeSafetensors,
  isGgufTypeSupportedByVllm,
  llamaFileTypeName,
  type GgufTensorInfoLike,
} from '../../../src/model/core/weights.js';

const typeId = (name: string): number => {
  const entry = Object.entries(GGML_TYPES).find(([, t]) => t.name === name);
  if (entry === undefined) throw new Error(name);
  return Number(entry[0]);
};

describe('GGML_TYPES (ggml.c type_traits)', () => {
  it.each([
    ['F32', 0, 1, 4],
    ['F16', 1, 1, 2],
    ['Q4_0', 2, 32, 18],
    ['Q4_1', 3, 32, 20],
    ['Q5_0', 6, 32, 22],
    ['Q5_1', 7, 32, 24],
    ['Q8_0', 8, 32, 34],
    ['Q8_1', 9, 32, 36],
    ['Q2_K', 10, 256, 84],
    ['Q3_K', 11, 256, 110],
    ['Q4_K', 12, 256, 144],
    ['Q5_K', 13, 256, 176],
    ['Q6_K', 14, 256, 210],
    ['Q8_K', 15, 256, 292],
    ['IQ2_XXS', 16, 256, 66],
    ['IQ2_XS', 17, 256, 74],
    ['IQ3_XXS', 18, 256, 98],
    ['IQ1_S', 19, 256, 50],
    ['IQ4_NL', 20, 32, 18],
    ['IQ3_S', 21, 256, 110],
    ['IQ2_S', 22, 256, 82],
    ['IQ4_XS', 23, 256, 136],
    ['I8', 24, 1, 1],
    ['I16', 25, 1, 2],
    ['I32', 26, 1, 4],
    ['I64', 27, 1, 8],
    ['F64', 28, 1, 8],
    ['IQ1_M', 29, 256, 56],
    ['BF16', 30, 1, 2],
    ['TQ1_0', 34, 256, 54],
    ['TQ2_0', 35, 256, 66],
    ['MXFP4', 39, 32, 17],
  ])('%s is type %i with %i values in %i bytes', (name, id, elements, bytes) => {
    expect(GGML_TYPES[id]).toEqual({ name, blockElements: elements, blockBytes: bytes });
  });

  it('matches the bits per weight of reference §6 (Q4_K 4.5, Q6_K 6.5625, IQ4_XS 4.25, IQ1_M 1.75)', () => {
    const bpw = (name: string) => {
      const t = GGML_TYPES[typeId(name)];
      if (t === undefined) throw new Error(name);
      return (8 * t.blockBytes) / t.blockElements;
    };
    expect(bpw('Q4_K')).toBe(4.5);
    expect(bpw('Q6_K')).toBe(6.5625);
    expect(bpw('Q8_0')).toBe(8.5);
    expect(bpw('IQ4_XS')).toBe(4.25);
    expect(bpw('IQ1_M')).toBe(1.75);
    expect(bpw('Q3_K')).toBe(3.4375);
  });

  it('knows which types vLLM runs (§6)', () => {
    for (const name of ['F32', 'F16', 'BF16', 'Q4_0', 'Q8_1', 'Q2_K', 'Q6_K', 'IQ1_M', 'IQ4_NL', 'iq4_xs']) {
      expect(isGgufTypeSupportedByVllm(name), name).toBe(true);
    }
    for (const name of ['TQ1_0', 'TQ2_0', 'Q4_0_4_4', 'IQ4_NL_8_8', 'MXFP4', 'Q8_K', 'I32', 'NVFP4', 'nonsense']) {
      expect(isGgufTypeSupportedByVllm(name), name).toBe(false);
    }
  });

  it('names llama.cpp file types (llama.h llama_ftype)', () => {
    expect(llamaFileTypeName(15)).toBe('Q4_K_M');
    expect(llamaFileTypeName(7)).toBe('Q8_0');
    expect(llamaFileTypeName(30)).toBe('IQ4_XS');
    expect(llamaFileTypeName(38)).toBe('MXFP4_MOE');
    expect(llamaFileTypeName(5)).toBeNull();
  });
});

describe('computeGgufTensorBytes', () => {
  it('is exact for whole blocks', () => {
    expect(computeGgufTensorBytes(12, 3584 * 3584)).toBe(7_225_344);
    expect(computeGgufTensorBytes(14, 152064 * 3584)).toBe(447_068_160);
    expect(computeGgufTensorBytes(0, 3584)).toBe(14_336);
    expect(computeGgufTensorBytes(8, 64)).toBe(68);
    expect(computeGgufTensorBytes(12, 0)).toBe(0);
  });
  it('rounds a partial block up', () => {
    expect(computeGgufTensorBytes(12, 1)).toBe(144);
    expect(computeGgufTensorBytes(2, 33)).toBe(36);
  });
  it('is null for an unknown type or a bad count', () => {
    expect(computeGgufTensorBytes(4, 32)).toBeNull();
    expect(computeGgufTensorBytes(999, 32)).toBeNull();
    expect(computeGgufTensorBytes(0, -1)).toBeNull();
    expect(computeGgufTensorBytes(0, 1.5)).toBeNull();
    expect(computeGgufTensorBytes(0, Number.MAX_SAFE_INTEGER)).toBeNull();
  });

  const knownType = fc.constantFrom(...Object.keys(GGML_TYPES).map(Number));
  it('property: monotone in the element count', () => {
    fc.assert(
      fc.property(knownType, fc.nat(1e12), fc.nat(1e12), (type, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const x = computeGgufTensorBytes(type, lo);
        const y = computeGgufTensorBytes(type, hi);
        expect(x).not.toBeNull();
        expect(y).not.toBeNull();
        expect(x ?? 0).toBeLessThanOrEqual(y ?? 0);
      }),
    );
  });
  it('property: exactly blocks × block bytes for a multiple of the block size', () => {
    fc.assert(
      fc.property(knownType, fc.nat(1e9), (type, blocks) => {
        const info = GGML_TYPES[type];
        if (info === undefined) throw new Error(String(type));
        expect(computeGgufTensorBytes(type, blocks * info.blockElements)).toBe(blocks * info.blockBytes);
      }),
    );
  });
  it('property: never below the whole-block bytes, never a block above', () => {
    fc.assert(
      fc.property(knownType, fc.nat(1e12), (type, elements) => {
        const info = GGML_TYPES[type];
        if (info === undefined) throw new Error(String(type));
        const bytes = computeGgufTensorBytes(type, elements) ?? -1;
        const exact = (elements * info.blockBytes) / info.blockElements;
        expect(bytes).toBeGreaterThanOrEqual(exact - 1e-6 * exact);
        expect(bytes).toBeLessThan(exact + info.blockBytes + 1e-6 * exact);
      }),
    );
  });
});

/** A small llama-shaped header: 2 layers, hidden 256, 4 heads, 2 KV heads, ffn 512, vocab 1000. */
function llamaHeader(extra: Record<string, unknown> = {}) {
  return {
    'general.architecture': 'llama',
    'general.name': 'Tiny Llama',
    'general.file_type': 7,
    'llama.block_count': 2,
    'llama.embedding_length': 256,
    'llama.feed_forward_length': 512,
    'llama.attention.head_count': 4,
    'llama.attention.head_count_kv': 2,
    'llama.context_length': 4096,
    'tokenizer.ggml.tokens': Array.from({ length: 1000 }, (_, i) => `t${i}`),
    ...extra,
  };
}

function llamaTensors(type = 8, withOutput = true): GgufTensorInfoLike[] {
  const specs: [string, number[], number][] = [['token_embd.weight', [256, 1000], type]];
  for (let l = 0; l < 2; l++) {
    specs.push(
      [`blk.${l}.attn_norm.weight`, [256], 0],
      [`blk.${l}.attn_q.weight`, [256, 256], type],
      [`blk.${l}.attn_k.weight`, [256, 128], type],
      [`blk.${l}.attn_v.weight`, [256, 128], type],
      [`blk.${l}.attn_output.weight`, [256, 256], type],
      [`blk.${l}.ffn_norm.weight`, [256], 0],
      [`blk.${l}.ffn_gate.weight`, [256, 512], type],
      [`blk.${l}.ffn_up.weight`, [256, 512], type],
      [`blk.${l}.ffn_down.weight`, [512, 256], type],
    );
  }
  specs.push(['output_norm.weight', [256], 0]);
  if (withOutput) specs.push(['output.weight', [256, 1000], type]);
  let offset = 0;
  return specs.map(([name, shape, dtype]) => {
    const info = { name, shape: shape.map(BigInt), dtype, offset: BigInt(offset) };
    offset += Math.ceil((computeGgufTensorBytes(dtype, shape[0]! * (shape[1] ?? 1)) ?? 0) / 32) * 32;
    return info;
  });
}

describe('describeGgufModel', () => {
  it('reads the architecture and the exact weight bytes', () => {
    const result = describeGgufModel(llamaHeader(), llamaTensors(), 'tiny.gguf');
    if (!result.ok) throw new Error(result.problem);
    expect(result.arch).toMatchObject({
      architecture: 'LlamaForCausalLM',
      layers: 2,
      hiddenSize: 256,
      intermediateSize: 512,
      attentionHeads: 4,
      kvHeads: 2,
      headDim: 64,
      vocabSize: 1000,
      tieWordEmbeddings: false,
      maxPositionEmbeddings: 4096,
      moe: null,
    });
    // Q8_0: 34 bytes per 32 values; F32 norms.
    const q8 = (n: number) => (n / 32) * 34;
    const perLayer = q8(256 * 256) * 2 + q8(256 * 128) * 2 + q8(256 * 512) * 3 + 2 * 256 * 4;
    const expected = 2 * q8(256 * 1000) + 2 * perLayer + 256 * 4;
    expect(result.weightBytes).toBe(expected);
    expect(result.quant).toMatchObject({ id: 'gguf-q8_0', method: 'gguf', scheme: 'gguf', file: 'tiny.gguf' });
    expect(result.quant.sizeBytes).toBe(expected);
    expect(result.name).toBe('Tiny Llama');
    expect(result.unsupportedTensorTypes).toEqual([]);
    expect(result.notes.join('\n')).toMatch(/--tokenizer <the base model's Hugging Face id>/);
  });

  it('ties the embeddings when there is no output.weight, and uses key_length for the head size', () => {
    const result = describeGgufModel(
      llamaHeader({ 'llama.attention.key_length': 128 }),
      llamaTensors(8, false),
      'x.gguf',
    );
    if (!result.ok) throw new Error(result.problem);
    expect(result.arch.tieWordEmbeddings).toBe(true);
    expect(result.arch.headDim).toBe(128);
  });

  it('names the quantization after the dominant tensor type when general.file_type is absent', () => {
    const header: Record<string, unknown> = llamaHeader();
    delete header['general.file_type'];
    const result = describeGgufModel(header, llamaTensors(12), 'x.gguf');
    if (!result.ok) throw new Error(result.problem);
    expect(result.quant.id).toBe('gguf-q4_k');
    expect(result.notes.join('\n')).toMatch(/general\.file_type is absent/);
  });

  it('falls back to <arch>.vocab_size, takes the largest of per-layer KV head counts, reads bigint values', () => {
    const header: Record<string, unknown> = llamaHeader({
      'llama.vocab_size': 1000n,
      'llama.attention.head_count_kv': [1, 2, 2],
      'llama.block_count': 2n,
    });
    delete header['tokenizer.ggml.tokens'];
    const result = describeGgufModel(header, llamaTensors(), 'x.gguf');
    if (!result.ok) throw new Error(result.problem);
    expect(result.arch.vocabSize).toBe(1000);
    expect(result.arch.kvHeads).toBe(2);
    expect(result.arch.layers).toBe(2);
  });

  it('reads MoE and MLA keys', () => {
    const result = describeGgufModel(
      {
        ...llamaHeader(),
        'general.architecture': 'deepseek2',
        'deepseek2.block_count': 2,
        'deepseek2.embedding_length': 256,
        'deepseek2.feed_forward_length': 512,
        'deepseek2.attention.head_count': 4,
        'deepseek2.context_length': 8192,
        'deepseek2.attention.key_length': 192,
        'deepseek2.attention.kv_lora_rank': 512,
        'deepseek2.rope.dimension_count': 64,
        'deepseek2.expert_count': 64,
        'deepseek2.expert_used_count': 6,
        'deepseek2.expert_feed_forward_length': 128,
        'deepseek2.expert_shared_count': 2,
      },
      llamaTensors(),
      'ds.gguf',
    );
    if (!result.ok) throw new Error(result.problem);
    expect(result.arch.architecture).toBe('DeepseekV2ForCausalLM');
    expect(result.arch.moe).toEqual({ experts: 64, expertsPerToken: 6, expertIntermediateSize: 128, sharedExperts: 2 });
    expect(result.arch.mla).toEqual({ kvLoraRank: 512, qkRopeHeadDim: 64 });
    expect(result.arch.headDim).toBe(192);
  });

  it('lists tensor types vLLM cannot run', () => {
    const tensors = llamaTensors();
    tensors[2] = { ...tensors[2]!, dtype: typeId('TQ2_0') };
    const result = describeGgufModel(llamaHeader(), tensors, 'x.gguf');
    if (!result.ok) throw new Error(result.problem);
    expect(result.unsupportedTensorTypes).toEqual(['TQ2_0']);
  });

  it('names the base model from general.base_model.0.repo_url, and the given tokenizer first', () => {
    const header = llamaHeader({ 'general.base_model.0.repo_url': 'https://huggingface.co/meta-llama/Llama-3.1-8B' });
    const a = describeGgufModel(header, llamaTensors(), 'x.gguf');
    if (!a.ok) throw new Error(a.problem);
    expect(a.baseModelRepo).toBe('meta-llama/Llama-3.1-8B');
    expect(a.notes.join('\n')).toMatch(/--tokenizer meta-llama\/Llama-3.1-8B/);
    const b = describeGgufModel(header, llamaTensors(), 'x.gguf', 'org/other');
    if (!b.ok) throw new Error(b.problem);
    expect(b.notes.join('\n')).toMatch(/tokenizer: org\/other/);
  });

  it.each([
    [{ 'general.architecture': undefined }, 'no general.architecture'],
    [{ 'llama.block_count': undefined }, 'no (or a zero) llama.block_count'],
    [{ 'llama.attention.head_count': 0 }, 'llama.attention.head_count'],
  ])('refuses a header without the architecture keys (%o)', (extra, problem) => {
    const result = describeGgufModel(llamaHeader(extra), llamaTensors(), 'x.gguf');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toContain(problem);
  });

  it('refuses unknown tensor types, rows that are not whole blocks and misaligned offsets', () => {
    const unknown = llamaTensors();
    unknown[1] = { ...unknown[1]!, dtype: 77 };
    const r1 = describeGgufModel(llamaHeader(), unknown, 'x.gguf');
    expect(r1.ok ? '' : r1.problem).toMatch(/ggml type 77, which this tool does not know/);
    const partial = llamaTensors();
    partial[2] = { ...partial[2]!, shape: [100n, 256n] };
    const r2 = describeGgufModel(llamaHeader(), partial, 'x.gguf');
    expect(r2.ok ? '' : r2.problem).toMatch(/rows of 100 values are not whole Q8_0 blocks of 32/);
    const misaligned = llamaTensors();
    misaligned[3] = { ...misaligned[3]!, offset: 7n };
    const r3 = describeGgufModel(llamaHeader(), misaligned, 'x.gguf');
    expect(r3.ok ? '' : r3.problem).toMatch(/data offset 7, not a multiple of the 32-byte alignment/);
  });
});

describe('describeSafetensors', () => {
  it('sums exact bytes by dtype', () => {
    const summary = describeSafetensors([
      { name: 'a.weight', dtype: 'BF16', shape: [1000, 256] },
      { name: 'b.weight', dtype: 'F32', shape: [256] },
      { name: 'c', dtype: 'I64', shape: [3, 5] },
      { name: 'scalar', dtype: 'F16', shape: [] },
    ]);
    expect(summary.totalBytes).toBe(512_000 + 1024 + 120 + 2);
    expect(summary.bytesByDtype).toEqual({ BF16: 512_000, F32: 1024, I64: 120, F16: 2 });
    expect(summary.parameterCount).toBe(256_000 + 256 + 15 + 1);
    expect(summary.looksQuantized).toBeNull();
  });

  it('tells GPTQ/AWQ, FP8 and bitsandbytes checkpoints apart', () => {
    expect(
      describeSafetensors([
        { name: 'l.qweight', dtype: 'I32', shape: [32, 256] },
        { name: 'l.qzeros', dtype: 'I32', shape: [2, 32] },
        { name: 'l.scales', dtype: 'F16', shape: [2, 256] },
      ]).looksQuantized,
    ).toBe('gptq-or-awq');
    expect(
      describeSafetensors([
        { name: 'l.weight', dtype: 'F8_E4M3', shape: [256, 256] },
        { name: 'l.weight_scale', dtype: 'F32', shape: [] },
      ]).looksQuantized,
    ).toBe('fp8');
    expect(
      describeSafetensors([
        { name: 'l.weight', dtype: 'U8', shape: [32768, 1] },
        { name: 'l.weight.absmax', dtype: 'F32', shape: [1024] },
      ]).looksQuantized,
    ).toBe('bnb');
  });

  it('sizes an unknown dtype from its data_offsets span', () => {
    const summary = describeSafetensors([{ name: 'x', dtype: 'F4', shape: [64], byteLength: 32 }]);
    expect(summary.totalBytes).toBe(32);
    expect(summary.unknownDtypes).toEqual(['F4']);
  });

  const dtypes = ['F64', 'I64', 'F32', 'I32', 'U32', 'F16', 'BF16', 'I16', 'I8', 'U8', 'BOOL', 'F8_E4M3', 'F8_E5M2'];
  it('property: the total is the sum of dtype bytes × elements', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            name: fc.string(),
            dtype: fc.constantFrom(...dtypes),
            shape: fc.array(fc.nat(2000), { maxLength: 4 }),
          }),
          { maxLength: 30 },
        ),
        (tensors) => {
          const summary = describeSafetensors(tensors);
          const expected = tensors.reduce(
            (sum, t) => sum + (safetensorsDtypeBytes(t.dtype) ?? 0) * t.shape.reduce((a, b) => a * b, 1),
            0,
          );
          expect(summary.totalBytes).toBe(expected);
          expect(Object.values(summary.bytesByDtype).reduce((a, b) => a + b, 0)).toBe(expected);
          expect(summary.parameterCount).toBe(tensors.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0));
        },
      ),
    );
  });
});
