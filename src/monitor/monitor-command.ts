/**
 * `jetson-vllm monitor`: the live panel (a terminal) or JSON lines (--json, or no terminal): tegrastats,
 * nvidia-smi or /proc, next to a vLLM server's metrics. Children are stopped on q, SIGINT, SIGTERM and
 * SIGHUP; a source or server that dies is reported and the rest keeps running.
 */
import type { FileHandle } from 'node:fs/promises';
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
  LEAVE_QUESTION,
  STOP_QUESTION,
} from './core/terminal.js';
import { UserError } from '../shared/errors.js';
import type { ServerRecord } from '../launch/core/servers.js';
import { followServerLog } from '../launch/detached.js';
import { onTerminationSignals } from '../process/signals.js';
import { openRecorder, type Recorder } from './recorder.js';
import { describeDiscovery } from './core/discovery.js';
import { discoverLocalServer } from './discover-server.js';
import {
  createFanReader,
  createGpuShareReader,
  createNvMapReader,
  createVllmProcessTracker,
} from './vllm-processes.js';
import {
  findOnPath,
  openReplayFile,
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
  /** Where to look for a vLLM when neither --url nor a server is given (default localhost:8000; null: do not). */
  discoverUrl?: string | null;
}

export interface AttachedServer {
  subscribeLog(listener: (line: string) => void): () => void;
  isRunning(): boolean;
  stop(): Promise<void>;
  /** Lets go of the server, left running and recorded (q's third answer, l); resolves once done. */
  leave?(): Promise<void>;
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

function startSource(
  kind: SampleSource,
  cmd: string | null,
  o: MonitorOptions,
  replay: FileHandle | null,
  h: SourceHandlers,
): RunningSource {
  switch (kind) {
    case 'tegrastats':
      return startTegrastats(cmd ?? 'tegrastats', o.intervalMs, h);
    case 'nvidia-smi':
      return startNvidiaSmi(cmd ?? 'nvidia-smi', o.intervalMs, h);
    case 'proc':
      return startProc(o.intervalMs, h);
    case 'replay':
      if (replay === null) throw new Error('a replay without its file');
      return startReplay(replay, o.replay ?? '', o.speed, o.intervalMs, h);
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

/**
 * Runs the monitor until q / a signal (or the end of a replay with --json). Returns the exit code; throws a
 * UserError for a --replay file it cannot read (exit 2) and a --record file it cannot write (exit 1, after
 * stopping its children as on SIGTERM).
 */
export async function runMonitor(o: MonitorOptions): Promise<number> {
  let finish: (code: number) => void = () => undefined;
  // Once ending, a source that ends is one this process stopped: nothing to report.
  let isEnding = false;
  const finished = new Promise<number>((resolve) => {
    finish = (code) => {
      isEnding = true;
      resolve(code);
    };
  });
  // The files first: a bad one is one line and an exit code before any child starts.
  const replay = o.replay !== null ? await openReplayFile(o.replay) : null;
  let recordError: string | null = null;
  let recorder: Recorder | null = null;
  if (o.record !== null) {
    recorder = await openRecorder(o.record, (text) => {
      recordError ??= text;
      finish(1);
    }).catch(async (error: unknown) => {
      await replay?.close();
      throw error;
    });
  }
  const chosen = await chooseSource(o);
  const isPanel = !o.json && process.stdout.isTTY === true && process.stdin.isTTY === true;
  // The panel with no server given at all: it looks on localhost's default port, and says what it found.
  let url = o.url;
  let serverNote: string | null = null;
  const isUnserved = url === null && o.replay === null && (o.server ?? null) === null && o.attached === undefined;
  if (isPanel && isUnserved && o.discoverUrl !== null) {
    const found = await discoverLocalServer(o.discoverUrl);
    if (found.kind === 'found') url = found.url;
    serverNote = describeDiscovery(found);
  }
  let state: PanelState = createPanelState({
    source: chosen.kind,
    sourceLabel: chosen.label,
    serverUrl: url,
    predictedBytes: o.predictedBytes,
    intervalMs: o.intervalMs,
    serverNote,
  });
  let lastVllm: Sample['vllm'] = null;

  let shown: string[] = [];
  // While the stop question is asked it owns the line under the panel: the panel is drawn a row shorter (the
  // log view fills the screen) and the question written again after each frame, so nothing draws over it.
  let question: string | null = null;
  const draw = (isFull = false): void => {
    if (!isPanel) return;
    const rows = process.stdout.rows || 24;
    const lines = renderPanel(state, {
      columns: process.stdout.columns || 80,
      rows: question !== null ? Math.max(1, rows - 1) : rows,
      isColor: o.isColor,
    });
    let out = formatFrameUpdate(lines, shown, isFull);
    shown = lines;
    if (question !== null && out !== '') out += formatRowText(computeAskRow(shown.length, rows), question);
    if (out !== '') process.stdout.write(out);
  };
  const redraw = (): void => draw(true);
  const dispatch = (event: PanelEvent): void => {
    state = panelReducer(state, event);
    draw();
  };
  // Returns the recorder's promise when its buffer is full: a replay waits for it (backpressure).
  const emit = (sample: Sample): Promise<void> | null => {
    if (isPanel && recorder === null) return null; // the panel has drawn it: nothing to print or record
    const full = { ...sample, vllm: lastVllm };
    const line = o.json || recorder !== null ? `${JSON.stringify(full)}\n` : '';
    if (o.json) process.stdout.write(line);
    else if (!isPanel) process.stdout.write(`${formatSampleText(full)}\n`);
    return recorder?.write(line) ?? null;
  };

  // The board's GPU memory (NvMap) and fan beside each live sample: small reads, on the panel only.
  const isBoardRead = isPanel && chosen.kind !== 'replay';
  const readNvMap = isBoardRead ? createNvMapReader() : (): null => null;
  const readFan = isBoardRead ? createFanReader() : (): null => null;
  const source = startSource(chosen.kind, chosen.cmd, o, replay, {
    onSample: (sample) => {
      dispatch({ type: 'sampleReceived', sample, gpuMemBytes: readNvMap(), fanPct: readFan() });
      return emit(sample) ?? undefined;
    },
    onSkipped: () => dispatch({ type: 'lineSkipped' }),
    onEnd: (why) => {
      dispatch({ type: 'sourceEnded', why });
      if (!isPanel && !isEnding) process.stderr.write(`jetson-vllm monitor: ${why}\n`);
      // A replay printed as JSON/text ends with the file; a live panel keeps showing the rest.
      if (!isPanel && chosen.kind === 'replay') finish(0);
    },
  });
  // The vLLM processes' share of RAM (a server on this machine only): found once, re-checked when one exits.
  const tracker = isPanel && url !== null && isLocalUrl(url) ? createVllmProcessTracker() : null;
  // …and their own GPU memory (nvidia-smi per process, or nvmap clients), at most every 2 s, only once found.
  const gpuShare = tracker !== null ? createGpuShareReader('/', await findOnPath('nvidia-smi')) : null;
  let wasUp = false;
  const poller =
    url !== null
      ? startVllmPoller(
          url,
          o.pollMs,
          o.bytesPerBlock,
          (metrics) => {
            lastVllm = metrics;
            // Back up after being down: it may be another process tree now.
            if (!wasUp) tracker?.rescan();
            wasUp = true;
            if (tracker !== null) state = panelReducer(state, { type: 'vllmRssMeasured', bytes: tracker.measureRss() });
            if (tracker !== null && gpuShare !== null)
              void gpuShare
                .measure(tracker.pids())
                .then((share) => {
                  if (!isEnding) dispatch({ type: 'vllmGpuShareMeasured', share });
                })
                .catch(() => undefined);
            dispatch({ type: 'serverPolled', metrics });
          },
          (why) => {
            wasUp = false;
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
    question = text;
    draw(true);
  };
  // Once an answer is given (stopping, leaving), further keys wait for it.
  let isAnswered = false;
  const onKey = (key: string): void => {
    if (isAnswered) return;
    const isLeavable = o.attached?.leave !== undefined;
    const action = decideMonitorKey(key, isAsking, !isAsking && o.attached?.isRunning() === true, isLeavable);
    switch (action) {
      case 'ask':
        isAsking = true;
        return writeUnder(isLeavable ? LEAVE_QUESTION : STOP_QUESTION);
      case 'stopAndQuit':
        isAnswered = true;
        writeUnder('Stopping the vLLM server…');
        return void o.attached?.stop().then(() => finish(0));
      case 'leaveAndQuit':
        isAnswered = true;
        writeUnder('Leaving the vLLM server running…');
        return void o.attached?.leave?.().then(() => finish(0));
      case 'keepWatching':
        isAsking = false;
        question = null;
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
  // The children are stopped and the terminal given back: now the record is flushed, or its error told.
  const closeError = (await recorder?.close()) ?? null;
  recordError ??= closeError;
  if (recordError !== null) throw new UserError(recordError, undefined, 1);
  return code;
}
