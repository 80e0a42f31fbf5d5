/**
 * Telemetry sources: one tegrastats child, one nvidia-smi child, or a /proc poller; a replay of a
 * tegrastats log file; and the vLLM poller. Each reports through callbacks and stops cleanly.
 */
import { access, open, stat, type FileHandle } from 'node:fs/promises';
import { constants, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  computeVllmMetrics,
  createVllmCountersFolder,
  extractVllmMetrics,
  parseNvidiaSmiSampleLine,
  parsePrometheusLine,
  type VllmCounters,
} from './core/metrics.js';
import { buildProcSample } from './core/proc-sampler.js';
import type { Sample, VllmMetrics } from './core/sample.js';
import { parseTegrastatsLine } from './core/tegrastats.js';
import { createLineSplitter, LINE_CUT_MARKER, REPLAY_LINE_LIMIT } from './core/line-splitter.js';
import { describeFileError, describeReplayRefusal, type FileKind } from './core/monitor-options.js';
import { getBounded } from '../process/http-get.js';
import { UserError } from '../shared/errors.js';
import { spawnLines } from '../process/spawn-lines.js';

export interface SourceHandlers {
  /** A sample; a returned promise (a recorder draining) is waited for by a source that can wait (a replay). */
  onSample: (sample: Sample) => Promise<void> | undefined | void;
  onSkipped: (line: string) => void;
  onEnd: (why: string) => void;
}

export interface RunningSource {
  stop: () => Promise<void>;
  /** Resolves when the source has ended by itself or been stopped. */
  done: Promise<void>;
}

/** The first executable called `name` on PATH, or null. */
export async function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, name);
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * One long-running child whose every stdout line is parsed into a sample (a line that is not one is
 * reported as skipped); its end is reported with the program's name.
 */
function startLineSource(
  cmd: string,
  args: string[],
  name: string,
  parse: (line: string) => Sample | null,
  h: SourceHandlers,
  env?: NodeJS.ProcessEnv,
): RunningSource {
  const child = spawnLines(
    cmd,
    args,
    (line) => {
      const sample = parse(line);
      // A live child cannot be slowed down: its samples are written as they come, in order.
      if (sample !== null) void h.onSample(sample);
      else if (line.trim() !== '') h.onSkipped(line);
    },
    env !== undefined ? { env } : {},
  );
  const done = child.exited.then(({ exitCode, signal }) =>
    h.onEnd(signal !== null ? `${name} ended (${signal})` : `${name} exited (code ${exitCode ?? '?'})`),
  );
  return { stop: () => child.stop(), done };
}

/** `tegrastats --interval <ms>` as a child; never `--stop` (it would kill other users' loggers). */
export function startTegrastats(
  cmd: string,
  intervalMs: number,
  h: SourceHandlers,
  env?: NodeJS.ProcessEnv,
): RunningSource {
  const parse = (line: string): Sample | null => {
    const parsed = parseTegrastatsLine(line);
    return parsed.kind === 'stats' ? parsed.sample : null;
  };
  return startLineSource(cmd, ['--interval', String(intervalMs)], 'tegrastats', parse, h, env);
}

/** The query the nvidia-smi sampler runs, once a `-lms` period. */
export const NVIDIA_SMI_SAMPLE_ARGS = [
  '--query-gpu=utilization.gpu,clocks.sm,memory.used,memory.total,temperature.gpu,power.draw',
  '--format=csv,noheader,nounits',
];

/** `nvidia-smi --query-gpu=… -lms <ms>` as one child. */
export function startNvidiaSmi(
  cmd: string,
  intervalMs: number,
  h: SourceHandlers,
  env?: NodeJS.ProcessEnv,
): RunningSource {
  const parse = (line: string): Sample | null => parseNvidiaSmiSampleLine(line, new Date().toISOString());
  return startLineSource(cmd, [...NVIDIA_SMI_SAMPLE_ARGS, '-lms', String(intervalMs)], 'nvidia-smi', parse, h, env);
}

/** Polls /proc/meminfo, /proc/stat and /proc/swaps (no subprocess per tick). */
export function startProc(intervalMs: number, h: SourceHandlers, root = '/'): RunningSource {
  let prevStat: string | null = null;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  // Synchronous: three small files served from kernel memory, cheaper read at once than through the thread pool.
  const read = (p: string): string | null => {
    try {
      return readFileSync(path.join(root, p), 'utf8');
    } catch {
      return null;
    }
  };
  const tick = (): void => {
    const meminfo = read('/proc/meminfo');
    const stat = read('/proc/stat');
    const swaps = read('/proc/swaps');
    if (meminfo === null || stat === null) {
      h.onSkipped('/proc/meminfo or /proc/stat unreadable');
      return;
    }
    void h.onSample(buildProcSample(meminfo, swaps, prevStat, stat, new Date().toISOString()));
    prevStat = stat;
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      finish();
      return Promise.resolve();
    },
    done,
  };
}

/** Seconds between two tegrastats timestamps ("2026-10-08T04:38:21"), or null. */
function secondsBetween(a: string | null, b: string | null): number | null {
  if (a === null || b === null) return null;
  const d = (Date.parse(`${b}Z`) - Date.parse(`${a}Z`)) / 1000;
  return Number.isFinite(d) && d >= 0 && d < 3600 ? d : null;
}

/**
 * Opens a file for --replay: a regular file only (a folder, a FIFO that would block, a device that never
 * ends are refused); throws a one-line UserError (exit 2) such as "--replay: missing.log: no such file".
 */
export async function openReplayFile(file: string): Promise<FileHandle> {
  const refuse = (reason: string): UserError => new UserError(`--replay: ${file}: ${reason}`);
  const reasonOf = (error: unknown): string => {
    const e = error as NodeJS.ErrnoException;
    return describeFileError(e.code, e.message);
  };
  // stat first: opening a FIFO for reading would wait for a writer.
  const info = await stat(file).catch((error: unknown) => {
    throw refuse(reasonOf(error));
  });
  const kind: FileKind = info.isFile()
    ? 'file'
    : info.isDirectory()
      ? 'folder'
      : info.isFIFO()
        ? 'fifo'
        : info.isCharacterDevice() || info.isBlockDevice()
          ? 'device'
          : info.isSocket()
            ? 'socket'
            : 'other';
  const refusal = describeReplayRefusal(kind);
  if (refusal !== null) throw refuse(refusal);
  return open(file, 'r').catch((error: unknown) => {
    throw refuse(reasonOf(error));
  });
}

/**
 * Plays a tegrastats log file (`tegrastats --logfile`) back at its own pace (from its timestamps, or
 * `intervalMs` between lines without them), `speed` times faster; speed 0 = as fast as possible. The file
 * is streamed (64 KiB at a time, lines bounded by REPLAY_LINE_LIMIT), so memory does not grow with its
 * size; a sample whose handler returns a promise (a recorder that must drain) is waited for.
 */
export function startReplay(
  handle: FileHandle,
  file: string,
  speed: number,
  intervalMs: number,
  h: SourceHandlers,
): RunningSource {
  let isStopped = false;
  let timer: NodeJS.Timeout | null = null;
  let wake: () => void = () => undefined;
  const stream = handle.createReadStream({ encoding: 'utf8', highWaterMark: 64 * 1024 });
  const splitter = createLineSplitter(REPLAY_LINE_LIMIT);
  let prevTime: string | null = null;
  let first = true;
  /** Plays one line; false once stopped. */
  const play = async (line: string): Promise<boolean> => {
    const parsed = parseTegrastatsLine(line);
    if (parsed.kind !== 'stats') {
      if (line.trim() !== '') h.onSkipped(line);
      return true;
    }
    if (!first && speed > 0) {
      const gap = secondsBetween(prevTime, parsed.sample.time);
      const waitMs = (gap !== null ? gap * 1000 : intervalMs) / speed;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, waitMs);
      });
      if (isStopped) return false;
    }
    first = false;
    prevTime = parsed.sample.time;
    const written = h.onSample({ ...parsed.sample, source: 'replay' });
    if (written !== undefined) await written;
    return !isStopped;
  };
  const done = (async () => {
    for await (const chunk of stream) {
      for (const line of splitter.push(chunk as string)) if (!(await play(line))) return;
    }
    for (const line of splitter.end()) if (!(await play(line))) return;
    const cut = splitter.countCutLines();
    h.onEnd(
      cut === 0
        ? 'end of the replayed file'
        : `end of the replayed file (${cut} line(s) over ${REPLAY_LINE_LIMIT / 1024} KiB cut)`,
    );
  })()
    .catch((error: unknown) => {
      if (isStopped) return;
      h.onEnd(`cannot replay ${file}: ${error instanceof Error ? error.message : String(error)}`);
    })
    .finally(() => stream.destroy());
  return {
    stop: () => {
      isStopped = true;
      if (timer !== null) clearTimeout(timer);
      wake();
      stream.destroy();
      return done;
    },
    done,
  };
}

export interface VllmPoller {
  stop: () => void;
}

/** The most of a /metrics body read (a real one is tens of KiB; an endless one is cut here). */
export const METRICS_BODY_LIMIT = 8 * 1024 * 1024;
/** The most of a /health body read (vLLM's is empty). */
export const HEALTH_BODY_LIMIT = 64 * 1024;
/** The longest /metrics line read (a real one is under 1 KiB); a longer one is cut and skipped. */
const METRICS_LINE_LIMIT = 64 * 1024;
/** Each GET's deadline, answer and body together. */
const POLL_TIMEOUT_MS = 1500;

/**
 * Polls a vLLM server's /health and /metrics every `intervalMs`; tokens/s from counter deltas. Bodies are
 * bounded (METRICS_BODY_LIMIT, HEALTH_BODY_LIMIT) and each GET has a deadline: a poll over either fails with
 * one reason and the next poll tries again. One poll at a time.
 */
export function startVllmPoller(
  url: string,
  intervalMs: number,
  bytesPerBlock: number | null,
  onMetrics: (m: VllmMetrics) => void,
  onDown: (why: string) => void,
): VllmPoller {
  const base = url.replace(/\/+$/, '');
  let prev: { counters: VllmCounters; atMs: number } | null = null;
  let isBusy = false;
  const poll = async (): Promise<void> => {
    if (isBusy) return;
    isBusy = true;
    try {
      const health = await getBounded(`${base}/health`, {
        limitBytes: HEALTH_BODY_LIMIT,
        timeoutMs: POLL_TIMEOUT_MS,
        what: 'health',
      });
      const isHealthy = health.status === 200;
      // The body is folded as it arrives (bytes → text → bounded lines → series → counters): a large one is never
      // held whole, and one over METRICS_BODY_LIMIT fails the poll.
      const decoder = new TextDecoder();
      const lines = createLineSplitter(METRICS_LINE_LIMIT);
      const folder = createVllmCountersFolder();
      const fold = (line: string): void => {
        if (line.endsWith(LINE_CUT_MARKER)) return; // a cut line is no series
        const series = parsePrometheusLine(line);
        if (series !== null) folder.add(series);
      };
      const res = await getBounded(`${base}/metrics`, {
        limitBytes: METRICS_BODY_LIMIT,
        timeoutMs: POLL_TIMEOUT_MS,
        what: 'metrics',
        onChunk: (chunk) => {
          for (const line of lines.push(decoder.decode(chunk, { stream: true }))) fold(line);
        },
      });
      for (const line of lines.push(decoder.decode())) fold(line);
      for (const line of lines.end()) fold(line);
      // A /metrics that is not 2xx counts as an empty exposition.
      const isOk = res.status >= 200 && res.status < 300;
      const next = { counters: isOk ? folder.finish() : extractVllmMetrics([]), atMs: performance.now() };
      onMetrics(computeVllmMetrics(prev, next, isHealthy, bytesPerBlock));
      prev = next;
    } catch (error) {
      onDown(error instanceof Error ? error.message : String(error));
      prev = null;
    } finally {
      isBusy = false;
    }
  };
  void poll();
  const timer = setInterval(() => void poll(), intervalMs);
  return { stop: () => clearInterval(timer) };
}
