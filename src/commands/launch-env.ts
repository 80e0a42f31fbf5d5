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
): Pick<LaunchContext, 'readMeminfo' | 'memoryFloorBytes' | 'appendHistory'> {
  const floorMiB = memoryFloorMiB === undefined ? null : Number(memoryFloorMiB);
  if (floorMiB !== null && (!Number.isFinite(floorMiB) || floorMiB < 0)) {
    throw new UserError(`--memory-floor: "${memoryFloorMiB ?? ''}" is not a size in MiB (0 turns the watchdog off)`);
  }
  const meminfo = path.join(root ?? '/', 'proc', 'meminfo');
  return {
    readMeminfo: () => readFile(meminfo, 'utf8').catch(() => null),
    memoryFloorBytes:
      floorMiB === null ? defaultWatchdogFloor(plan.device.memTotalBytes) : Math.round(floorMiB * 1024 * 1024),
    appendHistory: async (entry) => {
      const { appendHistoryEntry } = await import('./history.js');
      await appendHistoryEntry(entry);
    },
  };
}
