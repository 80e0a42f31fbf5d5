/**
 * The /metrics reader held to upstream truth: expositions built from the metric names, HELP texts, label names,
 * types and histogram buckets of vLLM's own code at each version (test/fixtures/upstream/vllm-metrics/, sources in
 * test/fixtures/upstream/README.md): V0 (vllm/engine/metrics.py, one series per model, the cache_config Info), V1
 * 0.9.2 (vllm/v1/metrics/loggers.py, `engine` label, both KV usage gauges) and V1 0.11 with two data-parallel
 * engines (`engine="0"` / `engine="1"`, only vllm:kv_cache_usage_perc). Every counter figure is checked exactly.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { upstreamPath } from '../../helpers/upstream.js';
import { extractVllmMetrics, parsePrometheusText, type VllmCounters } from '../../../src/monitor/core/metrics.js';

interface Case {
  file: string;
  what: string;
  series: number;
  counters: VllmCounters;
}

const CASES: Case[] = [
  {
    file: 'v0-0.5.txt',
    what: 'V0 (vllm/engine/metrics.py Metrics, commit 00c33e81): model_name label, gpu_cache_usage_perc alone',
    series: 30,
    counters: {
      running: 3,
      waiting: 1,
      kvCacheUsage: 0.125,
      promptTokensTotal: 2048,
      generationTokensTotal: 512,
      ttftSum: 0.26,
      ttftCount: 4,
      numGpuBlocks: 11836,
      blockSize: 16,
      model: 'Qwen/Qwen2.5-1.5B-Instruct',
    },
  },
  {
    file: 'v1-0.9.2.txt',
    what: 'V1 0.9.2 (vllm/v1/metrics/loggers.py): engine label, the deprecated gauge beside kv_cache_usage_perc',
    series: 34,
    counters: {
      running: 2,
      waiting: 1,
      kvCacheUsage: 0.25,
      promptTokensTotal: 4096,
      generationTokensTotal: 1024,
      ttftSum: 0.375,
      ttftCount: 5,
      numGpuBlocks: 35498,
      blockSize: 16,
      model: 'Qwen/Qwen3-4B',
    },
  },
  {
    file: 'v1-0.11-dp2.txt',
    what: 'V1 0.11, two data-parallel engines: gauges and counters summed, usage averaged, blocks per engine summed',
    series: 90,
    counters: {
      running: 5,
      waiting: 4,
      kvCacheUsage: 0.4,
      promptTokensTotal: 4000,
      generationTokensTotal: 1000,
      ttftSum: 0.9,
      ttftCount: 9,
      numGpuBlocks: 40000,
      blockSize: 16,
      model: 'Qwen/Qwen3-4B',
    },
  },
];

/** The exposition text of a fixture file. */
const read = (file: string): string => readFileSync(upstreamPath(`vllm-metrics/${file}`), 'utf8');

describe.each(CASES)('$file — $what', ({ file, series, counters }) => {
  it('parses every sample line (HELP/TYPE skipped, histogram _bucket/_count/_sum kept)', () => {
    const parsed = parsePrometheusText(read(file));
    expect(parsed).toHaveLength(series);
    const bucketCount = parsed.filter((s) => s.name === 'vllm:time_to_first_token_seconds_bucket').length;
    const counts = parsed.filter((s) => s.name === 'vllm:time_to_first_token_seconds_count').length;
    // Each engine's histogram ends with le="+Inf", which equals its _count.
    const inf = parsed.filter((s) => s.name === 'vllm:time_to_first_token_seconds_bucket' && s.labels.le === '+Inf');
    expect(inf).toHaveLength(counts);
    expect(bucketCount % counts).toBe(0);
  });

  it('reads the vLLM counters exactly', () => {
    const got = extractVllmMetrics(parsePrometheusText(read(file)));
    expect({ ...got, ttftSum: got.ttftSum === null ? null : Number(got.ttftSum.toFixed(9)) }).toEqual(counters);
  });
});

describe('histogram buckets as vLLM declares them', () => {
  it('V0 (commit 00c33e81) ends the TTFT buckets at 10.0; V1 0.9.2+ at 2560.0', () => {
    const les = (file: string): string[] =>
      parsePrometheusText(read(file))
        .filter((s) => s.name === 'vllm:time_to_first_token_seconds_bucket' && s.labels.engine !== '1')
        .map((s) => s.labels.le ?? '');
    expect(les('v0-0.5.txt').slice(-2)).toEqual(['10.0', '+Inf']);
    expect(les('v1-0.9.2.txt').slice(-2)).toEqual(['2560.0', '+Inf']);
    expect(les('v1-0.11-dp2.txt')).toEqual(les('v1-0.9.2.txt'));
  });

  it('does not count the _created timestamps prometheus_client adds beside V1 counters as tokens', () => {
    const parsed = parsePrometheusText(read('v1-0.9.2.txt'));
    expect(parsed.some((s) => s.name === 'vllm:prompt_tokens_created')).toBe(true);
    expect(extractVllmMetrics(parsed).promptTokensTotal).toBe(4096);
  });
});
