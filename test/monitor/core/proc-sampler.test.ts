/**
 * The /proc fallback sampler: /proc/stat CPU lines, per-core load between two snapshots, and whole samples built
 * from /proc/meminfo, /proc/swaps and /proc/stat. The texts below follow the kernel's formats (fs/proc/stat.c,
 * fs/proc/meminfo.c, mm/swapfile.c) with Orin NX-sized numbers; the jiffy counts are chosen so the loads are exact.
 */
import { describe, expect, it } from 'vitest';
import {
  buildProcSample,
  computeCpuLoads,
  parseProcStat,
  type CpuTimes,
} from '../../../src/monitor/core/proc-sampler.js';
import type { Sample } from '../../../src/monitor/core/sample.js';

// cpu2 is offline (a Jetson power mode took it down), so the kernel prints no "cpu2" line. 2 s at USER_HZ=100
// pass between the two snapshots: 200 jiffies per core.
const STAT_BEFORE = `cpu  3500 10 1400 24000 350 0 90 0 0 0
cpu0 1000 0 500 8000 100 0 50 0 0 0
cpu1 2000 10 700 9000 200 0 30 0 0 0
cpu3 500 0 200 7000 50 0 10 0 0 0
intr 123456 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
ctxt 987654
btime 1717236000
processes 4321
procs_running 2
procs_blocked 0
softirq 55555 0 1000 2 3000 0 0 100 2000 0 1200
`;
// cpu0: busy +100 (user +80, system +15, softirq +5), idle +95, iowait +5 → 50 %.
// cpu1: busy +50 (user +40, system +10), idle +150 → 25 %.
// cpu3: busy +200 (user +190, system +10), idle +0 → 100 %.
const STAT_AFTER = `cpu  3810 10 1435 24245 355 0 95 0 0 0
cpu0 1080 0 515 8095 105 0 55 0 0 0
cpu1 2040 10 710 9150 200 0 30 0 0 0
cpu3 690 0 210 7000 50 0 10 0 0 0
intr 124000 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
ctxt 990000
btime 1717236000
processes 4330
procs_running 1
procs_blocked 0
`;

// Orin NX 16 GB-like /proc/meminfo (JetPack 6; NvMapMemUsed is Tegra-only), shortened.
const MEMINFO = `MemTotal:       15655168 kB
MemFree:         8000000 kB
MemAvailable:   11466752 kB
Buffers:           51200 kB
Cached:          3145728 kB
SwapCached:         1024 kB
Active:          2097152 kB
Inactive:        1048576 kB
SwapTotal:       7827456 kB
SwapFree:        7725056 kB
Shmem:             65536 kB
NvMapMemUsed:     805068 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
`;

// zram swap as nvzramconfig sets it up (one device per core, priority 5) plus a swap file.
const SWAPS = `Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority
/dev/zram0                              partition\t1956864\t\t51200\t\t5
/dev/zram1                              partition\t1956864\t\t0\t\t5
/mnt/16GB.swap                          file\t\t16777212\t0\t\t-2
`;

const idle = (overrides: Partial<CpuTimes> = {}): CpuTimes => ({
  user: 0,
  nice: 0,
  system: 0,
  idle: 0,
  iowait: 0,
  irq: 0,
  softirq: 0,
  steal: 0,
  ...overrides,
});

describe('parseProcStat', () => {
  it('reads the total and per-core lines, leaving the offline core null', () => {
    expect(parseProcStat(STAT_BEFORE)).toEqual({
      total: { user: 3500, nice: 10, system: 1400, idle: 24000, iowait: 350, irq: 0, softirq: 90, steal: 0 },
      cores: [
        { user: 1000, nice: 0, system: 500, idle: 8000, iowait: 100, irq: 0, softirq: 50, steal: 0 },
        { user: 2000, nice: 10, system: 700, idle: 9000, iowait: 200, irq: 0, softirq: 30, steal: 0 },
        null,
        { user: 500, nice: 0, system: 200, idle: 7000, iowait: 50, irq: 0, softirq: 10, steal: 0 },
      ],
    });
  });

  it('reads old kernels with only four or seven columns, missing ones as 0', () => {
    // Linux 2.4: "cpu0 1 2 3 4"; 2.6.0–2.6.10: seven columns (no steal).
    expect(parseProcStat('cpu0 1 2 3 4\ncpu1 1 2 3 4 5 6 7\r\n').cores).toEqual([
      idle({ user: 1, nice: 2, system: 3, idle: 4 }),
      idle({ user: 1, nice: 2, system: 3, idle: 4, iowait: 5, irq: 6, softirq: 7 }),
    ]);
  });

  it.each([
    ['empty text', ''],
    ['too few columns', 'cpu0 1 2 3'],
    ['a word in a column', 'cpu0 1 2 3 x 5'],
    ['a prefix before "cpu"', ' cpux0 1 2 3 4'],
    ['a huge CPU number', 'cpu99999999 1 2 3 4'],
    ['a number beyond 2^53', 'cpu0 99999999999999999999 2 3 4'],
  ])('skips %s', (_why, text) => {
    expect(parseProcStat(text)).toEqual({ cores: [], total: null });
  });

  it('keeps the first of two lines for the same core', () => {
    expect(parseProcStat('cpu0 1 0 0 1\ncpu0 5 0 0 5').cores).toEqual([idle({ user: 1, idle: 1 })]);
  });
});

describe('computeCpuLoads', () => {
  it('gives the exact busy percent per core between two snapshots', () => {
    expect(computeCpuLoads(parseProcStat(STAT_BEFORE).cores, parseProcStat(STAT_AFTER).cores)).toEqual([
      50,
      25,
      null,
      100,
    ]);
  });

  it.each<[string, (CpuTimes | null)[], (CpuTimes | null)[], (number | null)[]]>([
    ['steal and irq count as busy', [idle()], [idle({ steal: 10, irq: 10, idle: 60, iowait: 20 })], [20]],
    ['no time passed', [idle({ user: 5, idle: 5 })], [idle({ user: 5, idle: 5 })], [null]],
    ['a core went offline', [idle(), idle()], [idle({ user: 1, idle: 1 })], [50, null]],
    ['a core came online', [idle()], [idle({ idle: 4 }), idle({ user: 1 })], [0, null]],
    [
      'busy counters went back (core re-plugged)',
      [idle({ user: 100, idle: 100 })],
      [idle({ user: 10, idle: 200 })],
      [null],
    ],
    // Per-CPU iowait may decrease; idle + iowait together is floored at 0.
    ['iowait went back', [idle({ idle: 100, iowait: 50 })], [idle({ user: 30, idle: 110, iowait: 0 })], [100]],
    [
      'iowait went back, idle made up for it',
      [idle({ idle: 100, iowait: 50 })],
      [idle({ user: 10, idle: 190, iowait: 0 })],
      [20],
    ],
    ['both empty', [], [], []],
  ])('%s', (_why, prev, next, loads) => {
    expect(computeCpuLoads(prev, next)).toEqual(loads);
  });
});

describe('buildProcSample', () => {
  const at = '2025-06-01T12:00:02.000Z';

  it('builds RAM, swap and per-core loads from two snapshots', () => {
    expect(buildProcSample(MEMINFO, SWAPS, STAT_BEFORE, STAT_AFTER, at)).toEqual<Sample>({
      time: at,
      source: 'proc',
      // MemTotal − MemAvailable = 15655168 − 11466752 = 4188416 kB.
      ram: { usedMiB: 4090.25, totalMiB: 15288.25 },
      // SwapTotal − SwapFree = 102400 kB.
      swap: { usedMiB: 100, totalMiB: 7644, cachedMiB: 1 },
      cpu: [{ loadPct: 50, freqMHz: null }, { loadPct: 25, freqMHz: null }, null, { loadPct: 100, freqMHz: null }],
      gpu: null,
      emc: null,
      engines: {},
      temps: {},
      power: {},
      vllm: null,
    });
  });

  it('lists the online cores with unknown load on the first sample', () => {
    expect(buildProcSample(MEMINFO, null, null, STAT_AFTER, null).cpu).toEqual([
      { loadPct: null, freqMHz: null },
      { loadPct: null, freqMHz: null },
      null,
      { loadPct: null, freqMHz: null },
    ]);
  });

  it('falls back to /proc/swaps when meminfo has no swap lines', () => {
    const meminfo = 'MemTotal:        8038788 kB\nMemAvailable:    4019394 kB\n';
    const sample = buildProcSample(meminfo, SWAPS, null, STAT_AFTER, at);
    expect(sample.swap).toEqual({ usedMiB: 50, totalMiB: (1956864 * 2 + 16777212) / 1024, cachedMiB: null });
    expect(sample.ram).toEqual({ usedMiB: 4019394 / 1024, totalMiB: 8038788 / 1024 });
  });

  it('estimates available memory as free + buffers + cached on kernels before 3.14', () => {
    const meminfo =
      'MemTotal: 4096000 kB\nMemFree: 1024000 kB\nBuffers: 102400 kB\nCached: 921600 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n';
    const sample = buildProcSample(meminfo, null, null, '', at);
    expect(sample.ram).toEqual({ usedMiB: 2000, totalMiB: 4000 });
    // No swap configured is a reading (0 / 0), not a missing one.
    expect(sample.swap).toEqual({ usedMiB: 0, totalMiB: 0, cachedMiB: null });
    expect(sample.cpu).toEqual([]);
  });

  it('gives null RAM and swap when meminfo is unreadable', () => {
    const sample = buildProcSample('garbage', 'garbage', 'garbage', 'garbage', at);
    expect([sample.ram, sample.swap, sample.cpu, sample.source]).toEqual([null, null, [], 'proc']);
  });
});
