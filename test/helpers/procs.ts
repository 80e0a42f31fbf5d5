/** Process probes the tests share: is a pid alive (and not a zombie), and its peak resident memory. */
import { readFileSync } from 'node:fs';

/**
 * Alive and not a zombie: an orphan reparented to init is a zombie until init reaps it, which holds no
 * memory and no pipe.
 */
export function isLive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Peak resident memory of a live process (VmHWM), in bytes. */
export function readPeakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN) * 1024;
}

/** Sends SIGKILL to each pid, ignoring the ones already gone (cleanup after a failed test). */
export function killAll(pids: number[]): void {
  for (const pid of pids)
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
}
