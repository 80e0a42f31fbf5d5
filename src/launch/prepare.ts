/**
 * What a launch needs from the machine, shared by `jetson-vllm launch` and the wizard: the meminfo
 * reader the watchdog samples (under --root for a fake board), its floor, the stop grace, the
 * "looks stuck" timeout, and the history writer. The options are the command line's strings.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../shared/errors.js';
import type { Plan, PlanRequest } from '../plan/core/plan.js';
import type { Catalog, ContainerImage } from '../catalog/core/presets-schema.js';
import { defaultWatchdogFloor } from './core/watchdog.js';
import type { DetachedLaunch, LaunchContext } from './launch-command.js';

export interface LaunchOptionsText {
  /** --memory-floor <MiB> */
  memoryFloor?: string | undefined;
  /** --stop-grace <s> */
  stopGrace?: string | undefined;
  /** --stage-timeout <s> */
  stageTimeout?: string | undefined;
  /** --detach: the server outlives the launch, recorded for monitor and --stop. */
  detach?: boolean;
}

/** A non-negative number of `unit` from an option, or the error saying what it should be. */
function readAmount(name: string, text: string | undefined, what: string): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new UserError(`--${name}: "${text}" is not ${what}`);
  return n;
}

export async function launchEnvironment(
  plan: Plan,
  catalog: Catalog,
  root: string | undefined,
  options: LaunchOptionsText,
): Promise<
  Pick<
    LaunchContext,
    'readMeminfo' | 'memoryFloorBytes' | 'appendHistory' | 'stopGraceMs' | 'stageTimeoutS' | 'imageSizeBytes' | 'detach'
  >
> {
  const floorMiB = readAmount('memory-floor', options.memoryFloor, 'a size in MiB (0 turns the watchdog off)');
  const graceS = readAmount(
    'stop-grace',
    options.stopGrace,
    'a number of seconds (how long vLLM has to exit after SIGTERM; default 10)',
  );
  const stageS = readAmount(
    'stage-timeout',
    options.stageTimeout,
    'a number of seconds (after which a start-up stage is said to look stuck)',
  );
  const meminfo = path.join(root ?? '/', 'proc', 'meminfo');
  return {
    readMeminfo: () => readFile(meminfo, 'utf8').catch(() => null),
    memoryFloorBytes:
      floorMiB === null ? defaultWatchdogFloor(plan.device.memTotalBytes) : Math.round(floorMiB * 1024 * 1024),
    stopGraceMs: Math.round((graceS ?? 10) * 1000),
    ...(stageS !== null ? { stageTimeoutS: stageS } : {}),
    appendHistory: async (entry) => {
      const { appendHistoryEntry } = await import('./history-file.js');
      await appendHistoryEntry(entry);
    },
    imageSizeBytes: catalog.vllm.images.find((i) => i.image === plan.image)?.sizeBytes ?? null,
    ...(options.detach === true ? { detach: await detachedLaunch(plan) } : {}),
  };
}

/** Where a detached server's log goes and how it is recorded (for monitor --server and launch --stop). */
async function detachedLaunch(plan: Plan): Promise<DetachedLaunch> {
  const detached = await import('./detached.js');
  const { summarizePlan } = await import('./core/servers.js');
  return {
    stateDir: detached.stateDir(),
    record: (s) =>
      detached.recordServer({
        name: s.name,
        runtime: plan.runtime,
        url: s.url,
        pid: s.pid,
        container: s.container,
        logPath: s.logPath,
        startedAt: new Date().toISOString(),
        plan: summarizePlan(plan),
      }),
    forget: (name) => detached.forgetServers([name]),
  };
}

/** This machine's L4T (from /etc/nv_tegra_release under --root), or null when it is not a Jetson. */
export async function readHostL4t(root: string | undefined): Promise<string | null> {
  const { parseNvTegraRelease } = await import('../device/core/system-parsers.js');
  const text = await readFile(path.join(root ?? '/', 'etc', 'nv_tegra_release'), 'utf8').catch(() => null);
  return text === null ? null : (parseNvTegraRelease(text)?.l4t ?? null);
}

/** Why the plan's image cannot start on this machine (a docker launch only), or null. */
export async function checkHostImage(
  plan: Plan,
  request: PlanRequest,
  images: ContainerImage[],
  root: string | undefined,
): Promise<string | null> {
  if (plan.runtime !== 'docker') return null;
  const { imageRefusal } = await import('./core/docker.js');
  return imageRefusal(plan.image, images, await readHostL4t(root), request.device.soc);
}
