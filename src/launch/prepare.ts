/**
 * Preparing a launch, one way for `jetson-vllm launch` and the wizard (prepareLaunch): a docker launch
 * takes an image already here rather than pulling one (re-planned for its vLLM), an image this board's
 * driver would refuse is not started, a plan that would not fit is not launched; then what the launch
 * needs from the machine: the meminfo reader the watchdog samples (under --root for a fake board), its
 * floor, the readers of the evidence of a kill (the other processes, the kernel log), the stop grace, the "looks stuck" timeout, and the history writer. An image here whose tag does
 * not name its vLLM (`latest-jetson-orin`) is asked which vLLM it carries, and the plan is made for that.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../shared/errors.js';
import { buildPlan, type Plan, type PlanRequest } from '../plan/core/plan.js';
import type { Catalog } from '../catalog/core/presets-schema.js';
import { run } from '../process/exec.js';
import {
  choosePresentImage,
  imageRefusal,
  normalizeImageRef,
  parseImageList,
  servePort,
  type LocalImage,
} from './core/docker.js';
import { formatImageVersionNote, isMovingImageTag } from './core/image-version.js';
import { describeNotFitting, readImageVersion } from './image-version-read.js';
import { defaultWatchdogFloor } from './core/watchdog.js';
import { createKernelLogReader, createProcessReader, createZramReader } from './evidence.js';
import type { DetachedLaunch, LaunchContext } from './launch-command.js';

/** The launch options, as numbers the command line already checked (src/cli/args.ts parseLaunchAmount). */
export interface LaunchOptions {
  /** --memory-floor in MiB; null: the default floor for the board. */
  memoryFloorMiB?: number | null;
  /** --stop-grace in milliseconds; null: 10 s. */
  stopGraceMs?: number | null;
  /** --stage-timeout in seconds; null: each stage's own limit. */
  stageTimeoutS?: number | null;
  /** --detach: the server outlives the launch, recorded for monitor and --stop. */
  detach?: boolean;
}

/** What runLaunch needs besides the plan, its request and where its output goes (out, onEvent, stopSignal). */
export type PreparedContext = Pick<
  LaunchContext,
  | 'catalog'
  | 'readMeminfo'
  | 'memoryFloorBytes'
  | 'appendHistory'
  | 'stopGraceMs'
  | 'stageTimeoutS'
  | 'imageSizeBytes'
  | 'detach'
  | 'createLogFile'
  | 'root'
  | 'readProcesses'
  | 'readZram'
  | 'readKernelLog'
>;

/**
 * A launch ready to run, or why it is not launched (exit 3; the plan it was refused for). The notes (an
 * image already here taken instead of a pull) are said either way.
 */
export type PreparedLaunch =
  | { ok: true; plan: Plan; request: PlanRequest; notes: string[]; context: PreparedContext }
  | { ok: false; reason: 'image' | 'verdict' | 'port'; message: string; exitCode: 3; plan: Plan; notes: string[] };

/**
 * Prepares the launch of a plan, for `jetson-vllm launch` and the wizard alike. A docker launch prefers
 * an image already here to a multi-GB pull (jetson-platform.md §D.4 step 6) when it suits this board's
 * L4T, re-planned for its vLLM (the note says so); an image this board's driver would refuse is not
 * started, nor a plan whose verdict is oom or max-len, nor one whose port something already listens on
 * (what holds it and the fix are said). Bad option text throws a UserError.
 */
export async function prepareLaunch(input: {
  plan: Plan;
  request: PlanRequest;
  catalog: Catalog;
  root: string | undefined;
  options: LaunchOptions;
}): Promise<PreparedLaunch> {
  const { catalog, root } = input;
  let { plan, request } = input;
  const notes: string[] = [];
  if (plan.runtime === 'docker') {
    const l4t = await readHostL4t(root);
    const present = plan.image === null ? [] : await listLocalImages();
    const change = choosePresentImage(plan, request, catalog.vllm.images, present, l4t);
    if (change !== null) {
      notes.push(change.note);
      request = { ...request, image: change.image, vllmVersion: change.vllmVersion };
      const outcome = buildPlan(request, catalog);
      // As computePlanAndRequest says a plan that cannot be built: bad input.
      if (!outcome.ok) throw new UserError(outcome.message);
      plan = outcome.plan;
    }
    const refusal = imageRefusal(plan.image, catalog.vllm.images, l4t, request.device.soc);
    if (refusal !== null)
      return { ok: false, reason: 'image', message: `not launched: ${refusal}`, exitCode: 3, plan, notes };
  }
  const notFitting = (): PreparedLaunch | null => {
    const message = describeNotFitting(plan);
    return message === null ? null : { ok: false, reason: 'verdict', message, exitCode: 3, plan, notes };
  };
  const verdictRefusal = notFitting();
  if (verdictRefusal !== null) return verdictRefusal;
  // The port: something already listening there would make vLLM fail (or another server pass for it).
  const portRefusal = await checkPort(plan, root);
  if (portRefusal !== null) return { ok: false, reason: 'port', message: portRefusal, exitCode: 3, plan, notes };
  // A moving tag is never trusted for the arithmetic: the vLLM inside the image decides the plan (read last,
  // as it starts a container). An image still to be pulled is read once pulled, before its container starts
  // (runLaunch: src/launch/image-version-read.ts checkPulledImage).
  const image = plan.image;
  if (
    plan.runtime === 'docker' &&
    image !== null &&
    isMovingImageTag(image) &&
    (await listLocalImages()).some((p) => p.ref === normalizeImageRef(image))
  ) {
    const read = await readImageVersion(image, plan, request, catalog);
    notes.push(formatImageVersionNote(read.note));
    if (read.plan !== null) ({ plan, request } = read);
    const refusal = notFitting();
    if (refusal !== null) return refusal;
  }
  return {
    ok: true,
    plan,
    request,
    notes,
    context: { catalog, ...(await launchEnvironment(plan, catalog, root, input.options)) },
  };
}

/** The refusal of a port something listens on (what holds it, the fix), or null when it is free. */
async function checkPort(plan: Plan, root: string | undefined): Promise<string | null> {
  const { checkPortFree } = await import('./ports.js');
  return checkPortFree(servePort(plan.argv), root);
}

/** The images here (`docker images`); none when docker or its daemon is missing (the launch says so later). */
async function listLocalImages(): Promise<LocalImage[]> {
  const listed = await run('docker', ['images', '--format', '{{json .}}'], { timeoutMs: 15_000 });
  return listed.exitCode === 0 ? parseImageList(listed.stdout) : [];
}

async function launchEnvironment(
  plan: Plan,
  catalog: Catalog,
  root: string | undefined,
  options: LaunchOptions,
): Promise<Omit<PreparedContext, 'catalog'>> {
  const floorMiB = options.memoryFloorMiB ?? null;
  const stageS = options.stageTimeoutS ?? null;
  const meminfo = path.join(root ?? '/', 'proc', 'meminfo');
  return {
    readMeminfo: () => readFile(meminfo, 'utf8').catch(() => null),
    memoryFloorBytes:
      floorMiB === null ? defaultWatchdogFloor(plan.device.memTotalBytes) : Math.round(floorMiB * 1024 * 1024),
    stopGraceMs: options.stopGraceMs ?? 10_000,
    ...(stageS !== null ? { stageTimeoutS: stageS } : {}),
    appendHistory: async (entry) => {
      const { appendHistoryEntry } = await import('./history-file.js');
      await appendHistoryEntry(entry);
    },
    imageSizeBytes: catalog.vllm.images.find((i) => i.image === plan.image)?.sizeBytes ?? null,
    ...(options.detach === true ? { detach: await detachedLaunch() } : {}),
    createLogFile,
    root,
    // The evidence of a kill: the other processes (read where the meminfo is), the kernel's own log.
    readProcesses: createProcessReader(root),
    readZram: createZramReader(root),
    readKernelLog: createKernelLogReader(Date.now()),
  };
}

/** Creates a launch's log file under $XDG_STATE_HOME/jetson-vllm/logs (a recorded server's log is never pruned). */
async function createLogFile(name: string): Promise<string> {
  const detached = await import('./detached.js');
  const { createLaunchLogFile } = await import('./logs.js');
  const { servers } = await detached.readServers();
  const kept = servers.map((s) => s.logPath).filter((p): p is string => p !== null);
  return createLaunchLogFile(path.join(detached.stateDir(), 'logs'), name, kept);
}

/** Where a detached server's log goes and how it is recorded (for monitor --server and launch --stop). */
async function detachedLaunch(): Promise<DetachedLaunch> {
  const detached = await import('./detached.js');
  const { summarizePlan } = await import('./core/servers.js');
  return {
    stateDir: detached.stateDir(),
    // The plan that runs: the one re-made for the vLLM inside an image pulled for a moving tag, if it was.
    record: (s, isReady, plan) =>
      detached.recordServer(
        {
          name: s.name,
          runtime: plan.runtime,
          url: s.url,
          pid: s.pid,
          container: s.container,
          logPath: s.logPath,
          startedAt: new Date().toISOString(),
          plan: summarizePlan(plan),
          ...(s.heldBy !== undefined ? { heldBy: s.heldBy } : {}),
        },
        undefined,
        undefined,
        isReady,
      ),
    forget: (name) => detached.forgetServers([name]),
  };
}

/** This machine's L4T (from /etc/nv_tegra_release under --root), or null when it is not a Jetson. */
async function readHostL4t(root: string | undefined): Promise<string | null> {
  const { parseNvTegraRelease } = await import('../device/core/system-parsers.js');
  const text = await readFile(path.join(root ?? '/', 'etc', 'nv_tegra_release'), 'utf8').catch(() => null);
  return text === null ? null : (parseNvTegraRelease(text)?.l4t ?? null);
}
