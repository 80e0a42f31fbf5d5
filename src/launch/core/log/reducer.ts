/**
 * Reducer over vLLM start-up logs, 0.6.3 (V0) to the newest V1: which launch stage has been reached and when,
 * every memory figure vLLM prints on the way, and the most specific fatal error.
 * Format: reference/vllm-memory.md §7 (log lines, suggested regexes, fatal patterns), §1.1 / §2.1 (stage order).
 * The grammar is one file per version family: common-lines.ts, v0-lines.ts, v1-lines.ts, newest-lines.ts; the
 * fatal patterns are in failures.ts.
 * Pure and total: any string in, a new state out, never a throw. Every pattern is searched anywhere in the line,
 * so the prefixes `INFO 01-23 07:32:01 model_runner.py:1060] ` (V0), `INFO 03-18 12:34:56 [core.py:53] ` (V1),
 * `(EngineCore_0 pid=107) `, `(Worker_TP1 pid=448) `, uvicorn's `INFO:     ` and a mangled `NFO 12-17 …` (a lost
 * leading I, jetson-containers#1568) all pass. Sizes are bytes: vLLM's GiB (and its "GB", which is GiB) × 2^30.
 */
import {
  COMMON_FIGURE_RULES,
  COMMON_STAGE_MARKERS,
  ENGINE_CONFIG_RE,
  SERVER_URL_RES,
  SERVER_VERSION_RES,
} from './common-lines.js';
import { ESTIMATED_MAX_LEN_RE, FAILURE_RANK, detectFailure } from './failures.js';
import { gibToBytes, toNumber, type FigureRule, type NumberKey, type StageMarker } from './grammar.js';
import { NEWEST_FIGURE_RULES, NEWEST_STAGE_MARKERS } from './newest-lines.js';
import {
  STAGE_RANK,
  initialLogState,
  type FailureFigures,
  type LaunchStage,
  type LogFailure,
  type LogFigures,
  type LogState,
} from './state.js';
import { V0_FIGURE_RULES, V0_ONLY_RE, V0_STAGE_MARKERS } from './v0-lines.js';
import { V1_FIGURE_RULES, V1_ONLY_RE, V1_STAGE_MARKERS } from './v1-lines.js';

/** Longer lines are cut before matching, so a runaway line cannot make the regexes slow. */
const MAX_LINE_CHARS = 65_536;

// ---------------------------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------------------------

/**
 * Every figure rule, in the order they apply to a line. Order matters only between rules of one figure (a later
 * plain rule overwrites, a later fallback yields), and those keep their order: the families go oldest first.
 */
const FIGURE_RULES: readonly FigureRule[] = [
  ...COMMON_FIGURE_RULES,
  ...V0_FIGURE_RULES,
  ...V1_FIGURE_RULES,
  ...NEWEST_FIGURE_RULES,
];

/** The figures after one line; the same object when the line holds none. */
function readFigures(text: string, figures: LogFigures): LogFigures {
  const next: LogFigures = { ...figures };
  let isChanged = false;
  const put = <K extends keyof LogFigures>(key: K, value: LogFigures[K]): void => {
    if (value === null || next[key] === value) return;
    next[key] = value;
    isChanged = true;
  };
  for (const rule of FIGURE_RULES) {
    const match = rule.re.exec(text);
    if (match === null) continue;
    rule.keys.forEach((key, i) => {
      if (key === undefined || (rule.isFallback === true && next[key] !== null)) return;
      const group = match[i + 1];
      put(key, rule.isGiB === true ? gibToBytes(group) : toNumber(group));
    });
  }
  const config = ENGINE_CONFIG_RE.exec(text);
  if (config !== null) {
    // No tag (V0 up to 0.7.0) and `V0` (0.7.1–0.10) are the V0 engine; `V1` the V1 engine.
    put('engine', config[1] === 'V1' ? 'v1' : 'v0');
    put('vllmVersion', config[2] ?? null);
  } else if (next.engine === null) {
    if (V1_ONLY_RE.test(text)) put('engine', 'v1');
    else if (V0_ONLY_RE.test(text)) put('engine', 'v0');
  }
  for (const re of SERVER_VERSION_RES) put('vllmVersion', re.exec(text)?.[1] ?? null);
  for (const re of SERVER_URL_RES) put('serverUrl', re.exec(text)?.[1] ?? null);
  return isChanged ? next : figures;
}

// ---------------------------------------------------------------------------------------------------------------
// Stages
// ---------------------------------------------------------------------------------------------------------------

/** Marker lines per stage (§7 table); a line that matches several counts for the latest stage. */
const STAGE_MARKERS: readonly StageMarker[] = [
  ...COMMON_STAGE_MARKERS,
  ...V0_STAGE_MARKERS,
  ...V1_STAGE_MARKERS,
  ...NEWEST_STAGE_MARKERS,
];

/** The latest stage a line marks, or null. */
function markedStage(text: string): LaunchStage | null {
  let best: LaunchStage | null = null;
  for (const [stage, re] of STAGE_MARKERS) {
    if ((best === null || STAGE_RANK[stage] > STAGE_RANK[best]) && re.test(text)) best = stage;
  }
  return best;
}

/** The stages with `stage` appended at `atMs` when it is later than the last one; the same array otherwise. */
function advanceStages(stages: LogState['stages'], stage: LaunchStage, atMs: number): LogState['stages'] {
  const last = stages.at(-1);
  if (last !== undefined && STAGE_RANK[stage] <= STAGE_RANK[last.stage]) return stages;
  return [...stages, { stage, atMs }];
}

// ---------------------------------------------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------------------------------------------

/** The last stage reached before any failure, or null when none was seen. */
function progressStage(stages: LogState['stages']): LaunchStage | null {
  for (let i = stages.length - 1; i >= 0; i--) {
    const entry = stages[i];
    if (entry !== undefined && entry.stage !== 'failed') return entry.stage;
  }
  return null;
}

/** The state with `failure` recorded when it outranks the current one (stage 'failed' from `atMs`). */
function recordFailure(state: LogState, failure: LogFailure, atMs: number): LogState {
  if (state.failure !== null && FAILURE_RANK[failure.kind] <= FAILURE_RANK[state.failure.kind]) return state;
  return { ...state, stage: 'failed', stages: advanceStages(state.stages, 'failed', atMs), failure };
}

/** Figures a failure line gives that the log has not printed otherwise (filled only while unknown). */
function fillFromFailure(figures: LogFigures, failure: LogFailure): LogFigures {
  const f = failure.figures;
  const num = (key: string): number | null => {
    const value = f[key];
    return typeof value === 'number' ? value : null;
  };
  const fills: Partial<Record<NumberKey, number | null>> =
    failure.kind === 'max-len'
      ? { maxModelLen: num('maxModelLen'), availableKvBytes: num('availableKvBytes'), kvTokens: num('kvTokens') }
      : failure.kind === 'startup-free-memory'
        ? { totalGpuMemoryBytes: num('totalBytes'), gpuMemoryUtilization: num('gpuMemoryUtilization') }
        : {};
  let next = figures;
  for (const [key, value] of Object.entries(fills) as [NumberKey, number | null][]) {
    if (value !== null && next[key] === null) next = { ...next, [key]: value };
  }
  return next;
}

// ---------------------------------------------------------------------------------------------------------------
// Reducer
// ---------------------------------------------------------------------------------------------------------------

/** ANSI colour codes (`VLLM_LOGGING_COLOR`, tqdm) are removed before matching. */
const ANSI_RE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[ -/]*[@-~]`, 'g');

/** Returns the state after one log line seen at `atMs` (ms, any clock): stage, figures and failure updated. */
export function parseLogLine(state: LogState, line: string, atMs: number): LogState {
  const raw = typeof line === 'string' ? line : '';
  const text = raw.slice(0, MAX_LINE_CHARS).replace(ANSI_RE, '').trim();
  let next: LogState = { ...state, lines: state.lines + 1, figures: readFigures(text, state.figures) };
  const stage = markedStage(text);
  if (stage !== null && next.stage !== 'failed') {
    const stages = advanceStages(next.stages, stage, atMs);
    if (stages !== next.stages) next = { ...next, stage, stages };
  }
  const failure = detectFailure(text, progressStage(next.stages));
  if (failure !== null) {
    next = recordFailure(next, failure, atMs);
    next = { ...next, figures: fillFromFailure(next.figures, failure) };
  } else if (next.failure?.kind === 'max-len' && next.failure.figures.estimatedMaxModelLen === undefined) {
    // The estimate sometimes ends up on a line of its own after the ValueError (a wrapped message).
    const estimate = toNumber(ESTIMATED_MAX_LEN_RE.exec(text)?.[1]);
    if (estimate !== null) {
      const figures = { ...next.failure.figures, estimatedMaxModelLen: estimate };
      next = { ...next, failure: { ...next.failure, figures } };
    }
  }
  return next;
}

/** Exits that are a user's stop, not a failure: SIGINT / SIGTERM and their shell codes 130 / 143. */
const STOP_SIGNALS = new Set(['SIGINT', 'SIGTERM']);
const STOP_EXIT_CODES = new Set([0, 130, 143]);

/**
 * Returns the state after the process ended: exit 137 or SIGKILL → 'oom-killed' (the Jetson OOM killer) unless a
 * more specific failure is known; any other non-zero exit or crash signal with no failure known → 'engine-failed'.
 * A SIGKILL the launcher sent itself (quit escalation) is a stop: pass `signal` null for it.
 */
export function markExited(state: LogState, exitCode: number | null, signal: string | null, atMs: number): LogState {
  const code = typeof exitCode === 'number' && Number.isFinite(exitCode) ? exitCode : null;
  const sig = typeof signal === 'string' && signal !== '' ? signal : null;
  const figures: FailureFigures = {};
  if (code !== null) figures.exitCode = code;
  if (sig !== null) figures.signal = sig;
  const what = [code === null ? null : `exit code ${code}`, sig === null ? null : `signal ${sig}`]
    .filter((part) => part !== null)
    .join(', ');
  if (code === 137 || sig === 'SIGKILL') {
    return recordFailure(state, { kind: 'oom-killed', line: what, figures }, atMs);
  }
  const isCrash = (code !== null && !STOP_EXIT_CODES.has(code)) || (sig !== null && !STOP_SIGNALS.has(sig));
  if (!isCrash) return state;
  return recordFailure(state, { kind: 'engine-failed', line: what, figures }, atMs);
}

/** Returns the state after all `lines`, the i-th seen at atMs = i (a list carries no clock). */
export function parseLog(lines: string[]): LogState {
  return lines.reduce<LogState>((state, line, i) => parseLogLine(state, line, i), initialLogState());
}
