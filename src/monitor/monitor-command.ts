/**
 * `jetson-vllm monitor`: the live panel (a terminal) or JSON lines (--json, or no terminal): tegrastats,
 * nvidia-smi or /proc, next to a vLLM server's metrics. Children are stopped on q, SIGINT, SIGTERM and
 * SIGHUP; a source or server that dies is reported and the rest keeps running.
 */
import { appendFile } from 'node:fs/promises';
import { createPanelState, panelReducer, renderPanel, type PanelEvent, type PanelState } from './core/panel.js';
import type { Sample, SampleSource } from './core/sample.js';
import type { MonitorSettings } from './core/monitor-options.js';
import {
  computeAskRow,
  decideMonitorKey,
  ENTER_PANEL_SCREEN,
  formatFrameUpdate,
  formatRowText,
  formatSampleText,
  isLocalUrl,
  LEAVE_PANEL_SCREEN,
  STOP_QUESTION,
} from './core/terminal.js';
import { UserError } from '../shared/errors.js';
import type { ServerRecord } from '../launch/core/servers.js';
import { followServerLog } from '../launch/detached.js';
import { onTerminationSignals } from '../process/signals.js';
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

// The command line's side of the options is pure (core/monitor-options.ts); cli.tsx reads it from here.
export { parseMonitorOptions } from './core/monitor-options.js';

export interface MonitorOptions extends MonitorSettings {
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

/** Takes the terminal for the panel (the alternate screen, raw keys, resizes); returns its release. */
function takeTerminal(onKey: (key: string) => void, onResize: () => void, onGone: () => void): () => void {
  const onData = (data: Buffer): void => onKey(data.toString());
  process.stdout.write(ENTER_PANEL_SCREEN);
  process.stdout.on('resize', onResize);
  process.stdin.setRawMode(true);
  process.stdin.on('data', onData);
  // The terminal went away (the SSH session dropped without a SIGHUP reaching us): end, like q.
  process.stdin.once('end', onGone);
  process.stdin.once('error', onGone);
  process.stdin.resume();
  return () => {
    process.stdin.off('data', onData);
    process.stdin.off('end', onGone);
    process.stdin.off('error', onGone);
    process.stdin.setRawMode(false);
    process.stdin.pause();
    process.stdout.off('resize', onResize);
    process.stdout.write(LEAVE_PANEL_SCREEN);
  };
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
    const out = formatFrameUpdate(lines, shown, isFull);
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
    else if (!isPanel) process.stdout.write(`${formatSampleText(full)}\n`);
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
  // The vLLM processes' share of RAM, for the bar (a server on this machine only).
  const isRssMeasured = isPanel && o.url !== null && isLocalUrl(o.url);
  const poller =
    o.url !== null
      ? startVllmPoller(
          o.url,
          o.pollMs,
          o.bytesPerBlock,
          (metrics) => {
            lastVllm = metrics;
            dispatch({ type: 'serverPolled', metrics });
            if (isRssMeasured) void measureVllmRss().then((bytes) => dispatch({ type: 'vllmRssMeasured', bytes }));
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
  const unsubscribeSignals = onTerminationSignals(() => finish(0));
  // Keys on the panel; q asks first when the panel watches a server this process launched.
  let isAsking = false;
  // The question and the answer go on the line under the panel (its last line on a full screen).
  const writeUnder = (text: string): void => {
    process.stdout.write(formatRowText(computeAskRow(shown.length, process.stdout.rows || 24), text));
  };
  const onKey = (key: string): void => {
    const action = decideMonitorKey(key, isAsking, !isAsking && o.attached?.isRunning() === true);
    switch (action) {
      case 'ask':
        isAsking = true;
        return writeUnder(STOP_QUESTION);
      case 'stopAndQuit':
        writeUnder('Stopping the vLLM server…');
        return void o.attached?.stop().then(() => finish(0));
      case 'keepWatching':
        isAsking = false;
        return redraw();
      case 'quit':
        return finish(0);
      case 'pause':
        return dispatch({ type: 'pauseToggled' });
      case 'toggleLog':
        return dispatch({ type: 'logToggled' });
      case 'none':
        return;
      default: {
        const unreachable: never = action;
        throw new Error(`unknown key action ${String(unreachable)}`);
      }
    }
  };
  const releaseTerminal = isPanel ? takeTerminal(onKey, redraw, () => finish(0)) : null;
  if (isPanel) redraw();

  const code = await finished;
  unsubscribeLog?.();
  poller?.stop();
  await logFollower?.stop();
  await source.stop();
  unsubscribeSignals();
  releaseTerminal?.();
  return code;
}
