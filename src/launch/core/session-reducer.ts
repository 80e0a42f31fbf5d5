/**
 * One launch of vLLM as a state machine: the shell (runLaunch) reports what happened — a log line read,
 * a docker phase entered, /health answering, a memory sample, a stop asked for, the server's exit — and
 * this reducer says where the launch stands: its stages, the log tail, vLLM's figures next to the plan's,
 * the watchdog, a stage that looks stuck, and the outcome with its diagnosis and one-key retry. The CLI
 * prints the status lines session-format.ts derives from each change; the wizard's launch screen renders
 * the same state. The state itself is session.ts. Pure.
 */
import { diagnose } from './diagnosis/diagnose.js';
import type { Diagnosis } from './diagnosis/types.js';
import { buildKillEvidence } from './diagnosis/kill.js';
import {
  createStartEvidence,
  observeAvailableMemory,
  observeKernelLog,
  observeProcesses,
  observeZram,
} from './diagnosis/evidence.js';
import { isPullLayerLine } from './docker.js';
import { buildOutcome, type LaunchEnding, type LaunchOutcome } from './session-outcome.js';
import { formatPredictedVsActual } from './predicted-vs-actual.js';
import { describeSlowStage, stageTimeoutS } from './stage-timeouts.js';
import { markExited, parseLogLine } from './log/reducer.js';
import type { LaunchStage, LogState } from './log/state.js';
import { createWatchdog, describeWatchdogStop, observeMemory } from './watchdog.js';
import {
  describeExit,
  FAILURE_TAIL,
  LAUNCH_TAIL,
  redactToken,
  STAGE_TEXT,
  type LaunchSession,
  type LaunchSessionEvent,
  type LaunchSetup,
} from './session.js';

/** Returns the list with the item added at the end, dropping the oldest beyond `bound`. */
function pushBounded(list: string[], item: string, bound: number): string[] {
  const next = list.length >= bound ? list.slice(list.length - bound + 1) : list.slice();
  next.push(item);
  return next;
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
  // While the runtime pulls the image it shows the pull's compact progress ("pull: 3/7 layers, …"): docker's own
  // per-layer lines (`Downloading [=====> ]`) stay in the log file, not in the screen's tail beside it.
  const isPullDetail = session.current?.stage === 'image-pull' && isPullLayerLine(line);
  const next = {
    ...session,
    log,
    lastLines,
    tail: isPullDetail ? session.tail : pushBounded(session.tail, redactToken(line, setup.token), LAUNCH_TAIL),
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
  if (event.notStarted !== null && event.isRefused === true)
    return end(session.log, 'exited', 'not-started', 3, event.notStarted);
  if (event.notStarted !== null)
    return end(session.log, 'exited', 'not-started', 1, `not started: ${event.notStarted}`);
  if (session.watchdog !== null) {
    // A watchdog stop is an out-of-memory failure caught early: explain it like one.
    const why = session.watchdog;
    const evidence = buildKillEvidence(session.log, session.memory?.lowestBytes ?? null, session.evidence ?? undefined);
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
  const evidence = buildKillEvidence(log, session.memory?.lowestBytes ?? null, session.evidence ?? undefined);
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
    case 'planReplaced':
      return session.command === event.command ? session : { ...session, command: event.command };
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
      const evidence = observeAvailableMemory(
        session.evidence ?? createStartEvidence(),
        event.availableBytes,
        event.pageCacheBytes ?? null,
      );
      return { ...session, memory, watchdog, evidence };
    }
    case 'processesSampled':
      if (session.status === 'stopping') return session;
      {
        const evidence = observeProcesses(session.evidence ?? createStartEvidence(), event.processes);
        return {
          ...session,
          evidence: event.zram === undefined ? evidence : observeZram(evidence, event.zram),
        };
      }
    case 'kernelLogRead':
      return { ...session, evidence: observeKernelLog(session.evidence ?? createStartEvidence(), event.lines) };
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
