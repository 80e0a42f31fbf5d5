/**
 * The vLLM processes on this machine, found once and re-checked only when one of them exits: a /proc scan
 * reads each process's `comm` (a few bytes) and the command line only of the few whose name can be vLLM's.
 * Reads are synchronous: they are small files served from kernel memory, and an async read per file costs
 * more in promises and thread-pool hops than the read itself (the panel polls every two seconds for hours).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  classifyComm,
  isFanHwmonName,
  isVllmCmdline,
  parseFanPwmPct,
  parseNvMapUsedBytes,
  parseVmRssBytes,
} from './core/vllm-process.js';

export interface VllmProcessTracker {
  /** The known vLLM processes' resident memory summed (CPU-side), or null when none runs; rescans when one exited. */
  measureRss(): number | null;
  /** Forgets the processes found, so the next measure scans again (the server came back up). */
  rescan(): void;
  /** The processes currently known (for tests). */
  pids(): readonly number[];
}

/** How long a scan that found nothing is trusted before scanning again. */
const EMPTY_RESCAN_MS = 30_000;

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The vLLM processes under `root`/proc: comm first, the command line only when comm allows it. */
export function scanVllmProcesses(root = '/'): number[] {
  const proc = path.join(root, 'proc');
  let names: string[];
  try {
    names = readdirSync(proc);
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const comm = readText(path.join(proc, name, 'comm'));
    if (comm === null) continue;
    const verdict = classifyComm(comm);
    if (verdict === 'no') continue;
    if (verdict === 'maybe' && !isVllmCmdline(readText(path.join(proc, name, 'cmdline')) ?? '')) continue;
    found.push(Number(name));
  }
  return found;
}

/** A tracker over `root` (a fixture root in tests); `nowMs` is the clock for the empty-scan retry. */
export function createVllmProcessTracker(
  root = '/',
  nowMs: () => number = () => performance.now(),
): VllmProcessTracker {
  let known: number[] | null = null;
  let scannedAtMs = 0;
  const scan = (): number[] => {
    scannedAtMs = nowMs();
    known = scanVllmProcesses(root);
    return known;
  };
  const readRss = (pids: readonly number[]): { total: number; found: number; gone: boolean } => {
    let total = 0;
    let found = 0;
    let gone = false;
    for (const pid of pids) {
      const status = readText(path.join(root, 'proc', String(pid), 'status'));
      const rss = status === null ? null : parseVmRssBytes(status);
      // No status (exited) or no VmRSS (a zombie): this process is gone.
      if (rss === null) gone = true;
      else {
        total += rss;
        found++;
      }
    }
    return { total, found, gone };
  };
  return {
    measureRss() {
      let pids = known;
      if (pids === null || (pids.length === 0 && nowMs() - scannedAtMs >= EMPTY_RESCAN_MS)) pids = scan();
      let rss = readRss(pids);
      // One exited (a restart, an engine core replaced): scan once more now.
      if (rss.gone) rss = readRss(scan());
      return rss.found > 0 ? rss.total : null;
    },
    rescan() {
      known = null;
    },
    pids: () => known ?? [],
  };
}

/**
 * A reader of the board's GPU memory in use (NvMapMemUsed, one read of /proc/meminfo): null, and never read
 * again, on a machine whose meminfo has no such line.
 */
export function createNvMapReader(root = '/'): () => number | null {
  let hasNvMap = true;
  return () => {
    if (!hasNvMap) return null;
    const meminfo = readText(path.join(root, 'proc', 'meminfo'));
    const bytes = meminfo === null ? null : parseNvMapUsedBytes(meminfo);
    if (bytes === null) hasNvMap = false;
    return bytes;
  };
}

/**
 * A reader of the board's fan duty (hwmon pwm-fan's pwm1, in percent): the hwmon folder is looked for once;
 * null, and never read again, on a board without one.
 */
export function createFanReader(root = '/'): () => number | null {
  let pwmFile: string | null | undefined;
  const find = (): string | null => {
    const base = path.join(root, 'sys', 'class', 'hwmon');
    let names: string[];
    try {
      names = readdirSync(base);
    } catch {
      return null;
    }
    for (const name of names) {
      const hwmonName = readText(path.join(base, name, 'name'));
      if (hwmonName !== null && isFanHwmonName(hwmonName)) return path.join(base, name, 'pwm1');
    }
    return null;
  };
  return () => {
    pwmFile ??= find();
    if (pwmFile === null) return null;
    const text = readText(pwmFile);
    return text === null ? null : parseFanPwmPct(text);
  };
}
