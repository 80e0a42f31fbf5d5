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
