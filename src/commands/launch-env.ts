/**
 * What a launch needs from the machine, shared by `jetson-vllm launch` and the wizard: the meminfo
 * reader the watchdog samples (under --root for a fake board), its floor, and the history writer.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../cli/errors.js';
import type { Plan } from '../core/plan.js';
import { defaultWatchdogFloor } from '../core/watchdog.js';
import type { LaunchContext } from './launch.js';

export function launchEnvironment(
  plan: Plan,
  root: string | undefined,
  memoryFloorMiB: string | undefined,
  stopGraceS?: string,
): Pick<LaunchContext, 'readMeminfo' | 'memoryFloorBytes' | 'appendHistory' | 'stopGraceMs'> {
  const graceS = stopGraceS === undefined ? 10 : Number(stopGraceS);
  if (stopGraceS !== undefined && (stopGraceS.trim() === '' || !Number.isFinite(graceS) || graceS < 0)) {
    throw new UserError(
      `--stop-grace: "${stopGraceS}" is not a number of seconds (how long vLLM has to exit after SIGTERM; default 10)`,
    );
  }
  const floorMiB = memoryFloorMiB === undefined ? null : Number(memoryFloorMiB);
  if (floorMiB !== null && (!Number.isFinite(floorMiB) || floorMiB < 0)) {
    throw new UserError(`--memory-floor: "${memoryFloorMiB ?? ''}" is not a size in MiB (0 turns the watchdog off)`);
  }
  const meminfo = path.join(root ?? '/', 'proc', 'meminfo');
  return {
    readMeminfo: () => readFile(meminfo, 'utf8').catch(() => null),
    memoryFloorBytes:
      floorMiB === null ? defaultWatchdogFloor(plan.device.memTotalBytes) : Math.round(floorMiB * 1024 * 1024),
    stopGraceMs: Math.round(graceS * 1000),
    appendHistory: async (entry) => {
      const { appendHistoryEntry } = await import('./history.js');
      await appendHistoryEntry(entry);
    },
  };
}
