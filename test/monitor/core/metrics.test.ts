/**
 * The telemetry parsers of src/monitor/core/metrics.ts: the Prometheus text format line by line, vLLM's /metrics as served
 * by 0.6.3 (V0), 0.10.x (both KV-usage names, two engines) and the newest V1, the rates computed from two scrapes,
 * and lines of the streaming nvidia-smi query.
 */
import { describe, expect, it } from 'vitest';
import {
  computeVllmMetrics,
  extractVllmMetrics,
  parseNvidiaSmiSampleLine,
  parsePrometheusText,
  type PromSeries,
  type VllmCounters,
} from '../../../src/monitor/core/metrics.js';
import { emptySample, type Sample } from '../../../src/monitor/core/sample.js';

// The /metrics fixtures below are written by hand from the metric-name table in reference/vllm-memory.md §8
// (names per vLLM version, the model_name label, V1's engine label, the cache_config_info labels), laid out the way
// prometheus_client prints them (# HELP / # TYPE, counters with _total and _created, histograms with
// _bucket/_count/_sum, `le` after the metric's own labels). Bucket lists are shortened; values are invented.

/** vLLM 0.6.3.post1 (V0, dustynv/vllm:0.6.3-r36.4.0), Qwen2-7B GGUF on an Orin NX with --num-gpu-blocks-override 128. */
const METRICS_V0_6_3 = `# HELP python_gc_objects_collected_total Objects collected during gc
# TYPE python_gc_objects_collected_total counter
python_gc_objects_collected_total{generation="0"} 10458.0
python_gc_objects_collected_total{generation="1"} 2213.0
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 2.123456512e+09
# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig
# TYPE vllm:cache_config_info gauge
vllm:cache_config_info{block_size="16",cache_dtype="auto",cpu_offload_gb="0",enable_prefix_caching="False",gpu_memory_utilization="0.4",is_attention_free="False",num_cpu_blocks="0",num_gpu_blocks="128",num_gpu_blocks_override="128",sliding_window="None",swap_space="0"} 1.0
# HELP vllm:num_requests_running Number of requests currently running on GPU.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model_name="qwen2-7b-instruct-q4_k_m.gguf"} 1.0
# HELP vllm:num_requests_swapped Number of requests swapped to CPU.
# TYPE vllm:num_requests_swapped gauge
vllm:num_requests_swapped{model_name="qwen2-7b-instruct-q4_k_m.gguf"} 0.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{model_name="qwen2-7b-instruct-q4_k_m.gguf"} 2.0
# HELP vllm:gpu_cache_usage_perc GPU KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:gpu_cache_usage_perc gauge
vllm:gpu_cache_usage_perc{model_name="qwen2-7b-instruct-q4_k_m.gguf"} 0.25
# HELP vllm:cpu_cache_usage_perc CPU KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:cpu_cache_usage_perc gauge
vllm:cpu_cache_usage_perc{model_name="qwen2-7b-instruct-q4_k_m.gguf"} 0.0
# HELP vllm:num_preemptions_total Cumulative number of preemption from the engine.
# TYPE vllm:num_preemptions_total counter
vllm:num_preemptions_total{model_name="qwen2-7b-instruct-q4_k_m.gguf"} 0.0
# HELP vllm:prompt_tokens_total Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{model_name="qwen2-7b-instruct-q4_k_m.gguf"} 1523.0
# HELP vllm:generation_tokens_total Number of generation tokens processed.
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{model_name="qwen2-7b-instruct-q4_k_m.gguf"} 4096.0
# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{le="0.001",model_name="qwen2-7b-instruct-q4_k_m.gguf"} 0.0
vllm:time_to_first_token_seconds_bucket{le="0.1",model_name="qwen2-7b-instruct-q4_k_m.gguf"} 0.0
vllm:time_to_first_token_seconds_bucket{le="0.5",model_name="qwen2-7b-instruct-q4_k_m.gguf"} 3.0
vllm:time_to_first_token_seconds_bucket{le="1.0",model_name="qwen2-7b-instruct-q4_k_m.gguf"} 7.0
vllm:time_to_first_token_seconds_bucket{le="10.0",model_name="qwen2-7b-instruct-q4_k_m.gguf"} 8.0
vllm:time_to_first_token_seconds_bucket{le="+Inf",model_name="qwen2-7b-instruct-q4_k_m.gguf"} 8.0
vllm:time_to_first_token_seconds_count{model_name="qwen2-7b-instruct-q4_k_m.gguf"} 8.0
vllm:time_to_first_token_seconds_sum{model_name="qwen2-7b-instruct-q4_k_m.gguf"} 4.75
# HELP vllm:avg_prompt_throughput_toks_per_s Average prefill throughput in tokens/s.
# TYPE vllm:avg_prompt_throughput_toks_per_s gauge
vllm:avg_prompt_throughput_toks_per_s{model_name="qwen2-7b-instruct-q4_k_m.gguf"} 0.0
# HELP vllm:request_success_total Count of successfully processed requests.
# TYPE vllm:request_success_total counter
vllm:request_success_total{finished_reason="stop",model_name="qwen2-7b-instruct-q4_k_m.gguf"} 7.0
`;

/** Newest V1 (≥ 0.12): only vllm:kv_cache_usage_perc, labels model_name + engine, one engine. */
const METRICS_NEWEST = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="Qwen/Qwen3-8B"} 3.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="Qwen/Qwen3-8B"} 0.0
# HELP vllm:num_requests_waiting_by_reason Number of requests waiting, by reason.
# TYPE vllm:num_requests_waiting_by_reason gauge
vllm:num_requests_waiting_by_reason{engine="0",model_name="Qwen/Qwen3-8B",reason="capacity"} 0.0
# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="Qwen/Qwen3-8B"} 0.0625
# HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{engine="0",model_name="Qwen/Qwen3-8B"} 20480.0
# HELP vllm:prompt_tokens_total Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{engine="0",model_name="Qwen/Qwen3-8B"} 20480.0
# HELP vllm:prompt_tokens_created Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_created gauge
vllm:prompt_tokens_created{engine="0",model_name="Qwen/Qwen3-8B"} 1.7637936e+09
# HELP vllm:generation_tokens_total Number of generation tokens processed.
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0",model_name="Qwen/Qwen3-8B"} 51200.0
# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.001",model_name="Qwen/Qwen3-8B"} 0.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.25",model_name="Qwen/Qwen3-8B"} 40.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="2560.0",model_name="Qwen/Qwen3-8B"} 64.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="Qwen/Qwen3-8B"} 64.0
vllm:time_to_first_token_seconds_count{engine="0",model_name="Qwen/Qwen3-8B"} 64.0
vllm:time_to_first_token_seconds_sum{engine="0",model_name="Qwen/Qwen3-8B"} 12.5
# HELP vllm:inter_token_latency_seconds Histogram of inter-token latency in seconds.
# TYPE vllm:inter_token_latency_seconds histogram
vllm:inter_token_latency_seconds_bucket{engine="0",le="+Inf",model_name="Qwen/Qwen3-8B"} 51136.0
vllm:inter_token_latency_seconds_count{engine="0",model_name="Qwen/Qwen3-8B"} 51136.0
vllm:inter_token_latency_seconds_sum{engine="0",model_name="Qwen/Qwen3-8B"} 1022.72
# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig
# TYPE vllm:cache_config_info gauge
vllm:cache_config_info{block_size="16",cache_dtype="auto",calculate_kv_scales="False",cpu_offload_gb="0",enable_prefix_caching="True",engine="0",gpu_memory_utilization="0.9",num_cpu_blocks="None",num_gpu_blocks="5917",num_gpu_blocks_override="None",prefix_caching_hash_algo="sha256",swap_space="4"} 1.0
`;

/** 0.10.x V1 with --data-parallel-size 2: both KV-usage names (gpu_cache_usage_perc deprecated), two engines. */
const METRICS_V0_10_DP2 = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 2.0
vllm:num_requests_running{engine="1",model_name="meta-llama/Llama-3.1-8B-Instruct"} 1.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 4.0
vllm:num_requests_waiting{engine="1",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.0
# HELP vllm:gpu_cache_usage_perc GPU KV-cache usage. 1 means 100 percent usage.DEPRECATED: Use vllm:kv_cache_usage_perc instead.
# TYPE vllm:gpu_cache_usage_perc gauge
vllm:gpu_cache_usage_perc{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.9
vllm:gpu_cache_usage_perc{engine="1",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.9
# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.5
vllm:kv_cache_usage_perc{engine="1",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.25
# HELP vllm:prompt_tokens_total Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 1000.0
vllm:prompt_tokens_total{engine="1",model_name="meta-llama/Llama-3.1-8B-Instruct"} 500.0
# HELP vllm:generation_tokens_total Number of generation tokens processed.
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 3000.0
vllm:generation_tokens_total{engine="1",model_name="meta-llama/Llama-3.1-8B-Instruct"} 2000.0
# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_count{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 10.0
vllm:time_to_first_token_seconds_sum{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 2.5
vllm:time_to_first_token_seconds_count{engine="1",model_name="meta-llama/Llama-3.1-8B-Instruct"} 6.0
vllm:time_to_first_token_seconds_sum{engine="1",model_name="meta-llama/Llama-3.1-8B-Instruct"} 1.5
# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig
# TYPE vllm:cache_config_info gauge
vllm:cache_config_info{block_size="16",cache_dtype="auto",engine="0",gpu_memory_utilization="0.9",num_gpu_blocks="2000",swap_space="4"} 1.0
vllm:cache_config_info{block_size="16",cache_dtype="auto",engine="1",gpu_memory_utilization="0.9",num_gpu_blocks="2000",swap_space="4"} 1.0
`;

/** Counters with every field null, for building computeVllmMetrics inputs. */
function counters(overrides: Partial<VllmCounters> = {}): VllmCounters {
  return {
    running: null,
    waiting: null,
    kvCacheUsage: null,
    promptTokensTotal: null,
    generationTokensTotal: null,
    ttftSum: null,
    ttftCount: null,
    numGpuBlocks: null,
    blockSize: null,
    model: null,
    ...overrides,
  };
}

describe('parsePrometheusText', () => {
  it.each<[string, PromSeries[]]>([
    [
      'vllm:num_requests_running{model_name="m"} 1.0',
      [{ name: 'vllm:num_requests_running', labels: { model_name: 'm' }, value: 1 }],
    ],
    [
      'process_resident_memory_bytes 2.123456512e+09',
      [{ name: 'process_resident_memory_bytes', labels: {}, value: 2123456512 }],
    ],
    ['metric{a="b",c="d\\"e"} 1.5e+03', [{ name: 'metric', labels: { a: 'b', c: 'd"e' }, value: 1500 }]],
    // Escapes in label values: \\ → \, \" → ", \n → newline; an unknown escape stays as written.
    [
      'm{path="C:\\\\models\\\\x",msg="line1\\nline2",t="a\\tb"} 2',
      [{ name: 'm', labels: { path: 'C:\\models\\x', msg: 'line1\nline2', t: 'a\\tb' }, value: 2 }],
    ],
    // Special values and a trailing timestamp (ms) that is dropped.
    ['m_bucket{le="+Inf"} +Inf', [{ name: 'm_bucket', labels: { le: '+Inf' }, value: Infinity }]],
    ['m -Inf', [{ name: 'm', labels: {}, value: -Infinity }]],
    ['m NaN 1712345678901', [{ name: 'm', labels: {}, value: NaN }]],
    ['m 7 -5', [{ name: 'm', labels: {}, value: 7 }]],
    // Blanks around every token, tabs, a trailing comma, an empty label set, an empty value, CRLF.
    ['  m \t{ a = "1" , b="" , }\t3  ', [{ name: 'm', labels: { a: '1', b: '' }, value: 3 }]],
    ['m{} 4\r\n', [{ name: 'm', labels: {}, value: 4 }]],
    ['m{a="b"}5', [{ name: 'm', labels: { a: 'b' }, value: 5 }]],
    // An OpenMetrics exemplar after the value is ignored; "# EOF" is a comment.
    [
      'm_bucket{le="1"} 3 # {trace_id="abc"} 0.67 1712345678.9\n# EOF',
      [{ name: 'm_bucket', labels: { le: '1' }, value: 3 }],
    ],
    // Comment lines and blank lines.
    ['# HELP m Help text with "quotes"\n# TYPE m gauge\n\n   \n', []],
  ])('reads %j', (text, expected) => {
    expect(parsePrometheusText(text)).toEqual(expected);
  });

  it.each([
    ['no value', 'm'],
    ['no value after labels', 'm{a="b"}'],
    ['a value that is not a float', 'm abc'],
    ['a hex value (Go would accept it, prometheus_client never writes it)', 'm 0x10'],
    ['an empty value after a blank', 'm{a="b"} '],
    ['a name glued to the value', 'm+1'],
    ['an unterminated label value', 'm{a="b} 1'],
    ['an unquoted label value', 'm{a=b} 1'],
    ['a missing comma between labels', 'm{a="1" b="2"} 1'],
    ['a label named twice', 'm{a="1",a="2"} 1'],
    ['a label name starting with a digit', 'm{1a="1"} 1'],
    ['a non-integer timestamp', 'm 1 1.5'],
    ['extra tokens after the timestamp', 'm 1 2 3'],
    ['a metric name starting with a digit', '9m 1'],
    ['unclosed braces', 'm{a="1" 1'],
  ])('skips a line with %s', (_why, line) => {
    expect(parsePrometheusText(`${line}\ngood 1`)).toEqual([{ name: 'good', labels: {}, value: 1 }]);
  });

  it('keeps a label called __proto__ as an own property', () => {
    const [series] = parsePrometheusText('m{__proto__="x"} 1');
    expect(series?.labels).toEqual(Object.fromEntries([['__proto__', 'x']]));
    expect(Object.hasOwn(series?.labels ?? {}, '__proto__')).toBe(true);
  });

  it('reads every sample of the 0.6.3 fixture and skips all comments', () => {
    const series = parsePrometheusText(METRICS_V0_6_3);
    expect(series).toHaveLength(22);
    expect(series.find((s) => s.name === 'vllm:time_to_first_token_seconds_bucket' && s.labels.le === '+Inf')).toEqual({
      name: 'vllm:time_to_first_token_seconds_bucket',
      labels: { le: '+Inf', model_name: 'qwen2-7b-instruct-q4_k_m.gguf' },
      value: 8,
    });
  });
});

describe('extractVllmMetrics', () => {
  it('reads the 0.6.3 (V0) names: gpu_cache_usage_perc, counters, TTFT histogram, cache_config_info', () => {
    expect(extractVllmMetrics(parsePrometheusText(METRICS_V0_6_3))).toEqual<VllmCounters>({
      running: 1,
      waiting: 2,
      kvCacheUsage: 0.25,
      promptTokensTotal: 1523,
      generationTokensTotal: 4096,
      ttftSum: 4.75,
      ttftCount: 8,
      numGpuBlocks: 128,
      blockSize: 16,
      model: 'qwen2-7b-instruct-q4_k_m.gguf',
    });
  });

  it('reads the newest (V1) names: kv_cache_usage_perc, engine label', () => {
    expect(extractVllmMetrics(parsePrometheusText(METRICS_NEWEST))).toEqual<VllmCounters>({
      running: 3,
      waiting: 0,
      kvCacheUsage: 0.0625,
      promptTokensTotal: 20480,
      generationTokensTotal: 51200,
      ttftSum: 12.5,
      ttftCount: 64,
      numGpuBlocks: 5917,
      blockSize: 16,
      model: 'Qwen/Qwen3-8B',
    });
  });

  it('0.10.x with two engines: prefers kv_cache_usage_perc (mean), sums counts, counters and blocks', () => {
    expect(extractVllmMetrics(parsePrometheusText(METRICS_V0_10_DP2))).toEqual<VllmCounters>({
      running: 3,
      waiting: 4,
      kvCacheUsage: 0.375,
      promptTokensTotal: 1500,
      generationTokensTotal: 5000,
      ttftSum: 4,
      ttftCount: 16,
      numGpuBlocks: 4000,
      blockSize: 16,
      model: 'meta-llama/Llama-3.1-8B-Instruct',
    });
  });

  it('counts a repeated cache_config_info label set once per engine', () => {
    const text =
      'vllm:cache_config_info{block_size="32",num_gpu_blocks="100"} 1\nvllm:cache_config_info{block_size="32",num_gpu_blocks="100"} 1';
    const c = extractVllmMetrics(parsePrometheusText(text));
    expect([c.numGpuBlocks, c.blockSize]).toEqual([100, 32]);
  });

  it('gives nulls for a text with no vLLM metrics, and for labels that are not integers', () => {
    expect(extractVllmMetrics(parsePrometheusText('process_cpu_seconds_total 12.5'))).toEqual(counters());
    expect(extractVllmMetrics([])).toEqual(counters());
    const c = extractVllmMetrics(
      parsePrometheusText('vllm:cache_config_info{block_size="16",num_gpu_blocks="None"} 1'),
    );
    expect([c.numGpuBlocks, c.blockSize]).toEqual([null, 16]);
  });

  it('ignores NaN values', () => {
    const c = extractVllmMetrics(
      parsePrometheusText('vllm:num_requests_running{engine="0"} NaN\nvllm:num_requests_running{engine="1"} 2'),
    );
    expect(c.running).toBe(2);
    expect(extractVllmMetrics(parsePrometheusText('vllm:num_requests_running NaN')).running).toBeNull();
  });
});

describe('computeVllmMetrics', () => {
  const before = counters({
    running: 1,
    waiting: 0,
    kvCacheUsage: 0.1,
    promptTokensTotal: 1000,
    generationTokensTotal: 500,
    ttftSum: 2,
    ttftCount: 10,
    numGpuBlocks: 11836,
    blockSize: 16,
  });
  const after = counters({
    running: 2,
    waiting: 1,
    kvCacheUsage: 0.25,
    promptTokensTotal: 1600,
    generationTokensTotal: 900,
    ttftSum: 3.5,
    ttftCount: 13,
    numGpuBlocks: 11836,
    blockSize: 16,
  });
  // Qwen2-7B fp16 KV: 2 × 28 layers × 16 tokens × 4 KV heads × 128 × 2 B (reference/vllm-memory.md §9).
  const bytesPerBlock = 917_504;

  it('two scrapes 2000 ms apart: tokens/s from counter deltas, TTFT = Δsum / Δcount, KV bytes', () => {
    expect(
      computeVllmMetrics({ counters: before, atMs: 10_000 }, { counters: after, atMs: 12_000 }, true, bytesPerBlock),
    ).toEqual({
      isHealthy: true,
      running: 2,
      waiting: 1,
      kvCacheUsage: 0.25,
      kvCacheUsedBytes: 2_714_894_336, // 0.25 × 11836 × 917504
      promptTokensPerSec: 300, // (1600 − 1000) / 2 s
      generationTokensPerSec: 200, // (900 − 500) / 2 s
      ttftSeconds: 0.5, // (3.5 − 2) / (13 − 10)
    });
  });

  it('gives no rates without a previous scrape, but still the gauges', () => {
    expect(computeVllmMetrics(null, { counters: after, atMs: 12_000 }, false, null)).toEqual({
      isHealthy: false,
      running: 2,
      waiting: 1,
      kvCacheUsage: 0.25,
      kvCacheUsedBytes: null,
      promptTokensPerSec: null,
      generationTokensPerSec: null,
      ttftSeconds: null,
    });
  });

  it('gives no rates when a counter went backwards (vLLM restarted)', () => {
    const restarted = counters({
      ...after,
      promptTokensTotal: 40,
      generationTokensTotal: 900,
      ttftSum: 0.2,
      ttftCount: 1,
    });
    const m = computeVllmMetrics(
      { counters: before, atMs: 0 },
      { counters: restarted, atMs: 2000 },
      true,
      bytesPerBlock,
    );
    expect([m.promptTokensPerSec, m.generationTokensPerSec, m.ttftSeconds]).toEqual([null, null, null]);
    // Only the TTFT count going back is also a restart.
    const ttftBack = counters({ ...after, ttftCount: 9 });
    const m2 = computeVllmMetrics({ counters: before, atMs: 0 }, { counters: ttftBack, atMs: 2000 }, true, null);
    expect([m2.promptTokensPerSec, m2.generationTokensPerSec, m2.ttftSeconds]).toEqual([null, null, null]);
  });

  it('gives a null TTFT when no request got its first token in the interval, and 0 tokens/s when idle', () => {
    const idle = computeVllmMetrics({ counters: before, atMs: 0 }, { counters: before, atMs: 1000 }, true, null);
    expect([idle.promptTokensPerSec, idle.generationTokensPerSec, idle.ttftSeconds]).toEqual([0, 0, null]);
  });

  it.each([
    ['no time passed', 5000],
    ['the clock went back', 4000],
  ])('gives no rates when %s', (_why, atMs) => {
    const m = computeVllmMetrics({ counters: before, atMs: 5000 }, { counters: after, atMs }, true, null);
    expect([m.promptTokensPerSec, m.generationTokensPerSec, m.ttftSeconds]).toEqual([null, null, null]);
  });

  it('gives a null rate for a counter missing from either scrape', () => {
    const noPrompt = counters({ ...before, promptTokensTotal: null });
    const m = computeVllmMetrics({ counters: noPrompt, atMs: 0 }, { counters: after, atMs: 2000 }, true, null);
    expect([m.promptTokensPerSec, m.generationTokensPerSec]).toEqual([null, 200]);
  });

  it('end to end: two 0.6.3 scrapes', () => {
    const first = extractVllmMetrics(parsePrometheusText(METRICS_V0_6_3));
    const secondText = METRICS_V0_6_3.replace('} 1523.0', '} 1723.0')
      .replace('} 4096.0', '} 4146.0')
      .replace(
        '_count{model_name="qwen2-7b-instruct-q4_k_m.gguf"} 8.0',
        '_count{model_name="qwen2-7b-instruct-q4_k_m.gguf"} 10.0',
      )
      .replace('} 4.75', '} 6.25');
    const second = extractVllmMetrics(parsePrometheusText(secondText));
    const m = computeVllmMetrics(
      { counters: first, atMs: 1000 },
      { counters: second, atMs: 3000 },
      true,
      bytesPerBlock,
    );
    expect(m).toEqual({
      isHealthy: true,
      running: 1,
      waiting: 2,
      kvCacheUsage: 0.25,
      kvCacheUsedBytes: 29_360_128, // 0.25 × 128 blocks × 917504 B
      promptTokensPerSec: 100,
      generationTokensPerSec: 25,
      ttftSeconds: 0.75,
    });
  });
});

describe('parseNvidiaSmiSampleLine', () => {
  const at = '2025-06-01T12:00:00.000Z';

  /** The sample expected for a line, starting from an empty nvidia-smi sample. */
  function expected(parts: Partial<Sample>): Sample {
    return { ...emptySample('nvidia-smi'), time: at, ...parts };
  }

  it.each<[string, string, Sample]>([
    [
      'RTX 4090 under load',
      '35, 2520, 10240, 24564, 61, 231.50',
      expected({
        gpu: { loadPct: 35, freqMHz: 2520 },
        ram: { usedMiB: 10240, totalMiB: 24564 },
        temps: { gpu: 61 },
        power: { GPU: { nowMW: 231500, avgMW: 231500 } },
      }),
    ],
    [
      'power.draw not supported',
      '0, 210, 1, 16376, 34, [Not Supported]',
      expected({ gpu: { loadPct: 0, freqMHz: 210 }, ram: { usedMiB: 1, totalMiB: 16376 }, temps: { gpu: 34 } }),
    ],
    [
      'Orin on JetPack 6: memory, temperature and power N/A',
      '12, 918, [N/A], [N/A], [N/A], [N/A]',
      expected({ gpu: { loadPct: 12, freqMHz: 918 } }),
    ],
    ['every field N/A', '[N/A], [N/A], [N/A], [N/A], [N/A], [N/A]', expected({})],
    [
      'bare N/A and Not Supported',
      'N/A, 1410, 500, 40960, Not Supported, 55.12',
      expected({
        gpu: { loadPct: null, freqMHz: 1410 },
        ram: { usedMiB: 500, totalMiB: 40960 },
        power: { GPU: { nowMW: 55120, avgMW: 55120 } },
      }),
    ],
    [
      'memory total missing',
      '5, 300, 100, [N/A], 40, 20.00',
      expected({
        gpu: { loadPct: 5, freqMHz: 300 },
        temps: { gpu: 40 },
        power: { GPU: { nowMW: 20000, avgMW: 20000 } },
      }),
    ],
    [
      'output without nounits, CRLF',
      '35 %, 2520 MHz, 10240 MiB, 24564 MiB, 61, 231.50 W\r',
      expected({
        gpu: { loadPct: 35, freqMHz: 2520 },
        ram: { usedMiB: 10240, totalMiB: 24564 },
        temps: { gpu: 61 },
        power: { GPU: { nowMW: 231500, avgMW: 231500 } },
      }),
    ],
  ])('%s: %j', (_why, line, sample) => {
    expect(parseNvidiaSmiSampleLine(line, at)).toEqual(sample);
  });

  it('keeps a null time', () => {
    expect(parseNvidiaSmiSampleLine('35, 2520, 10240, 24564, 61, 231.50', null)?.time).toBeNull();
  });

  it.each([
    ['empty', ''],
    [
      'the csv header',
      'utilization.gpu [%], clocks.current.sm [MHz], memory.used [MiB], memory.total [MiB], temperature.gpu, power.draw [W]',
    ],
    ['no GPU', 'No devices were found'],
    ['NVML failure', 'Failed to initialize NVML: Driver/library version mismatch'],
    ['too few fields', '35, 2520, 10240, 24564, 61'],
    ['too many fields', '35, 2520, 10240, 24564, 61, 231.50, 7'],
    ['a word in a number field', '35, fast, 10240, 24564, 61, 231.50'],
    ['a negative load', '-5, 2520, 10240, 24564, 61, 231.50'],
  ])('gives null for a non-data line: %s', (_why, line) => {
    expect(parseNvidiaSmiSampleLine(line, at)).toBeNull();
  });
});
