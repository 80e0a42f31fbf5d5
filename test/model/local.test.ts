import { mkdtemp, mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/shared/errors.js';
import { describeGgufFile, describeLocalFolder, readSafetensorsHeader } from '../../src/model/local.js';
import { loadTestCatalog } from '../helpers/catalog.js';
import {
  GgufType,
  T,
  arr,
  buildGgufHeader,
  f32,
  str,
  tensorBytes,
  u32,
  writeGguf,
  qwen2_7bQ4KM,
  wantsMoreBits,
  type GgufKv,
  type GgufTensorSpec,
} from './gguf-writer.js';
import { specBytes, writeSafetensors, type SafetensorsSpec } from './safetensors-writer.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'jetson-vllm-local-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let counter = 0;
async function freshDir(): Promise<string> {
  const dir = path.join(tmp, `d${counter++}`);
  await mkdir(dir);
  return dir;
}

/** The UserError a promise rejects with (fails the test when it resolves or throws something else). */
async function userError(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UserError) {
      expect(error.message).not.toContain('\n');
      expect(error.exitCode).toBe(2);
      return error;
    }
    throw error;
  }
  throw new Error('expected a UserError');
}

const sum = (specs: readonly SafetensorsSpec[]) => specs.reduce((s, t) => s + specBytes(t), 0);

// ------------------------------------------------------------------------------------------------
// safetensors

describe('readSafetensorsHeader', () => {
  const mixed: SafetensorsSpec[] = [
    { name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [152064, 3584] },
    { name: 'model.norm.weight', dtype: 'F32', shape: [3584] },
    { name: 'model.layers.0.self_attn.q_proj.weight', dtype: 'F16', shape: [3584, 3584] },
    { name: 'model.layers.0.self_attn.q_proj.bias', dtype: 'F16', shape: [3584] },
    { name: 'position_ids', dtype: 'I64', shape: [1, 32768] },
    { name: 'mask', dtype: 'BOOL', shape: [7] },
    { name: 'fp8.weight', dtype: 'F8_E4M3', shape: [64, 64] },
    { name: 'scalar', dtype: 'F32', shape: [] },
  ];

  it('reads names, dtypes and shapes of several dtypes; the sizes are exact', async () => {
    const file = path.join(await freshDir(), 'model.safetensors');
    const written = await writeSafetensors(file, mixed);
    const tensors = await readSafetensorsHeader(file);
    expect(tensors.map(({ name, dtype, shape }) => ({ name, dtype, shape }))).toEqual(mixed);
    const expected = 2 * 152064 * 3584 + 4 * 3584 + 2 * 3584 * 3584 + 2 * 3584 + 8 * 32768 + 7 + 64 * 64 + 4;
    expect(written.dataBytes).toBe(expected);
    expect(tensors.reduce((s, t) => s + (t.byteLength ?? 0), 0)).toBe(expected);
  });

  it('refuses a file cut inside the header', async () => {
    const file = path.join(await freshDir(), 'cut-header.safetensors');
    const written = await writeSafetensors(file, mixed);
    await truncate(file, 8 + Math.floor(written.headerLength / 2));
    const error = await userError(readSafetensorsHeader(file));
    expect(error.message).toBe(
      `--model: ${file} is not a valid safetensors file: truncated: the header needs ${8 + written.headerLength} bytes, file has ${8 + Math.floor(written.headerLength / 2)}`,
    );
  });

  it('refuses a file cut inside the data', async () => {
    const file = path.join(await freshDir(), 'cut-data.safetensors');
    const written = await writeSafetensors(file, mixed);
    await truncate(file, written.size - 1000);
    const error = await userError(readSafetensorsHeader(file));
    expect(error.message).toBe(
      `--model: ${file} is not a valid safetensors file: truncated: expected ${written.size} bytes, file has ${written.size - 1000}`,
    );
  });

  it('refuses garbage bytes', async () => {
    const file = path.join(await freshDir(), 'garbage.safetensors');
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 251;
    await writeFile(file, bytes);
    const error = await userError(readSafetensorsHeader(file));
    expect(error.message).toMatch(
      new RegExp(`^--model: ${file} is not a valid safetensors file: the header length \\d+ is above the 100 MB limit`),
    );
  });

  it('refuses a header that is not JSON, a short file, and offsets that disagree with the shape', async () => {
    const dir = await freshDir();
    const notJson = path.join(dir, 'a.safetensors');
    const body = Buffer.from('{"x": nope}   ');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(body.length));
    await writeFile(notJson, Buffer.concat([len, body]));
    expect((await userError(readSafetensorsHeader(notJson))).message).toBe(
      `--model: ${notJson} is not a valid safetensors file: the header is not JSON`,
    );

    const short = path.join(dir, 'b.safetensors');
    await writeFile(short, Buffer.from([1, 2, 3]));
    expect((await userError(readSafetensorsHeader(short))).message).toBe(
      `--model: ${short} is not a valid safetensors file: it has 3 bytes, fewer than the 8-byte header length`,
    );

    const wrong = path.join(dir, 'c.safetensors');
    const json = Buffer.from(JSON.stringify({ w: { dtype: 'F16', shape: [4, 4], data_offsets: [0, 16] } }));
    len.writeBigUInt64LE(BigInt(json.length));
    await writeFile(wrong, Buffer.concat([len, json, Buffer.alloc(16)]));
    expect((await userError(readSafetensorsHeader(wrong))).message).toBe(
      `--model: ${wrong} is not a valid safetensors file: tensor w (F16 [4, 4]) needs 32 bytes but its data_offsets span 16`,
    );
  });
});

// ------------------------------------------------------------------------------------------------
// Local folders

/** A small Qwen2-style config.json (2 layers, hidden 512, 8 heads, 2 KV heads, vocab 1000). */
function qwenConfig(extra: Record<string, unknown> = {}) {
  return {
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    hidden_size: 512,
    intermediate_size: 1024,
    num_hidden_layers: 2,
    num_attention_heads: 8,
    num_key_value_heads: 2,
    vocab_size: 1000,
    max_position_embeddings: 32768,
    tie_word_embeddings: false,
    torch_dtype: 'bfloat16',
    ...extra,
  };
}

function qwenTensors(layers: number, dtype = 'BF16'): SafetensorsSpec[] {
  const specs: SafetensorsSpec[] = [{ name: 'model.embed_tokens.weight', dtype, shape: [1000, 512] }];
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}`;
    specs.push(
      { name: `${p}.input_layernorm.weight`, dtype, shape: [512] },
      { name: `${p}.self_attn.q_proj.weight`, dtype, shape: [512, 512] },
      { name: `${p}.self_attn.q_proj.bias`, dtype, shape: [512] },
      { name: `${p}.self_attn.k_proj.weight`, dtype, shape: [128, 512] },
      { name: `${p}.self_attn.v_proj.weight`, dtype, shape: [128, 512] },
      { name: `${p}.self_attn.o_proj.weight`, dtype, shape: [512, 512] },
      { name: `${p}.mlp.gate_proj.weight`, dtype, shape: [1024, 512] },
      { name: `${p}.mlp.up_proj.weight`, dtype, shape: [1024, 512] },
      { name: `${p}.mlp.down_proj.weight`, dtype, shape: [512, 1024] },
    );
  }
  specs.push({ name: 'model.norm.weight', dtype, shape: [512] }, { name: 'lm_head.weight', dtype, shape: [1000, 512] });
  return specs;
}

describe('describeLocalFolder', () => {
  it('sums the shards an index.json names (two shards): exact bytes from the tensor headers', async () => {
    const dir = await freshDir();
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(qwenConfig()));
    const all = qwenTensors(2);
    const first = all.slice(0, 10);
    const second = all.slice(10);
    await writeSafetensors(path.join(dir, 'model-00001-of-00002.safetensors'), first);
    await writeSafetensors(path.join(dir, 'model-00002-of-00002.safetensors'), second);
    const weightMap = Object.fromEntries([
      ...first.map((t) => [t.name, 'model-00001-of-00002.safetensors']),
      ...second.map((t) => [t.name, 'model-00002-of-00002.safetensors']),
    ]);
    await writeFile(
      path.join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: { total_size: sum(all) }, weight_map: weightMap }),
    );
    // A stray shard that the index does not name is not counted.
    await writeSafetensors(path.join(dir, 'stray.safetensors'), [{ name: 'x', dtype: 'F32', shape: [1000] }]);

    const model = await describeLocalFolder(dir);
    const params = 2 * 1000 * 512 + 2 * (512 + 512 * 512 + 512 + 2 * 128 * 512 + 512 * 512 + 3 * 1024 * 512) + 512;
    expect(sum(all)).toBe(2 * params);
    expect(model.weightSource).toBe('tensor headers');
    expect(model.quant).toMatchObject({ id: 'bf16', method: null, sizeBytes: 2 * params, sizeSource: 'published' });
    expect(model.origin).toBe('folder');
    expect(model.serveTarget).toBe(path.resolve(dir));
    expect(model.arch).toMatchObject({
      architecture: 'Qwen2ForCausalLM',
      layers: 2,
      hiddenSize: 512,
      attentionHeads: 8,
      kvHeads: 2,
      headDim: 64,
      vocabSize: 1000,
      tieWordEmbeddings: false,
    });
    expect(model.notes[0]).toBe(
      `weights ${2 * params} bytes from the headers of 2 safetensors files (BF16 ${2 * params})`,
    );
  });

  it('without an index, reads every *.safetensors in the folder', async () => {
    const dir = await freshDir();
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(qwenConfig({ torch_dtype: 'float16' })));
    const all = qwenTensors(2, 'F16');
    await writeSafetensors(path.join(dir, 'a.safetensors'), all.slice(0, 5));
    await writeSafetensors(path.join(dir, 'b.safetensors'), all.slice(5));
    const model = await describeLocalFolder(dir);
    expect(model.quant.sizeBytes).toBe(sum(all));
    expect(model.quant.id).toBe('fp16');
  });

  it('reads a GPTQ checkpoint: I32 qweight/qzeros + F16 scales, quantization from config.json', async () => {
    const dir = await freshDir();
    await writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify(
        qwenConfig({ torch_dtype: 'float16', quantization_config: { quant_method: 'gptq', bits: 4, group_size: 128 } }),
      ),
    );
    const gptq: SafetensorsSpec[] = [{ name: 'model.embed_tokens.weight', dtype: 'F16', shape: [1000, 512] }];
    for (const proj of ['q_proj', 'o_proj']) {
      const p = `model.layers.0.self_attn.${proj}`;
      gptq.push(
        { name: `${p}.qweight`, dtype: 'I32', shape: [512 / 8, 512] },
        { name: `${p}.qzeros`, dtype: 'I32', shape: [512 / 128, 512 / 8] },
        { name: `${p}.scales`, dtype: 'F16', shape: [512 / 128, 512] },
        { name: `${p}.g_idx`, dtype: 'I32', shape: [512] },
      );
    }
    await writeSafetensors(path.join(dir, 'model.safetensors'), gptq);
    const model = await describeLocalFolder(dir);
    const perProj = 4 * 64 * 512 + 4 * 4 * 64 + 2 * 4 * 512 + 4 * 512;
    expect(model.quant).toMatchObject({
      id: 'gptq-int4',
      method: 'gptq',
      groupSize: 128,
      sizeBytes: 2 * 1000 * 512 + 2 * perProj,
    });
    expect(model.notes.join('\n')).not.toMatch(/look quantized/);
  });

  it('notes tensors that look quantized when config.json has no quantization_config', async () => {
    const dir = await freshDir();
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(qwenConfig()));
    await writeSafetensors(path.join(dir, 'model.safetensors'), [
      { name: 'l.qweight', dtype: 'I32', shape: [64, 512] },
      { name: 'l.qzeros', dtype: 'I32', shape: [4, 64] },
    ]);
    const model = await describeLocalFolder(dir);
    expect(model.notes).toContain(
      'the tensors look quantized (gptq-or-awq) but config.json has no quantization_config',
    );
  });

  it('with only config.json, computes the weights from the parameters and says so', async () => {
    const dir = await freshDir();
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(qwenConfig()));
    const model = await describeLocalFolder(dir);
    expect(model.weightSource).toBe('computed from parameters');
    expect(model.quant.sizeSource).toBe('computed');
    // computeParams (biases not counted): 2 × 1000 × 512 + 2 × (attention + mlp + 2 norms) + final norm.
    const params = 2 * 1000 * 512 + 2 * (512 * 512 * 2 + 2 * 512 * 128 + 3 * 512 * 1024 + 2 * 512) + 512;
    expect(model.quant.sizeBytes).toBe(2 * params);
    expect(model.notes[0]).toMatch(/^weights computed from parameters \(.*\): the folder has no \*\.safetensors$/);
  });

  it('refuses a folder without config.json, naming it', async () => {
    const dir = await freshDir();
    await writeSafetensors(path.join(dir, 'model.safetensors'), [{ name: 'x', dtype: 'F32', shape: [4] }]);
    const error = await userError(describeLocalFolder(dir));
    expect(error.message).toBe(
      `--model: ${dir} has no config.json (a model folder needs config.json and *.safetensors)`,
    );
  });

  it('refuses an index naming a missing shard, a corrupt shard, a missing folder', async () => {
    const dir = await freshDir();
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(qwenConfig()));
    await writeFile(
      path.join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors' } }),
    );
    expect((await userError(describeLocalFolder(dir))).message).toBe(
      `--model: ${path.join(dir, 'model.safetensors.index.json')} names model-00001-of-00002.safetensors, missing from the folder`,
    );

    const corrupt = await freshDir();
    await writeFile(path.join(corrupt, 'config.json'), JSON.stringify(qwenConfig()));
    const written = await writeSafetensors(path.join(corrupt, 'model.safetensors'), qwenTensors(1));
    await truncate(written.path, written.size - 1);
    expect((await userError(describeLocalFolder(corrupt))).message).toBe(
      `--model: ${written.path} is not a valid safetensors file: truncated: expected ${written.size} bytes, file has ${written.size - 1}`,
    );

    const missing = path.join(tmp, 'no-such-folder');
    expect((await userError(describeLocalFolder(missing))).message).toBe(`--model: ${missing} does not exist`);
  });
});

// ------------------------------------------------------------------------------------------------
// GGUF files

/** A small llama GGUF: 2 layers, hidden 256, ffn 512, 4 heads / 2 KV heads, vocab 1000, mixed types. */
function smallLlama(overrides: { kv?: Record<string, GgufKv>; tensors?: GgufTensorSpec[] } = {}) {
  const kv: Record<string, GgufKv> = {
    'general.architecture': str('llama'),
    'general.name': str('Small Llama'),
    'general.file_type': u32(15),
    'llama.block_count': u32(2),
    'llama.context_length': u32(8192),
    'llama.embedding_length': u32(256),
    'llama.feed_forward_length': u32(512),
    'llama.attention.head_count': u32(4),
    'llama.attention.head_count_kv': u32(2),
    'llama.rope.freq_base': f32(500000),
    'tokenizer.ggml.model': str('gpt2'),
    'tokenizer.ggml.tokens': arr(
      GgufType.STRING,
      Array.from({ length: 1000 }, (_, i) => `tok${i}`),
    ),
    ...overrides.kv,
  };
  const tensors: GgufTensorSpec[] = overrides.tensors ?? [
    { name: 'token_embd.weight', shape: [256, 1000], type: T.Q4_K },
    ...[0, 1].flatMap((l) => [
      { name: `blk.${l}.attn_norm.weight`, shape: [256], type: T.F32 },
      { name: `blk.${l}.attn_q.weight`, shape: [256, 256], type: T.Q4_K },
      { name: `blk.${l}.attn_k.weight`, shape: [256, 128], type: T.Q4_K },
      { name: `blk.${l}.attn_v.weight`, shape: [256, 128], type: T.Q6_K },
      { name: `blk.${l}.attn_output.weight`, shape: [256, 256], type: T.Q8_0 },
      { name: `blk.${l}.ffn_norm.weight`, shape: [256], type: T.F32 },
      { name: `blk.${l}.ffn_gate.weight`, shape: [256, 512], type: T.IQ4_XS },
      { name: `blk.${l}.ffn_up.weight`, shape: [256, 512], type: T.F16 },
      { name: `blk.${l}.ffn_down.weight`, shape: [512, 256], type: T.Q5_K },
    ]),
    { name: 'output_norm.weight', shape: [256], type: T.F32 },
  ];
  return { kv, tensors };
}

describe('describeGgufFile', () => {
  it('reads a small llama with several tensor types: exact bytes, tied embeddings, file type', async () => {
    const { kv, tensors } = smallLlama();
    const file = path.join(await freshDir(), 'small-Q4_K_M.gguf');
    const written = await writeGguf(file, kv, tensors);
    const model = await describeGgufFile(file, 'meta-llama/Llama-3.2-1B');
    // By hand: Q4_K 144 B/256, Q6_K 210/256, Q8_0 34/32, IQ4_XS 136/256, F16 2, Q5_K 176/256, F32 4.
    const layer =
      256 * 4 +
      ((256 * 256) / 256) * 144 +
      ((256 * 128) / 256) * 144 +
      ((256 * 128) / 256) * 210 +
      ((256 * 256) / 32) * 34 +
      256 * 4 +
      ((256 * 512) / 256) * 136 +
      256 * 512 * 2 +
      ((512 * 256) / 256) * 176;
    const expected = ((256 * 1000) / 256) * 144 + 2 * layer + 256 * 4;
    expect(written.tensorBytes).toBe(expected);
    expect(model.quant).toMatchObject({
      id: 'gguf-q4_k_m',
      method: 'gguf',
      scheme: 'gguf',
      file: 'small-Q4_K_M.gguf',
      sizeBytes: expected,
      sizeSource: 'published',
    });
    expect(model.weightSource).toBe('tensor headers');
    expect(model.origin).toBe('gguf');
    expect(model.name).toBe('Small Llama');
    expect(model.tokenizerRepo).toBe('meta-llama/Llama-3.2-1B');
    expect(model.serveTarget).toBe(path.resolve(file));
    expect(model.unsupportedTensorTypes).toEqual([]);
    expect(model.arch).toMatchObject({
      architecture: 'LlamaForCausalLM',
      layers: 2,
      hiddenSize: 256,
      intermediateSize: 512,
      attentionHeads: 4,
      kvHeads: 2,
      headDim: 64,
      vocabSize: 1000,
      tieWordEmbeddings: true,
      maxPositionEmbeddings: 8192,
      moe: null,
    });
  });

  it('honours a general.alignment other than 32', async () => {
    const { kv, tensors } = smallLlama({ kv: { 'general.alignment': u32(64) } });
    const file = path.join(await freshDir(), 'aligned.gguf');
    const written = await writeGguf(file, kv, tensors);
    expect(written.dataOffset % 64).toBe(0);
    const model = await describeGgufFile(file, null);
    expect(model.quant.sizeBytes).toBe(written.tensorBytes);
    expect(model.notes.join('\n')).toMatch(/vLLM needs the base model's tokenizer/);
  });

  it('reads an MoE (Mixtral-style llama with 8 experts, 2 per token)', async () => {
    const tensors: GgufTensorSpec[] = [
      { name: 'token_embd.weight', shape: [256, 1000], type: T.Q8_0 },
      { name: 'blk.0.attn_norm.weight', shape: [256], type: T.F32 },
      { name: 'blk.0.attn_q.weight', shape: [256, 256], type: T.Q8_0 },
      { name: 'blk.0.attn_k.weight', shape: [256, 64], type: T.Q8_0 },
      { name: 'blk.0.attn_v.weight', shape: [256, 64], type: T.Q8_0 },
      { name: 'blk.0.attn_output.weight', shape: [256, 256], type: T.Q8_0 },
      { name: 'blk.0.ffn_gate_inp.weight', shape: [256, 8], type: T.F32 },
      { name: 'blk.0.ffn_gate_exps.weight', shape: [256, 512, 8], type: T.Q4_K },
      { name: 'blk.0.ffn_up_exps.weight', shape: [256, 512, 8], type: T.Q4_K },
      { name: 'blk.0.ffn_down_exps.weight', shape: [512, 256, 8], type: T.Q6_K },
      { name: 'output.weight', shape: [256, 1000], type: T.Q6_K },
    ];
    const { kv } = smallLlama({
      kv: {
        'general.file_type': u32(15),
        'llama.block_count': u32(1),
        'llama.attention.head_count_kv': u32(1),
        'llama.expert_count': u32(8),
        'llama.expert_used_count': u32(2),
        'llama.expert_feed_forward_length': u32(512),
      },
      tensors,
    });
    const file = path.join(await freshDir(), 'moe.gguf');
    const written = await writeGguf(file, kv, tensors);
    const model = await describeGgufFile(file, null);
    expect(model.arch.architecture).toBe('MixtralForCausalLM');
    expect(model.arch.moe).toEqual({ experts: 8, expertsPerToken: 2, expertIntermediateSize: 512, sharedExperts: 0 });
    expect(model.arch.tieWordEmbeddings).toBe(false);
    expect(model.arch.kvHeads).toBe(1);
    const experts = 2 * ((256 * 512 * 8) / 256) * 144 + ((512 * 256 * 8) / 256) * 210;
    expect(experts).toBe(2 * 589_824 + 860_160);
    expect(model.quant.sizeBytes).toBe(written.tensorBytes);
    expect(model.quant.sizeBytes).toBe(
      ((256 * 1000) / 32) * 34 +
        256 * 4 +
        ((256 * 256 * 2 + 256 * 64 * 2) / 32) * 34 +
        256 * 8 * 4 +
        experts +
        ((256 * 1000) / 256) * 210,
    );
  });

  it('lists a TQ2_0 tensor as one vLLM cannot run', async () => {
    const { kv, tensors } = smallLlama();
    const withTernary = tensors.map((t) => (t.name === 'blk.0.ffn_up.weight' ? { ...t, type: T.TQ2_0 } : t));
    const file = path.join(await freshDir(), 'ternary.gguf');
    const written = await writeGguf(file, kv, withTernary);
    const model = await describeGgufFile(file, null);
    expect(model.unsupportedTensorTypes).toEqual(['TQ2_0']);
    expect(model.quant.sizeBytes).toBe(written.tensorBytes);
    expect(model.notes.join('\n')).toMatch(/vLLM's GGUF loader cannot run TQ2_0 tensors/);
  });

  it('refuses a file cut inside the data section', async () => {
    const { kv, tensors } = smallLlama();
    const file = path.join(await freshDir(), 'cut-data.gguf');
    const written = await writeGguf(file, kv, tensors);
    // The last tensor (output_norm, 1 KiB) is padded to 1024: cutting 512 bytes leaves it short.
    await truncate(file, written.size - 512);
    const error = await userError(describeGgufFile(file, null));
    expect(error.message).toBe(
      `--model: ${file} is not a valid GGUF file: truncated: expected ${written.size} bytes, file has ${written.size - 512}`,
    );
  });

  it('refuses a file cut inside the header', async () => {
    const { kv, tensors } = smallLlama();
    const file = path.join(await freshDir(), 'cut-header.gguf');
    const written = await writeGguf(file, kv, tensors);
    const cut = written.dataOffset - 200; // inside the tensor infos
    await truncate(file, cut);
    const error = await userError(describeGgufFile(file, null));
    expect(error.message).toMatch(
      new RegExp(
        `^--model: ${file} is not a valid GGUF file: truncated: expected \\d+ bytes of header, file has ${cut}$`,
      ),
    );
  });

  it('refuses a wrong magic, garbage bytes and an empty file as "not a GGUF file"', async () => {
    const dir = await freshDir();
    const { kv, tensors } = smallLlama();
    const wrongMagic = path.join(dir, 'magic.gguf');
    await writeGguf(wrongMagic, kv, tensors, { magic: 'GGML' });
    expect((await userError(describeGgufFile(wrongMagic, null))).message).toBe(
      `--model: ${wrongMagic} is not a GGUF file (it does not start with "GGUF")`,
    );
    const garbage = path.join(dir, 'garbage.gguf');
    const bytes = Buffer.alloc(10_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 251;
    await writeFile(garbage, bytes);
    expect((await userError(describeGgufFile(garbage, null))).message).toBe(
      `--model: ${garbage} is not a GGUF file (it does not start with "GGUF")`,
    );
    const empty = path.join(dir, 'empty.gguf');
    await writeFile(empty, '');
    expect((await userError(describeGgufFile(empty, null))).message).toBe(
      `--model: ${empty} is not a GGUF file (it does not start with "GGUF")`,
    );
  });

  it('refuses a GGUF header with garbage after the magic, and an unsupported version', async () => {
    const dir = await freshDir();
    const garbage = path.join(dir, 'garbage-after-magic.gguf');
    const bytes = Buffer.alloc(10_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 251;
    Buffer.from('GGUF').copy(bytes, 0);
    bytes.writeUInt32LE(3, 4);
    await writeFile(garbage, bytes);
    expect((await userError(describeGgufFile(garbage, null))).message).toMatch(
      new RegExp(`^--model: ${garbage} is not a valid GGUF file: .+`),
    );
    const { kv, tensors } = smallLlama();
    const v9 = path.join(dir, 'v9.gguf');
    await writeGguf(v9, kv, tensors, { version: 9 });
    expect((await userError(describeGgufFile(v9, null))).message).toBe(
      `--model: ${v9} is not a valid GGUF file: not a valid gguf file: unsupported version "9"`,
    );
  });

  it('refuses one part of a split GGUF: vLLM needs a single file', async () => {
    const error = await userError(describeGgufFile('/models/qwen2-7b-instruct-q4_k_m-00001-of-00003.gguf', null));
    expect(error.message).toBe(
      '--model: /models/qwen2-7b-instruct-q4_k_m-00001-of-00003.gguf is part 1 of 3 of a split GGUF; vLLM needs a single file: merge the parts with gguf-split --merge',
    );
    expect(error.hint).toBe(
      'llama-gguf-split --merge qwen2-7b-instruct-q4_k_m-00001-of-00003.gguf qwen2-7b-instruct-q4_k_m.gguf',
    );
  });

  it('refuses a header without the architecture keys, and a missing file', async () => {
    const { kv, tensors } = smallLlama();
    delete kv['llama.block_count'];
    const file = path.join(await freshDir(), 'no-layers.gguf');
    await writeGguf(file, kv, tensors);
    expect((await userError(describeGgufFile(file, null))).message).toBe(
      `--model: ${file}: the GGUF header has no (or a zero) llama.block_count`,
    );
    const missing = path.join(tmp, 'missing.gguf');
    expect((await userError(describeGgufFile(missing, null))).message).toBe(`--model: ${missing} does not exist`);
  });
});

// ------------------------------------------------------------------------------------------------
// Headline: a GGUF shaped exactly like Qwen/Qwen2-7B-Instruct-GGUF qwen2-7b-instruct-q4_k_m.gguf

describe('Qwen2-7B-Instruct Q4_K_M GGUF (headline)', () => {
  it('use_more_bits picks half of the 28 layers', () => {
    const picked = Array.from({ length: 28 }, (_, i) => i).filter((i) => wantsMoreBits(i, 28));
    expect(picked).toEqual([0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27]);
  });

  it('weight bytes agree with the preset within 1 % and the architecture equals the preset', async () => {
    const { kv, tensors } = qwen2_7bQ4KM();
    const file = path.join(await freshDir(), 'qwen2-7b-instruct-q4_k_m.gguf');
    const written = await writeGguf(file, kv, tensors);
    expect(written.size).toBeGreaterThan(4.6e9); // sparse: the data section costs no disk

    const model = await describeGgufFile(file, 'Qwen/Qwen2-7B-Instruct');
    const preset = loadTestCatalog().models.find((m) => m.id === 'qwen2-7b-instruct');
    const presetQuant = preset?.quants.find((q) => q.id === 'gguf-q4_k_m');
    if (preset === undefined || presetQuant?.sizeBytes === undefined) throw new Error('preset');

    // Exact: 28 layers × 131,135,488 B + 14 upgraded layers × 17,977,344 B + token_embd 306,561,024
    // + output 447,068,160 + output_norm 14,336 = 4,677,120,000 B (the real file adds its ≈6 MB header).
    expect(model.quant.sizeBytes).toBe(4_677_120_000);
    expect(model.quant.sizeBytes).toBe(tensors.reduce((s, t) => s + tensorBytes(t), 0));
    const ratio = (model.quant.sizeBytes ?? 0) / presetQuant.sizeBytes;
    expect(Math.abs(ratio - 1)).toBeLessThan(0.01);
    expect(model.quant.id).toBe(presetQuant.id);

    const keys = [
      'layers',
      'hiddenSize',
      'intermediateSize',
      'attentionHeads',
      'kvHeads',
      'headDim',
      'vocabSize',
      'tieWordEmbeddings',
      'maxPositionEmbeddings',
      'moe',
      'architecture',
    ] as const;
    for (const key of keys) expect(model.arch[key], key).toEqual(preset.arch[key]);
    expect(model.arch).toMatchObject({
      layers: 28,
      hiddenSize: 3584,
      attentionHeads: 28,
      kvHeads: 4,
      headDim: 128,
      vocabSize: 152064,
      maxPositionEmbeddings: 32768,
    });
    expect(model.tokenizerRepo).toBe('Qwen/Qwen2-7B-Instruct');
    expect(model.unsupportedTensorTypes).toEqual([]);
  });

  it('the header builder agrees with the writer', () => {
    const { kv, tensors } = qwen2_7bQ4KM();
    const built = buildGgufHeader(kv, tensors);
    expect(built.tensorBytes).toBe(4_677_120_000);
    expect(built.header.length % 32).toBe(0);
  });
});
