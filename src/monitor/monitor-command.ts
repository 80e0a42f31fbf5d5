/**
 * `jetson-vllm monitor`: the live panel (a terminal) or JSON lines (--json, or no terminal): tegrastats,
 * nvidia-smi or /proc, next to a vLLM server's metrics. Children are stopped on q, SIGINT, SIGTERM and
 * SIGHUP; a source or server that dies is reported and the rest keeps running.
 */
import { appendFile } from 'node:fs/promises';
import { createPanelState, panelReducer, renderPanel, type PanelEvent, type PanelState } from './core/panel.js';
import type { Sample, SampleSource } from './core/sample.js';
import { UserError } from '../shared/errors.js';
import type { ServerRecord } from '../launch/core/servers.js';
import { followServerLog } from '../launch/detached.js';
import {
  findOnPath,
  measureVllmRss,
  startNvidiaSmi,
  startProc,
  startReplay,
  startTegrastats,
  startVllmPoller,
  type RunningSource,
  type SourceHandlers,
} from './sources.js';

export interface MonitorOptions {
  source: 'auto' | 'tegrastats' | 'nvidia-smi' | 'proc';
  intervalMs: number;
  url: string | null;
  pollMs: number;
  replay: string | null;
  speed: number;
  record: string | null;
  json: boolean;
  isColor: boolean;
  predictedBytes: number | null;
  bytesPerBlock: number | null;
  /** A server this process launched (the wizard's): its log feeds the tail, and q asks whether to stop it. */
  attached?: AttachedServer;
  /** A detached server re-attached to (launch --detach): its log feeds the panel's log tail. */
  server?: { name: string; record: ServerRecord } | null;
}

export interface AttachedServer {
  subscribeLog(listener: (line: string) => void): () => void;
  isRunning(): boolean;
  stop(): Promise<void>;
}

/** The question q asks when the panel watches a server it launched. */
export const STOP_QUESTION = 'Stop the vLLM server and quit? y stop and quit · n keep watching';

/** Parses monitor's own options (strings from the command line). */
export function parseMonitorOptions(
  raw: Record<string, string | undefined>,
): Omit<MonitorOptions, 'json' | 'isColor' | 'predictedBytes' | 'bytesPerBlock' | 'attached' | 'server'> {
  const source = raw.source ?? 'auto';
  if (!['auto', 'tegrastats', 'nvidia-smi', 'proc'].includes(source)) {
    throw new UserError(`--source: "${source}" is not one of auto, tegrastats, nvidia-smi, proc`);
  }
  const int = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new UserError(`--${name}: "${value}" is not a whole number of milliseconds from ${min} to ${max}`);
    return n;
  };
  const speed = raw.speed === undefined ? 1 : Number(raw.speed);
  if (!Number.isFinite(speed) || speed < 0 || speed > 1000)
    throw new UserError(`--speed: "${raw.speed ?? ''}" is not a number from 0 (as fast as possible) to 1000`);
  const url = raw.url ?? null;
  if (url !== null && !/^https?:\/\/[^\s/]+/.test(url))
    throw new UserError(`--url: "${url}" is not an http(s) URL (e.g. http://localhost:8000)`);
  return {
    source: source as MonitorOptions['source'],
    intervalMs: int('interval', raw.interval, 1000, 100, 60_000),
    url,
    pollMs: int('poll-interval', raw.pollInterval, 2000, 250, 60_000),
    replay: raw.replay ?? null,
    speed,
    record: raw.record ?? null,
  };
}

async function chooseSource(o: MonitorOptions): Promise<{ kind: SampleSource; cmd: string | null; label: string }> {
  if (o.replay !== null) return { kind: 'replay', cmd: null, label: `replay of ${o.replay}` };
  if (o.source === 'proc') return { kind: 'proc', cmd: null, label: '/proc' };
  if (o.source === 'tegrastats' || o.source === 'auto') {
    const cmd = (await findOnPath('tegrastats')) ?? (o.source === 'tegrastats' ? '/usr/bin/tegrastats' : null);
    if (cmd !== null) return { kind: 'tegrastats', cmd, label: 'tegrastats' };
  }
  if (o.source === 'nvidia-smi' || o.source === 'auto') {
    const cmd = await findOnPath('nvidia-smi');
    if (cmd !== null) return { kind: 'nvidia-smi', cmd, label: 'nvidia-smi' };
    if (o.source === 'nvidia-smi') throw new UserError('--source nvidia-smi: nvidia-smi is not on PATH');
  }
  return { kind: 'proc', cmd: null, label: '/proc (no tegrastats or nvidia-smi here)' };
}

function startSource(kind: SampleSource, cmd: string | null, o: MonitorOptions, h: SourceHandlers): RunningSource {
  switch (kind) {
    case 'tegrastats':
      return startTegrastats(cmd ?? 'tegrastats', o.intervalMs, h);
    case 'nvidia-smi':
      return startNvidiaSmi(cmd ?? 'nvidia-smi', o.intervalMs, h);
    case 'proc':
      return startProc(o.intervalMs, h);
    case 'replay':
      return startReplay(o.replay ?? '', o.speed, o.intervalMs, h);
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown source ${String(unreachable)}`);
    }
  }
}

/** Runs the monitor until q / a signal (or the end of a replay with --json). Returns the exit code. */
export async function runMonitor(o: MonitorOptions): Promise<number> {
  const chosen = await chooseSource(o);
  const isPanel = !o.json && process.stdout.isTTY === true && process.stdin.isTTY === true;
  let state: PanelState = createPanelState({
    source: chosen.kind,
    sourceLabel: chosen.label,
    serverUrl: o.url,
    predictedBytes: o.predictedBytes,
    intervalMs: o.intervalMs,
  });
  let lastVllm: Sample['vllm'] = null;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });

  let shown: string[] = [];
  const draw = (isFull = false): void => {
    if (!isPanel) return;
    const lines = renderPanel(state, {
      columns: process.stdout.columns || 80,
      rows: process.stdout.rows || 24,
      isColor: o.isColor,
    });
    // One write per frame, and only the lines that changed (cursor to the row, the line, clear to its end).
    let out = '';
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] ?? '';
      if (isFull || shown[i] !== line) out += `\u001b[${i + 1};1H${line}\u001b[K`;
    }
    if (isFull || lines.length < shown.length) out += `\u001b[${lines.length + 1};1H\u001b[J`;
    shown = lines;
    if (out !== '') process.stdout.write(out);
  };
  const redraw = (): void => draw(true);
  const dispatch = (event: PanelEvent): void => {
    state = panelReducer(state, event);
    draw();
  };
  const emit = (sample: Sample): void => {
    if (isPanel && o.record === null) return; // the panel has drawn it: nothing to print or record
    const full = { ...sample, vllm: lastVllm };
    if (o.record !== null) void appendFile(o.record, `${JSON.stringify(full)}\n`).catch(() => undefined);
    if (o.json) process.stdout.write(`${JSON.stringify(full)}\n`);
    else if (!isPanel) {
      const ram = full.ram !== null ? `RAM ${full.ram.usedMiB}/${full.ram.totalMiB} MiB` : 'RAM N/A';
      const gpu = full.gpu !== null ? `GPU ${full.gpu.loadPct ?? 'N/A'}%@${full.gpu.freqMHz ?? 'N/A'}MHz` : 'GPU N/A';
      process.stdout.write(
        `${full.time ?? ''} ${full.source} ${ram} ${gpu}${lastVllm !== null ? ` vLLM running ${lastVllm.running ?? 'N/A'}` : ''}\n`,
      );
    }
  };

  const source = startSource(chosen.kind, chosen.cmd, o, {
    onSample: (sample) => {
      dispatch({ type: 'sampleReceived', sample });
      emit(sample);
    },
    onSkipped: () => dispatch({ type: 'lineSkipped' }),
    onEnd: (why) => {
      dispatch({ type: 'sourceEnded', why });
      if (!isPanel) process.stderr.write(`jetson-vllm monitor: ${why}\n`);
      // A replay printed as JSON/text ends with the file; a live panel keeps showing the rest.
      if (!isPanel && chosen.kind === 'replay') finish(0);
    },
  });
  const poller =
    o.url !== null
      ? startVllmPoller(
          o.url,
          o.pollMs,
          o.bytesPerBlock,
          (metrics) => {
            lastVllm = metrics;
            dispatch({ type: 'serverPolled', metrics });
            // The vLLM processes' share of RAM, for the bar (a server on this machine only).
            if (isPanel && /^https?:\/\/(localhost|127\.|\[::1\])/.test(o.url ?? '')) {
              void measureVllmRss().then((bytes) => dispatch({ type: 'vllmRssMeasured', bytes }));
            }
          },
          (why) => {
            lastVllm = null;
            dispatch({ type: 'serverUnreachable', why });
          },
        )
      : null;

  // A re-attached server's log: the panel's tail (l), a JSON line {"log": {server, line}} with --json.
  const server = o.server ?? null;
  const logFollower =
    server !== null
      ? followServerLog(server.record, (line) => {
          if (isPanel) dispatch({ type: 'logLineReceived', line });
          else if (o.json) process.stdout.write(`${JSON.stringify({ log: { server: server.name, line } })}\n`);
          else process.stdout.write(`log ${server.name}: ${line}\n`);
        })
      : null;

  const unsubscribeLog = o.attached?.subscribeLog((line) => dispatch({ type: 'logLineReceived', line })) ?? null;
  // Signals end the panel; the caller stops a server it launched.
  const onSignal = (): void => finish(0);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  let onKey: ((data: Buffer) => void) | null = null;
  const onGone = (): void => finish(0);
  if (isPanel) {
    process.stdout.write('\u001b[?1049h\u001b[?25l');
    process.stdout.on('resize', redraw);
    process.stdin.setRawMode(true);
    let isAsking = false;
    // The question and the answer go on the line under the panel (its last line on a full screen).
    const askRow = (): number => Math.min(shown.length + 1, process.stdout.rows || 24);
    onKey = (data: Buffer): void => {
      const key = data.toString();
      if (isAsking) {
        if (key === 'y' || key === 'Y') {
          process.stdout.write(`\u001b[${askRow()};1HStopping the vLLM server…\u001b[K`);
          void o.attached?.stop().then(() => finish(0));
        } else if (key === 'n' || key === 'N' || key === '\u001b' || key === 'q') {
          isAsking = false;
          redraw();
        }
        return;
      }
      if ((key === 'q' || key === '\u0003') && o.attached?.isRunning() === true) {
        isAsking = true;
        process.stdout.write(`\u001b[${askRow()};1H${STOP_QUESTION}\u001b[K`);
      } else if (key === 'q' || key === '\u0003') finish(0);
      else if (key === 'p') dispatch({ type: 'pauseToggled' });
      else if (key === 'l') dispatch({ type: 'logToggled' });
    };
    process.stdin.on('data', onKey);
    // The terminal went away (the SSH session dropped without a SIGHUP reaching us): end, like q.
    process.stdin.once('end', onGone);
    process.stdin.once('error', onGone);
    process.stdin.resume();
    redraw();
  }

  const code = await finished;
  unsubscribeLog?.();
  poller?.stop();
  await logFollower?.stop();
  await source.stop();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  if (isPanel) {
    if (onKey !== null) process.stdin.off('data', onKey);
    process.stdin.off('end', onGone);
    process.stdin.off('error', onGone);
    process.stdin.setRawMode(false);
    process.stdin.pause();
    process.stdout.off('resize', redraw);
    process.stdout.write('\u001b[?25h\u001b[?1049l');
  }
  return code;
}
