/**
 * The vLLM processes on this machine, found once and re-checked only when one of them exits: a /proc scan
 * reads each process's `comm` (a few bytes) and the command line only of the few whose name can be vLLM's.
 * Reads are synchronous: they are small files served from kernel memory, and an async read per file costs
 * more in promises and thread-pool hops than the read itself (the panel polls every two seconds for hours).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { listProcPids, readTextOrNull } from '../process/proc-files.js';
import { spawnLines } from '../process/spawn-lines.js';
import {
  COMPUTE_APPS_ARGS,
  parseComputeApps,
  parseNvmapClients,
  sumGpuShare,
  type GpuShare,
} from './core/gpu-share.js';
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

/** The vLLM processes under `root`/proc: comm first, the command line only when comm allows it. */
export function scanVllmProcesses(root = '/'): number[] {
  const found: number[] = [];
  for (const pid of listProcPids(root)) {
    const dir = path.join(root, 'proc', String(pid));
    const comm = readTextOrNull(path.join(dir, 'comm'));
    if (comm === null) continue;
    const verdict = classifyComm(comm);
    if (verdict === 'no') continue;
    if (verdict === 'maybe' && !isVllmCmdline(readTextOrNull(path.join(dir, 'cmdline')) ?? '')) continue;
    found.push(pid);
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
      const status = readTextOrNull(path.join(root, 'proc', String(pid), 'status'));
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
    const meminfo = readTextOrNull(path.join(root, 'proc', 'meminfo'));
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
      const hwmonName = readTextOrNull(path.join(base, name, 'name'));
      if (hwmonName !== null && isFanHwmonName(hwmonName)) return path.join(base, name, 'pwm1');
    }
    return null;
  };
  return () => {
    pwmFile ??= find();
    if (pwmFile === null) return null;
    const text = readTextOrNull(pwmFile);
    return text === null ? null : parseFanPwmPct(text);
  };
}

export interface GpuShareReader {
  /**
   * vLLM's own GPU memory: the processes `pids` summed from nvidia-smi's per-process figures, else from the nvmap
   * clients table; 'needsRoot' where that table exists but cannot be read; null where neither tells (or no pid).
   * Measured at most every `minIntervalMs` (the last answer meanwhile), never two at once.
   */
  measure(pids: readonly number[]): Promise<GpuShare | null>;
}

/** The nvmap debugfs tables, newest kernels' name first (jtop reads iovmm/maps; older kernels have iovmm/clients). */
const NVMAP_TABLES = ['maps', 'clients'];
/** nvidia-smi is a process start (and an NVML init) per answer: asked at most this often (ms). */
const SMI_INTERVAL_MS = 10_000;
/** Answers in a row that list none of vLLM's processes before nvidia-smi is not asked again (it cannot see them). */
const SMI_MISSES = 3;

/** nvidia-smi's per-process answer (its stdout), or null when it failed; over spawnLines, not execa (never loaded here). */
async function queryComputeApps(nvidiaSmi: string): Promise<string | null> {
  const lines: string[] = [];
  const child = spawnLines(nvidiaSmi, [...COMPUTE_APPS_ARGS], (line, stream) => {
    if (stream === 'stdout') lines.push(line);
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), 5000);
  });
  const exit = await Promise.race([child.exited, timedOut]);
  clearTimeout(timer);
  if (exit === null) {
    await child.stop(1000);
    return null;
  }
  return exit.exitCode === 0 ? lines.join('\n') : null;
}

/**
 * A reader of vLLM's GPU share under `root`: `nvidiaSmi` (a path, or null where there is none) is asked first, at
 * most every 10 s — Thor / JetPack 7 and desktop GPUs answer per process; where it cannot (absent, its query fails,
 * or three answers in a row list none of vLLM's processes) the nvmap clients table of Xavier / Orin is read
 * (root-only: debugfs); a board whose meminfo has no NvMap line has neither.
 */
export function createGpuShareReader(
  root = '/',
  nvidiaSmi: string | null = null,
  o: { minIntervalMs?: number; smiIntervalMs?: number; nowMs?: () => number; readFile?: (file: string) => string } = {},
): GpuShareReader {
  const readTable = o.readFile ?? ((file: string): string => readFileSync(file, 'utf8'));
  const minIntervalMs = o.minIntervalMs ?? 2000;
  const nowMs = o.nowMs ?? (() => performance.now());
  let isSmiUsable = nvidiaSmi !== null;
  let smiMisses = 0;
  let smiAtMs = -Infinity;
  let lastSmi: GpuShare | null = null;
  let last: GpuShare | null = null;
  let measuredAtMs = -Infinity;
  let busy: Promise<GpuShare | null> | null = null;
  const nvmapDir = path.join(root, 'sys', 'kernel', 'debug', 'nvmap', 'iovmm');
  // Whether this board hands out GPU memory through NvMap at all (read once): the nvmap table is looked for only there.
  let hasNvMap: boolean | null = null;
  const readNvmap = (pids: readonly number[]): GpuShare | null => {
    if (hasNvMap === null) {
      const meminfo = readTextOrNull(path.join(root, 'proc', 'meminfo'));
      hasNvMap = meminfo !== null && parseNvMapUsedBytes(meminfo) !== null;
    }
    if (!hasNvMap) return null;
    let isDenied = false;
    for (const name of NVMAP_TABLES) {
      try {
        const bytes = sumGpuShare(parseNvmapClients(readTable(path.join(nvmapDir, name))), pids);
        return bytes === null ? null : { kind: 'bytes', bytes, from: 'nvmap' };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // debugfs is root-only (mode 0700): not being let in is not "no table".
        if (code === 'EACCES' || code === 'EPERM') isDenied = true;
      }
    }
    return isDenied ? { kind: 'needsRoot' } : null;
  };
  const readSmi = async (pids: readonly number[]): Promise<GpuShare | null | undefined> => {
    if (!isSmiUsable || nvidiaSmi === null) return undefined;
    if (nowMs() - smiAtMs < (o.smiIntervalMs ?? SMI_INTERVAL_MS)) return lastSmi ?? undefined;
    smiAtMs = nowMs();
    const text = await queryComputeApps(nvidiaSmi);
    if (text === null) {
      // An nvidia-smi without the query (or a broken driver): not asked again.
      isSmiUsable = false;
      return undefined;
    }
    const bytes = sumGpuShare(parseComputeApps(text), pids);
    // One that never lists vLLM (an nvidia-smi of another GPU, a driver without per-process accounting).
    smiMisses = bytes === null ? smiMisses + 1 : 0;
    if (smiMisses >= SMI_MISSES) isSmiUsable = false;
    lastSmi = bytes === null ? null : { kind: 'bytes', bytes, from: 'nvidia-smi' };
    return lastSmi ?? undefined;
  };
  return {
    measure(pids) {
      if (pids.length === 0) return Promise.resolve(null);
      if (busy !== null) return busy;
      if (nowMs() - measuredAtMs < minIntervalMs) return Promise.resolve(last);
      measuredAtMs = nowMs();
      busy = (async () => {
        const bySmi = await readSmi(pids);
        last = bySmi ?? readNvmap(pids);
        return last;
      })().finally(() => {
        busy = null;
      });
      return busy;
    },
  };
}
