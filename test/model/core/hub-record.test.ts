/**
 * The pure parts of reading the Hub moved out of model/hub.ts: the cache texts and a record's checks.
 * The descriptions themselves are checked against the recorded repositories in test/model/hub.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  describeHubRecord,
  formatGgufCache,
  HUB_CACHE_FORMAT,
  parseGgufCache,
  parseHubRecord,
  type HubGgufHeader,
  type HubRecord,
} from '../../../src/model/core/hub-record.js';
import { FIXTURES } from '../hub-server.js';

const REF = { repo: 'Qwen/Qwen2.5-0.5B-Instruct', revision: null };
const CONFIG = readFileSync(path.join(FIXTURES, REF.repo, 'config.json'), 'utf8');
const fail = (message: string): Error => new Error(message);

function record(files: Record<string, Record<string, unknown>>, configText = CONFIG): HubRecord {
  return {
    configText,
    meta: {
      format: HUB_CACHE_FORMAT,
      repo: REF.repo,
      revision: 'main',
      commit: null,
      fetchedAt: '2025-01-01T00:00:00.000Z',
      endpoint: 'https://huggingface.co',
      files,
    },
  };
}

describe('parseHubRecord', () => {
  const meta = JSON.stringify(record({}).meta);
  it('reads a record of this format', () => {
    expect(parseHubRecord(CONFIG, meta)).toEqual({ configText: CONFIG, meta: JSON.parse(meta) });
  });
  it.each([
    ['config.json not JSON', '{', meta],
    ['metadata not JSON', CONFIG, '{'],
    ['another format', CONFIG, JSON.stringify({ ...record({}).meta, format: HUB_CACHE_FORMAT + 1 })],
    ['no files', CONFIG, JSON.stringify({ format: HUB_CACHE_FORMAT })],
    ['an array', CONFIG, '[]'],
  ])('%s → null', (_why, configText, metaText) => {
    expect(parseHubRecord(configText, metaText)).toBeNull();
  });
});

describe('the GGUF cache text', () => {
  const header: HubGgufHeader = {
    metadata: { version: 3, tensor_count: 291n, kv_count: 2n, 'general.name': 'x' },
    tensorInfos: [{ name: 't', n_dims: 1, shape: [4n], dtype: 0, offset: 0n }] as HubGgufHeader['tensorInfos'],
    fileBytes: 1234,
  };
  it('round-trips bigints', () => {
    const back = parseGgufCache(formatGgufCache(REF, 'm.gguf', header));
    expect(back).toEqual(header);
    expect(typeof back?.metadata.tensor_count).toBe('bigint');
  });
  it.each([
    ['not JSON', '{'],
    ['another format', JSON.stringify({ format: HUB_CACHE_FORMAT + 1, header: { tensorInfos: [], fileBytes: 1 } })],
    ['no tensor infos', JSON.stringify({ format: HUB_CACHE_FORMAT, header: { fileBytes: 1 } })],
    ['no size', JSON.stringify({ format: HUB_CACHE_FORMAT, header: { tensorInfos: [] } })],
  ])('%s → null', (_why, text) => {
    expect(parseGgufCache(text)).toBeNull();
  });
});

describe('describeHubRecord refuses what it cannot count', () => {
  const tensor = { dtype: 'BF16', shape: [2, 3], data_offsets: [0, 12] };
  it.each([
    ['config.json is not JSON', record({ 'a.safetensors': { w: tensor } }, '{'), 'config.json is not valid JSON'],
    ['no tensors', record({ 'a.safetensors': { __metadata__: {} } }), 'its safetensors headers list no tensors'],
    [
      'a malformed entry',
      record({ 'a.safetensors': { w: { dtype: 'BF16', shape: [-1] } } }),
      'the safetensors header of a.safetensors has a malformed entry for w',
    ],
    [
      'an unknown dtype without offsets',
      record({ 'a.safetensors': { w: { dtype: 'Q9', shape: [2] } } }),
      'the safetensors header of a.safetensors has no size for w (Q9)',
    ],
  ])('%s', (_why, rec, message) => {
    expect(() => describeHubRecord(REF, rec, fail, [])).toThrow(message);
  });

  it('a stored lm_head is not counted when the embeddings are tied; the source notes come last', () => {
    const d = describeHubRecord(REF, record({ 'a.safetensors': { w: tensor, 'lm_head.weight': tensor } }), fail, [
      'from the cache',
    ]);
    expect(d.quant.sizeBytes).toBe(12);
    expect(d.notes.some((n) => n.startsWith('lm_head.weight'))).toBe(true);
    expect(d.notes.at(-1)).toBe('from the cache');
  });
});

describe('describeHubRecord: multi-token-prediction tensors', () => {
  const qwen35 = JSON.stringify({
    architectures: ['Qwen3_5ForConditionalGeneration'],
    model_type: 'qwen3_5',
    text_config: {
      hidden_size: 64,
      num_hidden_layers: 4,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 16,
      intermediate_size: 128,
      vocab_size: 100,
      layer_types: ['linear_attention', 'linear_attention', 'linear_attention', 'full_attention'],
      linear_num_key_heads: 2,
      linear_num_value_heads: 2,
      linear_key_head_dim: 16,
      linear_value_head_dim: 16,
      mtp_num_hidden_layers: 1,
    },
  });
  const files = {
    'model.safetensors': {
      'model.language_model.embed_tokens.weight': { dtype: 'BF16', shape: [100, 64], data_offsets: [0, 12800] },
      'mtp.fc.weight': { dtype: 'BF16', shape: [64, 128], data_offsets: [12800, 29184] },
      'mtp.layers.0.mlp.up_proj.weight': { dtype: 'BF16', shape: [128, 64], data_offsets: [29184, 45568] },
    },
  };

  it('Qwen3.5 / Qwen3-Next: mtp.* is set aside (vLLM skips it without speculative decoding) and named', () => {
    const d = describeHubRecord({ repo: 'Qwen/Qwen3.5-x', revision: null }, record(files, qwen35), fail, []);
    expect(d.quant.sizeBytes).toBe(12_800);
    expect(d.notes.join('\n')).toContain(
      '2 multi-token-prediction tensors (mtp.*, 32 KiB) are not counted: vLLM loads them only with --speculative-config method "mtp"',
    );
    expect(d.arch.stateLayers).toMatchObject({ kind: 'gated-delta-net', layers: 3, attentionLayers: 1 });
  });

  it('another architecture keeps every tensor it stores', () => {
    const llama = JSON.stringify({ ...JSON.parse(CONFIG), architectures: ['Qwen2ForCausalLM'] });
    const d = describeHubRecord(REF, record(files, llama), fail, []);
    expect(d.quant.sizeBytes).toBe(45_568);
  });
});
