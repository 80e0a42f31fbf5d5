/**
 * The /proc fallback sampler, for hosts with neither tegrastats nor nvidia-smi: RAM and swap from /proc/meminfo
 * (and /proc/swaps), per-core CPU load from two /proc/stat snapshots. Pure: file texts in, a Sample out; the caller
 * reads the files and keeps the previous /proc/stat text. Nothing throws.
 */
import { emptySample, type LoadFreq, type Sample } from './sample.js';
import { parseMeminfo, parseProcSwaps } from '../../device/core/system-parsers.js';

const MiB = 1024 * 1024;
/** Highest CPU number accepted from a "cpuN" line; guards against building a huge array from garbage. */
const MAX_CPU_INDEX = 4095;

/** The time one CPU (or all of them) has spent in each state since boot, in jiffies (USER_HZ, usually 1/100 s). */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

/** /proc/stat's CPU lines: per-core times indexed by CPU number, and the all-CPU total. */
export interface ProcStat {
  /** cores[N] holds the "cpuN" line; null for a number with no line (an offline core: the kernel omits it). */
  cores: (CpuTimes | null)[];
  /** The "cpu" line (sum over online cores); null when absent. */
  total: CpuTimes | null;
}

/** Splits text into lines, accepting "\n" and "\r\n". */
function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

/** The per-core and total CPU times (jiffies) in /proc/stat; cores indexed by CPU number, offline ones null. */
export function parseProcStat(text: string): ProcStat {
  const cores: (CpuTimes | null)[] = [];
  let total: CpuTimes | null = null;
  for (const line of splitLines(text)) {
    // "cpu  10132153 290696 3084719 46828483 16683 0 25195 0 175628 0" (two spaces after "cpu"), then
    // "cpu0 1393280 32966 572056 13343292 6130 0 17875 0 23933 0": user nice system idle iowait irq softirq steal
    // guest guest_nice. guest and guest_nice are already counted in user and nice, so they are ignored. Kernels
    // before 2.6.11 stop before steal (and older ones before iowait): missing columns read 0, four are required.
    // An offline core has no line at all (Jetson power modes take cores offline), so "cpu3" may follow "cpu1".
    const match = /^cpu(\d*)((?:[ \t]+\d+){4,})[ \t]*$/.exec(line);
    if (match === null) continue;
    const values = (match[2] ?? '')
      .trim()
      .split(/[ \t]+/)
      .map(Number);
    if (!values.every(Number.isSafeInteger)) continue;
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = values;
    const times: CpuTimes = { user, nice, system, idle, iowait, irq, softirq, steal };
    const index = match[1] ?? '';
    if (index === '') {
      total ??= times;
      continue;
    }
    const n = Number(index);
    if (!Number.isSafeInteger(n) || n > MAX_CPU_INDEX) continue;
    while (cores.length <= n) cores.push(null);
    cores[n] ??= times;
  }
  return { cores, total };
}

/** Jiffies a CPU spent working: everything but idle and iowait. */
function busyJiffies(t: CpuTimes): number {
  return t.user + t.nice + t.system + t.irq + t.softirq + t.steal;
}

/** Per-core busy percent (0–100) between two snapshots, by CPU number; null where a core is missing or no time passed. */
export function computeCpuLoads(
  prev: readonly (CpuTimes | null)[],
  next: readonly (CpuTimes | null)[],
): (number | null)[] {
  const count = Math.max(prev.length, next.length);
  const loads: (number | null)[] = [];
  for (let i = 0; i < count; i++) {
    const before = prev[i] ?? null;
    const after = next[i] ?? null;
    if (before === null || after === null) {
      loads.push(null);
      continue;
    }
    const busy = busyJiffies(after) - busyJiffies(before);
    // Per-CPU iowait can go backwards (Documentation/filesystems/proc.rst: "iowait … can decrease in certain
    // conditions"), so idle + iowait is taken together and floored at 0; busy going backwards means the counters
    // were reset (the core was re-plugged) and the interval tells nothing.
    const idle = Math.max(0, after.idle + after.iowait - (before.idle + before.iowait));
    const elapsed = busy + idle;
    if (busy < 0 || !(elapsed > 0)) {
      loads.push(null);
      continue;
    }
    loads.push((busy / elapsed) * 100);
  }
  return loads;
}

/** The RAM (MiB) and swap (MiB) parts of a sample from /proc/meminfo, with /proc/swaps when meminfo lacks swap. */
function memoryFromProc(meminfoText: string, swapsText: string | null): Pick<Sample, 'ram' | 'swap'> {
  const mem = parseMeminfo(meminfoText);
  const get = (key: string): number | null => (Object.hasOwn(mem, key) ? (mem[key] ?? null) : null);
  let ram: Sample['ram'] = null;
  const memTotal = get('MemTotal');
  // "MemAvailable:    6291456 kB" exists since Linux 3.14; before it, free + buffers + page cache is the estimate.
  const free = get('MemFree');
  const memAvailable =
    get('MemAvailable') ?? (free === null ? null : free + (get('Buffers') ?? 0) + (get('Cached') ?? 0));
  if (memTotal !== null && memAvailable !== null) {
    ram = { usedMiB: Math.max(0, memTotal - memAvailable) / MiB, totalMiB: memTotal / MiB };
  }
  let swap: Sample['swap'] = null;
  const swapTotal = get('SwapTotal');
  const swapFree = get('SwapFree');
  const swapCached = get('SwapCached');
  if (swapTotal !== null && swapFree !== null) {
    // "SwapTotal: 0 kB" is a real reading (no swap configured), kept as 0 / 0.
    swap = {
      usedMiB: Math.max(0, swapTotal - swapFree) / MiB,
      totalMiB: swapTotal / MiB,
      cachedMiB: swapCached === null ? null : swapCached / MiB,
    };
  } else if (swapsText !== null) {
    // No swap lines in meminfo (a truncated read): the areas in /proc/swaps (zram and files) add up to the same.
    const areas = parseProcSwaps(swapsText);
    if (areas.length > 0) {
      const sizeBytes = areas.reduce((sum, a) => sum + a.sizeBytes, 0);
      const usedBytes = areas.reduce((sum, a) => sum + a.usedBytes, 0);
      swap = {
        usedMiB: usedBytes / MiB,
        totalMiB: sizeBytes / MiB,
        cachedMiB: swapCached === null ? null : swapCached / MiB,
      };
    }
  }
  return { ram, swap };
}

/** A 'proc' sample: RAM and swap in MiB from meminfo/swaps, per-core load % from two /proc/stat texts; no GPU. */
export function buildProcSample(
  meminfoText: string,
  swapsText: string | null,
  prevStat: string | null,
  nextStat: string,
  atIso: string | null,
): Sample {
  const sample = emptySample('proc');
  sample.time = atIso;
  const { ram, swap } = memoryFromProc(meminfoText, swapsText);
  sample.ram = ram;
  sample.swap = swap;
  const next = parseProcStat(nextStat);
  // The first sample has no previous snapshot: cores are listed but their load is unknown (a since-boot average
  // would mislead).
  const loads = prevStat === null ? [] : computeCpuLoads(parseProcStat(prevStat).cores, next.cores);
  sample.cpu = next.cores.map((core, i): LoadFreq | null =>
    core === null ? null : { loadPct: loads[i] ?? null, freqMHz: null },
  );
  return sample;
}
