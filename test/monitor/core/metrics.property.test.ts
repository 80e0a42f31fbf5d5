/**
 * Property tests for the telemetry parsers: none of parsePrometheusText, parseNvidiaSmiSampleLine, parseProcStat,
 * buildProcSample (nor the functions fed by them) throws on any text, and a generated Prometheus exposition with
 * random names, labels, values, comments, blanks and timestamps reads back exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeVllmMetrics,
  extractVllmMetrics,
  parseNvidiaSmiSampleLine,
  parsePrometheusText,
  type PromSeries,
} from '../../../src/monitor/core/metrics.js';
import { buildProcSample, computeCpuLoads, parseProcStat } from '../../../src/monitor/core/proc-sampler.js';

const NEVER_THROWS = { numRuns: 10_000 };
const ROUND_TRIP = { numRuns: 500 };

/** Text built from the pieces the formats are made of, so that near-misses are common. */
const formatish = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.string({ unit: 'binary', maxLength: 4 }),
      fc.constantFrom(
        '\n',
        '\r\n',
        '\t',
        ' ',
        ',',
        ', ',
        '{',
        '}',
        '="',
        '"',
        '\\',
        '\\"',
        '\\n',
        '#',
        '# HELP ',
        '# TYPE ',
        'vllm:',
        'vllm:num_requests_running',
        'vllm:cache_config_info',
        'num_gpu_blocks',
        '_total',
        'NaN',
        '+Inf',
        '-Inf',
        '1.5e+03',
        '-',
        '.',
        '0',
        '42',
        '99999999999999999999',
        '[N/A]',
        'N/A',
        '[Not Supported]',
        'MiB',
        'cpu',
        'cpu0 ',
        'cpu  ',
        'MemTotal:',
        'MemAvailable:',
        'SwapTotal:',
        ' kB',
        '/dev/zram0',
        'partition',
      ),
    ),
    { maxLength: 24 },
  )
  .map((parts) => parts.join(''));

/** Both plain random strings and format-shaped ones. */
const anyText = fc.oneof(fc.string({ maxLength: 200 }), formatish);

describe('never throws on any text', () => {
  it('parsePrometheusText (and extractVllmMetrics, computeVllmMetrics on its output)', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const series = parsePrometheusText(text);
        const counters = extractVllmMetrics(series);
        const m = computeVllmMetrics({ counters, atMs: 0 }, { counters, atMs: 1000 }, true, 917_504);
        for (const s of series) expect(typeof s.value).toBe('number');
        expect(m.ttftSeconds).toBeNull();
      }),
      NEVER_THROWS,
    );
  });

  it('parseNvidiaSmiSampleLine', () => {
    fc.assert(
      fc.property(anyText, (line) => {
        const sample = parseNvidiaSmiSampleLine(line, null);
        if (sample !== null) expect(sample.source).toBe('nvidia-smi');
      }),
      NEVER_THROWS,
    );
  });

  it('parseProcStat (and computeCpuLoads on two of them)', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const stat = parseProcStat(text);
        for (const load of computeCpuLoads(stat.cores, parseProcStat(`${text}\n`).cores)) {
          if (load !== null) expect(load >= 0 && load <= 100).toBe(true);
        }
      }),
      NEVER_THROWS,
    );
  });

  it('buildProcSample', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const sample = buildProcSample(text, text, text, text, null);
        expect(sample.source).toBe('proc');
      }),
      NEVER_THROWS,
    );
  });
});

/** Escapes a label value the way prometheus_client writes it. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** A value as prometheus_client prints it ("NaN", "+Inf", "-Inf", else the shortest round-tripping decimal). */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return Object.is(value, -0) ? '-0' : String(value);
}

const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,30}$/);
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,15}$/);
/** Optional blanks, as the format allows between tokens. */
const blanks = fc.constantFrom('', ' ', '\t', '  ');

/** One series plus the free choices of how to print it. */
const seriesLine = fc.record({
  name: metricName,
  labels: fc.uniqueArray(fc.tuple(labelName, fc.string({ unit: 'binary', maxLength: 12 })), {
    maxLength: 5,
    selector: ([key]) => key,
  }),
  value: fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0.25, 1e21, 5e-324)),
  timestampMs: fc.option(fc.integer({ min: -1e12, max: 4e12 }), { nil: undefined }),
  withBraces: fc.boolean(),
  trailingComma: fc.boolean(),
  pad: fc.tuple(blanks, blanks, blanks),
  help: fc.option(
    fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, ' ')),
    { nil: undefined },
  ),
});

describe('round trip', () => {
  it('a generated exposition reads back as the series it was printed from', () => {
    fc.assert(
      fc.property(fc.array(seriesLine, { maxLength: 12 }), fc.boolean(), (lines, isCrlf) => {
        const text = lines
          .flatMap((l) => {
            const [lead, inner, mid] = l.pad;
            const labelText = l.labels
              .map(([k, v]) => `${inner}${k}${inner}=${inner}"${escapeLabelValue(v)}"`)
              .join(',');
            const braces =
              l.labels.length > 0 || l.withBraces
                ? `{${labelText}${l.trailingComma && l.labels.length > 0 ? ',' : ''}${inner}}`
                : '';
            const timestamp = l.timestampMs === undefined ? '' : ` ${l.timestampMs}`;
            const out = [`${lead}${l.name}${braces} ${mid}${formatValue(l.value)}${timestamp}${mid}`];
            if (l.help !== undefined) out.unshift(`# HELP ${l.name} ${l.help}`, `# TYPE ${l.name} gauge`, '');
            return out;
          })
          .join(isCrlf ? '\r\n' : '\n');
        const expected: PromSeries[] = lines.map((l) => ({
          name: l.name,
          labels: Object.fromEntries(l.labels),
          value: l.value,
        }));
        expect(parsePrometheusText(text)).toEqual(expected);
      }),
      ROUND_TRIP,
    );
  });
});
