import { describe, expect, it } from 'vitest';
import {
  computeCudaGraphSizes,
  defaultMaxNumBatchedTokens,
  defaultMaxNumSeqs,
  hasFlag,
  isGraphMemoryReserved,
  resolveModelRunner,
  resolveVllmVersion,
} from '../../../src/plan/core/vllm-version.js';
import { GiB } from '../../../src/shared/units.js';
import { loadTestCatalog } from '../../helpers/catalog.js';

const data = loadTestCatalog().vllm;
const info = (v: string) => {
  const i = resolveVllmVersion(v, data);
  if (i === null) throw new Error(v);
  return i;
};

describe('resolveVllmVersion', () => {
  it.each([
    ['0.6.3', 'v0', 'v0-free-delta', 0.9],
    ['0.6.3.post1', 'v0', 'v0-free-delta', 0.9],
    ['0.6.4', 'v0', 'v0-device-peak', 0.9],
    ['0.7.0', 'v0', 'v0-profiled', 0.9],
    ['0.8.6', 'v1', 'v1-device-peak', 0.9],
    ['0.9.1', 'v1', 'v1-profiled', 0.9],
    ['0.11.2', 'v1', 'v1-profiled', 0.9],
    ['0.21.0', 'v1', 'v1-profiled-graphs', 0.92],
  ])('%s → %s engine, %s, default util %s', (v, engine, algorithm, util) => {
    const i = info(v);
    expect(i.engine).toBe(engine);
    expect(i.algorithm).toBe(algorithm);
    expect(i.defaultGpuMemoryUtilization).toBe(util);
  });
  it('rejects text that is not a version', () => {
    expect(resolveVllmVersion('latest', data)).toBeNull();
  });
  it('knows which releases it lists', () => {
    expect(info('0.6.3').isKnownRelease).toBe(true);
    expect(info('0.6.99').isKnownRelease).toBe(false);
  });
});

describe('flags per version', () => {
  it.each([
    ['--swap-space', '0.6.3', true],
    ['--swap-space', '0.17.0', true],
    ['--swap-space', '0.18.0', false],
    ['--kv-cache-memory-bytes', '0.10.2', false],
    ['--kv-cache-memory-bytes', '0.11.0', true],
    ['--num-gpu-blocks-override', '0.6.3', true],
    ['--max-seq-len-to-capture', '0.11.0', false],
    ['--no-such-flag', '0.11.0', false],
  ])('%s in %s: %s', (flag, v, expected) => {
    expect(hasFlag(data, info(v).version, flag)).toBe(expected);
  });
});

describe('defaults (reference §3)', () => {
  it('max-num-seqs: V0 256, V1 0.8.0 1024, ≥0.8.4 256 under 70 GiB and 1024 above', () => {
    expect(defaultMaxNumSeqs(info('0.6.3'), 16 * GiB)).toBe(256);
    expect(defaultMaxNumSeqs(info('0.8.0'), 16 * GiB)).toBe(1024);
    expect(defaultMaxNumSeqs(info('0.8.6'), 16 * GiB)).toBe(256);
    expect(defaultMaxNumSeqs(info('0.11.2'), 122 * GiB)).toBe(1024);
  });
  it('max-num-batched-tokens: V0 max(len, 2048) or 512 past 32k; V1 2048 / 8192; ≥0.21 capped by seqs × len', () => {
    expect(defaultMaxNumBatchedTokens(info('0.6.3'), 16 * GiB, 200, 1)).toBe(2048);
    expect(defaultMaxNumBatchedTokens(info('0.6.3'), 16 * GiB, 8192, 1)).toBe(8192);
    expect(defaultMaxNumBatchedTokens(info('0.6.3'), 16 * GiB, 65536, 1)).toBe(512);
    expect(defaultMaxNumBatchedTokens(info('0.11.2'), 16 * GiB, 65536, 1)).toBe(2048);
    expect(defaultMaxNumBatchedTokens(info('0.11.2'), 122 * GiB, 65536, 1)).toBe(8192);
    expect(defaultMaxNumBatchedTokens(info('0.21.0'), 16 * GiB, 1024, 1)).toBe(1024);
  });
});

describe('CUDA graph sizes (reference §1.1.7, §2.4)', () => {
  it('V0 with the default 256 sequences captures 35 graphs; with 1 sequence, one', () => {
    expect(computeCudaGraphSizes(info('0.6.3'), 256, 2048)).toHaveLength(35);
    expect(computeCudaGraphSizes(info('0.6.3'), 1, 2048)).toEqual([1]);
    expect(computeCudaGraphSizes(info('0.6.3'), 5, 2048)).toEqual([1, 2, 4, 8]);
  });
  it('V1 0.8–0.9 captures up to 67 graphs whatever the sequences', () => {
    expect(computeCudaGraphSizes(info('0.8.6'), 1, 2048)).toHaveLength(67);
  });
  it('0.10 captures up to 2 × max-num-seqs; 0.11.1+ coarsens past 256', () => {
    expect(computeCudaGraphSizes(info('0.10.0'), 1, 2048)).toEqual([1, 2]);
    expect(computeCudaGraphSizes(info('0.10.0'), 256, 2048)).toHaveLength(67);
    const newest = computeCudaGraphSizes(info('0.11.2'), 256, 2048);
    expect(newest.slice(-3)).toEqual([480, 496, 512]);
    expect(newest).toHaveLength(3 + 31 + 17);
  });
  it('gpt-oss captures up to 1024 whatever the sequences: 83 graphs, ≤ max_num_batched_tokens (GptOssForCausalLMConfig)', () => {
    // models/config.py GptOssForCausalLMConfig: [1, 2, 4] + range(8, 256, 8) + range(256, 1025, 16) in 0.10.x,
    // max_cudagraph_capture_size = 1024 from 0.11.1; "This will increase the number of CUDA graphs from 67 to 83."
    for (const v of ['0.10.1', '0.11.2', '0.31.0']) {
      const sizes = computeCudaGraphSizes(info(v), 1, 8192, 'GptOssForCausalLM');
      expect(sizes, v).toHaveLength(3 + 31 + 49);
      expect(sizes.slice(-2), v).toEqual([1008, 1024]);
      expect(sizes.slice(33, 38), v).toEqual([248, 256, 272, 288, 304]);
    }
    // _set_cudagraph_sizes keeps the sizes ≤ max_num_batched_tokens.
    expect(computeCudaGraphSizes(info('0.11.2'), 1, 512, 'GptOssForCausalLM')).toHaveLength(3 + 31 + 17);
    // Other architectures keep the default rule; V0 and 0.8–0.9 had no such override.
    expect(computeCudaGraphSizes(info('0.11.2'), 1, 8192, 'Qwen3ForCausalLM')).toEqual([1, 2]);
    expect(computeCudaGraphSizes(info('0.8.6'), 1, 8192, 'GptOssForCausalLM')).toHaveLength(67);
  });
});

describe('the start-up check, Model Runner V2 and versions past the newest known (field-2026-12.md §1)', () => {
  it('reads MemAvailable on Orin/Thor from 0.11.1 (PR #26098), cudaMemGetInfo free before', () => {
    expect(info('0.11.0').isFreeMemAvailable).toBe(false);
    expect(info('0.11.1').isFreeMemAvailable).toBe(true);
    expect(info('0.20.0').isFreeMemAvailable).toBe(true);
  });
  it('Model Runner V2 by default: Qwen3 dense 0.22, Llama/Mistral 0.23, all dense 0.25, all models 0.29', () => {
    expect(resolveModelRunner(info('0.21.0'), 'Qwen3ForCausalLM', true)).toBe('v1');
    expect(resolveModelRunner(info('0.22.0'), 'Qwen3ForCausalLM', true)).toBe('v2');
    expect(resolveModelRunner(info('0.22.0'), 'LlamaForCausalLM', true)).toBe('v1');
    expect(resolveModelRunner(info('0.23.0'), 'LlamaForCausalLM', true)).toBe('v2');
    expect(resolveModelRunner(info('0.24.0'), 'Qwen2ForCausalLM', true)).toBe('v1');
    expect(resolveModelRunner(info('0.25.0'), 'Qwen2ForCausalLM', true)).toBe('v2');
    expect(resolveModelRunner(info('0.28.0'), 'Qwen3MoeForCausalLM', false)).toBe('v1');
    expect(resolveModelRunner(info('0.29.0'), 'Qwen3MoeForCausalLM', false)).toBe('v2');
    expect(resolveModelRunner(info('0.6.3'), 'Qwen2ForCausalLM', true)).toBe('v0');
  });
  it('graph memory inside the budget: V1 runner from 0.21; V2 reserved none (#49224) until 0.29', () => {
    expect(isGraphMemoryReserved(info('0.20.0'), 'v1')).toBe(false);
    expect(isGraphMemoryReserved(info('0.21.0'), 'v1')).toBe(true);
    expect(isGraphMemoryReserved(info('0.25.0'), 'v2')).toBe(false);
    expect(isGraphMemoryReserved(info('0.29.0'), 'v2')).toBe(true);
  });
  it('knows releases up to 0.31.0; a newer version is planned with the newest rules and says so', () => {
    for (const v of [
      '0.22.0',
      '0.23.0',
      '0.24.0',
      '0.25.0',
      '0.26.0',
      '0.27.0',
      '0.28.0',
      '0.29.0',
      '0.30.0',
      '0.31.0',
    ])
      expect(info(v).isKnownRelease).toBe(true);
    expect(info('0.31.0').isNewerThanKnown).toBe(false);
    const next = info('0.32.0');
    expect(next.isNewerThanKnown).toBe(true);
    expect(next.newestKnown).toBe('0.31.0');
    expect(next.algorithm).toBe(info('0.31.0').algorithm);
    expect(next.defaultGpuMemoryUtilization).toBe(0.92);
  });
  it.each([
    ['--max-model-len', '0.6.3', true],
    ['--max-cudagraph-capture-size', '0.11.2', false],
    ['--max-cudagraph-capture-size', '0.12.0', true],
    ['--cudagraph-capture-sizes', '0.31.0', true],
    ['--optimization-level', '0.13.0', true],
    ['--no-async-scheduling', '0.13.0', false],
    ['--no-async-scheduling', '0.14.0', true],
    ['--performance-mode', '0.16.0', false],
    ['--performance-mode', '0.17.0', true],
    ['--kv-offloading-size', '0.12.0', true],
    ['--swap-space', '0.31.0', false],
  ])('%s in %s: %s', (flag, v, expected) => {
    expect(hasFlag(data, info(v).version, flag)).toBe(expected);
  });
});
