/**
 * The wizard's launch step: what the screen shows while vLLM starts (stages, the log tail, vLLM's
 * figures next to the plan's), and what a failure offers (its cause, the re-planned fix, a one-key
 * retry). Pure: the shell runs the launch and reports it as these events.
 */
import type { Diagnosis } from './diagnosis/types.js';
import type { DefaultsMode, Knobs } from '../../plan/core/planner.js';

/** Log lines the launch screen keeps. */
export const LAUNCH_TAIL = 40;

export interface LaunchRetry {
  knobs: Knobs;
  defaults: DefaultsMode;
  /** "--flag value" for each changed flag. */
  changedFlags: string[];
  /** The fixed plan's verdict (fits, tight…). */
  verdict: string;
  command: string;
}

export interface LaunchOutcome {
  kind: 'stopped' | 'failed' | 'exited' | 'watchdog';
  message: string;
  /** The diagnosis title, cause and the log line that named the failure. */
  title: string | null;
  cause: string | null;
  logLine: string | null;
  /** What fixes it when it is not a re-plan: a command to run, or advice. */
  advice: string | null;
  command: string | null;
  /** The re-planned fix, retried with one key. */
  retry: LaunchRetry | null;
}

export interface LaunchView {
  /** 1 for the first launch, +1 for each retry. */
  attempt: number;
  status: 'starting' | 'ready' | 'stopping' | 'ended';
  /** The exact command that runs. */
  command: string;
  stages: { text: string; elapsedS: number }[];
  tail: string[];
  url: string | null;
  /** vLLM's figures next to the plan's ("predicted vs actual:" and rows). */
  comparison: string[];
  watchdog: string | null;
  outcome: LaunchOutcome | null;
  /** A detached server's name once it is ready: it outlives the wizard. */
  detachedName: string | null;
}

export type LaunchEvent =
  | { type: 'launchStage'; text: string; elapsedS: number }
  | { type: 'launchLine'; line: string }
  | { type: 'launchReady'; url: string; comparison: string[]; elapsedS: number; detachedName?: string | null }
  | { type: 'launchWatchdog'; why: string }
  | { type: 'launchStopping' }
  | {
      type: 'launchEnded';
      outcome: LaunchOutcome['kind'];
      message: string;
      diagnosis: Diagnosis | null;
      logLine: string | null;
      comparison: string[];
    };

export function freshLaunch(command: string, attempt: number): LaunchView {
  return {
    attempt,
    status: 'starting',
    command,
    stages: [],
    tail: [],
    url: null,
    comparison: [],
    watchdog: null,
    outcome: null,
    detachedName: null,
  };
}

/** Whether a server is (or may still be) running for this view. */
export const isServerRunning = (view: LaunchView): boolean => view.status !== 'ended';

/** Whether the wizard owns the server (stops it on quit): not once a detached one is ready. */
export const isServerOwned = (view: LaunchView): boolean => isServerRunning(view) && view.detachedName === null;

/** The outcome of an ended launch, with the diagnosis turned into what the screen offers. */
export function toOutcome(event: Extract<LaunchEvent, { type: 'launchEnded' }>): LaunchOutcome {
  const d = event.diagnosis;
  const fix = d?.fix;
  return {
    kind: event.outcome,
    message: event.message,
    title: d?.title ?? null,
    cause: d?.cause ?? null,
    logLine: event.logLine,
    advice: fix === undefined || fix.kind === 'replan' ? null : fix.explanation,
    command: fix?.kind === 'command' ? fix.command : null,
    retry:
      fix?.kind === 'replan'
        ? {
            knobs: fix.knobs,
            defaults: fix.defaults,
            changedFlags: fix.changedFlags,
            verdict: fix.plan.verdict,
            command: fix.plan.command,
          }
        : null,
  };
}

/** Applies one launch event to the view. Events after the end (a late log line) change nothing. */
export function launchViewReducer(view: LaunchView, event: LaunchEvent): LaunchView {
  if (view.status === 'ended') return view;
  switch (event.type) {
    case 'launchStage':
      return { ...view, stages: [...view.stages, { text: event.text, elapsedS: event.elapsedS }] };
    case 'launchLine': {
      const tail = view.tail.length >= LAUNCH_TAIL ? view.tail.slice(1) : view.tail.slice();
      tail.push(event.line);
      return { ...view, tail };
    }
    case 'launchReady':
      return {
        ...view,
        status: view.status === 'stopping' ? 'stopping' : 'ready',
        url: event.url,
        comparison: event.comparison,
        detachedName: event.detachedName ?? null,
        // The log's own "ready" (the API server says it started) gives way to the checked one.
        stages: [
          ...view.stages.filter((st) => st.text !== 'ready'),
          { text: `ready: ${event.url} (/health 200, /v1/models answers)`, elapsedS: event.elapsedS },
        ],
      };
    case 'launchWatchdog':
      return { ...view, watchdog: event.why };
    case 'launchStopping':
      return { ...view, status: 'stopping' };
    case 'launchEnded':
      return {
        ...view,
        status: 'ended',
        comparison: event.comparison.length > 0 ? event.comparison : view.comparison,
        outcome: toOutcome(event),
      };
    default: {
      const unreachable: never = event;
      throw new Error(`unknown launch event ${String(unreachable)}`);
    }
  }
}
