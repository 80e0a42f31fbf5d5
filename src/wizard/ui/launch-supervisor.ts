/**
 * Owns the one vLLM server the wizard launches: starts a plan, stops it, tells whoever listens what
 * it prints, and outlives the wizard's screens so the live panel can take over after "ready".
 */
import type { LaunchEvent } from '../../launch/launch-command.js';
import type { Plan, PlanRequest } from '../../plan/core/plan.js';

/** Runs one launch to its end; aborting `stop` stops the server. Resolves with the exit code. */
export type LaunchRunner = (
  plan: Plan,
  request: PlanRequest,
  onEvent: (event: LaunchEvent) => void,
  stop: AbortSignal,
) => Promise<number>;

export interface LaunchSupervisor {
  start(plan: Plan, request: PlanRequest, onEvent: (event: LaunchEvent) => void): void;
  /** Stops the running server (if any) and resolves once it has ended. */
  stop(): Promise<void>;
  isRunning(): boolean;
  /** Resolves when the current launch (if any) has ended. */
  ended(): Promise<void>;
  /** Log lines of the running server, for the panel's tail; returns the unsubscribe. */
  subscribeLog(listener: (line: string) => void): () => void;
  /** The plan the current launch runs. */
  current(): Plan | null;
  /** A --detach server that got ready: it outlives the wizard. */
  detached(): { name: string; url: string } | null;
}

export function createLaunchSupervisor(run: LaunchRunner): LaunchSupervisor {
  let controller: AbortController | null = null;
  let running: Promise<void> = Promise.resolve();
  let isRunning = false;
  let plan: Plan | null = null;
  let detached: { name: string; url: string } | null = null;
  const listeners = new Set<(line: string) => void>();
  return {
    start(next, request, onEvent) {
      if (isRunning) return;
      const own = new AbortController();
      controller = own;
      isRunning = true;
      plan = next;
      running = run(
        next,
        request,
        (event) => {
          if (event.type === 'line') for (const l of listeners) l(event.line);
          if (event.type === 'ready' && event.detachedName !== null)
            detached = { name: event.detachedName, url: event.url };
          onEvent(event);
        },
        own.signal,
      )
        .catch((error: unknown) =>
          onEvent({
            type: 'ended',
            outcome: 'exited',
            code: null,
            diagnosis: null,
            logLine: null,
            comparison: [],
            message: `the launch failed: ${error instanceof Error ? error.message : String(error)}`,
          }),
        )
        .then(() => {
          isRunning = false;
        });
    },
    async stop() {
      controller?.abort();
      await running;
    },
    isRunning: () => isRunning,
    ended: () => running,
    subscribeLog(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    current: () => plan,
    detached: () => detached,
  };
}
