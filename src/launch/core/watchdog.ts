/**
 * The start-up watchdog's decision: stop vLLM when available memory stays under a floor for more than
 * a moment, before the kernel freezes the board swapping or kills something else. Pure.
 */
import { MiB } from '../../shared/units.js';

export interface WatchdogState {
  floorBytes: number;
  /** How long memory must stay under the floor before the watchdog fires. */
  graceMs: number;
  /** When memory first went under the floor (null: it is above). */
  underSinceMs: number | null;
  /** The lowest available memory seen, in bytes. */
  lowestBytes: number | null;
  hasFired: boolean;
}

/** The default floor: the larger of 256 MiB and 2 % of RAM. */
export function defaultWatchdogFloor(memTotalBytes: number): number {
  return Math.max(256 * MiB, Math.round(0.02 * memTotalBytes));
}

export function createWatchdog(floorBytes: number, graceMs = 750): WatchdogState {
  return { floorBytes, graceMs, underSinceMs: null, lowestBytes: null, hasFired: false };
}

/** Feeds one reading of available memory (MemAvailable + free swap, bytes); returns the new state. */
export function observeMemory(state: WatchdogState, availableBytes: number, atMs: number): WatchdogState {
  if (state.hasFired) return state;
  const lowestBytes = state.lowestBytes === null ? availableBytes : Math.min(state.lowestBytes, availableBytes);
  if (availableBytes >= state.floorBytes) return { ...state, underSinceMs: null, lowestBytes };
  const underSinceMs = state.underSinceMs ?? atMs;
  return { ...state, underSinceMs, lowestBytes, hasFired: atMs - underSinceMs >= state.graceMs };
}

/** Why the watchdog stopped vLLM, in words. */
export function describeWatchdogStop(state: WatchdogState): string {
  const mib = (b: number | null): string => (b === null ? 'n/a' : `${Math.round(b / MiB)} MiB`);
  return `available memory stayed under the ${mib(state.floorBytes)} floor for ${state.graceMs} ms (lowest ${mib(state.lowestBytes)}): vLLM was stopped before the kernel froze the board`;
}
