/**
 * Owns the one vLLM server the wizard launches: starts a plan, stops it, hands on each change of its
 * launch session and the lines it prints, and outlives the wizard's screens so the live panel can take
 * over after "ready".
 */
import {
  createLaunchSession,
  endLaunchSession,
  type LaunchSession,
  type LaunchSessionEvent,
} from '../../launch/core/session.js';
import type { Plan, PlanRequest } from '../../plan/core/plan.js';

/** Runs one launch to its end; aborting `stop` stops the server, aborting `kill` (during a stop) kills it now,
 * aborting `leave` (once ready) lets go of it, left running and recorded. Resolves with the exit code.
 * `onPrepared` gets the plan that really runs (preparing a launch may take an image already here instead of
 * the plan's), and again when it is made anew after a pull (the pulled moving tag carries another vLLM). */
export type LaunchRunner = (
  plan: Plan,
  request: PlanRequest,
  onEvent: (event: LaunchSessionEvent, session: LaunchSession) => void,
  stop: AbortSignal,
  onPrepared: (plan: Plan) => void,
  kill: AbortSignal,
  leave?: AbortSignal,
) => Promise<number>;

export interface LaunchSupervisor {
  /**
   * Starts the plan; `onSession` gets the launch session after each change. A start while the previous
   * launch has ended but its run is still finishing (reading the last output, writing its history) waits
   * for that run; a start while a launch is live is ignored.
   */
  start(plan: Plan, request: PlanRequest, onSession: (session: LaunchSession) => void): void;
  /** Stops the running server (if any) and resolves once it has ended. */
  stop(): Promise<void>;
  /** Kills the running server now (SIGKILL of its tree, `docker kill`), without the rest of the grace. */
  kill(): void;
  /**
   * Lets go of the running, ready server: it keeps running, recorded as `launch --detach` records one.
   * Resolves once the launch has ended, with how the server can be found (a container, pid N), or null when
   * it was not left running (it had not got ready, or it ended first).
   */
  leave(): Promise<string | null>;
  isRunning(): boolean;
  /** Resolves when the current launch (if any) has ended. */
  ended(): Promise<void>;
  /** Log lines of the running server, for the panel's tail; returns the unsubscribe. */
  subscribeLog(listener: (line: string) => void): () => void;
  /** The plan the current launch runs (as prepared: the image it really uses). */
  current(): Plan | null;
  /** A --detach server that got ready: it outlives the wizard. */
  detached(): { name: string; url: string } | null;
  /**
   * Stops handing sessions to the screen that started the launch: once the wizard's screens are gone (the panel
   * took over) its React tree is no longer reachable from the running launch and can be collected.
   */
  releaseScreen?(): void;
}

/** How long log lines' sessions are gathered before the screen gets the latest (ms). */
const LINE_COALESCE_MS = 100;

export function createLaunchSupervisor(run: LaunchRunner): LaunchSupervisor {
  let controller: AbortController | null = null;
  let killer: AbortController | null = null;
  let leaver: AbortController | null = null;
  // How the current launch's server was left running (its session says), once it was.
  let leftRunning: string | null = null;
  let running: Promise<void> = Promise.resolve();
  let isRunning = false;
  // The current launch's session has ended (its run may still be finishing).
  let hasEnded = true;
  let plan: Plan | null = null;
  let detached: { name: string; url: string } | null = null;
  const listeners = new Set<(line: string) => void>();
  let sessionListener: ((session: LaunchSession) => void) | null = null;
  // Log lines come in bursts (hundreds a second while vLLM loads): the screen gets the latest session at most
  // every LINE_COALESCE_MS for them, and at once for every other event, so Ink does not redraw per line while
  // the weights load — the moment memory is tightest. Nothing is lost: a session holds the whole tail.
  let pending: LaunchSession | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const session = pending;
    pending = null;
    if (session !== null) sessionListener?.(session);
  };
  const hand = (event: LaunchSessionEvent, session: LaunchSession): void => {
    pending = session;
    if (event.type !== 'logLineRead' && event.type !== 'runtimeLineRead') return flush();
    timer ??= setTimeout(flush, LINE_COALESCE_MS);
  };
  return {
    start(next, request, onSession) {
      if (isRunning && !hasEnded) return;
      const previous = running;
      hasEnded = false;
      const own = new AbortController();
      const ownKill = new AbortController();
      const ownLeave = new AbortController();
      controller = own;
      killer = ownKill;
      leaver = ownLeave;
      leftRunning = null;
      // A session of the previous run still gathered is not this launch's: it never reaches the new screen.
      if (timer !== null) clearTimeout(timer);
      timer = null;
      pending = null;
      isRunning = true;
      plan = next;
      sessionListener = onSession;
      let last = createLaunchSession(next.command, 1);
      running = previous
        .then(() =>
          run(
            next,
            request,
            (event, session) => {
              // A late report of an earlier run (a retry began) is not this launch's: it is dropped.
              if (controller !== own) return;
              last = session;
              if (session.status === 'ended') hasEnded = true;
              leftRunning = session.leftRunning;
              // A line read is the last of the session's tail (token redacted).
              const line = session.tail[session.tail.length - 1];
              if ((event.type === 'logLineRead' || event.type === 'runtimeLineRead') && line !== undefined)
                for (const l of listeners) l(line);
              if (event.type === 'serverReady' && session.detachedName !== null && session.url !== null)
                detached = { name: session.detachedName, url: session.url };
              hand(event, session);
            },
            own.signal,
            (prepared) => {
              plan = prepared;
            },
            ownKill.signal,
            ownLeave.signal,
          ),
        )
        .finally(() => {
          if (controller === own) flush();
        })
        .catch((error: unknown) => {
          if (controller !== own) return;
          sessionListener?.(
            endLaunchSession(last, `the launch failed: ${error instanceof Error ? error.message : String(error)}`),
          );
        })
        .then(() => {
          // Only the newest run says that nothing runs (an earlier one may finish after a retry began).
          if (controller !== own) return;
          isRunning = false;
          hasEnded = true;
        });
    },
    async stop() {
      controller?.abort();
      await running;
    },
    kill() {
      controller?.abort();
      killer?.abort();
    },
    async leave() {
      if (!isRunning) return null;
      leaver?.abort();
      await running;
      return leftRunning;
    },
    isRunning: () => isRunning,
    ended: () => running,
    subscribeLog(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    current: () => plan,
    detached: () => detached,
    releaseScreen() {
      sessionListener = null;
    },
  };
}
