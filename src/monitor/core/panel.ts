/**
 * The live panel: its state (latest sample, 60-sample histories, source and server status, log tail),
 * the events that change it, and the text it shows. Rendered as plain lines (with optional SGR colour),
 * not with Ink: the panel runs beside the model for hours, and Ink costs ~15× a plain-ANSI redraw
 * (reference perf-baseline.md §3). Pure.
 */
import type { Sample, SampleSource, VllmMetrics } from './sample.js';
import { summarizeCpu } from './tegrastats.js';
import { formatGpuShare, type GpuShare } from './gpu-share.js';

/** Samples kept for sparklines (60 at 1 Hz = one minute). */
export const HISTORY = 60;
/** Log lines kept for the tail. */
export const LOG_LINES = 200;

export type SourceStatus = { kind: 'starting' } | { kind: 'live' } | { kind: 'ended'; why: string };
export type ServerStatus = { kind: 'none' } | { kind: 'up' } | { kind: 'down'; why: string };

export interface PanelState {
  source: SampleSource;
  sourceLabel: string;
  sourceStatus: SourceStatus;
  server: ServerStatus;
  serverUrl: string | null;
  latest: Sample | null;
  vllm: VllmMetrics | null;
  gpuLoad: (number | null)[];
  promptTps: (number | null)[];
  genTps: (number | null)[];
  log: string[];
  isPaused: boolean;
  isLogShown: boolean;
  /** The plan's predicted total, marked on the RAM bar. */
  predictedBytes: number | null;
  /** Memory the vLLM process holds (RSS), when known. */
  vllmRssBytes: number | null;
  /** The board's GPU memory in use (NvMapMemUsed), when the board reports it. */
  gpuMemBytes: number | null;
  /** The vLLM processes' own GPU memory (per process: nvidia-smi or nvmap clients), or why it is unknown. */
  vllmGpuShare: GpuShare | null;
  /** The fan's duty in percent (hwmon pwm-fan), when the board has one. */
  fanPct: number | null;
  /** RAM in use (MiB) of the last HISTORY samples, for the RAM sparkline. */
  ramUsed: (number | null)[];
  /** What the look for a server found when none was given (shown under the vLLM lines), or null. */
  serverNote: string | null;
  /** Lines that were not stats (counted and skipped). */
  skippedLines: number;
  intervalMs: number;
}

export type PanelEvent =
  | { type: 'sampleReceived'; sample: Sample; gpuMemBytes?: number | null; fanPct?: number | null }
  | { type: 'lineSkipped' }
  | { type: 'sourceEnded'; why: string }
  | { type: 'serverPolled'; metrics: VllmMetrics }
  | { type: 'serverUnreachable'; why: string }
  | { type: 'logLineReceived'; line: string }
  | { type: 'pauseToggled' }
  | { type: 'logToggled' }
  | { type: 'vllmRssMeasured'; bytes: number | null }
  | { type: 'vllmGpuShareMeasured'; share: GpuShare | null };

export function createPanelState(init: {
  source: SampleSource;
  sourceLabel: string;
  serverUrl: string | null;
  predictedBytes: number | null;
  intervalMs: number;
  serverNote?: string | null;
}): PanelState {
  return {
    source: init.source,
    sourceLabel: init.sourceLabel,
    sourceStatus: { kind: 'starting' },
    server: { kind: 'none' },
    serverUrl: init.serverUrl,
    latest: null,
    vllm: null,
    gpuLoad: [],
    promptTps: [],
    genTps: [],
    log: [],
    isPaused: false,
    isLogShown: false,
    predictedBytes: init.predictedBytes,
    vllmRssBytes: null,
    gpuMemBytes: null,
    vllmGpuShare: null,
    fanPct: null,
    ramUsed: [],
    serverNote: init.serverNote ?? null,
    skippedLines: 0,
    intervalMs: init.intervalMs,
  };
}

/** The list with `value` appended, keeping the last `max` (a new array: states are never changed). */
function push<T>(list: T[], value: T, max: number): T[] {
  const kept = list.slice(Math.max(0, list.length - max + 1));
  kept.push(value);
  return kept;
}

const LIVE: SourceStatus = Object.freeze({ kind: 'live' });

/** Applies one event. While paused, data events are dropped (the screen holds still). */
export function panelReducer(state: PanelState, event: PanelEvent): PanelState {
  switch (event.type) {
    case 'sampleReceived':
      if (state.isPaused) return state;
      return {
        ...state,
        sourceStatus: LIVE,
        latest: event.sample,
        gpuMemBytes: event.gpuMemBytes ?? null,
        fanPct: event.fanPct ?? null,
        ramUsed: push(state.ramUsed, event.sample.ram?.usedMiB ?? null, HISTORY),
        gpuLoad: push(state.gpuLoad, event.sample.gpu?.loadPct ?? null, HISTORY),
      };
    case 'lineSkipped':
      return { ...state, skippedLines: state.skippedLines + 1 };
    case 'sourceEnded':
      return { ...state, sourceStatus: { kind: 'ended', why: event.why } };
    case 'serverPolled': {
      const server: ServerStatus = event.metrics.isHealthy
        ? { kind: 'up' }
        : { kind: 'down', why: '/health is not 200' };
      if (state.isPaused) return { ...state, server };
      return {
        ...state,
        server,
        vllm: event.metrics,
        promptTps: push(state.promptTps, event.metrics.promptTokensPerSec, HISTORY),
        genTps: push(state.genTps, event.metrics.generationTokensPerSec, HISTORY),
      };
    }
    case 'serverUnreachable':
      return { ...state, server: { kind: 'down', why: event.why } };
    case 'logLineReceived':
      return { ...state, log: push(state.log, event.line, LOG_LINES) };
    case 'pauseToggled':
      return { ...state, isPaused: !state.isPaused };
    case 'logToggled':
      return { ...state, isLogShown: !state.isLogShown };
    case 'vllmRssMeasured':
      return { ...state, vllmRssBytes: event.bytes };
    case 'vllmGpuShareMeasured':
      return { ...state, vllmGpuShare: event.share };
    default: {
      const unreachable: never = event;
      throw new Error(`unknown event ${String(unreachable)}`);
    }
  }
}

const SPARKS = '▁▂▃▄▅▆▇█';

/** A sparkline of the values (null → a gap), scaled to `max` (or to the largest value). */
export function buildSparkline(values: (number | null)[], width: number, max?: number): string {
  // The last `width` values, read in place (one string built, no arrays): this runs every tick.
  const start = Number.isInteger(width) && width > 0 ? Math.max(0, values.length - width) : -1;
  if (start === -1) return buildSparklineFrom(values.slice(-width), max);
  let top = max;
  if (top === undefined) {
    top = 1e-9;
    for (let i = start; i < values.length; i++) top = Math.max(top, values[i] ?? 0);
  }
  let out = '';
  for (let i = start; i < values.length; i++) out += sparkOf(values[i] ?? null, top);
  return out;
}

function sparkOf(v: number | null, top: number): string {
  if (v === null || !Number.isFinite(v)) return ' ';
  const i = Math.min(SPARKS.length - 1, Math.max(0, Math.round((v / top) * (SPARKS.length - 1))));
  return SPARKS[i] ?? ' ';
}

/** buildSparkline for any other width (0, negative, fractional: what `slice(-width)` keeps). */
function buildSparklineFrom(shown: (number | null)[], max?: number): string {
  const top = max ?? Math.max(1e-9, ...shown.map((v) => v ?? 0));
  return shown.map((v) => sparkOf(v, top)).join('');
}

export interface RenderOptions {
  columns: number;
  rows: number;
  isColor: boolean;
}

const gib = (mib: number): string => (mib / 1024).toFixed(1);
const fmt = (v: number | null | undefined, digits = 0, unit = ''): string =>
  v === null || v === undefined ? 'N/A' : `${v.toFixed(digits)}${unit}`;

function paint(o: RenderOptions, code: number, text: string): string {
  return o.isColor ? `\u001b[${code}m${text}\u001b[0m` : text;
}

/** A bar of `width` cells with `used` of `total` filled, and optional markers (▲ at a position). */
export function buildBar(used: number, total: number, width: number, marks: { at: number; ch: string }[] = []): string {
  if (marks.length === 0 && Number.isInteger(width) && width >= 0) {
    // Two runs of one character each: no array of cells (the panel draws two bars every tick).
    const share = total > 0 ? Math.round((used / total) * width) : 0;
    const filled = share > 0 ? Math.min(width, share) : 0; // NaN, negative → none
    return '█'.repeat(filled) + '·'.repeat(width - filled);
  }
  const cells: string[] = Array.from({ length: width }, (_, i) =>
    total > 0 && i < Math.round((used / total) * width) ? '█' : '·',
  );
  for (const m of marks) {
    const i = Math.min(width - 1, Math.max(0, Math.round((m.at / Math.max(total, 1)) * width) - 1));
    cells[i] = m.ch;
  }
  return cells.join('');
}

/** Sensors that print a fixed value instead of a reading (PMIC at 100 °C on Nano and TX2 lines): left out. */
function isPlaceholderTemp(name: string, celsius: number): boolean {
  return name.toUpperCase() === 'PMIC' && celsius === 100;
}

/** The rail's short name for an 80-column row: VDD_CPU_GPU_CV → CPU_GPU_CV, POM_5V_GPU → GPU. */
function shortRailName(name: string): string {
  return name.replace(/^(VDD_|POM_5V_|VIN_)/, '') || name;
}

/** Whether a rail is the board's input (shown as the total), or one tegrastats marks not connected (NC). */
const INPUT_RAILS = ['VDD_IN', 'POM_5V_IN', 'VIN'];

/** The tokens laid out on rows of at most `width` columns: the first after `first`, the rest after `indent`. */
function wrapTokens(first: string, tokens: string[], indent: string, width: number, maxRows: number): string[] {
  const rows: string[] = [];
  let row = first;
  for (const token of tokens) {
    const candidate = row === indent || row === first ? `${row}${token}` : `${row} ${token}`;
    if (candidate.length <= width || row === indent) row = candidate;
    else {
      rows.push(row);
      if (rows.length >= maxRows) return rows;
      row = `${indent}${token}`;
    }
  }
  rows.push(row);
  return rows.slice(0, maxRows);
}

/** The hardware engines that run now (NVENC, NVDEC, NVJPG, DLA, PVA, VIC, OFA), as "NVENC0 40%@716": APE (audio) left out. */
function formatActiveEngines(s: Sample): string[] {
  const active: string[] = [];
  for (const [name, e] of Object.entries(s.engines)) {
    if (e.state !== 'on' || name === 'APE') continue;
    const load = e.loadPct !== null ? `${e.loadPct.toFixed(0)}%` : '';
    const freq = e.freqMHz !== null ? `@${e.freqMHz}` : '';
    active.push(`${name}${load !== '' || freq !== '' ? ` ${load}${freq}` : ''}`);
  }
  return active;
}

/** Returns the words for actual memory above the plan's prediction ("RAM 0.8 GiB above the plan…"), or null. */
export function describeAbovePlan(usedBytes: number, predictedBytes: number | null): string | null {
  if (predictedBytes === null || !(usedBytes > predictedBytes)) return null;
  const over = (usedBytes - predictedBytes) / 1024 ** 3;
  return `▲ RAM in use is ${over.toFixed(1)} GiB above the plan (${(usedBytes / 1024 ** 3).toFixed(1)} GiB used, ${(predictedBytes / 1024 ** 3).toFixed(1)} GiB planned)`;
}

/** The board's lines for one sample: RAM (+ its history), swap, CPU, GPU, engines, EMC, fan, temperatures, power. */
function renderBoardLines(
  state: PanelState,
  s: Sample,
  o: RenderOptions,
  w: number,
  barW: number,
  wide: boolean,
): string[] {
  const lines: string[] = [];
  if (s.ram !== null) {
    const marks: { at: number; ch: string }[] = [];
    const totalBytes = s.ram.totalMiB * 1024 * 1024;
    if (state.predictedBytes !== null)
      marks.push({ at: (state.predictedBytes / totalBytes) * s.ram.totalMiB, ch: '▲' });
    const label = s.source === 'nvidia-smi' ? 'VRAM' : 'RAM ';
    // CUDA memory on a Jetson is NvMap, not any process's RSS: the board's figure says what the GPU holds.
    const gpuPart = state.gpuMemBytes !== null ? ` GPU ${(state.gpuMemBytes / 1024 ** 3).toFixed(1)}G` : '';
    const rss = state.vllmRssBytes;
    const vllmPart = rss !== null && rss >= 0.05 * 1024 ** 3 ? ` vLLM ${(rss / 1024 ** 3).toFixed(1)}G` : '';
    const plan = state.predictedBytes !== null ? ` ▲plan ${(state.predictedBytes / 1024 ** 3).toFixed(1)}G` : '';
    lines.push(
      `${label} [${buildBar(s.ram.usedMiB, s.ram.totalMiB, barW, marks)}] ${gib(s.ram.usedMiB)}/${gib(s.ram.totalMiB)} GiB${gpuPart}${vllmPart}${plan}`,
    );
    if (state.ramUsed.length > 1)
      lines.push(
        `     ${buildSparkline(state.ramUsed, Math.min(HISTORY, w - 20), s.ram.totalMiB)} RAM, last ${state.ramUsed.length} samples`,
      );
    const above = describeAbovePlan(s.ram.usedMiB * 1024 * 1024, state.predictedBytes);
    if (above !== null) lines.push(paint(o, 33, above));
  } else lines.push('RAM  N/A');
  if (s.swap !== null) {
    lines.push(
      `SWAP [${buildBar(s.swap.usedMiB, s.swap.totalMiB, barW)}] ${gib(s.swap.usedMiB)}/${gib(s.swap.totalMiB)} GiB${s.swap.cachedMiB !== null ? ` (cached ${s.swap.cachedMiB} MiB)` : ''}`,
    );
  } else lines.push('SWAP N/A');
  const sum = summarizeCpu(s); // CPU figures only: the Temp line lists the sensors itself
  if (s.cpu.length > 0) {
    const cores = s.cpu.map((c) => (c === null ? 'off' : fmt(c.loadPct))).join(' ');
    const freq = s.cpu.find((c) => c?.freqMHz != null)?.freqMHz;
    lines.push(
      `CPU  ${fmt(sum.cpuAvgPct, 0, '%')} avg, ${sum.cpuOnline}/${s.cpu.length} on${freq != null ? ` @${freq} MHz` : ''}  [${cores}]`,
    );
  } else lines.push('CPU  N/A');
  const gpu = s.gpu;
  lines.push(
    `GPU  ${gpu === null ? 'N/A' : `${fmt(gpu.loadPct, 0, '%')} @ ${fmt(gpu.freqMHz, 0, ' MHz')}`}  ${buildSparkline(state.gpuLoad, wide ? 60 : 30, 100)}`,
  );
  const engines = formatActiveEngines(s);
  if (engines.length > 0) lines.push(...wrapTokens('ENG  ', engines, '     ', w, 2));
  const temps = Object.entries(s.temps)
    .filter(([n, t]) => !isPlaceholderTemp(n, t))
    .sort((a, b) => b[1] - a[1])
    .slice(0, wide ? 6 : 3);
  const emc = s.emc === null ? 'N/A' : `${fmt(s.emc.loadPct, 0, '%')} @ ${fmt(s.emc.freqMHz, 0, ' MHz')}`;
  const fan = state.fanPct !== null ? `   FAN ${state.fanPct.toFixed(0)}%` : '';
  lines.push(
    `EMC  ${emc}${fan}   Temp ${temps.length === 0 ? 'N/A' : temps.map(([n, t]) => `${n} ${t.toFixed(1)}°C`).join(' ')}`,
  );
  const rails = Object.entries(s.power);
  const inputName = INPUT_RAILS.find((n) => Object.hasOwn(s.power, n));
  const input = inputName !== undefined ? s.power[inputName] : undefined;
  const inputText =
    input !== undefined
      ? `${(input.nowMW / 1000).toFixed(1)} W (avg ${(input.avgMW / 1000).toFixed(1)} W)`
      : rails.length > 0
        ? `${(rails.reduce((a, [, r]) => a + r.nowMW, 0) / 1000).toFixed(1)} W (sum of module rails)`
        : 'N/A';
  if (wide) {
    lines.push(
      `PWR  ${inputText}${rails.length > 0 ? `   ${rails.map(([n, r]) => `${n} ${(r.nowMW / 1000).toFixed(1)}W`).join(' ')}` : ''}`,
    );
  } else {
    // Every rail but the input (already the total) and those not connected, in short names, on up to two rows.
    const tokens = rails
      .filter(([n]) => n !== inputName && !/^NC(#\d+)?$/.test(n))
      .map(([n, r]) => `${shortRailName(n)} ${(r.nowMW / 1000).toFixed(1)}`);
    lines.push(...wrapTokens(`PWR  ${inputText}${tokens.length > 0 ? '  ' : ''}`, tokens, '     ', w, 2));
  }
  return lines;
}

/** Returns the text cut to `max` characters from the left ("…/tegrastats-night.log"): a file's name is at its end. */
function shortenFromLeft(text: string, max: number): string {
  if (text.length <= max) return text;
  return max <= 1 ? '…' : `…${text.slice(text.length - (max - 1))}`;
}

/**
 * The first line: source, its status, the sample's time. Over the width, a replayed file's path is shortened
 * first (from the left: its name is at its end), then the time and the program's name dropped, then the replay
 * tag shortened, so the status — "stopped: end of the replayed file" — stays visible.
 */
function renderHeader(state: PanelState, o: RenderOptions, w: number): string {
  const st = state.sourceStatus;
  const suffix = st.kind === 'ended' ? ` stopped: ${st.why}` : st.kind === 'starting' ? ' starting…' : '';
  const paused = state.isPaused ? ' · PAUSED' : '';
  const isReplay = state.source === 'replay';
  let time = state.latest?.time != null ? ` · ${state.latest.time.replace('T', ' ')}` : '';
  let tag = isReplay ? ' REPLAY (recorded data) ' : '';
  let name = 'jetson-vllm · ';
  // "replay of <path>": the words stay, the path is what gets shortened.
  const prefix = /^replay of /.exec(state.sourceLabel)?.[0] ?? '';
  const file = state.sourceLabel.slice(prefix.length);
  let shownFile = file;
  const width = (): number =>
    (tag === '' ? 0 : tag.length + 1) +
    name.length +
    prefix.length +
    shownFile.length +
    suffix.length +
    time.length +
    paused.length;
  const MIN_FILE = 10;
  const shorten = (): void => {
    shownFile = shortenFromLeft(file, Math.max(MIN_FILE, shownFile.length - (width() - w)));
  };
  if (width() > w) shorten();
  if (width() > w) time = '';
  if (width() > w) name = '';
  if (width() > w && isReplay) tag = ' REPLAY ';
  if (width() > w) shorten();
  const label = `${prefix}${shownFile}`;
  const status = st.kind === 'ended' ? paint(o, 31, `${label}${suffix}`) : `${label}${suffix}`;
  const replay = tag !== '' ? `${paint(o, 7, tag)} ` : '';
  return `${replay}${name}${status}${time}${state.isPaused ? paint(o, 33, paused) : ''}`;
}

/** The panel as lines (at most `rows`, each at most `columns` visible characters). */
export function renderPanel(state: PanelState, o: RenderOptions): string[] {
  const w = Math.max(40, o.columns);
  const wide = w >= 100;
  const s = state.latest;
  const lines: string[] = [];
  lines.push(renderHeader(state, o, w));
  const barW = Math.max(10, Math.min(wide ? 50 : 26, w - 44));
  if (s === null) {
    lines.push(
      state.sourceStatus.kind === 'ended'
        ? 'No data: the source ended before its first sample.'
        : 'Waiting for the first sample…',
    );
  } else {
    lines.push(...renderBoardLines(state, s, o, w, barW, wide));
  }
  // vLLM
  if (state.serverUrl === null) {
    lines.push('vLLM no server given (--url)');
  } else if (state.server.kind === 'down') {
    lines.push(`vLLM ${paint(o, 31, '● down')} ${state.serverUrl}: ${state.server.why}`);
  } else if (state.server.kind === 'none' || state.vllm === null) {
    lines.push(`vLLM ${state.serverUrl}: waiting for the first poll…`);
  } else {
    const v = state.vllm;
    // A fraction outside 0–1 is not shown (the metrics core leaves such values out; this holds for any state).
    const kv =
      v.kvCacheUsage === null || !(v.kvCacheUsage >= 0 && v.kvCacheUsage <= 1)
        ? 'N/A'
        : `${(v.kvCacheUsage * 100).toFixed(0)}%${v.kvCacheUsedBytes !== null ? ` (${(v.kvCacheUsedBytes / 1024 ** 3).toFixed(2)} GiB)` : ''}`;
    lines.push(
      `vLLM ${paint(o, 32, '● healthy')}  running ${fmt(v.running)}  waiting ${fmt(v.waiting)}  KV cache ${kv}  TTFT ${fmt(v.ttftSeconds, 2, ' s')}`,
    );
    const sw = wide ? 30 : 14;
    lines.push(
      `     prompt ${fmt(v.promptTokensPerSec, 1)} tok/s ${buildSparkline(state.promptTps, sw)}  gen ${fmt(v.generationTokensPerSec, 1)} tok/s ${buildSparkline(state.genTps, sw)}`,
    );
    if (v.rejected !== undefined && v.rejected.length > 0)
      lines.push(paint(o, 33, `     N/A (out of range): ${v.rejected.join('; ')}`));
    // CUDA memory is in no process's RSS: vLLM's own GPU memory, per process, where the machine tells it.
    if (state.vllmGpuShare !== null) lines.push(`     ${formatGpuShare(state.vllmGpuShare)}`);
  }
  if (state.serverNote !== null) lines.push(paint(o, 2, `     ${state.serverNote}`));
  if (state.isLogShown) {
    lines.push('── log (l hides) ──');
    const room = Math.max(1, o.rows - lines.length - 2);
    const tail = state.log.slice(-room);
    if (tail.length === 0) lines.push('(no log lines)');
    lines.push(...tail);
  }
  if (state.skippedLines > 0) lines.push(paint(o, 2, `${state.skippedLines} line(s) that were not stats skipped`));
  lines.push(paint(o, 2, 'p pause  l log  q quit'));
  return lines.slice(0, o.rows).map((l) => truncateVisible(l, w));
}

/** Cuts a line to `width` visible characters, keeping SGR sequences intact. */
export function truncateVisible(line: string, width: number): string {
  // No more UTF-16 units than columns: nothing to cut (escape sequences only make a line longer).
  if (line.length <= width) return line;
  // The line up to its `width`-th visible character as one slice, then only the SGR sequences after it.
  let i = 0;
  let visible = 0;
  for (; i < line.length && !(visible >= width); i++) {
    if (line.charCodeAt(i) === 0x1b) {
      const end = line.indexOf('m', i);
      if (end !== -1) {
        i = end;
        continue;
      }
    }
    visible++;
  }
  let out = line.slice(0, i);
  for (; i < line.length; i++) {
    if (line.charCodeAt(i) !== 0x1b) continue;
    const end = line.indexOf('m', i);
    if (end === -1) continue;
    out += line.slice(i, end + 1);
    i = end;
  }
  return out;
}
