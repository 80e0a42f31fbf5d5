/**
 * Parsers for live telemetry from vLLM and nvidia-smi: the Prometheus text exposition served at vLLM's /metrics,
 * the vLLM counters read from it, the rates and means computed from two scrapes, and one line of the streaming
 * `nvidia-smi --query-gpu=… -lms` query. Pure: text and numbers in (times are passed in), data out; nothing throws.
 * Formats: reference/vllm-memory.md §8 (endpoints, metric names per vLLM version), reference/jetson-platform.md §F.
 */
import { emptySample, type Sample, type VllmMetrics } from './sample.js';

/** Each line of the text in order ("\n" or "\r\n" ended), read in place: no array of every line at once. */
function* iterateLines(text: string): Generator<string> {
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) {
      yield text.slice(start);
      return;
    }
    yield text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
    start = nl + 1;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Prometheus text exposition format
// ---------------------------------------------------------------------------------------------------------------

/** One sample line of a Prometheus text exposition: metric name, labels and value (the timestamp is dropped). */
export interface PromSeries {
  /** The full sample name as exposed: "vllm:prompt_tokens_total", "vllm:time_to_first_token_seconds_bucket". */
  name: string;
  /** Label name → unescaped value. */
  labels: Record<string, string>;
  /** The value; may be NaN, Infinity or -Infinity. */
  value: number;
}

// Sticky regexes: each is run with lastIndex set to the scan position of the line being read.
const METRIC_NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
// A double-quoted label value; a backslash escapes the next character, whatever it is.
const QUOTED_VALUE = /"((?:[^"\\]|\\[\s\S])*)"/y;
const BLANKS = /[ \t]*/y;
const TOKEN = /[^ \t]+/y;

/** Runs a sticky regex at `at`; the match and the index after it, or null. */
function matchAt(re: RegExp, line: string, at: number): { text: string; group: string; end: number } | null {
  re.lastIndex = at;
  const m = re.exec(line);
  if (m === null) return null;
  return { text: m[0], group: m[1] ?? m[0], end: at + m[0].length };
}

/** The index of the first non-blank (space or tab) character at or after `at`. */
function skipBlanks(line: string, at: number): number {
  return matchAt(BLANKS, line, at)?.end ?? at;
}

/** Undoes label-value escaping: `\\` → `\`, `\"` → `"`, `\n` → newline; any other `\x` is kept as written. */
function unescapeLabelValue(raw: string): string {
  // prometheus_client's own parser (parser.py `_replace_escaping`) does the same: only these three escapes exist
  // in the text format, and an unknown one such as "\t" is left as the two characters.
  return raw.replace(/\\([\\"n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/** A sample value as Go's strconv.ParseFloat reads it ("1.5e+03", "NaN", "+Inf", "-Inf"); null when invalid. */
function parseSampleValue(token: string): number | null {
  // prometheus_client writes floats as "1.0", "1.5e+16", "+Inf", "-Inf", "NaN"; Go also accepts "Inf", "Infinity"
  // in any case. Number() alone is too lenient ("" → 0, "0x10" → 16), so the shape is checked first.
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(token)) return Number(token);
  if (/^[+-]?inf(?:inity)?$/i.test(token)) return token.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(token)) return NaN;
  return null;
}

/** One sample line parsed, or null when its syntax is bad. */
function parseSampleLine(line: string): PromSeries | null {
  let at = skipBlanks(line, 0);
  const name = matchAt(METRIC_NAME, line, at);
  if (name === null) return null;
  at = name.end;
  const entries: [string, string][] = [];
  const seen = new Set<string>();
  const afterName = skipBlanks(line, at);
  if (line[afterName] === '{') {
    // `name{a="b",c="d\"e",} 1`: blanks may surround every token and a trailing comma is allowed.
    at = skipBlanks(line, afterName + 1);
    while (line[at] !== '}') {
      const label = matchAt(LABEL_NAME, line, at);
      if (label === null) return null;
      at = skipBlanks(line, label.end);
      if (line[at] !== '=') return null;
      at = skipBlanks(line, at + 1);
      const quoted = matchAt(QUOTED_VALUE, line, at);
      if (quoted === null) return null;
      // A label given twice makes the line invalid (Go's text parser rejects it).
      if (seen.has(label.text)) return null;
      seen.add(label.text);
      entries.push([label.text, unescapeLabelValue(quoted.group)]);
      at = skipBlanks(line, quoted.end);
      if (line[at] === ',') at = skipBlanks(line, at + 1);
      else if (line[at] !== '}') return null;
    }
    at = skipBlanks(line, at + 1);
  } else {
    // Without labels the name must be followed by a blank: "name+1" is not a sample line.
    if (afterName === at) return null;
    at = afterName;
  }
  const valueToken = matchAt(TOKEN, line, at);
  if (valueToken === null) return null;
  const value = parseSampleValue(valueToken.text);
  if (value === null) return null;
  at = skipBlanks(line, valueToken.end);
  // "name 1 1712345678901": an optional integer timestamp in ms, dropped. OpenMetrics exemplars may follow
  // ("… 3 # {trace_id=\"abc\"} 0.67"); they are ignored.
  if (at < line.length && line[at] !== '#') {
    const timestamp = matchAt(TOKEN, line, at);
    if (timestamp === null || !/^[+-]?\d+$/.test(timestamp.text)) return null;
    at = skipBlanks(line, timestamp.end);
    if (at < line.length && line[at] !== '#') return null;
  }
  // fromEntries defines own properties, so a label named "__proto__" cannot touch the prototype.
  return { name: name.text, labels: Object.fromEntries(entries), value };
}

/** Every sample line of a Prometheus text exposition, in order; comments, blank and malformed lines skipped. */
export function parsePrometheusText(text: string): PromSeries[] {
  return [...iteratePrometheusSeries(text)];
}

/** One line of an exposition as a series; null for a comment, a blank or a malformed line. */
export function parsePrometheusLine(line: string): PromSeries | null {
  // "# HELP vllm:num_requests_running Number of requests …", "# TYPE vllm:num_requests_running gauge" and
  // OpenMetrics' final "# EOF" are comments; blank lines separate nothing.
  const trimmed = line.trimStart();
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  return parseSampleLine(line);
}

/**
 * Returns the sample lines of an exposition one at a time (what parsePrometheusText lists), so that a large
 * body (up to the poller's 8 MiB bound) is folded into counters without holding every series at once.
 */
export function* iteratePrometheusSeries(text: string): Generator<PromSeries> {
  for (const line of iterateLines(text)) {
    const sample = parsePrometheusLine(line);
    if (sample !== null) yield sample;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// vLLM counters
// ---------------------------------------------------------------------------------------------------------------

/** What one /metrics scrape says: gauges, cumulative counters and the KV cache geometry; null when not exposed. */
export interface VllmCounters {
  /** Requests being processed (vllm:num_requests_running), summed over engines. */
  running: number | null;
  /** Requests queued (vllm:num_requests_waiting), summed over engines. */
  waiting: number | null;
  /** KV cache use as a 0–1 fraction, averaged over engines. */
  kvCacheUsage: number | null;
  /** Cumulative prompt tokens since the server started (vllm:prompt_tokens_total). */
  promptTokensTotal: number | null;
  /** Cumulative generated tokens since the server started (vllm:generation_tokens_total). */
  generationTokensTotal: number | null;
  /** Cumulative seconds of time to first token (vllm:time_to_first_token_seconds_sum). */
  ttftSum: number | null;
  /** Requests counted in the TTFT histogram (vllm:time_to_first_token_seconds_count). */
  ttftCount: number | null;
  /** KV cache blocks on the GPU, summed over engines (vllm:cache_config_info label num_gpu_blocks). */
  numGpuBlocks: number | null;
  /** Tokens per KV cache block (vllm:cache_config_info label block_size). */
  blockSize: number | null;
  /** The served model name (label model_name) of the first vLLM series that has one. */
  model: string | null;
  /** Values left out as out of range ("vllm:kv_cache_usage_perc -3.5 is not a 0–1 fraction"); absent when none. */
  rejected?: string[];
}

/** What a vLLM series used by the panel may hold: a request count, a 0–1 fraction, or a cumulative counter. */
type ValueRange = 'count' | 'fraction' | 'counter';

/** The series read as numbers, and the range each must be in. */
const RANGES: ReadonlyMap<string, ValueRange> = new Map<string, ValueRange>([
  ['vllm:num_requests_running', 'count'],
  ['vllm:num_requests_waiting', 'count'],
  ['vllm:kv_cache_usage_perc', 'fraction'],
  ['vllm:gpu_cache_usage_perc', 'fraction'],
  ['vllm:prompt_tokens_total', 'counter'],
  ['vllm:generation_tokens_total', 'counter'],
  ['vllm:time_to_first_token_seconds_sum', 'counter'],
  ['vllm:time_to_first_token_seconds_count', 'counter'],
]);

/** More requests than any server holds: a gauge above this is garbage, not load. */
const MAX_REQUESTS = 1e9;
/** Reasons kept per scrape (a hostile body could give one per line). */
const MAX_REJECTED = 5;

/** The value as the panel may use it (a fraction's float noise clamped), or a reason it is out of range. */
function checkValue(range: ValueRange, value: number): number | string {
  // NaN, ±Inf, negative and absurd values (1e308) are treated as missing: summed into nothing, shown as N/A,
  // never as "KV cache -350%" or a 309-digit count.
  if (!Number.isFinite(value)) return `is ${String(value)}`;
  switch (range) {
    case 'fraction':
      // 1 − free/total in vLLM's block pool; allow float noise at either end.
      if (value >= 0 && value <= 1) return value;
      if (value > -1e-9 && value < 1 + 1e-9) return Math.min(1, Math.max(0, value));
      return `${String(value)} is not a 0–1 fraction`;
    case 'count':
      return value >= 0 && value <= MAX_REQUESTS ? value : `${String(value)} is not a request count`;
    case 'counter':
      return value >= 0 && value <= Number.MAX_SAFE_INTEGER ? value : `${String(value)} is out of range`;
    default: {
      const unreachable: never = range;
      throw new Error(`unknown range ${String(unreachable)}`);
    }
  }
}

/** A label holding a non-negative integer ("2769"), or null ("None", absent, not exact as a JS number). */
function integerLabel(labels: Record<string, string>, key: string): number | null {
  const raw = Object.hasOwn(labels, key) ? labels[key] : undefined;
  if (raw === undefined || !/^\d+$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}

/** Folds a scrape's series one at a time into its VllmCounters (what extractVllmMetrics does in one call). */
export interface VllmCountersFolder {
  /** Adds one series. */
  add(s: PromSeries): void;
  /** Returns the counters of every series added. */
  finish(): VllmCounters;
}

/**
 * The vLLM gauges, counters and cache geometry in one scrape, summed over engines (label `engine`) and models;
 * values out of range are left out and named in `rejected`. One pass over the series (an iterator will do).
 */
export function extractVllmMetrics(series: Iterable<PromSeries>): VllmCounters {
  const folder = createVllmCountersFolder();
  for (const s of series) folder.add(s);
  return folder.finish();
}

/** Returns a folder for one scrape: memory O(engines), whatever the number of series (a body read as it comes). */
export function createVllmCountersFolder(): VllmCountersFolder {
  // Sums (and counts, for the means) of the in-range values of each series in RANGES.
  const sums = new Map<string, number>();
  const counts = new Map<string, number>();
  const rejected: string[] = [];
  let rejectedCount = 0;
  // vllm:cache_config_info{block_size="16",…,num_gpu_blocks="2769",…} 1.0 — an info gauge whose labels carry the
  // CacheConfig; on V1 one per engine ({…,engine="0",…}). Each engine owns its own cache, so blocks are summed
  // once per engine (a repeated label set, as a multiprocess registry can give, is not counted twice).
  const blocksByEngine = new Map<string, number>();
  let blockSize: number | null = null;
  let model: string | null = null;
  const add = (s: PromSeries): void => {
    if (!s.name.startsWith('vllm:')) return;
    if (model === null) {
      const name = Object.hasOwn(s.labels, 'model_name') ? s.labels.model_name : undefined;
      if (name !== undefined && name !== '') model = name;
    }
    if (s.name === 'vllm:cache_config_info') {
      const engine = Object.hasOwn(s.labels, 'engine') ? (s.labels.engine ?? '') : '';
      const blocks = integerLabel(s.labels, 'num_gpu_blocks');
      if (blocks !== null && !blocksByEngine.has(engine)) blocksByEngine.set(engine, blocks);
      blockSize ??= integerLabel(s.labels, 'block_size');
      return;
    }
    const range = RANGES.get(s.name);
    if (range === undefined) return;
    const checked = checkValue(range, s.value);
    if (typeof checked === 'string') {
      rejectedCount++;
      if (rejected.length < MAX_REJECTED) rejected.push(`${s.name} ${checked}`);
      return;
    }
    sums.set(s.name, (sums.get(s.name) ?? 0) + checked);
    counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
  };
  const sum = (name: string): number | null => {
    const total = sums.get(name);
    // A sum of in-range counts can still pass the bound (many engines): past it, it is not a figure either.
    return total === undefined || !Number.isFinite(total) ? null : total;
  };
  const mean = (name: string): number | null => {
    const total = sums.get(name);
    const n = counts.get(name);
    return total === undefined || n === undefined ? null : total / n;
  };
  const finish = (): VllmCounters => {
    const kept = rejected.slice();
    if (rejectedCount > kept.length) kept.push(`${rejectedCount - kept.length} more`);
    const numGpuBlocks = blocksByEngine.size === 0 ? null : [...blocksByEngine.values()].reduce((a, b) => a + b, 0);
    const counters: VllmCounters = {
      running: sum('vllm:num_requests_running'),
      waiting: sum('vllm:num_requests_waiting'),
      // vLLM ≥ 0.9.2 exposes vllm:kv_cache_usage_perc (PR #18354; vllm/v1/metrics/loggers.py: "Deprecated in 0.9.2 -
      // Renamed as vllm:kv_cache_usage_perc"); 0.9.2–0.10.x also keep the deprecated vllm:gpu_cache_usage_perc, which
      // ≤ 0.9.1 has alone, 0.11.x shows only with --show-hidden-metrics-for-version=0.10 and ≥ 0.12 has dropped
      // (PR #29330). Both are 0–1 fractions despite the name. A fraction is averaged, not summed, over data-parallel
      // engines.
      kvCacheUsage: mean('vllm:kv_cache_usage_perc') ?? mean('vllm:gpu_cache_usage_perc'),
      // Counters are defined as "vllm:prompt_tokens" and exposed with the "_total" suffix prometheus_client adds;
      // the "vllm:prompt_tokens_created" gauge next to them is a timestamp, not a count.
      promptTokensTotal: sum('vllm:prompt_tokens_total'),
      generationTokensTotal: sum('vllm:generation_tokens_total'),
      ttftSum: sum('vllm:time_to_first_token_seconds_sum'),
      ttftCount: sum('vllm:time_to_first_token_seconds_count'),
      numGpuBlocks,
      blockSize,
      model,
    };
    // Only when something was left out: a clean scrape's counters have no such field.
    if (kept.length > 0) counters.rejected = kept;
    return counters;
  };
  return { add, finish };
}

/** `next − prev` when both are known; null otherwise. */
function delta(prev: number | null, next: number | null): number | null {
  return prev === null || next === null ? null : next - prev;
}

/** The panel's vLLM figures: gauges from `next`, tokens/s and mean TTFT (s) over next.atMs − prev.atMs, KV bytes. */
export function computeVllmMetrics(
  prev: { counters: VllmCounters; atMs: number } | null,
  next: { counters: VllmCounters; atMs: number },
  isHealthy: boolean,
  bytesPerBlock: number | null,
): VllmMetrics {
  const now = next.counters;
  let promptTokensPerSec: number | null = null;
  let generationTokensPerSec: number | null = null;
  let ttftSeconds: number | null = null;
  const intervalSec = prev === null ? NaN : (next.atMs - prev.atMs) / 1000;
  if (prev !== null && Number.isFinite(intervalSec) && intervalSec > 0) {
    const before = prev.counters;
    const deltas = {
      prompt: delta(before.promptTokensTotal, now.promptTokensTotal),
      generation: delta(before.generationTokensTotal, now.generationTokensTotal),
      ttftSum: delta(before.ttftSum, now.ttftSum),
      ttftCount: delta(before.ttftCount, now.ttftCount),
    };
    // Counters only grow while the server lives: one that went backwards means vLLM restarted between the two
    // scrapes, and every difference across the restart is meaningless.
    const isRestart = Object.values(deltas).some((d) => d !== null && d < 0);
    if (!isRestart) {
      if (deltas.prompt !== null) promptTokensPerSec = deltas.prompt / intervalSec;
      if (deltas.generation !== null) generationTokensPerSec = deltas.generation / intervalSec;
      if (deltas.ttftSum !== null && deltas.ttftCount !== null && deltas.ttftCount > 0) {
        ttftSeconds = deltas.ttftSum / deltas.ttftCount;
      }
    }
  }
  let kvCacheUsedBytes: number | null = null;
  if (now.kvCacheUsage !== null && now.numGpuBlocks !== null && bytesPerBlock !== null) {
    // KV bytes in use = usage fraction × num_gpu_blocks × bytes per block (reference/vllm-memory.md §8).
    const bytes = Math.round(now.kvCacheUsage * now.numGpuBlocks * bytesPerBlock);
    kvCacheUsedBytes = Number.isFinite(bytes) ? bytes : null;
  }
  const metrics: VllmMetrics = {
    isHealthy,
    running: now.running,
    waiting: now.waiting,
    kvCacheUsage: now.kvCacheUsage,
    kvCacheUsedBytes,
    promptTokensPerSec: finiteOrNull(promptTokensPerSec),
    generationTokensPerSec: finiteOrNull(generationTokensPerSec),
    ttftSeconds: finiteOrNull(ttftSeconds),
  };
  if (now.rejected !== undefined) metrics.rejected = now.rejected;
  return metrics;
}

/** The number when finite, else null. */
function finiteOrNull(n: number | null): number | null {
  return n !== null && Number.isFinite(n) ? n : null;
}

// ---------------------------------------------------------------------------------------------------------------
// nvidia-smi streaming query (§F.1)
// ---------------------------------------------------------------------------------------------------------------

/** "[N/A]", "[Not Supported]", "[Unknown Error]", "[Insufficient Permissions]", bare "N/A" / "Not Supported". */
function isNotAvailable(field: string): boolean {
  return /^\[.*\]$/.test(field) || /^(?:N\/A|Not Supported)$/i.test(field);
}

/** A field's number (a unit such as " MiB" or " W" allowed, for output without "nounits"); undefined if not one. */
function numberField(field: string, isSigned: boolean): number | null | undefined {
  if (isNotAvailable(field)) return null;
  const m = /^(-?\d+(?:\.\d+)?)(?:\s*(?:%|MHz|MiB|W|C))?$/.exec(field);
  if (m?.[1] === undefined) return undefined;
  const n = Number(m[1]);
  if (!Number.isFinite(n) || (!isSigned && n < 0)) return undefined;
  return n;
}

/**
 * One line of `nvidia-smi --query-gpu=utilization.gpu,clocks.sm,memory.used,memory.total,temperature.gpu,power.draw
 * --format=csv,noheader,nounits -lms …` as a sample (GPU load %, SM MHz, memory MiB, °C, mW); null if not a data line.
 */
export function parseNvidiaSmiSampleLine(line: string, atIso: string | null): Sample | null {
  // "35, 2520, 10240, 24564, 61, 231.50" (RTX 4090): ", "-separated, memory in MiB, power in W with two decimals.
  // Orin on JetPack 6 answers most fields with "[N/A]"; older drivers print "[Not Supported]". With several GPUs
  // each one gets its own line; this reads one. A header, "No devices were found" or an NVML error is not data.
  const fields = line.split(',').map((f) => f.trim());
  if (fields.length !== 6) return null;
  const [util = '', clock = '', used = '', total = '', temp = '', power = ''] = fields;
  const loadPct = numberField(util, false);
  const freqMHz = numberField(clock, false);
  const usedMiB = numberField(used, false);
  const totalMiB = numberField(total, false);
  const tempC = numberField(temp, true);
  const powerW = numberField(power, false);
  if (
    loadPct === undefined ||
    freqMHz === undefined ||
    usedMiB === undefined ||
    totalMiB === undefined ||
    tempC === undefined ||
    powerW === undefined
  ) {
    return null;
  }
  const sample = emptySample('nvidia-smi');
  sample.time = atIso;
  if (loadPct !== null || freqMHz !== null) sample.gpu = { loadPct, freqMHz };
  // On a discrete GPU the panel's memory bar is the GPU's own memory (memory.used / memory.total), not host RAM;
  // the caller may fill host RAM from /proc/meminfo. On Jetson these fields are "[N/A]" (§F.2), so ram stays null.
  if (usedMiB !== null && totalMiB !== null) sample.ram = { usedMiB, totalMiB };
  if (tempC !== null) sample.temps = { gpu: tempC };
  if (powerW !== null) {
    // One instantaneous reading: power.draw is in W ("231.50"); the average is that same reading.
    const powerMW = Math.round(powerW * 1000);
    sample.power = { GPU: { nowMW: powerMW, avgMW: powerMW } };
  }
  return sample;
}
