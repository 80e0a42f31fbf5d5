/**
 * Issue 13 item 8, the model's side: metadata numbers (config.json, GGUF) are safe whole numbers in a
 * plausible range, overlapping safetensors data_offsets are counted once, and a FIFO, device or folder
 * where a file is expected is refused at once instead of hanging.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHfConfig } from '../../src/model/core/hf-config.js';
import { ARCH_COUNT_RANGES } from '../../src/model/core/architecture.js';
import { describeGgufModel, describeSafetensors, type GgufTensorInfoLike } from '../../src/model/core/weights.js';
import { describeGgufFile, describeLocalFolder, readSafetensorsHeader } from '../../src/model/local.js';
import { describeModelRef } from '../../src/model/resolve.js';
import { readRecipe } from '../../src/plan/recipe-file.js';
import { findGgufCacheFile, readGgufCache, readHubCache } from '../../src/model/hub/cache.js';
import { UserError } from '../../src/shared/errors.js';
import { loadTestCatalog } from '../helpers/catalog.js';
import { runCli } from '../helpers/cli.js';
import { writeSafetensors } from './safetensors-writer.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'jetson-vllm-hostile-'));
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

/** The UserError a promise rejects with, within 5 s (a FIFO opened for reading would wait forever). */
async function userError(promise: Promise<unknown>): Promise<UserError> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('hung (no answer within 5 s)')), 5000);
  });
  try {
    await Promise.race([promise, hang]);
  } catch (error) {
    if (error instanceof UserError) {
      expect(error.message).not.toContain('\n');
      expect(error.exitCode).toBe(2);
      return error;
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
  throw new Error('expected a UserError');
}

const config = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  architectures: ['Qwen2ForCausalLM'],
  hidden_size: 512,
  intermediate_size: 1024,
  num_hidden_layers: 2,
  num_attention_heads: 8,
  num_key_value_heads: 2,
  vocab_size: 1000,
  max_position_embeddings: 32768,
  ...extra,
});

describe('config.json numbers', () => {
  const keys: [string, keyof typeof ARCH_COUNT_RANGES][] = [
    ['num_hidden_layers', 'layers'],
    ['hidden_size', 'hiddenSize'],
    ['intermediate_size', 'intermediateSize'],
    ['num_attention_heads', 'attentionHeads'],
    ['num_key_value_heads', 'kvHeads'],
    ['head_dim', 'headDim'],
    ['vocab_size', 'vocabSize'],
    ['max_position_embeddings', 'maxPositionEmbeddings'],
  ];

  it.each(keys)(
    '%s: its maximum is taken, one past it, 1e308 and 2^53 + 1 are refused, naming the key',
    (key, field) => {
      const [, max] = ARCH_COUNT_RANGES[field];
      // head_dim given: derived from hidden_size / heads it would leave its own range at these extremes.
      expect(parseHfConfig(config({ head_dim: 64, [key]: max }), 'x').ok).toBe(true);
      for (const bad of [max + 1, 1e308, 2 ** 53 + 2, 0, -1, 2.5]) {
        const r = parseHfConfig(config({ [key]: bad }), 'x');
        expect(r.ok).toBe(false);
        if (!r.ok)
          expect(r.problem).toMatch(
            new RegExp(
              `^config\\.json: ${key} is out of range \\(.*; a whole number from \\d+ to ${max} is needed\\)$`,
            ),
          );
      }
    },
  );

  it('2^53 + 1 as JSON text (read as 2^53, no longer exact) and 1e400 (Infinity) are refused', () => {
    const exact = parseHfConfig(
      JSON.parse(JSON.stringify(config()).replace('"vocab_size":1000', '"vocab_size":9007199254740993')),
      'x',
    );
    expect(exact).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^config\.json: vocab_size is out of range \(9007199254740992;/),
    });
    const infinite = parseHfConfig(
      JSON.parse(JSON.stringify(config()).replace('"hidden_size":512', '"hidden_size":1e400')),
      'x',
    );
    expect(infinite).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^config\.json: hidden_size is out of range \(Infinity;/),
    });
  });

  it('MoE and MLA counts too; a sliding-window pattern that is no whole number is ignored, not a negative layer count', () => {
    expect(parseHfConfig(config({ num_experts: 1e308, num_experts_per_tok: 2 }), 'x')).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/^config\.json: num_experts is out of range/),
    });
    expect(parseHfConfig(config({ num_experts: 8, num_experts_per_tok: 9 }), 'x')).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/num_experts_per_tok is out of range \(9; at most the 8 experts\)/),
    });
    expect(parseHfConfig(config({ kv_lora_rank: 512, qk_rope_head_dim: 2 ** 53 + 2 }), 'x').ok).toBe(false);
    const r = parseHfConfig(config({ sliding_window: 4096, sliding_window_pattern: 0.5 }), 'x');
    expect(r.ok && r.arch.slidingWindowLayers).toBe(2);
    const listed = parseHfConfig(
      config({ sliding_window: 4096, layer_types: Array(10).fill('sliding_attention') }),
      'x',
    );
    expect(listed.ok && listed.arch.slidingWindowLayers).toBe(2);
  });

  it('`plan` on a folder whose config.json says hidden_size 1e308: one line, exit 2, no Infinity or NaN', async () => {
    const dir = await freshDir();
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(config({ hidden_size: 1e308 })));
    const r = runCli(['plan', '--device', 'orin-nx-16gb', '--model', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `jetson-vllm: --model: ${dir}: config.json: hidden_size is out of range (1e+308; a whole number from 1 to 131072 is needed)`,
    );
    expect(r.stdout + r.stderr).not.toMatch(/Infinity|NaN/);
  });
});

describe('GGUF metadata numbers', () => {
  const tensors: GgufTensorInfoLike[] = [{ name: 'token_embd.weight', shape: [256n, 1000n], dtype: 0, offset: 0n }];
  const metadata = (extra: Record<string, unknown>): Record<string, unknown> => ({
    'general.architecture': 'llama',
    'llama.block_count': 2,
    'llama.context_length': 8192,
    'llama.embedding_length': 256,
    'llama.attention.head_count': 4,
    'llama.vocab_size': 1000,
    ...extra,
  });

  it('a u64 past 2^53, a context past 2^27, a fractional count: refused, naming the key', () => {
    const problem = (extra: Record<string, unknown>): string => {
      const r = describeGgufModel(metadata(extra), tensors, 'm.gguf');
      return r.ok ? 'ok' : r.problem;
    };
    expect(problem({})).toBe('ok');
    expect(problem({ 'llama.context_length': 134_217_728 })).toBe('ok');
    expect(problem({ 'llama.context_length': 134_217_729 })).toBe(
      'the GGUF header: llama.context_length is out of range (134217729; a whole number from 1 to 134217728 is needed)',
    );
    expect(problem({ 'llama.embedding_length': 2n ** 60n })).toMatch(
      /^the GGUF header: llama\.embedding_length is out of range/,
    );
    expect(problem({ 'llama.block_count': 2.5 })).toMatch(
      /^the GGUF header: llama\.block_count is out of range \(2\.5;/,
    );
    expect(problem({ 'llama.expert_count': 8, 'llama.expert_used_count': 2n ** 40n })).toMatch(
      /llama\.expert_used_count is out of range/,
    );
    expect(problem({ 'general.alignment': 2 ** 60 })).toMatch(
      /^general\.alignment is \d+; a whole number from 1 to 1048576 is needed$/,
    );
  });
});

describe('safetensors: overlapping data_offsets are counted once', () => {
  /** A safetensors file written byte by byte (the writer never overlaps). */
  async function rawSafetensors(file: string, header: Record<string, unknown>, dataBytes: number): Promise<void> {
    const body = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(body.length));
    await writeFile(file, Buffer.concat([length, body, Buffer.alloc(dataBytes)]));
  }

  it('describeSafetensors: two F32 [4] tensors sharing 8 bytes take 24 bytes, not 32; in another file they share nothing', () => {
    const a = { name: 'a', dtype: 'F32', shape: [4], dataOffsets: [0, 16] as const, file: 'x' };
    const b = { name: 'b', dtype: 'F32', shape: [4], dataOffsets: [8, 24] as const, file: 'x' };
    expect(describeSafetensors([a, b])).toMatchObject({
      totalBytes: 24,
      overlapping: ['b'],
      bytesByDtype: { F32: 24 },
    });
    expect(describeSafetensors([b, a]).totalBytes).toBe(24);
    const inside = { name: 'c', dtype: 'F32', shape: [2], dataOffsets: [4, 12] as const, file: 'x' };
    expect(describeSafetensors([a, inside]).totalBytes).toBe(16);
    expect(describeSafetensors([a, { ...b, file: 'y' }])).toMatchObject({ totalBytes: 32, overlapping: [] });
    // Adjacent is not overlapping; a tensor without offsets counts as itself.
    expect(describeSafetensors([a, { ...b, dataOffsets: [16, 32] as const }]).totalBytes).toBe(32);
    expect(describeSafetensors([{ name: 'd', dtype: 'F32', shape: [4] }]).totalBytes).toBe(16);
  });

  it('a folder whose shard overlaps: the bytes once, and a note; a tensor past the data section is an error', async () => {
    const dir = await freshDir();
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(config()));
    await rawSafetensors(
      path.join(dir, 'model.safetensors'),
      {
        'model.a.weight': { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
        'model.b.weight': { dtype: 'F32', shape: [4], data_offsets: [8, 24] },
      },
      24,
    );
    const model = await describeLocalFolder(dir);
    expect(model.quant.sizeBytes).toBe(24);
    expect(model.notes.join('\n')).toContain('1 tensor (model.b.weight) overlap another');

    const past = path.join(await freshDir(), 'past.safetensors');
    await rawSafetensors(past, { t: { dtype: 'F32', shape: [4], data_offsets: [32, 48] } }, 24);
    expect((await userError(readSafetensorsHeader(past))).message).toMatch(
      /is not a valid safetensors file: truncated/,
    );
  });
});

describe('non-regular files are refused, not waited on', () => {
  const mkfifo = (file: string): void => {
    execFileSync('mkfifo', [file]);
  };

  it('a FIFO as config.json', async () => {
    const dir = await freshDir();
    mkfifo(path.join(dir, 'config.json'));
    expect((await userError(describeLocalFolder(dir))).message).toBe(
      `--model: ${path.join(dir, 'config.json')} is a FIFO (named pipe), not a regular file: give the file itself`,
    );
  });

  it('a folder as config.json, a FIFO as a shard and as the index', async () => {
    const dir = await freshDir();
    await mkdir(path.join(dir, 'config.json'));
    expect((await userError(describeLocalFolder(dir))).message).toMatch(/config\.json is a folder, not a regular file/);

    const shards = await freshDir();
    await writeFile(path.join(shards, 'config.json'), JSON.stringify(config()));
    mkfifo(path.join(shards, 'model.safetensors'));
    expect((await userError(describeLocalFolder(shards))).message).toMatch(
      /model\.safetensors is a FIFO \(named pipe\), not a regular file/,
    );

    const indexed = await freshDir();
    await writeFile(path.join(indexed, 'config.json'), JSON.stringify(config()));
    mkfifo(path.join(indexed, 'model.safetensors.index.json'));
    expect((await userError(describeLocalFolder(indexed))).message).toMatch(/index\.json is a FIFO/);
  });

  it('a FIFO named .gguf, directly and through --model; a device; a FIFO as a recipe', async () => {
    const dir = await freshDir();
    const fifo = path.join(dir, 'model.gguf');
    mkfifo(fifo);
    expect((await userError(describeGgufFile(fifo, null))).message).toBe(
      `--model: ${fifo} is a FIFO (named pipe), not a regular file: give the .gguf file itself`,
    );
    expect((await userError(describeModelRef(fifo, {}, loadTestCatalog()))).message).toMatch(/is a FIFO/);
    expect((await userError(readSafetensorsHeader('/dev/zero'))).message).toBe(
      '--model: /dev/zero is a device, not a regular file: give the file itself',
    );
    const recipe = path.join(dir, 'recipe.json');
    mkfifo(recipe);
    expect((await userError(readRecipe(recipe))).message).toBe(`--recipe: ${recipe} is not a regular file`);
  });

  it('`plan --model <folder>` with a FIFO config.json ends at once: one line, exit 2', async () => {
    const dir = await freshDir();
    mkfifo(path.join(dir, 'config.json'));
    await writeSafetensors(path.join(dir, 'model.safetensors'), [{ name: 'w', dtype: 'F32', shape: [4] }]);
    const started = Date.now();
    const r = runCli(['plan', '--device', 'orin-nx-16gb', '--model', dir]);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('is a FIFO (named pipe), not a regular file');
  });
});

describe('jetson-vllm’s own Hub cache: only regular files are read', () => {
  it('a FIFO or a folder where a cached file should be is a miss at once (no wait for a writer), as is a missing one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'jv-hubcache-'));
    try {
      const config = JSON.stringify({ architectures: ['LlamaForCausalLM'] });
      await writeFile(path.join(dir, 'config.json'), config);
      execFileSync('mkfifo', [path.join(dir, 'safetensors-metadata.json')]);
      const started = Date.now();
      expect(await readHubCache(dir)).toBeNull();
      await rm(path.join(dir, 'safetensors-metadata.json'));
      await mkdir(path.join(dir, 'safetensors-metadata.json'));
      expect(await readHubCache(dir)).toBeNull();
      const gguf = findGgufCacheFile(dir, 'x.gguf');
      await mkdir(path.dirname(gguf), { recursive: true });
      execFileSync('mkfifo', [gguf]);
      expect(await readGgufCache(gguf)).toBeNull();
      expect(await readGgufCache(path.join(dir, 'gguf', 'missing.json'))).toBeNull();
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('GGUF: tensors whose data overlaps count once', () => {
  const header = {
    'general.architecture': 'llama',
    'general.file_type': 0,
    'llama.block_count': 1,
    'llama.embedding_length': 64,
    'llama.attention.head_count': 4,
    'llama.context_length': 128,
    'llama.vocab_size': 32,
  };
  const t = (name: string, elements: number, offset: number): GgufTensorInfoLike => ({
    name,
    shape: [BigInt(elements)],
    dtype: 0,
    offset: BigInt(offset),
  });

  it('an F32 tensor inside another, and one half over it: the union of their bytes, with a note', () => {
    // token_embd 64 × 32 F32 = 8192 B at 0; a 1024-B tensor at 1024 (inside); a 2048-B tensor at 7168 (1024 B shared).
    const embd = { ...t('token_embd.weight', 0, 0), shape: [64n, 32n] };
    const inside = t('blk.0.attn_norm.weight', 256, 1024);
    const half = t('blk.0.ffn_norm.weight', 512, 7168);
    const d = describeGgufModel(header, [embd, inside, half], 'x.gguf');
    if (!d.ok) throw new Error(d.problem);
    expect(d.weightBytes).toBe(8192 + 1024);
    expect(d.quant.sizeBytes).toBe(9216);
    expect(d.tensorTypes).toEqual([{ name: 'F32', tensors: 3, bytes: 9216 }]);
    expect(d.notes.join('\n')).toContain(
      "2 tensors (blk.0.attn_norm.weight, blk.0.ffn_norm.weight) overlap another's data: the shared bytes are counted once",
    );
    // Back to back is not overlapping.
    const apart = describeGgufModel(header, [embd, t('blk.0.attn_norm.weight', 256, 8192)], 'x.gguf');
    expect(apart.ok && apart.weightBytes).toBe(8192 + 1024);
    expect(apart.ok && apart.notes.join('\n')).not.toContain('overlap');
  });
});

describe('config.json: 4-bit float compressed-tensors are NVFP4 or MXFP4, not FP8', () => {
  const ct = (weights: Record<string, unknown>, format: string) =>
    parseHfConfig(
      config({
        quantization_config: {
          quant_method: 'compressed-tensors',
          format,
          config_groups: { group_0: { targets: ['Linear'], weights, input_activations: null } },
        },
      }),
      'x',
    );

  it('nvfp4-pack-quantized (group 16) is nvfp4; mxfp4-pack-quantized (group 32) is mxfp4; 8-bit float stays fp8', () => {
    const nv = ct({ num_bits: 4, type: 'float', group_size: 16, strategy: 'tensor_group' }, 'nvfp4-pack-quantized');
    expect(nv.ok && nv.quant).toEqual({ id: 'nvfp4', method: 'compressed-tensors', scheme: 'nvfp4', groupSize: 16 });
    const mx = ct({ num_bits: 4, type: 'float', group_size: 32, strategy: 'group' }, 'mxfp4-pack-quantized');
    expect(mx.ok && mx.quant).toEqual({ id: 'mxfp4', method: 'compressed-tensors', scheme: 'mxfp4', groupSize: 32 });
    const fp8 = ct({ num_bits: 8, type: 'float', strategy: 'channel' }, 'float-quantized');
    expect(fp8.ok && fp8.quant).toEqual({ id: 'fp8', method: 'compressed-tensors', scheme: 'w8a16-fp8' });
  });

  it('quant_method "mxfp4" (gpt-oss) is planned; an unknown method names mxfp4 among the known ones', () => {
    const gptOss = parseHfConfig(config({ quantization_config: { quant_method: 'mxfp4' } }), 'x');
    expect(gptOss.ok && gptOss.quant).toEqual({ id: 'mxfp4', method: 'mxfp4', scheme: 'mxfp4' });
    const other = parseHfConfig(config({ quantization_config: { quant_method: 'hqq' } }), 'x');
    expect(other.ok ? '' : other.problem).toMatch(
      /\(awq, gptq, compressed-tensors, fp8, bitsandbytes, modelopt, mxfp4\)/,
    );
  });

  it('a hybrid pattern with Mamba layers but no state sizes, or of the wrong length, is refused', () => {
    const bad = parseHfConfig(config({ hybrid_override_pattern: 'M*' }), 'x');
    expect(bad.ok ? '' : bad.problem).toMatch(/mamba_num_heads, mamba_head_dim or ssm_state_size is missing/);
    const wrong = parseHfConfig(
      config({ hybrid_override_pattern: 'M*M', mamba_num_heads: 8, mamba_head_dim: 8, ssm_state_size: 16 }),
      'x',
    );
    expect(wrong.ok ? '' : wrong.problem).toMatch(/hybrid_override_pattern has 3 layers, num_hidden_layers says 2/);
  });
});

describe('config.json: ModelOpt NVFP4, plain and mixed precision', () => {
  it('quant_algo NVFP4 is modelopt_fp4; MIXED_PRECISION with NVFP4 layers is nvfp4, with FP8 layers only fp8', () => {
    const plain = parseHfConfig(
      config({ quantization_config: { quant_method: 'modelopt', quant_algo: 'NVFP4', group_size: 16 } }),
      'x',
    );
    expect(plain.ok && plain.quant).toEqual({ id: 'nvfp4', method: 'modelopt_fp4', scheme: 'nvfp4' });
    const mixed = (algos: string[]) =>
      parseHfConfig(
        config({
          quantization_config: {
            quant_method: 'modelopt',
            quant_algo: 'MIXED_PRECISION',
            quantized_layers: Object.fromEntries(
              algos.map((a, i) => [`backbone.layers.${i}.mixer.in_proj`, { quant_algo: a }]),
            ),
          },
        }),
        'x',
      );
    const m = mixed(['FP8', 'NVFP4']);
    expect(m.ok && m.quant).toEqual({ id: 'nvfp4', method: 'modelopt', scheme: 'nvfp4' });
    const f = mixed(['FP8', 'FP8']);
    expect(f.ok && f.quant).toEqual({ id: 'fp8', method: 'modelopt', scheme: 'fp8' });
  });
});
