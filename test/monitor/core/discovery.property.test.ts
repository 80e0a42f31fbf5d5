/**
 * What a /v1/models body names, and the sentences for what the look for a server found. Property tests: any text
 * gives a list of strings without throwing, and a body printed from ids reads back as those ids.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeDiscovery, parseServedModels } from '../../../src/monitor/core/discovery.js';

describe('parseServedModels', () => {
  it("reads vLLM's /v1/models answer", () => {
    const body = '{"object":"list","data":[{"id":"Qwen/Qwen2.5-0.5B-Instruct","object":"model","owned_by":"vllm"}]}';
    expect(parseServedModels(body)).toEqual(['Qwen/Qwen2.5-0.5B-Instruct']);
    expect(parseServedModels('{"data": "no"}')).toEqual([]);
    expect(parseServedModels('<html>')).toEqual([]);
    expect(parseServedModels('null')).toEqual([]);
  });

  it('reads back any ids, and never throws on any text', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), (ids) => {
        const body = JSON.stringify({ object: 'list', data: ids.map((id) => ({ id, object: 'model' })) });
        expect(parseServedModels(body)).toEqual(ids);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json()), (text) => {
        const ids = parseServedModels(text);
        expect(ids.every((id) => typeof id === 'string')).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('describeDiscovery', () => {
  it('says what answered on the port', () => {
    expect(describeDiscovery({ kind: 'found', url: 'http://127.0.0.1:8000', models: ['m'] })).toBe(
      'no --url given: found vLLM on http://127.0.0.1:8000 serving m',
    );
    expect(describeDiscovery({ kind: 'not-vllm', url: 'http://127.0.0.1:8000', status: 404 })).toBe(
      'no --url given: http://127.0.0.1:8000 answers, but /health says 404 (not a vLLM that is up)',
    );
    expect(describeDiscovery({ kind: 'none', url: 'http://127.0.0.1:8000', why: 'connection refused' })).toBe(
      'no --url given, and no vLLM on http://127.0.0.1:8000 (connection refused)',
    );
  });
});
