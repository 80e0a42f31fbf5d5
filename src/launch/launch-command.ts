/**
 * `jetson-vllm launch`: start the plan's server (`vllm serve`, or `docker run` around it: src/launch/runtime.ts),
 * follow its log through the loading stages, show vLLM's own figures next to the plan's, wait for /health,
 * and on a failure explain it with the re-planned fix. SIGINT, SIGTERM and SIGHUP stop the server cleanly;
 * with --detach the server outlives the launch (and a dropped SSH session), which ends once it is ready.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { diagnose } from './core/diagnosis/diagnose.js';
import type { Diagnosis } from './core/diagnosis/types.js';
import { hfTokenPath } from '../model/token-path.js';
import type { Plan, PlanRequest } from '../plan/core/plan.js';
import type { Catalog } from '../catalog/core/presets-schema.js';
import { GiB } from '../shared/units.js';
import { resolveXdgDir } from '../shared/xdg.js';
import { markExited, parseLogLine } from './core/log/reducer.js';
import { initialLogState, type LaunchStage, type LogState } from './core/log/state.js';
import { describeSlowStage, stageTimeoutS } from './core/stage-timeouts.js';
import { buildHistoryEntry, type HistoryEntry } from './core/history.js';
import { servePort, serverName } from './core/docker.js';
import { describeLeftRunning } from './core/servers.js';
import { startServer, type DetachedInfo, type ServerExit } from './runtime.js';
import { parseMeminfo } from '../device/core/system-parsers.js';
import { createWatchdog, describeWatchdogStop, observeMemory } from './core/watchdog.js';

const STAGE_TEXT: Record<string, string> = {
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

const gib = (b: number | null): string => (b === null ? 'n/a' : `${(b / GiB).toFixed(2)} GiB`);

/** vLLM's figures next to the plan's, with the difference (only the ones the log printed). */
export function formatPredictedVsActual(plan: Plan, log: LogState): string[] {
  const f = log.figures;
  const rows: [string, string, string][] = [];
  const diff = (p: number, a: number): string =>
    `${a >= p ? '+' : ''}${(((a - p) / Math.max(p, 1)) * 100).toFixed(1)} %`;
  if (f.weightsBytes !== null)
    rows.push([
      'weights',
      gib(plan.quant.weightBytes),
      `${gib(f.weightsBytes)} (${diff(plan.quant.weightBytes, f.weightsBytes)})`,
    ]);
  if (f.gpuBlocks !== null)
    rows.push([
      'GPU KV blocks',
      String(plan.kvCache.gpuBlocks),
      `${f.gpuBlocks} (${diff(plan.kvCache.gpuBlocks, f.gpuBlocks)})`,
    ]);
  if (f.cpuBlocks !== null) rows.push(['CPU KV blocks', String(plan.kvCache.cpuBlocks), String(f.cpuBlocks)]);
  if (f.kvTokens !== null)
    rows.push([
      'KV cache tokens',
      String(plan.kvCache.tokens),
      `${f.kvTokens} (${diff(plan.kvCache.tokens, f.kvTokens)})`,
    ]);
  if (f.availableKvBytes !== null) {
    const predicted = plan.kvCache.gpuBlocks * plan.kvCache.bytesPerBlock;
    rows.push([
      'KV cache memory',
      gib(predicted),
      `${gib(f.availableKvBytes)} (${diff(predicted, f.availableKvBytes)})`,
    ]);
  }
  if (f.maxConcurrency !== null)
    rows.push(['max concurrency', `${plan.kvCache.maxConcurrency}x`, `${f.maxConcurrency}x`]);
  if (rows.length === 0) return [];
  return ['predicted vs actual:', ...rows.map(([what, p, a]) => `  ${what.padEnd(16)} plan ${p.padEnd(12)} vLLM ${a}`)];
}

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
  /** Structured progress for a screen (the wizard); `out` still gets the text. */
  onEvent?: (event: LaunchEvent) => void;
  /** Aborting it stops the server (the wizard's "stop"). */
  stopSignal?: AbortSignal;
  /** Stop the server on SIGINT, SIGTERM and SIGHUP (default true). */
  handleSignals?: boolean;
  /** How long vLLM has to exit after SIGTERM before it gets SIGKILL (ms; default 10 s). */
  stopGraceMs?: number;
  /** Seconds after which any stage is said to look stuck (default: per stage, src/core/stage-timeouts.ts). */
  stageTimeoutS?: number;
  /** --detach: the server outlives the launch; where its log goes and how it is recorded. */
  detach?: DetachedLaunch;
  /** The image's compressed size (the catalog's), shown with a pull. */
  imageSizeBytes?: number | null;
}

/** What a detached launch needs: the state folder, and the record of the server (kept or forgotten). */
export interface DetachedLaunch {
  stateDir: string;
  record: (server: DetachedInfo & { name: string; url: string }) => Promise<void>;
  forget: (name: string) => Promise<void>;
}

/** What a launch reports as it goes, for a screen to show. */
export type LaunchEvent =
  | { type: 'stage'; stage: string; text: string; elapsedS: number }
  | { type: 'line'; line: string }
  | {
      type: 'ready';
      url: string;
      comparison: string[];
      elapsedS: number;
      /** --detach: the name the server keeps running under (jetson-vllm launch --stop <name>). */
      detachedName: string | null;
    }
  | { type: 'watchdog'; why: string }
  | { type: 'stopping' }
  | {
      type: 'ended';
      outcome: 'stopped' | 'failed' | 'exited' | 'watchdog';
      code: number | null;
      /** The failure explained, when the log or the watchdog named one. */
      diagnosis: Diagnosis | null;
      /** The log line that named the failure. */
      logLine: string | null;
      comparison: string[];
      message: string;
    };

/** Whether `huggingface-cli login` saved a token vLLM will read (it does when HF_TOKEN is not set). */
function hasSavedToken(env: NodeJS.ProcessEnv = process.env): boolean {
  const cacheHome = resolveXdgDir('cache', env, os.homedir());
  return existsSync(hfTokenPath(env, cacheHome));
}

/** How many of vLLM's last log lines a failure shows (the cause is often in them). */
const TAIL_LINES = 12;

/** Runs the plan natively until the server exits or a signal stops it. Exit code 0, or 1 on failure. */
export async function runLaunch(ctx: LaunchContext): Promise<number> {
  const { plan, out } = ctx;
  const started = performance.now();
  const elapsedS = (): number => (performance.now() - started) / 1000;
  const elapsed = (): string => `${elapsedS().toFixed(1).padStart(6)}s`;
  const emit = (event: LaunchEvent): void => ctx.onEvent?.(event);
  let log = initialLogState();
  let lastStage = log.stage;
  // The stage now running and since when, for the "looks stuck" notice (said once per stage).
  let current: { stage: LaunchStage; text: string; sinceMs: number; isSaid: boolean } | null = null;
  const enterStage = (stage: LaunchStage, text: string): void => {
    current = { stage, text, sinceMs: performance.now(), isSaid: false };
  };
  let isReady = false;
  let isStopping = false;
  let hasExited = false;
  const stopGraceMs = ctx.stopGraceMs ?? 10_000;
  // vLLM never prints the token, but its log is shown on a failure: make sure.
  const token = process.env.HF_TOKEN ?? process.env.HUGGING_FACE_HUB_TOKEN ?? '';
  const redact = (text: string): string => (token.length >= 4 ? text.replaceAll(token, '<HF_TOKEN>') : text);
  const tail: string[] = [];
  let isReleased = false;
  /** Letting go of a detached server: false when nothing had started (a pull in progress was stopped). */
  let releasing: Promise<boolean> | null = null;
  const detach = ctx.detach;
  const url = `http://127.0.0.1:${servePort(plan.argv)}`;
  const name = serverName(plan.model.id, servePort(plan.argv));
  let recorded: Promise<void> = Promise.resolve();
  const child = startServer(
    plan,
    {
      name,
      isDetached: detach !== undefined,
      // The runtime's own lines (the command, the pull's progress) are part of the log on a screen.
      out: (line) => {
        out(line);
        emit({ type: 'line', line: redact(line) });
      },
      stateDir: detach?.stateDir ?? '',
      imageSizeBytes: ctx.imageSizeBytes ?? null,
      // The docker stages are said when they begin (a present image is not pulled: no log line marks it).
      onPhase: (stage) => {
        const text = STAGE_TEXT[stage] ?? stage;
        enterStage(stage, text);
        out(`[${elapsed()}] ${text}`);
        emit({ type: 'stage', stage, text, elapsedS: elapsedS() });
      },
      onDetached: (info) => {
        recorded = detach?.record({ ...info, name, url }).catch(() => undefined) ?? recorded;
      },
    },
    (line) => {
      if (line.trim() !== '') tail.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
      if (tail.length > TAIL_LINES) tail.shift();
      log = parseLogLine(log, line, performance.now() - started);
      emit({ type: 'line', line: redact(line) });
      if (log.stage !== lastStage) {
        lastStage = log.stage;
        // The image and container stages are said by the runtime (onPhase) when they begin.
        if (log.stage !== 'image-pull' && log.stage !== 'container-start') {
          const text = STAGE_TEXT[log.stage] ?? log.stage;
          enterStage(log.stage, text);
          out(`[${elapsed()}] ${text}`);
          // On a screen a failure is not a stage: the end says what failed.
          if (log.stage !== 'failed') emit({ type: 'stage', stage: log.stage, text, elapsedS: elapsedS() });
        }
      }
    },
  );

  // Set from the watchdog sampler's callback (an object, so the later check is not narrowed away).
  const fired: { why: string | null } = { why: null };
  const stop = async (): Promise<void> => {
    if (isStopping) return;
    isStopping = true;
    out(`[${elapsed()}] stopping the server`);
    emit({ type: 'stopping' });
    await child.stop(stopGraceMs);
  };
  // Detached, a signal (Ctrl-C, the SSH session dropping) lets go of the server and leaves it running.
  const release = (): void => {
    if (isReleased || isStopping) return;
    isReleased = true;
    releasing = child.release();
  };
  const onSignal = (): void => {
    if (detach !== undefined && fired.why === null) release();
    else void stop();
  };
  // The wizard's "stop" always stops.
  const onStop = (): void => void stop();
  const handleSignals = ctx.handleSignals ?? true;
  if (handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
  }
  if (ctx.stopSignal !== undefined) {
    if (ctx.stopSignal.aborted) void stop();
    else ctx.stopSignal.addEventListener('abort', onStop, { once: true });
  }
  const unlisten = (): void => {
    if (handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
    }
    ctx.stopSignal?.removeEventListener('abort', onStop);
  };

  // Readiness: /health 200 and /v1/models listing the model, polled once the API server is starting.
  const readiness = (async () => {
    const deadline = Date.now() + (ctx.readyTimeoutS ?? 1800) * 1000;
    while (!isStopping && !isReleased && !hasExited && log.stage !== 'failed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      if (log.stage !== 'api-server' && log.stage !== 'ready') continue;
      try {
        const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
        await health.body?.cancel();
        if (health.status !== 200) continue;
        const models = await fetch(`${url}/v1/models`, { signal: AbortSignal.timeout(1000) });
        if (!models.ok) continue;
        await models.body?.cancel();
        isReady = true;
        out(`[${elapsed()}] ready: ${url} (/health 200, /v1/models answers)`);
        void ctx
          .appendHistory?.(buildHistoryEntry(plan, log.figures, 'ready', new Date().toISOString()))
          .catch(() => undefined);
        const comparison = formatPredictedVsActual(plan, log);
        for (const line of comparison) out(line);
        emit({
          type: 'ready',
          url,
          comparison,
          elapsedS: elapsedS(),
          detachedName: detach !== undefined ? name : null,
        });
        return;
      } catch {
        // not up yet
      }
    }
  })();

  // The watchdog: while vLLM starts, sample available memory (MemAvailable + free swap) 4× a second;
  // under the floor for more than a moment, stop vLLM before the kernel freezes the board.
  let watchdog = createWatchdog(ctx.memoryFloorBytes);
  // A stage that lasts far longer than it may here is said to look stuck (once; the launch keeps waiting).
  const stageTimer = setInterval(() => {
    if (current === null || current.isSaid || isReady || isStopping || hasExited) return;
    const limit = ctx.stageTimeoutS ?? stageTimeoutS(current.stage, plan.quant.weightBytes);
    const elapsedInStage = (performance.now() - current.sinceMs) / 1000;
    if (limit === null || elapsedInStage < limit) return;
    current.isSaid = true;
    const message = describeSlowStage(current.text, elapsedInStage, limit);
    out(`[${elapsed()}] ${message}`);
    emit({ type: 'line', line: `jetson-vllm: ${message}` });
  }, 1000);
  const sampler =
    ctx.memoryFloorBytes > 0
      ? setInterval(() => {
          if (isReady || isStopping || hasExited) return;
          void ctx.readMeminfo().then((text) => {
            if (text === null || isStopping) return;
            const m = parseMeminfo(text);
            if (m.MemAvailable === undefined) return;
            watchdog = observeMemory(watchdog, m.MemAvailable + (m.SwapFree ?? 0), performance.now() - started);
            if (watchdog.hasFired && fired.why === null) {
              fired.why = describeWatchdogStop(watchdog);
              out(`[${elapsed()}] watchdog: ${fired.why}`);
              emit({ type: 'watchdog', why: fired.why });
              void stop();
            }
          });
        }, 250)
      : null;

  let exit: ServerExit;
  if (detach !== undefined) {
    // Detached: done once ready (or let go); otherwise it is stopped and forgotten (no restart loop).
    const first = await Promise.race([child.exited, readiness.then(() => null)]);
    if (first === null && !isReady && !isReleased && !isStopping) {
      if (log.stage === 'failed') {
        // Its last lines may say more; then it is stopped (a hung vLLM, or a container restarting).
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([child.exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
        clearTimeout(timer);
      } else out(`[${elapsed()}] not ready after ${ctx.readyTimeoutS ?? 1800} s: stopping it`);
      await child.stop(stopGraceMs);
    }
    exit = first ?? (isReady || isReleased ? { exitCode: null, signal: null } : await child.exited);
    if (isReady || isReleased) {
      if (sampler !== null) clearInterval(sampler);
      clearInterval(stageTimer);
      unlisten();
      if (!(await (releasing ?? child.release()))) {
        out(`[${elapsed()}] stopped (nothing had been started yet)`);
        return 0;
      }
      await recorded;
      const how = plan.runtime === 'docker' ? 'a docker container' : `pid ${child.pid ?? '?'}`;
      for (const line of describeLeftRunning(name, url, how, isReady)) out(line);
      return 0;
    }
    if (!isStopping) await child.stop(2000);
    await detach.forget(name).catch(() => undefined);
  } else {
    exit = await child.exited;
  }
  hasExited = true;
  if (sampler !== null) clearInterval(sampler);
  clearInterval(stageTimer);
  await readiness;
  unlisten();
  const ended = (
    outcome: Extract<LaunchEvent, { type: 'ended' }>['outcome'],
    code: number,
    message: string,
    diagnosis: Diagnosis | null = null,
  ): number => {
    emit({
      type: 'ended',
      outcome,
      code: exit.exitCode,
      diagnosis,
      logLine: log.failure?.line.trim() ?? null,
      comparison: formatPredictedVsActual(plan, log),
      message,
    });
    return code;
  };
  if (exit.notStarted !== undefined) {
    out(`[${elapsed()}] not started: ${exit.notStarted}`);
    return ended('exited', 1, `not started: ${exit.notStarted}`);
  }
  if (fired.why !== null) {
    // A watchdog stop is an out-of-memory failure caught early: explain it like one.
    const d = diagnose(
      { kind: 'oom-killed', line: `watchdog: ${fired.why}`, figures: {} },
      ctx.request,
      plan,
      ctx.catalog,
    );
    out(`[${elapsed()}] stopped by the watchdog`);
    if (d.fix.kind === 'replan')
      out(
        `  fix: ${d.fix.changedFlags.join(' ')} → ${d.fix.plan.verdict.toUpperCase()}\n  retry: ${d.fix.plan.command}`,
      );
    return ended('watchdog', 1, `stopped by the watchdog: ${fired.why}`, d);
  }
  if (isStopping) {
    if (exit.signal === 'SIGKILL')
      out(`[${elapsed()}] vLLM did not exit within ${stopGraceMs / 1000} s of SIGTERM: killed it (SIGKILL)`);
    out(`[${elapsed()}] stopped`);
    return ended('stopped', 0, 'the server was stopped');
  }
  log = markExited(log, exit.exitCode, exit.signal, performance.now() - started);
  if (log.failure === null) {
    const message = `vLLM exited (code ${exit.exitCode ?? '?'})${isReady ? '' : ' before it was ready'}`;
    out(`[${elapsed()}] ${message}`);
    return ended('exited', isReady && exit.exitCode === 0 ? 0 : 1, message);
  }
  await ctx
    .appendHistory?.(buildHistoryEntry(plan, log.figures, 'failed', new Date().toISOString()))
    .catch(() => undefined);
  const exitText = exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.exitCode ?? '?'}`;
  // Up by /health, or by its own log ("Application startup complete") when it died before the next poll.
  const wasUp = isReady || log.stages.some((s) => s.stage === 'ready');
  if (wasUp && log.failure.kind === 'engine-failed') {
    // Not a start-up failure: the server ran, then its engine died. Say so, with vLLM's last lines.
    out(`[${elapsed()}] vLLM died after it was ready (${exitText})`);
    out(`  log: ${redact(log.failure.line.trim())}`);
    out(`  last lines of vLLM's log:`);
    for (const line of tail) out(`    ${redact(line)}`);
    return ended('exited', 1, `vLLM died after it was ready (${exitText}): ${redact(log.failure.line.trim())}`);
  }
  const d = diagnose({ ...log.failure, hasHfToken: token !== '' || hasSavedToken() }, ctx.request, plan, ctx.catalog);
  out(`[${elapsed()}] vLLM failed${isReady ? ' after it was ready' : ''}: ${d.title}`);
  out(`  log: ${redact(log.failure.line.trim())}`);
  out(`  cause: ${d.cause}`);
  for (const line of formatPredictedVsActual(plan, log)) out(`  ${line}`);
  switch (d.fix.kind) {
    case 'replan':
      out(`  fix: ${d.fix.changedFlags.join(' ')} → ${d.fix.plan.verdict.toUpperCase()}`);
      out(`  retry: ${d.fix.plan.command}`);
      break;
    case 'command':
      out(`  fix: ${d.fix.explanation}`);
      out(`  run: ${d.fix.command}`);
      break;
    case 'none':
      if (d.kind === 'engine-failed') {
        out(`  last lines of vLLM's log:`);
        for (const line of tail) out(`    ${redact(line)}`);
      }
      out(`  ${d.fix.explanation}`);
      break;
    default: {
      const unreachable: never = d.fix;
      throw new Error(`unknown fix ${String(unreachable)}`);
    }
  }
  return ended('failed', 1, `vLLM failed: ${d.title}`, d);
}
