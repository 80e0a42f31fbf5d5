/**
 * The signals that end a run — Ctrl-C (SIGINT), kill (SIGTERM) and the terminal or SSH session going
 * away (SIGHUP) — in one place: a command with children to stop subscribes here, and a stdout that
 * went away ends the run as SIGTERM would.
 */

/** The signals a command stops its children on. */
export const TERMINATION_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** One of them. */
export type TerminationSignal = (typeof TERMINATION_SIGNALS)[number];

/** Calls `handler` on SIGINT, SIGTERM and SIGHUP (instead of the default exit); returns the unsubscribe. */
export function onTerminationSignals(handler: (signal: TerminationSignal) => void): () => void {
  for (const signal of TERMINATION_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of TERMINATION_SIGNALS) process.off(signal, handler);
  };
}

/** Whether anything stops on a termination signal (a command running children). */
export function hasTerminationHandlers(): boolean {
  return process.listenerCount('SIGTERM') > 0;
}

/** Ends the run as a SIGTERM would: every subscriber stops its children. */
export function raiseTermination(): void {
  process.emit('SIGTERM', 'SIGTERM');
}
