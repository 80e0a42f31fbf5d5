/**
 * `jetson-vllm launch`: start the plan's server (`vllm serve`, or `docker run` around it: src/launch/runtime.ts),
 * follow its log through the loading stages, show vLLM's own figures next to the plan's, wait for /health,
 * and on a failure explain it with the re-planned fix. SIGINT, SIGTERM and SIGHUP stop the server cleanly;
 * with --detach the server outlives the launch (and a dropped SSH session), which ends once it is ready.
 * This is the shell: what happens becomes an event of the launch session (core/session.ts), whose status
 * lines (core/session-format.ts) are printed and whose state a screen (the wizard) is handed.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { hfTokenPath } from '../model/token-path.js';
import { resolveXdgDir } from '../shared/xdg.js';
import type { Plan, PlanRequest } from '../plan/core/plan.js';
import type { Catalog } from '../catalog/core/presets-schema.js';
import { buildHistoryEntry, type HistoryEntry } from './core/history.js';
import { servePort, serverName } from './core/docker.js';
import {
  createLaunchSession,
  type LaunchSession,
  type LaunchSessionEvent,
  type LaunchSetup,
  redactToken,
} from './core/session.js';
import { reduceLaunchSession } from './core/session-reducer.js';
import { formatLaunchLines } from './core/session-format.js';
import { findServedModelName, isModelListed } from './core/readiness.js';
import { startServer, type DetachedInfo, type ServerExit } from './runtime.js';
import { parseMeminfo } from '../device/core/system-parsers.js';
import { onTerminationSignals } from '../process/signals.js';
import { run } from '../process/exec.js';
import { isPidAlive } from './detached.js';
import { openLaunchLog, type LaunchLog } from './logs.js';
import { findListenerOwner } from './ports.js';
import { computePageCacheBytes, selectNewKernelLines, type ZramReading } from './core/diagnosis/evidence.js';
import type { KernelLogReader, ProcessReader } from './evidence.js';

export interface LaunchContext {
  plan: Plan;
  request: PlanRequest;
  catalog: Catalog;
  /** Where status lines go (stdout). */
  out: (line: string) => void;
  /** Seconds to wait for /health after the API server starts. */
  readyTimeoutS?: number;
  /** Reads /proc/meminfo (under --root) for the watchdog; null when unreadable. */
  readMeminfo: () => Promise<string | null>;
  /** The watchdog's floor in bytes (0 turns it off). */
  memoryFloorBytes: number;
  /** Appends a launch to the local history of predicted vs actual (never fails the launch). */
  appendHistory?: (entry: HistoryEntry) => Promise<void>;
  /** Each change of the launch session, for a screen (the wizard); `out` still gets the text. */
  onEvent?: (event: LaunchSessionEvent, session: LaunchSession) => void;
  /** Aborting it stops the server (the wizard's "stop"). */
  stopSignal?: AbortSignal;
  /** Aborted to kill the server now (a second stop request: SIGKILL of the tree, `docker kill`). */
  killSignal?: AbortSignal;
  /** Stop the server on SIGINT, SIGTERM and SIGHUP (default true). */
  handleSignals?: boolean;
  /** How long vLLM has to exit after SIGTERM before it gets SIGKILL (ms; default 10 s). */
  stopGraceMs?: number;
  /** Seconds after which any stage is said to look stuck (default: per stage, src/launch/core/stage-timeouts.ts). */
  stageTimeoutS?: number;
  /** --detach: the server outlives the launch; where its log goes and how it is recorded. */
  detach?: DetachedLaunch;
  /**
   * The wizard's launch: started as --detach starts one (its own session, or `docker run -d`; its output in
   * its log file, followed from there), so nothing of it hangs on this process's pipes, yet owned like an
   * attached one (stopped on a stop, a signal, a crash of the caller). Only once it is ready, aborting
   * `leaveSignal` lets go of it: it is recorded as --detach records a server, and the launch ends with 0.
   */
  leavable?: LeavableLaunch;
  /** The image's compressed size (the catalog's), shown with a pull. */
  imageSizeBytes?: number | null;
  /**
   * The plan was made again after the pull, for the vLLM the pulled image carries (a moving tag): the plan that
   * runs from now on (the wizard's panel takes its figures from it).
   */
  onReplanned?: (plan: Plan, request: PlanRequest) => void;
  /** Lines said before the server starts (prepareLaunch's notes): printed and kept in the log tail. */
  preface?: readonly string[];
  /** Creates this launch's own log file for the server's name (src/launch/logs.ts); none: no log is kept. */
  createLogFile?: (name: string) => Promise<string>;
  /** --root: where /proc is read to tell whether the server answering on the port is ours. */
  root?: string | undefined;
  /** Reads the other processes' memory (under --root) with the watchdog's samples, for the diagnosis of a kill. */
  readProcesses?: ProcessReader;
  /** Reads what zram holds (/proc/swaps, mm_stat, under --root), with the processes; null: no zram. */
  readZram?: () => ZramReading | null;
  /** Reads the kernel log (dmesg / journalctl -k) before the start and after a kill; null when unreadable. */
  readKernelLog?: KernelLogReader;
}

/**
 * What a detached launch needs: the state folder, and the record of the server — written when it starts
 * and again once it is ready (then it replaces a record of its name), forgotten when it fails (a record
 * of a server that still runs is never forgotten).
 */
export interface DetachedLaunch {
  stateDir: string;
  /**
   * `plan`: the one that runs (re-made for a pulled image's vLLM, if it was); `heldBy`: the pid of the wizard that
   * holds the server until its `l` (a record made at the start, so a wizard killed outright leaves it findable).
   */
  record: (
    server: DetachedInfo & { name: string; url: string; heldBy?: number },
    isReady: boolean,
    plan: Plan,
  ) => Promise<void>;
  forget: (name: string) => Promise<void>;
}

/** A launch that can be left running once ready (the panel's `l`): recorded as --detach records one. */
export interface LeavableLaunch extends DetachedLaunch {
  leaveSignal: AbortSignal;
}

/** Resolves once `signal` is aborted (at once when it already is). */
function waitForAbort(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Whether `huggingface-cli login` saved a token vLLM will read (it does when HF_TOKEN is not set). */
function hasSavedToken(env: NodeJS.ProcessEnv = process.env): boolean {
  const cacheHome = resolveXdgDir('cache', env, os.homedir());
  return existsSync(hfTokenPath(env, cacheHome));
}

/** What the session needs to know of this launch: the plan, the token to redact, the limits. */
function buildSetup(ctx: LaunchContext): LaunchSetup {
  const port = servePort(ctx.plan.argv);
  // vLLM never prints the token, but its log is shown on a failure: make sure.
  const token = process.env.HF_TOKEN ?? process.env.HUGGING_FACE_HUB_TOKEN ?? '';
  return {
    plan: ctx.plan,
    request: ctx.request,
    catalog: ctx.catalog,
    token,
    hasHfToken: token !== '' || hasSavedToken(),
    name: serverName(ctx.plan.model.id, port),
    url: `http://127.0.0.1:${port}`,
    isDetached: ctx.detach !== undefined,
    stageTimeoutS: ctx.stageTimeoutS ?? null,
    stopGraceMs: ctx.stopGraceMs ?? 10_000,
    readyTimeoutS: ctx.readyTimeoutS ?? 1800,
    memoryFloorBytes: ctx.memoryFloorBytes,
  };
}

/** The largest /v1/models body read (a list of a few models is a few KiB). */
const MAX_MODELS_BODY = 1024 * 1024;

/**
 * Whether a server is up at the URL: /health 200 and /v1/models listing the model as `servedName`. Over
 * node:http with a body limit (process/http-get.ts), not fetch: undici would be loaded while vLLM loads
 * its weights, the moment the board's memory is tightest.
 */
async function isServing(url: string, servedName: string): Promise<boolean> {
  try {
    const { getBounded } = await import('../process/http-get.js');
    const health = await getBounded(`${url}/health`, { limitBytes: 64 * 1024, timeoutMs: 1000, what: 'health' });
    if (health.status !== 200) return false;
    const models = await getBounded(`${url}/v1/models`, {
      limitBytes: MAX_MODELS_BODY,
      timeoutMs: 1000,
      what: 'models',
    });
    return models.status >= 200 && models.status < 300 && isModelListed(models.body, servedName);
  } catch {
    return false; // not up yet, or an answer past its limit
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** This launch's log file, or null (none asked for, or it could not be made: said once, the launch goes on). */
async function createLog(ctx: LaunchContext, name: string, say: (line: string) => void): Promise<string | null> {
  if (ctx.createLogFile === undefined) return null;
  try {
    return await ctx.createLogFile(name);
  } catch (error) {
    say(
      `jetson-vllm: could not create the launch log: ${error instanceof Error ? error.message : String(error)} (the launch goes on without it)`,
    );
    return null;
  }
}

/**
 * After a kill (SIGKILL, exit 137, or vLLM's own report of its engine's -9) that this launch did not ask for, the
 * kernel's lines since the start, for the diagnosis (none when the log cannot be read).
 */
async function readKernelReport(
  ctx: LaunchContext,
  session: LaunchSession,
  exit: ServerExit,
  before: Promise<string[] | null>,
  report: (lines: string[]) => void,
): Promise<void> {
  if (ctx.readKernelLog === undefined || exit.notStarted !== undefined || session.status === 'stopping') return;
  const isKill = exit.signal === 'SIGKILL' || exit.exitCode === 137 || session.log.failure?.kind === 'oom-killed';
  if (!isKill || session.watchdog !== null) return;
  const after = await ctx.readKernelLog().catch(() => null);
  if (after !== null) report(selectNewKernelLines(await before, after));
}

/** Runs the plan until the server exits or a signal stops it (detached: until ready). Exit code 0, or 1 on failure. */
export async function runLaunch(ctx: LaunchContext): Promise<number> {
  const { out, detach, leavable } = ctx;
  // The plan that runs: re-made after the pull when the pulled image carries another vLLM (afterPull below).
  let { plan } = ctx;
  // Started the detached way: a --detach launch, or one that may be left running (the wizard's).
  const starter = detach ?? leavable;
  let setup = buildSetup(ctx);
  const started = performance.now();
  const now = (): number => performance.now() - started;
  let session = createLaunchSession(plan.command, 1);
  // Each event: the new session, its status lines printed, a screen told. Returns the session before it
  // (what changed decides what the shell does next: stop the server once, let go of it once).
  const dispatch = (event: LaunchSessionEvent): LaunchSession => {
    const before = session;
    session = reduceLaunchSession(before, event, setup);
    for (const line of formatLaunchLines(before, session, event, setup)) out(line);
    if (session !== before) ctx.onEvent?.(event, session);
    return before;
  };
  // The full log: its own file; a detached native vLLM writes it itself, otherwise every line read goes there.
  const logPath = await createLog(ctx, setup.name, (line) => dispatch({ type: 'runtimeLineRead', line }));
  const isLogWritten = !(plan.runtime === 'native' && starter !== undefined);
  let log: LaunchLog | null = null;
  if (logPath !== null) {
    dispatch({ type: 'logFileOpened', path: logPath });
    if (isLogWritten) log = openLaunchLog(logPath, (line) => dispatch({ type: 'runtimeLineRead', line }));
  }
  const toLog = (line: string): void => log?.write(redactToken(line, setup.token));
  const said = (line: string): void => {
    toLog(line);
    dispatch({ type: 'runtimeLineRead', line });
  };
  for (const line of ctx.preface ?? []) said(line);
  // The kernel log as it was before this start: after a kill, only the lines printed since are this kill's.
  // Only its last line is kept (the mark), not a copy of the ring buffer for the server's lifetime.
  const kernelBefore =
    ctx
      .readKernelLog?.()
      .then((lines) => (lines === null ? null : lines.filter((l) => l.trim() !== '').slice(-1)))
      .catch(() => null) ?? Promise.resolve(null);
  let recorded: Promise<void> = Promise.resolve();
  // Where the detached server can be found, once started (set by the runtime's callback).
  const detachedAt: { info: DetachedInfo | null } = { info: null };
  // A moving tag pulled just now: the vLLM inside is read before its container starts (a present one was read by
  // prepareLaunch), the plan re-made for it — or nothing started when that plan would not fit.
  const afterPull = async (): Promise<{ plan: Plan } | { refusal: string } | null> => {
    const { checkPulledImage } = await import('./image-version-read.js');
    const checked = await checkPulledImage(plan, setup.request, ctx.catalog);
    if (checked.note !== null) said(checked.note);
    if (!checked.ok) return { refusal: checked.message };
    if (checked.plan === plan) return null;
    plan = checked.plan;
    setup = buildSetup({ ...ctx, plan, request: checked.request });
    dispatch({ type: 'planReplaced', command: plan.command });
    ctx.onReplanned?.(plan, checked.request);
    return { plan };
  };
  const child = startServer(
    plan,
    {
      name: setup.name,
      isDetached: starter !== undefined,
      ...(plan.runtime === 'docker' ? { afterPull } : {}),
      out: said,
      stateDir: starter?.stateDir ?? '',
      ...(logPath !== null ? { logPath } : {}),
      imageSizeBytes: ctx.imageSizeBytes ?? null,
      onPhase: (stage) => dispatch({ type: 'phaseEntered', stage, elapsedMs: now() }),
      onDetached: (info) => {
        detachedAt.info = info;
        const where = { ...info, name: setup.name, url: setup.url };
        // The wizard's server is recorded as held by it (this process): should it be SIGKILLed, `launch --stop`
        // and `monitor --server` still find the server; `l` makes the record the user's, a stop forgets it.
        recorded =
          (detach !== undefined
            ? detach.record(where, false, plan)
            : leavable?.record({ ...where, heldBy: process.pid }, false, plan)
          )?.catch(() => undefined) ?? recorded;
      },
    },
    (line) => {
      toLog(line);
      dispatch({ type: 'logLineRead', line, elapsedMs: now() });
    },
  );
  // Ready means ours: the process this launch started (or its container) is alive and holds the port —
  // not another server answering there while ours died of "Address already in use".
  const port = servePort(plan.argv);
  const servedName = (): string => findServedModelName(plan.argv) ?? plan.model.id;
  const isOurServer = async (): Promise<boolean> => {
    if (plan.runtime === 'docker') {
      const state = await run('docker', ['inspect', '--format', '{{.State.Running}}', setup.name], {
        timeoutMs: 10_000,
      });
      return state.exitCode === 0 && state.stdout.trim() === 'true';
    }
    const pid = child.pid;
    if (pid === undefined || !isPidAlive(pid)) return false;
    return (await findListenerOwner(port, pid, ctx.root)) !== 'other';
  };

  const stop = async (): Promise<void> => {
    // A second request while stopping (a second Ctrl-C): no more grace, the whole tree is killed now.
    if (dispatch({ type: 'stopRequested', elapsedMs: now() }).status === 'stopping') return child.kill();
    if (session.status === 'stopping') await child.stop(setup.stopGraceMs);
  };
  // Detached, a signal (Ctrl-C, the SSH session dropping) lets go of the server and leaves it running.
  let releasing: Promise<boolean> | null = null;
  const onSignal = (): void => {
    if (detach === undefined || session.watchdog !== null) return void stop();
    if (!dispatch({ type: 'releaseRequested', elapsedMs: now() }).isReleasing && session.isReleasing)
      releasing = child.release(session.isReady);
  };
  // The wizard's "stop" always stops.
  const onStop = (): void => void stop();
  // Its second request kills: a stop is begun first if none was, so the kill finds the server stopping.
  const onKill = (): void => {
    if (session.status !== 'stopping') void stop();
    void stop();
  };
  const unsubscribe = (ctx.handleSignals ?? true) ? onTerminationSignals(onSignal) : () => undefined;
  if (ctx.stopSignal?.aborted === true) void stop();
  else ctx.stopSignal?.addEventListener('abort', onStop, { once: true });
  ctx.killSignal?.addEventListener('abort', onKill, { once: true });
  const unlisten = (): void => {
    unsubscribe();
    ctx.stopSignal?.removeEventListener('abort', onStop);
    ctx.killSignal?.removeEventListener('abort', onKill);
  };

  // Readiness: polled once the API server is starting, until a stop, a release, the exit or a failure.
  let hasExited = false;
  const readiness = (async () => {
    const deadline = Date.now() + setup.readyTimeoutS * 1000;
    const isWaiting = (): boolean =>
      session.status === 'starting' && !session.isReleasing && !hasExited && session.log.stage !== 'failed';
    while (isWaiting() && Date.now() < deadline) {
      await sleep(500);
      if (session.log.stage !== 'api-server' && session.log.stage !== 'ready') continue;
      if (!(await isServing(setup.url, servedName())) || !(await isOurServer())) continue;
      if (!isWaiting()) return;
      dispatch({ type: 'serverReady', url: setup.url, elapsedMs: now() });
      const entry = buildHistoryEntry(plan, session.log.figures, 'ready', new Date().toISOString());
      void ctx.appendHistory?.(entry).catch(() => undefined);
      return;
    }
  })();

  // A stage that lasts far longer than it may here is said to look stuck (once; the launch keeps waiting).
  const stageTimer = setInterval(() => dispatch({ type: 'tick', elapsedMs: now() }), 1000);
  // The watchdog: while vLLM starts, sample available memory (MemAvailable + free swap) 4× a second;
  // under the floor for more than a moment, stop vLLM before the kernel freezes the board. Once a second
  // the other processes are sampled too: if vLLM is killed, the one that grew is named.
  let samples = 0;
  const sampler =
    ctx.memoryFloorBytes > 0
      ? setInterval(() => {
          if (session.status !== 'starting') return;
          if (ctx.readProcesses !== undefined && samples++ % 4 === 0)
            dispatch({
              type: 'processesSampled',
              processes: ctx.readProcesses(child.pid),
              ...(ctx.readZram !== undefined ? { zram: ctx.readZram() } : {}),
              elapsedMs: now(),
            });
          void ctx.readMeminfo().then((text) => {
            const m = text === null ? null : parseMeminfo(text);
            if (m?.MemAvailable === undefined) return;
            const availableBytes = m.MemAvailable + (m.SwapFree ?? 0);
            // The page cache of the same read: a kill with it full is named (diagnosis/kill.ts).
            const pageCacheBytes = computePageCacheBytes(m);
            const before = dispatch({ type: 'memorySampled', availableBytes, pageCacheBytes, elapsedMs: now() });
            if (before.watchdog === null && session.watchdog !== null) void stop();
          });
        }, 250)
      : null;
  const stopTimers = (): void => {
    if (sampler !== null) clearInterval(sampler);
    clearInterval(stageTimer);
  };

  let exit: ServerExit;
  if (detach !== undefined) {
    // Detached: done once ready (or let go); otherwise it is stopped and forgotten (no restart loop).
    const first = await Promise.race([child.exited, readiness.then(() => null)]);
    if (first === null && !session.isReady && !session.isReleasing && session.status !== 'stopping') {
      if (session.log.stage === 'failed') {
        // Its last lines may say more; then it is stopped (a hung vLLM, or a container restarting).
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([child.exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
        clearTimeout(timer);
      } else dispatch({ type: 'readyTimedOut', elapsedMs: now() });
      await child.stop(setup.stopGraceMs);
    }
    if (session.isReady || session.isReleasing) {
      stopTimers();
      unlisten();
      const isLeftRunning = await (releasing ?? child.release(session.isReady));
      if (isLeftRunning) await recorded;
      // Ready: this very server holds the port, so its record replaces any other of its name.
      if (isLeftRunning && session.isReady && detachedAt.info !== null)
        await detach
          .record({ ...detachedAt.info, name: setup.name, url: setup.url }, true, plan)
          .catch(() => undefined);
      const how = plan.runtime === 'docker' ? 'a docker container' : `pid ${child.pid ?? '?'}`;
      dispatch({ type: 'released', isLeftRunning, how, elapsedMs: now() });
      await log?.close();
      return 0;
    }
    exit = first ?? (await child.exited);
    if (session.status !== 'stopping') await child.stop(2000);
    await detach.forget(setup.name).catch(() => undefined);
  } else if (leavable !== undefined) {
    // Owned until the caller lets go of it once ready (its `l`); a request before that is not honoured.
    const isLeaving = await Promise.race([
      child.exited.then(() => false),
      waitForAbort(leavable.leaveSignal).then(() => true),
    ]);
    if (isLeaving && session.status === 'ready') {
      stopTimers();
      unlisten();
      const isLeftRunning = await child.release();
      // The record made at the start (held by this wizard) is written before the user's replaces it.
      await recorded;
      if (isLeftRunning && detachedAt.info !== null)
        await leavable
          .record({ ...detachedAt.info, name: setup.name, url: setup.url }, true, plan)
          .catch(() => undefined);
      const how = plan.runtime === 'docker' ? `container ${setup.name}` : `pid ${child.pid ?? '?'}`;
      dispatch({ type: 'released', isLeftRunning, how, elapsedMs: now() });
      hasExited = true;
      await readiness;
      await log?.close();
      return 0;
    }
    exit = await child.exited;
    // Started detached, what is left of it (a container, an engine core of its session) goes with it.
    if (session.status !== 'stopping') await child.stop(2000);
    // …and its record (never one of a server that still runs).
    await recorded;
    await leavable.forget(setup.name).catch(() => undefined);
  } else {
    exit = await child.exited;
  }
  hasExited = true;
  stopTimers();
  await readiness;
  unlisten();
  const { exitCode: code, signal, notStarted = null, isRefused = false } = exit;
  await log?.close();
  await readKernelReport(ctx, session, exit, kernelBefore, (lines) =>
    dispatch({ type: 'kernelLogRead', lines, elapsedMs: now() }),
  );
  dispatch({ type: 'serverExited', code, signal, notStarted, ...(isRefused ? { isRefused } : {}), elapsedMs: now() });
  const ending = session.outcome?.ending;
  if (ending === 'failed' || ending === 'died-after-ready') {
    const entry = buildHistoryEntry(plan, session.log.figures, 'failed', new Date().toISOString());
    await ctx.appendHistory?.(entry).catch(() => undefined);
  }
  return session.outcome?.code ?? 1;
}
