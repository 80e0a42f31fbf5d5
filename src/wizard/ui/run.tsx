/**
 * Starts the wizard on a terminal: builds the real detector and recipe writer, renders the App, and
 * returns the exit code once it ends (printing the copied command after the screen is gone).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { render } from 'ink';
import { resolveJetsonVllmDir } from '../../shared/xdg.js';
import type { Catalog } from '../../catalog/core/presets-schema.js';
import type { Recipe } from '../../plan/core/recipe.js';
import type { WizardFlags } from '../core/wizard.js';
import { summarizeDetection } from '../core/wizard-view.js';
import { examineSystem } from '../../doctor/doctor-command.js';
import { createRealHost } from '../../device/real-host.js';
import type { LaunchOptions } from '../../launch/prepare.js';
import { servePort, serverName } from '../../launch/core/docker.js';
import { describeLeftRunning, summarizePlan, type ServerRecord } from '../../launch/core/servers.js';
import type { Plan } from '../../plan/core/plan.js';
import { onTerminationSignals, type TerminationSignal } from '../../process/signals.js';
import { App } from './App.js';
import { createLaunchSupervisor, type LaunchSupervisor } from './launch-supervisor.js';

/** Where the current launch keeps its full log (the launch session says), for the panel's `l`. */
interface LaunchLogPath {
  path: string | null;
}

/** The server the wizard launched, run natively or in docker like `jetson-vllm launch`. */
function createWizardSupervisor(options: WizardOptions, launchLog: LaunchLogPath): LaunchSupervisor {
  return createLaunchSupervisor(async (plan, request, onEvent, stop, onPrepared, kill, leave) => {
    const { runLaunch } = await import('../../launch/launch-command.js');
    const { prepareLaunch } = await import('../../launch/prepare.js');
    const isDetached = options.launchOptions?.detach === true;
    // Always prepared as --detach prepares a launch (where its record and log go): without --detach the
    // server is started the same way (nothing of it on the wizard's pipes) but stays the wizard's, stopped
    // with it, until the panel's q → l leaves it running.
    const prepared = await prepareLaunch({
      plan,
      request,
      catalog: options.catalog,
      root: options.root,
      options: { ...options.launchOptions, detach: true },
    });
    // An image this board's driver would refuse is not started (the launch screen says why).
    if (!prepared.ok) throw new Error(prepared.message);
    onPrepared(prepared.plan);
    const { detach, ...context } = prepared.context;
    const leaveSignal = leave ?? new AbortController().signal;
    const how = detach === undefined ? {} : isDetached ? { detach } : { leavable: { ...detach, leaveSignal } };
    return runLaunch({
      plan: prepared.plan,
      request: prepared.request,
      // An image already here taken instead of a pull: said in the launch's log tail.
      preface: prepared.notes,
      // A moving tag pulled for this launch carried another vLLM: the panel's figures come from the re-made plan.
      onReplanned: (replanned) => onPrepared(replanned),
      // The screen shows the launch; nothing is printed under it.
      out: () => undefined,
      onEvent: (event, session) => {
        launchLog.path = session.logPath;
        onEvent(event, session);
      },
      stopSignal: stop,
      killSignal: kill,
      // Detached, a signal (the SSH session dropping) lets go of the server: runLaunch's own handling.
      handleSignals: isDetached,
      ...context,
      ...how,
    });
  });
}

/**
 * The log the panel's `l` follows, as `monitor --server` does: a detached server's record (its file, or
 * `docker logs`), else this launch's log file (the whole log, not only the lines printed after ready).
 */
async function findPanelLog(
  supervisor: LaunchSupervisor,
  plan: Plan,
  logPath: string | null,
): Promise<{ name: string; record: ServerRecord } | null> {
  const detached = supervisor.detached();
  if (detached !== null) {
    const { readServers } = await import('../../launch/detached.js');
    const record = (await readServers()).servers.find((s) => s.name === detached.name);
    if (record !== undefined) return { name: record.name, record };
  }
  if (logPath === null) return null;
  const name = serverName(plan.model.id, servePort(plan.argv));
  const record: ServerRecord = {
    name,
    runtime: 'native',
    url: `http://127.0.0.1:${servePort(plan.argv)}`,
    pid: null,
    container: null,
    logPath,
    startedAt: '',
    plan: summarizePlan(plan),
  };
  return { name, record };
}

/** After "ready", the live panel on the launched server; q asks whether to stop it. */
async function runPanelAfterLaunch(
  supervisor: LaunchSupervisor,
  options: WizardOptions,
  logPath: string | null,
): Promise<number> {
  const plan = supervisor.current();
  if (plan === null) return 0;
  const { runMonitor } = await import('../../monitor/monitor-command.js');
  // A detached server is not the panel's to stop: q just quits.
  const isOwned = supervisor.isRunning();
  const server = await findPanelLog(supervisor, plan, logPath);
  // q → l: the server is let go of, left running and recorded; `left` says how it can be found.
  let left: string | null = null;
  // The log comes from the file: the supervisor's own lines would show twice.
  const attached = {
    isRunning: () => supervisor.isRunning(),
    stop: () => supervisor.stop(),
    subscribeLog: (listener: (line: string) => void) =>
      server === null ? supervisor.subscribeLog(listener) : () => undefined,
    leave: async () => {
      left = await supervisor.leave();
    },
  };
  const code = await runMonitor({
    source: 'auto',
    intervalMs: 1000,
    url: supervisor.detached()?.url ?? `http://127.0.0.1:${servePort(plan.argv)}`,
    pollMs: 2000,
    replay: null,
    speed: 1,
    record: null,
    json: false,
    isColor: options.isColor,
    predictedBytes: plan.budget.totalBytes,
    bytesPerBlock: plan.kvCache.bytesPerBlock,
    server,
    ...(isOwned ? { attached } : {}),
  });
  if (left !== null) {
    const name = serverName(plan.model.id, servePort(plan.argv));
    const url = `http://127.0.0.1:${servePort(plan.argv)}`;
    const log = plan.runtime === 'docker' ? `docker logs -f ${name}` : (logPath ?? 'none kept');
    process.stdout.write(`\n${[...describeLeftRunning(name, url, left), `  its log:  ${log}`].join('\n')}\n`);
  } else if (isOwned) {
    await supervisor.stop();
    // The wizard's last frame (its launch screen, "s stop the server") is what the terminal shows under this:
    // the last word is that the server is stopped.
    process.stdout.write(`\nThe vLLM server (${plan.model.id}) was stopped.\n`);
  }
  return code;
}

/** What the wizard says on its way out about a --detach server left running. */
function leftRunning(server: { name: string; url: string } | null): string | null {
  return server === null ? null : describeLeftRunning(server.name, server.url).join('\n');
}

export interface WizardOptions {
  catalog: Catalog;
  flags: WizardFlags;
  root: string | undefined;
  hfCacheDir: string;
  isColor: boolean;
  /** Where to save the recipe; default: $XDG_CONFIG_HOME/jetson-vllm/recipes/. */
  recipeDir: string | undefined;
  /** --memory-floor, --stop-grace, --stage-timeout for a launch (as `jetson-vllm launch` reads them). */
  launchOptions?: LaunchOptions;
}

/** The XDG config folder for recipes. */
export function defaultRecipeDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(resolveJetsonVllmDir('config', env, os.homedir()), 'recipes');
}

/** Writes the recipe atomically (a temporary file renamed over the target). */
export async function writeRecipeFile(dir: string, recipe: Recipe, fileName: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, fileName);
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(recipe, null, 2)}\n`, { mode: 0o644 });
  await rename(temp, target);
  return target;
}

/** How the wizard's screens ended. */
interface ScreensEnd {
  result: { code: number; print: string | null; panel?: boolean };
  signalCode: number | null;
  /** Drops the screens' signal handling (its closure is the last path to the unmounted Ink instance). */
  unsubscribe: () => void;
}

/**
 * The wizard's screens until they end. Ink's instance and the App's props live only in this function's scope, so
 * once it returns (and `unsubscribe` is called) nothing of the wizard's React tree is reachable from the panel.
 */
async function runScreens(options: WizardOptions, supervisor: LaunchSupervisor): Promise<ScreensEnd> {
  const { catalog } = options;
  const detect = async (): Promise<ReturnType<typeof summarizeDetection>> => {
    const { facts, identification, checks } = await examineSystem(createRealHost(options.root), catalog);
    return summarizeDetection(facts, identification, checks);
  };
  const recipeDir = options.recipeDir ?? defaultRecipeDir();
  let result: ScreensEnd['result'] = { code: 0, print: null };
  // Raw key mode before the first frame: Ink turns it on a few ms after drawing, and a key typed in
  // that gap would arrive cooked ("\n" instead of Enter).
  if (process.stdin.isTTY === true) process.stdin.setRawMode(true);
  const instance = render(
    <App
      catalog={catalog}
      flags={options.flags}
      detect={detect}
      lookupModel={async (ref) => {
        const { describeModelRef } = await import('../../model/resolve.js');
        return describeModelRef(ref, {}, catalog);
      }}
      writeRecipe={(recipe, fileName) => writeRecipeFile(recipeDir, recipe, fileName)}
      now={() => new Date()}
      hfCacheDir={options.hfCacheDir}
      workDir={process.cwd()}
      isColor={options.isColor}
      supervisor={supervisor}
      onExit={(exit) => {
        result = exit;
      }}
    />,
    { exitOnCtrlC: false },
  );
  // SIGTERM / SIGHUP (and SIGINT from outside the terminal): stop the server and every child, then end.
  let signalCode: number | null = null;
  const isDetached = options.launchOptions?.detach === true;
  const onSignal = (signal: TerminationSignal): void => {
    if (signalCode !== null) return;
    signalCode = signal === 'SIGHUP' ? 129 : signal === 'SIGINT' ? 130 : 143;
    // Detached, the launch itself lets go of the server on the same signal; otherwise it is stopped.
    void (isDetached ? supervisor.ended() : supervisor.stop()).then(() => instance.unmount());
  };
  const unsubscribe = onTerminationSignals(onSignal);
  try {
    await instance.waitUntilExit();
  } catch (error) {
    unsubscribe();
    throw error;
  }
  return { result, signalCode, unsubscribe };
}

export async function runWizard(options: WizardOptions): Promise<number> {
  const launchLog: LaunchLogPath = { path: null };
  const supervisor = createWizardSupervisor(options, launchLog);
  const isDetached = options.launchOptions?.detach === true;
  let unsubscribe: () => void = () => undefined;
  try {
    const end = await runScreens(options, supervisor);
    unsubscribe = end.unsubscribe;
    const { result, signalCode } = end;
    if (signalCode !== null) return signalCode;
    if (result.panel === true && (supervisor.isRunning() || supervisor.detached() !== null)) {
      unsubscribe();
      // The screens are gone: the launch no longer hands its sessions to their (unmounted) React tree.
      supervisor.releaseScreen?.();
      const code = await runPanelAfterLaunch(supervisor, options, launchLog.path);
      const note = leftRunning(supervisor.detached());
      if (note !== null) process.stdout.write(`${note}\n`);
      return code;
    }
    const note = leftRunning(supervisor.detached());
    if (note !== null) process.stdout.write(`${note}\n`);
    // Alone on its lines: the App's last frame is empty (Ink erased the screen it drew), and the newline before
    // it keeps it off any line the terminal's cursor was left on, so it pastes whole.
    if (result.print !== null) process.stdout.write(`\n${result.print}\n`);
    return result.code;
  } finally {
    unsubscribe();
    // Nothing outlives the wizard but a --detach server: one still running (an unexpected exit) is stopped.
    if (isDetached) await supervisor.ended();
    else await supervisor.stop();
  }
}
