/**
 * How a launch ended, as the launch session keeps it: the kind the screen shows, the ending the status
 * lines tell, the exit code, and the diagnosis turned into what the wizard offers (a cause, a command to
 * run, or the re-planned fix retried with one key). Pure.
 */
import type { Plan } from '../../plan/core/plan.js';
import type { DefaultsMode, Knobs } from '../../plan/core/planner.js';
import type { Diagnosis } from './diagnosis/types.js';

/** The re-planned fix of a failure, as the wizard retries it with one key. */
export interface LaunchRetry {
  knobs: Knobs;
  defaults: DefaultsMode;
  /** "--flag value" for each changed flag. */
  changedFlags: string[];
  /** The fixed plan's verdict (fits, tight…). */
  verdict: string;
  command: string;
  /** The fixed plan's quantization variant (a fix may change it: an unsupported quantization). */
  quant: string;
  /**
   * The fixed plan itself, as the diagnosis made it: its flags may come from a re-planned request that the knobs
   * alone do not carry (the measured figure of a kill, another vLLM version for an unknown argument), so a retry
   * launches this plan, not one rebuilt from the knobs.
   */
  plan: Plan;
}

/** How a launch ended, as the status lines tell it (the screen's `kind` is coarser). */
export type LaunchEnding = 'not-started' | 'watchdog' | 'stopped' | 'exited' | 'died-after-ready' | 'failed';

/** How an ended launch ended: what the status lines and the screen say, and the exit code. */
export interface LaunchOutcome {
  kind: 'stopped' | 'failed' | 'exited' | 'watchdog';
  ending: LaunchEnding;
  /** The launch's exit code: 0, 1 on a failure, or 3 when the launch refused to start it (a plan that would not fit). */
  code: number;
  message: string;
  /** The failure explained, when the log or the watchdog named one. */
  diagnosis: Diagnosis | null;
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

/** Returns the outcome of an ended launch, with the diagnosis turned into what the screen offers. */
export function buildOutcome(
  kind: LaunchOutcome['kind'],
  ending: LaunchEnding,
  code: number,
  message: string,
  diagnosis: Diagnosis | null,
  logLine: string | null,
): LaunchOutcome {
  const fix = diagnosis?.fix;
  return {
    kind,
    ending,
    code,
    message,
    diagnosis,
    title: diagnosis?.title ?? null,
    cause: diagnosis?.cause ?? null,
    logLine,
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
            quant: fix.plan.quant.id,
            plan: fix.plan,
          }
        : null,
  };
}
