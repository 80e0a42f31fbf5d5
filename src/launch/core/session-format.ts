/**
 * The status lines `jetson-vllm launch` prints: for each change of the launch session, what it says
 * (`[  12.3s] loading weights`, the ready line and vLLM's figures, the failure with its cause and fix).
 * Pure: the shell prints what this returns.
 */
import { describeLeftRunning } from './servers.js';
import { formatPredictedVsActual } from './predicted-vs-actual.js';
import {
  describeExit,
  describeStage,
  redactToken,
  type LaunchSession,
  type LaunchSessionEvent,
  type LaunchSetup,
} from './session.js';

/** Returns "[  12.3s]": the time since the launch started, as each status line begins. */
export function formatElapsed(elapsedMs: number): string {
  return `[${(elapsedMs / 1000).toFixed(1).padStart(6)}s]`;
}

/** Returns the lines that say how an ended launch ended, with where its full log is kept unless it was stopped. */
function formatEnd(after: LaunchSession, at: string, setup: LaunchSetup): string[] {
  const lines = formatEnding(after, at, setup);
  const ending = after.outcome?.ending;
  return after.logPath !== null && ending !== undefined && ending !== 'stopped'
    ? [...lines, `  full log: ${after.logPath}`]
    : lines;
}

/** Returns the lines that say how an ended launch ended (the session after serverExited). */
function formatEnding(after: LaunchSession, at: string, setup: LaunchSetup): string[] {
  const o = after.outcome;
  if (o === null) return [];
  const redact = (text: string): string => redactToken(text, setup.token);
  const d = o.diagnosis;
  switch (o.ending) {
    case 'not-started':
    case 'exited':
      return [`${at} ${o.message}`];
    case 'watchdog':
      return [
        `${at} stopped by the watchdog`,
        ...(d?.fix.kind === 'replan'
          ? [
              `  fix: ${d.fix.changedFlags.join(' ')} → ${d.fix.plan.verdict.toUpperCase()}`,
              `  retry: ${d.fix.plan.command}`,
            ]
          : []),
        // A kill with room to spare is not the plan's size: the cause says where to look, and the command.
        ...(d?.fix.kind === 'command'
          ? [`  cause: ${d.cause}`, `  fix: ${d.fix.explanation}`, `  run: ${d.fix.command}`]
          : []),
      ];
    case 'stopped':
      return [
        ...(after.exit?.signal === 'SIGKILL'
          ? [`${at} vLLM did not exit within ${setup.stopGraceMs / 1000} s of SIGTERM: killed it (SIGKILL)`]
          : []),
        `${at} stopped`,
      ];
    case 'died-after-ready':
      // Not a start-up failure: the server ran, then its engine died. Say so, with vLLM's last lines.
      return [
        `${at} vLLM died after it was ready (${describeExit(after.exit ?? { code: null, signal: null })})`,
        `  log: ${redact(after.log.failure?.line.trim() ?? '')}`,
        `  last lines of vLLM's log:`,
        ...after.lastLines.map((line) => `    ${redact(line)}`),
      ];
    case 'failed': {
      if (d === null) return [`${at} ${o.message}`];
      const lines = [
        `${at} vLLM failed${after.isReady ? ' after it was ready' : ''}: ${d.title}`,
        `  log: ${redact(after.log.failure?.line.trim() ?? '')}`,
        `  cause: ${d.cause}`,
        ...formatPredictedVsActual(setup.plan, after.log).map((line) => `  ${line}`),
      ];
      switch (d.fix.kind) {
        case 'replan':
          lines.push(`  fix: ${d.fix.changedFlags.join(' ')} → ${d.fix.plan.verdict.toUpperCase()}`);
          lines.push(`  retry: ${d.fix.plan.command}`);
          break;
        case 'command':
          lines.push(`  fix: ${d.fix.explanation}`);
          lines.push(`  run: ${d.fix.command}`);
          break;
        case 'none':
          if (d.kind === 'engine-failed') {
            lines.push(`  last lines of vLLM's log:`);
            for (const line of after.lastLines) lines.push(`    ${redact(line)}`);
          }
          lines.push(`  ${d.fix.explanation}`);
          break;
        default: {
          const unreachable: never = d.fix;
          throw new Error(`unknown fix ${String(unreachable)}`);
        }
      }
      return lines;
    }
    default: {
      const unreachable: never = o.ending;
      throw new Error(`unknown ending ${String(unreachable)}`);
    }
  }
}

/** Returns the status lines the change from `before` to `after` (by `event`) prints; [] when it says nothing. */
export function formatLaunchLines(
  before: LaunchSession,
  after: LaunchSession,
  event: LaunchSessionEvent,
  setup: LaunchSetup,
): string[] {
  // The runtime's own lines (the command, the pull's progress) are printed as they come.
  if (event.type === 'runtimeLineRead') return [event.line];
  // A re-made plan is said by the runtime's own line (the image's vLLM), not a status line.
  if (after === before || event.type === 'logFileOpened' || event.type === 'planReplaced') return [];
  const at = formatElapsed(event.elapsedMs);
  switch (event.type) {
    case 'phaseEntered':
    case 'logLineRead':
      return after.current !== before.current && after.current !== null
        ? [`${at} ${describeStage(after.current.stage)}`]
        : [];
    case 'tick':
      return after.stuck !== null && after.stuck !== before.stuck ? [`${at} ${after.stuck}`] : [];
    case 'memorySampled':
      return after.watchdog !== null && before.watchdog === null ? [`${at} watchdog: ${after.watchdog}`] : [];
    case 'serverReady':
      return [`${at} ready: ${event.url} (/health 200, /v1/models answers)`, ...after.comparison];
    case 'readyTimedOut':
      return [`${at} not ready after ${setup.readyTimeoutS} s: stopping it`];
    case 'stopRequested':
      return [`${at} stopping the server`];
    case 'releaseRequested':
    case 'processesSampled':
    case 'kernelLogRead':
      return [];
    case 'released':
      return after.status === 'ended'
        ? [`${at} stopped (nothing had been started yet)`]
        : describeLeftRunning(setup.name, setup.url, event.how, after.isReady);
    case 'serverExited':
      return formatEnd(after, at, setup);
    default: {
      const unreachable: never = event;
      throw new Error(`unknown launch event ${String(unreachable)}`);
    }
  }
}
