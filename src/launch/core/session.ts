/**
 * One launch of vLLM as a state machine: the shell (runLaunch) reports what happened — a log line read,
 * a docker phase entered, /health answering, a memory sample, a stop asked for, the server's exit — and
 * this reducer says where the launch stands: its stages, the log tail, vLLM's figures next to the plan's,
 * the watchdog, a stage that looks stuck, and the outcome with its diagnosis and one-key retry. The CLI
 * prints the status lines session-format.ts derives from each change; the wizard's launch screen renders
 * the same state. Pure.
 */
import type { Catalog } from '../../catalog/core/presets-schema.js';
import type { Plan, PlanRequest } from '../../plan/core/plan.js';
import { diagnose } from './diagnosis/diagnose.js';
import type { Diagnosis } from './diagnosis/types.js';
import { buildKillEvidence } from './diagnosis/kill.js';
import { buildOutcome, type LaunchEnding, type LaunchOutcome } from './session-outcome.js';
import { formatPredictedVsActual } from './predicted-vs-actual.js';
import { describeSlowStage, stageTimeoutS } from './stage-timeouts.js';
import { markExited, parseLogLine } from './log/reducer.js';
import { initialLogState, type LaunchStage, type LogState } from './log/state.js';
import { createWatchdog, describeWatchdogStop, observeMemory, type WatchdogState } from './watchdog.js';

/** Log lines the launch screen keeps. */
export const LAUNCH_TAIL = 40;

/** How many of vLLM's last log lines a failure report shows (the cause is often in them). */
export const FAILURE_TAIL = 12;

/** What a stage is called on the status lines and the screen. */
const STAGE_TEXT: Record<LaunchStage, string> = {
  'image-pull': 'pulling the image',
  'container-start': 'starting the container',
  'engine-config': 'engine configured',
  'weights-loading': 'loading weights',
  'memory-profiling': 'profiling memory',
  'kv-cache': 'allocating the KV cache',
  'cuda-graphs': 'capturing CUDA graphs',
  'api-server': 'starting the API server',
  ready: 'ready',
  failed: 'failed',
};

/** The outcome's types, with the session's (session-outcome.ts builds them). */
export type { LaunchEnding, LaunchOutcome, LaunchRetry } from './session-outcome.js';

/** What one launch knows before it starts: the plan and what a diagnosis needs, the limits, where it serves. */
export interface LaunchSetup {
  plan: Plan;
  request: PlanRequest;
  catalog: Catalog;
  /** The Hugging Face token, replaced by <HF_TOKEN> wherever vLLM's log is shown ('' when there is none). */
  token: string;
  /** Whether vLLM has a token (HF_TOKEN, or one `huggingface-cli login` saved): the log cannot say. */
  hasHfToken: boolean;
  /** The server's name (its container, a detached server's record) and its URL. */
  name: string;
  url: string;
  /** --detach: the server outlives the launch. */
  isDetached: boolean;
  /** Seconds after which any stage looks stuck (null: per stage, stage-timeouts.ts). */
  stageTimeoutS: number | null;
  /** How long vLLM has to exit after SIGTERM before it gets SIGKILL (ms). */
  stopGraceMs: number;
  /** Seconds a detached launch waits for /health. */
  readyTimeoutS: number;
  /** The watchdog's floor in bytes (0 turns it off). */
  memoryFloorBytes: number;
}

/** What the shell reports, in the past tense; `elapsedMs` counts from the start of the launch. */
export type LaunchSessionEvent =
  /** The runtime's own line (the command, the pull's progress): printed as is, shown in the tail. */
  | { type: 'runtimeLineRead'; line: string }
  /** The launch's full log goes to this file ($XDG_STATE_HOME/jetson-vllm/logs/…). */
  | { type: 'logFileOpened'; path: string }
  /** A docker phase began (a present image is not pulled: no log line marks it). */
  | { type: 'phaseEntered'; stage: 'image-pull' | 'container-start'; elapsedMs: number }
  | { type: 'logLineRead'; line: string; elapsedMs: number }
  /** A second went by (the stuck-stage check). */
  | { type: 'tick'; elapsedMs: number }
  /** Available memory (MemAvailable + free swap) read while vLLM starts, for the watchdog. */
  | { type: 'memorySampled'; availableBytes: number; elapsedMs: number }
  /** /health answered 200 and /v1/models listed the model. */
  | { type: 'serverReady'; url: string; elapsedMs: number }
  /** A detached launch waited readyTimeoutS for /health in vain: it stops the server. */
  | { type: 'readyTimedOut'; elapsedMs: number }
  /** A signal, the wizard's "stop" or the watchdog asked for the server to stop. */
  | { type: 'stopRequested'; elapsedMs: number }
  /** Detached: a signal asked to let go of the server (it keeps running). */
  | { type: 'releaseRequested'; elapsedMs: number }
  /** Detached: the launch let go — of a running server (`how` it can be found), or of nothing yet started. */
  | { type: 'released'; isLeftRunning: boolean; how: string; elapsedMs: number }
  /** The server ended (or was never started: `notStarted` says why). */
  | {
      type: 'serverExited';
      code: number | null;
      signal: string | null;
      notStarted: string | null;
      elapsedMs: number;
    };

/** Where a launch stands: what the CLI's status lines are derived from and the wizard's screen shows. */
export interface LaunchSession {
  /** 1 for the first launch, +1 for each retry. */
  attempt: number;
  status: 'starting' | 'ready' | 'stopping' | 'ended';
  /** Whether /health answered (it stays true when a stop was asked for first). */
  isReady: boolean;
  /** The exact command that runs. */
  command: string;
  /** The stages the screen lists, with the seconds since the start when each began. */
  stages: { text: string; elapsedS: number }[];
  /** The stage running now, since when (ms) and whether it was said to look stuck. */
  current: { stage: LaunchStage; text: string; sinceMs: number; isStuckSaid: boolean } | null;
  /** What vLLM's log said so far (vllm-log.ts). */
  log: LogState;
  /** The screen's log tail: the runtime's and vLLM's lines, token redacted, at most LAUNCH_TAIL. */
  tail: string[];
  /** vLLM's last non-empty lines (each cut at 400 characters), at most FAILURE_TAIL, for a failure report. */
  lastLines: string[];
  url: string | null;
  /** vLLM's figures next to the plan's ("predicted vs actual:" and rows). */
  comparison: string[];
  /** The watchdog's readings (null until the first sample). */
  memory: WatchdogState | null;
  /** Why the watchdog stopped vLLM, once it fired. */
  watchdog: string | null;
  /** The last "looks stuck" notice. */
  stuck: string | null;
  /** A detached launch that waited for /health in vain. */
  hasTimedOut: boolean;
  /** Detached: letting go of the server was asked for. */
  isReleasing: boolean;
  /** Detached: how the server left running can be found (a docker container, pid N). */
  leftRunning: string | null;
  exit: { code: number | null; signal: string | null } | null;
  outcome: LaunchOutcome | null;
  /** A detached server's name once it is ready: it outlives the wizard. */
  detachedName: string | null;
  /** Where the launch's full log is kept (said with a failure), once opened. */
  logPath: string | null;
}

/** Returns the session of a launch about to start (attempt 1, or a retry's number). */
export function createLaunchSession(command: string, attempt: number): LaunchSession {
  return {
    attempt,
    status: 'starting',
    isReady: false,
    command,
    stages: [],
    current: null,
    log: initialLogState(),
    tail: [],
    lastLines: [],
    url: null,
    comparison: [],
    memory: null,
    watchdog: null,
    stuck: null,
    hasTimedOut: false,
    isReleasing: false,
    leftRunning: null,
    exit: null,
    outcome: null,
    detachedName: null,
    logPath: null,
  };
}

/** Whether a server is (or may still be) running for this session. */
export const isServerRunning = (session: LaunchSession): boolean => session.status !== 'ended';

/** Whether the wizard owns the server (stops it on quit): not once a detached one is ready. */
export const isServerOwned = (session: LaunchSession): boolean =>
  isServerRunning(session) && session.detachedName === null;

/** Returns the text with the token replaced by <HF_TOKEN> (a token under 4 characters is not looked for). */
export function redactToken(text: string, token: string): string {
  return token.length >= 4 ? text.replaceAll(token, '<HF_TOKEN>') : text;
}

/** Returns what a stage is called on the status lines and the screen. */
export function describeStage(stage: LaunchStage): string {
  return STAGE_TEXT[stage];
}

/** Returns "signal X" or "exit code N" for an exit. */
export function describeExit(exit: { code: number | null; signal: string | null }): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code ?? '?'}`;
}

/** Returns the list with the item added at the end, dropping the oldest beyond `bound`. */
function pushBounded(list: string[], item: string, bound: number): string[] {
  const next = list.length >= bound ? list.slice(list.length - bound + 1) : list.slice();
  next.push(item);
  return next;
}

/** Returns the session ended without a server (launching was not possible: `message` says why). */
export function endLaunchSession(session: LaunchSession, message: string): LaunchSession {
  if (session.status === 'ended') return session;
  return { ...session, status: 'ended', outcome: buildOutcome('exited', 'not-started', 1, message, null, null) };
}

/** Returns the session entering a stage at `elapsedMs` (listed on the screen unless `isListed` is false). */
function enterStage(session: LaunchSession, stage: LaunchStage, elapsedMs: number, isListed: boolean): LaunchSession {
  const text = STAGE_TEXT[stage];
  return {
    ...session,
    current: { stage, text, sinceMs: elapsedMs, isStuckSaid: false },
    stages: isListed ? [...session.stages, { text, elapsedS: elapsedMs / 1000 }] : session.stages,
  };
}

/** Returns the session after a log line of vLLM's (a stage it marks, its figures, the tails). */
function readLogLine(session: LaunchSession, line: string, elapsedMs: number, setup: LaunchSetup): LaunchSession {
  const lastLines =
    line.trim() !== ''
      ? pushBounded(session.lastLines, line.length > 400 ? `${line.slice(0, 400)}…` : line, FAILURE_TAIL)
      : session.lastLines;
  const log = parseLogLine(session.log, line, elapsedMs);
  const next = {
    ...session,
    log,
    lastLines,
    tail: pushBounded(session.tail, redactToken(line, setup.token), LAUNCH_TAIL),
  };
  // The image and container stages are the runtime's to say (phaseEntered), when they begin; on a
  // screen a failure is not a stage: the end says what failed.
  if (log.stage === session.log.stage || log.stage === 'image-pull' || log.stage === 'container-start') return next;
  return enterStage(next, log.stage, elapsedMs, log.stage !== 'failed');
}

/** Returns the session after a second went by: a stage past its time is said to look stuck (once). */
function checkStage(session: LaunchSession, elapsedMs: number, setup: LaunchSetup): LaunchSession {
  const current = session.current;
  if (current === null || current.isStuckSaid || session.status !== 'starting') return session;
  const limit = setup.stageTimeoutS ?? stageTimeoutS(current.stage, setup.plan.quant.weightBytes);
  const elapsedInStage = (elapsedMs - current.sinceMs) / 1000;
  if (limit === null || elapsedInStage < limit) return session;
  const stuck = describeSlowStage(current.text, elapsedInStage, limit);
  return {
    ...session,
    current: { ...current, isStuckSaid: true },
    stuck,
    tail: pushBounded(session.tail, `jetson-vllm: ${stuck}`, LAUNCH_TAIL),
  };
}

/** Returns the ended session for the server's exit: why it ended, explained when the log or watchdog can. */
function endWithExit(
  session: LaunchSession,
  event: Extract<LaunchSessionEvent, { type: 'serverExited' }>,
  setup: LaunchSetup,
): LaunchSession {
  const { plan, request, catalog } = setup;
  const exit = { code: event.code, signal: event.signal };
  const end = (
    log: LogState,
    kind: LaunchOutcome['kind'],
    ending: LaunchEnding,
    code: number,
    message: string,
    diagnosis: Diagnosis | null = null,
  ): LaunchSession => {
    const comparison = formatPredictedVsActual(plan, log);
    const line = log.failure?.line.trim() ?? null;
    return {
      ...session,
      status: 'ended',
      log,
      exit,
      comparison: comparison.length > 0 ? comparison : session.comparison,
      outcome: buildOutcome(
        kind,
        ending,
        code,
        message,
        diagnosis,
        line === null ? null : redactToken(line, setup.token),
      ),
    };
  };
  if (event.notStarted !== null)
    return end(session.log, 'exited', 'not-started', 1, `not started: ${event.notStarted}`);
  if (session.watchdog !== null) {
    // A watchdog stop is an out-of-memory failure caught early: explain it like one.
    const why = session.watchdog;
    const evidence = buildKillEvidence(session.log, session.memory?.lowestBytes ?? null);
    const d = diagnose({ kind: 'oom-killed', line: `watchdog: ${why}`, figures: {}, evidence }, request, plan, catalog);
    return end(session.log, 'watchdog', 'watchdog', 1, `stopped by the watchdog: ${why}`, d);
  }
  if (session.status === 'stopping') return end(session.log, 'stopped', 'stopped', 0, 'the server was stopped');
  const log = markExited(session.log, event.code, event.signal, event.elapsedMs);
  if (log.failure === null) {
    const message = `vLLM exited (code ${event.code ?? '?'})${session.isReady ? '' : ' before it was ready'}`;
    return end(log, 'exited', 'exited', session.isReady && event.code === 0 ? 0 : 1, message);
  }
  // Up by /health, or by its own log ("Application startup complete") when it died before the next poll.
  const wasUp = session.isReady || log.stages.some((s) => s.stage === 'ready');
  if (wasUp && log.failure.kind === 'engine-failed') {
    // Not a start-up failure: the server ran, then its engine died.
    const line = redactToken(log.failure.line.trim(), setup.token);
    return end(log, 'exited', 'died-after-ready', 1, `vLLM died after it was ready (${describeExit(exit)}): ${line}`);
  }
  const evidence = buildKillEvidence(log, session.memory?.lowestBytes ?? null);
  const d = diagnose({ ...log.failure, hasHfToken: setup.hasHfToken, evidence }, request, plan, catalog);
  return end(log, 'failed', 'failed', 1, `vLLM failed: ${d.title}`, d);
}

/** Returns the session after one event. An ended session changes no more (a late line, a second exit). */
export function reduceLaunchSession(
  session: LaunchSession,
  event: LaunchSessionEvent,
  setup: LaunchSetup,
): LaunchSession {
  if (session.status === 'ended') return session;
  switch (event.type) {
    case 'runtimeLineRead':
      return { ...session, tail: pushBounded(session.tail, redactToken(event.line, setup.token), LAUNCH_TAIL) };
    case 'logFileOpened':
      return session.logPath === event.path ? session : { ...session, logPath: event.path };
    case 'phaseEntered':
      return enterStage(session, event.stage, event.elapsedMs, true);
    case 'logLineRead':
      return readLogLine(session, event.line, event.elapsedMs, setup);
    case 'tick':
      return checkStage(session, event.elapsedMs, setup);
    case 'memorySampled': {
      if (session.status === 'stopping' || setup.memoryFloorBytes <= 0) return session;
      const memory = observeMemory(
        session.memory ?? createWatchdog(setup.memoryFloorBytes),
        event.availableBytes,
        event.elapsedMs,
      );
      const watchdog = session.watchdog ?? (memory.hasFired ? describeWatchdogStop(memory) : null);
      return { ...session, memory, watchdog };
    }
    case 'serverReady': {
      if (session.isReady) return session;
      const text = `ready: ${event.url} (/health 200, /v1/models answers)`;
      return {
        ...session,
        isReady: true,
        // A stop asked for first goes on.
        status: session.status === 'stopping' ? 'stopping' : 'ready',
        url: event.url,
        comparison: formatPredictedVsActual(setup.plan, session.log),
        detachedName: setup.isDetached ? setup.name : null,
        // The log's own "ready" (the API server says it started) gives way to the checked one.
        stages: [
          ...session.stages.filter((st) => st.text !== STAGE_TEXT.ready),
          { text, elapsedS: event.elapsedMs / 1000 },
        ],
      };
    }
    case 'readyTimedOut':
      return session.hasTimedOut ? session : { ...session, hasTimedOut: true };
    case 'stopRequested':
      return session.status === 'stopping' ? session : { ...session, status: 'stopping' };
    case 'releaseRequested':
      return session.isReleasing || session.status === 'stopping' ? session : { ...session, isReleasing: true };
    case 'released':
      if (!event.isLeftRunning)
        return {
          ...session,
          status: 'ended',
          outcome: buildOutcome('stopped', 'stopped', 0, 'stopped (nothing had been started yet)', null, null),
        };
      return session.leftRunning !== null ? session : { ...session, leftRunning: event.how };
    case 'serverExited':
      return endWithExit(session, event, setup);
    default: {
      const unreachable: never = event;
      throw new Error(`unknown launch event ${String(unreachable)}`);
    }
  }
}
