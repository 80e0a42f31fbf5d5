/**
 * The evidence of a kill, read from the machine while vLLM starts and after it died: the other processes'
 * resident memory from /proc/<pid>/status (under --root from the root's /proc, as the watchdog reads its
 * meminfo there), and the kernel's own log (`dmesg`, else `journalctl -k`) where this user may read it. Every
 * read fails quietly: the diagnosis then says less, the launch is never disturbed.
 */
import path from 'node:path';
import { listProcPids, readTextOrNull } from '../process/proc-files.js';
import { spawnLines } from '../process/spawn-lines.js';
import { parseProcSwaps } from '../device/core/system-parsers.js';
import {
  computeZramUsedBytes,
  findProcessTree,
  parseProcStatus,
  parseZramMemUsedBytes,
  type ProcessReading,
  type ZramReading,
} from './core/diagnosis/evidence.js';

/** Reads the kernel log: its lines, or null when it cannot be read (no permission, no such tool). */
export type KernelLogReader = () => Promise<string[] | null>;

/** Reads the processes of this machine other than vLLM's own tree (rooted at `vllmPid`) and this launcher. */
export type ProcessReader = (vllmPid: number | undefined) => ProcessReading[];

/**
 * Returns a reader of the processes under `root`/proc. Reads are synchronous: a few hundred small files
 * served from kernel memory, once a second while vLLM starts (async reads would cost more in promises).
 */
export function createProcessReader(root: string | undefined): ProcessReader {
  const base = root ?? '/';
  return (vllmPid) => {
    const readings: ProcessReading[] = [];
    for (const pid of listProcPids(base)) {
      const text = readTextOrNull(path.join(base, 'proc', String(pid), 'status'));
      const reading = text === null ? null : parseProcStatus(pid, text);
      if (reading !== null) readings.push(reading);
    }
    const own = vllmPid === undefined ? new Set<number>() : findProcessTree(readings, vllmPid);
    own.add(process.pid);
    return readings.filter((r) => !own.has(r.pid));
  };
}

/**
 * Returns a reader of what zram holds: the memory swapped out to it, from `root`/proc/swaps, and the RAM that
 * takes, from each zram swap device's `root`/sys/block/zram<id>/mm_stat (small files served from kernel memory,
 * read with the processes once a second). Null when the board has no zram swap or /proc/swaps is unreadable; the
 * RAM figure is null unless every device's mm_stat was read.
 */
export function createZramReader(root: string | undefined): () => ZramReading | null {
  const base = root ?? '/';
  return () => {
    const text = readTextOrNull(path.join(base, 'proc', 'swaps'));
    if (text === null) return null;
    const swaps = parseProcSwaps(text);
    const usedBytes = computeZramUsedBytes(swaps);
    if (usedBytes === null) return null;
    let ramBytes: number | null = 0;
    for (const s of swaps) {
      const device = /^\/dev\/(zram\d+)$/.exec(s.name)?.[1];
      if (device === undefined) continue;
      const mmStat = readTextOrNull(path.join(base, 'sys', 'block', device, 'mm_stat'));
      const bytes = mmStat === null ? null : parseZramMemUsedBytes(mmStat);
      ramBytes = bytes === null || ramBytes === null ? null : ramBytes + bytes;
    }
    return { usedBytes, ramBytes };
  };
}

/** How long the kernel log may take to read (a board's ring buffer is at most a few MB). */
const KERNEL_LOG_TIMEOUT_MS = 3000;

/** The kernel log lines kept: an oom-kill report (a task list of a few hundred processes) is the last of them. */
const MAX_KERNEL_LINES = 4000;

/**
 * A command's stdout lines, the last MAX_KERNEL_LINES of them; null when it fails, is missing or takes too long.
 * Through spawnLines (node:child_process), not execa: a native launch loads no execa otherwise.
 */
async function readLastLines(cmd: string, args: string[]): Promise<string[] | null> {
  let lines: string[] = [];
  const stream = spawnLines(
    cmd,
    args,
    (line, from) => {
      if (from !== 'stdout') return;
      lines.push(line);
      if (lines.length >= 2 * MAX_KERNEL_LINES) lines = lines.slice(-MAX_KERNEL_LINES);
    },
    { signal: AbortSignal.timeout(KERNEL_LOG_TIMEOUT_MS) },
  );
  const { exitCode } = await stream.exited;
  return exitCode === 0 ? lines.slice(-MAX_KERNEL_LINES) : null;
}

/**
 * Returns a reader of the kernel log: `dmesg`, or, where dmesg is restricted (kernel.dmesg_restrict=1 on
 * Ubuntu), `journalctl -k` since the reader was made (its own lines only: no earlier kill is read as this one).
 */
export function createKernelLogReader(sinceMs: number): KernelLogReader {
  return async () => {
    const dmesg = await readLastLines('dmesg', []);
    if (dmesg !== null) return dmesg;
    const since = `@${Math.floor(sinceMs / 1000)}`;
    return readLastLines('journalctl', ['-k', '-q', '--no-pager', '-o', 'cat', '--since', since]);
  };
}
