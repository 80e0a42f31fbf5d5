/**
 * Any model, read from its own metadata, planned end to end: a GGUF file written by the test, a Hugging
 * Face id answered by the loopback Hub stand-in (no network beyond 127.0.0.1), corrupt files.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/core/plan.js';
import { resolvePlanRequest } from '../../src/plan/core/request.js';
import { describeGgufFile } from '../../src/model/local.js';
import { loadTestCatalog, planFor } from '../helpers/catalog.js';
import { runCli, runCliAsync } from '../helpers/cli.js';
import { qwen2_7bQ4KM, writeGguf } from './gguf-writer.js';
import { startHubServer, type HubServer } from './hub-server.js';

const catalog = loadTestCatalog();
let dir = '';
let ggufFile = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'jv-refs-'));
  ggufFile = path.join(dir, 'qwen2-7b-instruct-q4_k_m.gguf');
  const { kv, tensors } = qwen2_7bQ4KM();
  await writeGguf(ggufFile, kv, tensors);
});

describe('a GGUF file read from its header', () => {
  it('plans Qwen2-7B-Instruct Q4_K_M within 1 % of the preset-based plan', async () => {
    const described = await describeGgufFile(ggufFile, 'Qwen/Qwen2-7B-Instruct');
    const options = { device: 'orin-nx-16gb', vllmVersion: '0.6.3', maxModelLen: '4096', maxNumSeqs: '2' };
    const resolved = resolvePlanRequest({ ...options, model: ggufFile }, catalog, {
      detected: null,
      described,
      hfCacheDir: '/hf',
      workDir: '/work',
    });
    if (!resolved.ok) throw new Error(resolved.message);
    const outcome = buildPlan(resolved.request, catalog);
    if (!outcome.ok) throw new Error(outcome.message);
    const fromFile = outcome.plan;
    const fromPreset = planFor({ ...options, model: 'qwen2-7b-instruct', quant: 'gguf-q4_k_m' });
    expect(
      Math.abs(fromFile.quant.weightBytes - fromPreset.quant.weightBytes) / fromPreset.quant.weightBytes,
    ).toBeLessThan(0.01);
    expect(
      Math.abs(fromFile.budget.totalBytes - fromPreset.budget.totalBytes) / fromPreset.budget.totalBytes,
    ).toBeLessThan(0.01);
    expect(fromFile.kvCache.bytesPerBlock).toBe(fromPreset.kvCache.bytesPerBlock);
    expect(fromFile.verdict).toBe(fromPreset.verdict);
    // The file itself is served, with the base model's tokenizer.
    expect(fromFile.argv.slice(0, 3)).toEqual(['vllm', 'serve', '/models/qwen2-7b-instruct-q4_k_m.gguf']);
    expect(fromFile.argv).toEqual(expect.arrayContaining(['--tokenizer', 'Qwen/Qwen2-7B-Instruct']));
    expect(fromFile.dockerArgv).toEqual(expect.arrayContaining(['-v', `${dir}:/models:ro`]));
  });

  it('through the built CLI: --model <file.gguf> --tokenizer …', () => {
    const r = runCli([
      'plan',
      '--device',
      'orin-nx-16gb',
      '--model',
      ggufFile,
      '--tokenizer',
      'Qwen/Qwen2-7B-Instruct',
      '--runtime',
      'native',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    const plan = JSON.parse(r.stdout) as {
      model: { source: string; layers: number };
      quant: { id: string };
      argv: string[];
    };
    expect(plan.model).toMatchObject({ source: 'gguf', layers: 28 });
    expect(plan.quant.id).toBe('gguf-q4_k_m');
    expect(plan.argv.slice(0, 3)).toEqual(['vllm', 'serve', ggufFile]);
  });

  it.each([
    ['not a GGUF', Buffer.from('definitely not gguf data, just text')],
    ['cut in the header', Buffer.from([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, 9])],
  ])('a corrupt file (%s) → one line, exit 2', async (name, bytes) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.gguf`);
    await writeFile(file, bytes);
    const r = runCli(['plan', '--device', 'orin-nx-16gb', '--model', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^jetson-vllm: --model: .*\.gguf/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('a Hugging Face id read through the loopback Hub stand-in', () => {
  let hub: HubServer;
  let cache = '';
  beforeAll(async () => {
    hub = await startHubServer();
    cache = await mkdtemp(path.join(os.tmpdir(), 'jv-hubcache-'));
  });
  afterAll(async () => {
    await hub.close();
  });

  it('plans Qwen/Qwen2.5-0.5B-Instruct with the exact weight bytes of its safetensors headers', async () => {
    const r = await runCliAsync(
      ['plan', '--device', 'orin-nano-8gb', '--model', 'Qwen/Qwen2.5-0.5B-Instruct', '--json'],
      {
        HF_ENDPOINT: hub.endpoint,
        XDG_CACHE_HOME: cache,
      },
    );
    expect(r.stderr).toBe('');
    const plan = JSON.parse(r.stdout) as {
      model: { source: string; layers: number };
      quant: { id: string; weightBytes: number };
      argv: string[];
    };
    expect(plan.model).toMatchObject({ source: 'hub', layers: 24 });
    // 494,032,768 bf16 parameters × 2 bytes (tied embeddings), as the recorded headers say.
    expect(plan.quant).toMatchObject({ id: 'bf16', weightBytes: 494_032_768 * 2 });
    expect(plan.argv.slice(0, 3)).toEqual(['vllm', 'serve', 'Qwen/Qwen2.5-0.5B-Instruct']);
    expect(hub.requests.length).toBeGreaterThan(0);
  });

  it('a gated repository without a token → one line, exit 2, naming HF_TOKEN', async () => {
    const r = await runCliAsync(['plan', '--device', 'orin-nano-8gb', '--model', 'meta-llama/Llama-3.2-1B-Instruct'], {
      HF_ENDPOINT: hub.endpoint,
      XDG_CACHE_HOME: cache,
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/HF_TOKEN/);
  });

  it('planning works offline afterwards, from the cache', async () => {
    const r = await runCliAsync(
      ['plan', '--device', 'orin-nano-8gb', '--model', 'Qwen/Qwen2.5-0.5B-Instruct', '--json'],
      {
        HF_ENDPOINT: 'http://127.0.0.1:9',
        HF_HUB_OFFLINE: '1',
        XDG_CACHE_HOME: cache,
      },
    );
    expect(r.stderr).toBe('');
    expect((JSON.parse(r.stdout) as { quant: { weightBytes: number } }).quant.weightBytes).toBe(494_032_768 * 2);
  });
});
