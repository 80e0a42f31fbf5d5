import { describe, expect, it } from 'vitest';
import {
  computeCudaGraphSizes,
  defaultMaxNumBatchedTokens,
  defaultMaxNumSeqs,
  hasFlag,
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
});
