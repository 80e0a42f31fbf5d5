/**
 * /metrics values out of range (negative, NaN, ±Inf, 1e308) are left out with a reason, never shown as
 * "KV cache -350%"; and the streaming fold (line by line, any chunking) gives what the whole-text parse gives.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeVllmMetrics,
  createVllmCountersFolder,
  extractVllmMetrics,
  iteratePrometheusSeries,
  parsePrometheusLine,
  parsePrometheusText,
} from '../../../src/monitor/core/metrics.js';
import { createLineSplitter } from '../../../src/monitor/core/line-splitter.js';
import { createPanelState, panelReducer, renderPanel } from '../../../src/monitor/core/panel.js';

const HOSTILE = `# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="m"} -3
vllm:num_requests_waiting{engine="0",model_name="m"} 1e308
vllm:kv_cache_usage_perc{engine="0",model_name="m"} -3.5
vllm:prompt_tokens_total{engine="0",model_name="m"} +Inf
vllm:generation_tokens_total{engine="0",model_name="m"} NaN
vllm:time_to_first_token_seconds_sum{engine="0",model_name="m"} -Inf
vllm:time_to_first_token_seconds_count{engine="0",model_name="m"} 1e300
vllm:cache_config_info{block_size="16",engine="0",num_gpu_blocks="100"} 1.0
`;

/** Renders the panel (80 columns, no colour) after one poll with these metrics. */
function panelText(text: string, bytesPerBlock: number | null = 1024): string {
  const counters = extractVllmMetrics(parsePrometheusText(text));
  const metrics = computeVllmMetrics(null, { counters, atMs: 0 }, true, bytesPerBlock);
  let state = createPanelState({
    source: 'proc',
    sourceLabel: '/proc',
    serverUrl: 'http://localhost:8000',
    predictedBytes: null,
    intervalMs: 1000,
  });
  state = panelReducer(state, { type: 'serverPolled', metrics });
  return renderPanel(state, { columns: 200, rows: 40, isColor: false }).join('\n');
}

describe('/metrics values in range', () => {
  it('negative, NaN, ±Inf and absurd values are left out, each with a reason', () => {
    const c = extractVllmMetrics(parsePrometheusText(HOSTILE));
    expect(c).toMatchObject({
      running: null,
      waiting: null,
      kvCacheUsage: null,
      promptTokensTotal: null,
      generationTokensTotal: null,
      ttftSum: null,
      ttftCount: null,
      numGpuBlocks: 100,
      blockSize: 16,
      model: 'm',
    });
    expect(c.rejected).toEqual([
      'vllm:num_requests_running -3 is not a request count',
      'vllm:num_requests_waiting 1e+308 is not a request count',
      'vllm:kv_cache_usage_perc -3.5 is not a 0–1 fraction',
      'vllm:prompt_tokens_total is Infinity',
      'vllm:generation_tokens_total is NaN',
      '2 more',
    ]);
    const m = computeVllmMetrics(null, { counters: c, atMs: 0 }, true, 1024);
    expect(m.kvCacheUsage).toBeNull();
    expect(m.kvCacheUsedBytes).toBeNull();
    expect(m.rejected).toEqual(c.rejected);
  });

  it('the panel shows N/A and the reason, never "KV cache -350%"', () => {
    const text = panelText(HOSTILE);
    expect(text).toContain('KV cache N/A');
    expect(text).not.toMatch(/-\d+%/);
    expect(text).toContain('running N/A  waiting N/A');
    expect(text).toContain('N/A (out of range): vllm:num_requests_running -3 is not a request count;');
  });

  it('a KV fraction over 1 is left out; float noise at 0 and 1 is clamped; exactly 0 and 1 kept', () => {
    const kv = (v: string): number | null =>
      extractVllmMetrics(parsePrometheusText(`vllm:kv_cache_usage_perc ${v}`)).kvCacheUsage;
    expect(kv('3.5')).toBeNull();
    expect(kv('1.0000000001')).toBe(1);
    expect(kv('-1e-12')).toBe(0);
    expect(kv('0')).toBe(0);
    expect(kv('1')).toBe(1);
    expect(kv('1.01')).toBeNull();
  });

  it('a counter at 2^53 − 1 is kept; one past it is out of range', () => {
    const prompt = (v: string): number | null =>
      extractVllmMetrics(parsePrometheusText(`vllm:prompt_tokens_total ${v}`)).promptTokensTotal;
    expect(prompt(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(prompt('9007199254740993')).toBeNull();
    expect(prompt('0')).toBe(0);
  });

  it('one bad engine does not hide the good one', () => {
    const c = extractVllmMetrics(
      parsePrometheusText('vllm:num_requests_running{engine="0"} -1\nvllm:num_requests_running{engine="1"} 2'),
    );
    expect(c.running).toBe(2);
    expect(c.rejected).toEqual(['vllm:num_requests_running -1 is not a request count']);
  });

  it('a clean scrape has no rejected field', () => {
    const c = extractVllmMetrics(parsePrometheusText('vllm:num_requests_running 1'));
    expect('rejected' in c).toBe(false);
    expect('rejected' in computeVllmMetrics(null, { counters: c, atMs: 0 }, true, null)).toBe(false);
  });

  it('property: whatever the values, the figures are in range and the panel shows no negative or huge figure', () => {
    const value = fc.oneof(
      fc.double(),
      fc.constantFrom('NaN', '+Inf', '-Inf', '1e308', '-1e308', '-0', '0', '1', '0.5', '-3.5'),
    );
    const names = [
      'vllm:num_requests_running',
      'vllm:num_requests_waiting',
      'vllm:kv_cache_usage_perc',
      'vllm:gpu_cache_usage_perc',
      'vllm:prompt_tokens_total',
      'vllm:generation_tokens_total',
      'vllm:time_to_first_token_seconds_sum',
      'vllm:time_to_first_token_seconds_count',
    ];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...names), fc.nat({ max: 3 }), value), { maxLength: 20 }),
        (rows) => {
          const text = rows
            .map(([n, e, v]) => `${n}{engine="${e}"} ${typeof v === 'number' ? String(v) : v}`)
            .join('\n');
          const c = extractVllmMetrics(parsePrometheusText(text));
          for (const n of [c.running, c.waiting, c.promptTokensTotal, c.generationTokensTotal, c.ttftSum, c.ttftCount])
            if (n !== null) expect(Number.isFinite(n) && n >= 0).toBe(true);
          if (c.kvCacheUsage !== null) expect(c.kvCacheUsage >= 0 && c.kvCacheUsage <= 1).toBe(true);
          expect((c.rejected ?? []).length).toBeLessThanOrEqual(6);
          // The figures' lines (the reasons' line may name the values it left out).
          const figures = panelText(text)
            .split('\n')
            .filter((l) => l.startsWith('vLLM') || l.includes('tok/s'))
            .join('\n');
          expect(figures).toContain('● healthy');
          expect(figures).not.toMatch(/-\d|Infinity|NaN|e\+/);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('the streaming fold', () => {
  const line = fc.oneof(
    fc.constantFrom(
      '# HELP vllm:num_requests_running x',
      'vllm:num_requests_running{engine="0",model_name="a"} 2',
      'vllm:num_requests_running{engine="1"} 1',
      'vllm:kv_cache_usage_perc{engine="0"} 0.25',
      'vllm:kv_cache_usage_perc{engine="1"} -1',
      'vllm:cache_config_info{block_size="16",engine="0",num_gpu_blocks="2769"} 1.0',
      'vllm:prompt_tokens_total 12.0',
      'vllm:time_to_first_token_seconds_sum 1.5',
      'vllm:time_to_first_token_seconds_count 3',
      '',
      'garbage {',
    ),
    fc.string({ maxLength: 30 }),
  );

  it('property: lines folded as any chunking delivers them = the whole text parsed at once', () => {
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 30 }),
        fc.constantFrom('\n', '\r\n'),
        fc.array(fc.nat(), { maxLength: 8 }),
        (rows, eol, cuts) => {
          const text = rows.join(eol);
          const whole = extractVllmMetrics(parsePrometheusText(text));
          expect(extractVllmMetrics(iteratePrometheusSeries(text))).toEqual(whole);
          const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const splitter = createLineSplitter(64 * 1024);
          const folder = createVllmCountersFolder();
          const fold = (l: string): void => {
            const s = parsePrometheusLine(l);
            if (s !== null) folder.add(s);
          };
          let prev = 0;
          for (const c of [...at, text.length]) {
            for (const l of splitter.push(text.slice(prev, c))) fold(l);
            prev = c;
          }
          for (const l of splitter.end()) fold(l);
          expect(folder.finish()).toEqual(whole);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
