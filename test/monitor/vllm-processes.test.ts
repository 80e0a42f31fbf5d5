/**
 * The vLLM process tracker on a fake /proc: a scan reads comm first and the command line only of candidates;
 * the processes found are re-read each poll without scanning again, and a process that exits makes it scan.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createFanReader,
  createGpuShareReader,
  createNvMapReader,
  createVllmProcessTracker,
  scanVllmProcesses,
} from '../../src/monitor/vllm-processes.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function fakeRoot(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'jetson-vllm-proc-'));
  roots.push(root);
  mkdirSync(path.join(root, 'proc'));
  return root;
}

/** One process: its comm, its command line (a folder in place of the file when null: unreadable) and VmRSS. */
function addProcess(root: string, pid: number, comm: string, args: string[] | null, rssKb: number): void {
  const dir = path.join(root, 'proc', String(pid));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'comm'), `${comm}\n`);
  if (args === null) mkdirSync(path.join(dir, 'cmdline'));
  else writeFileSync(path.join(dir, 'cmdline'), `${args.join('\0')}\0`);
  writeFileSync(path.join(dir, 'status'), `Name:\t${comm}\nVmRSS:\t${rssKb} kB\n`);
}

describe('scanVllmProcesses', () => {
  it('finds vllm serve, the entrypoint and the engine core; reads no command line of other names', () => {
    const root = fakeRoot();
    addProcess(root, 10, 'vllm', ['/usr/bin/python3', '/usr/local/bin/vllm', 'serve', 'm'], 1000);
    addProcess(root, 11, 'VLLM::EngineCor', ['python3', '-c', 'spawn'], 2000);
    addProcess(root, 12, 'python3', ['python3', '-m', 'vllm.entrypoints.openai.api_server'], 300);
    addProcess(root, 13, 'python3', ['python3', 'train.py'], 5000);
    // An unreadable command line behind a name that is not an interpreter: never read, so no harm.
    addProcess(root, 14, 'sshd', null, 10);
    writeFileSync(path.join(root, 'proc', 'meminfo'), 'MemTotal: 1 kB\n');
    expect(scanVllmProcesses(root).sort()).toEqual([10, 11, 12]);
  });

  it('is empty when there is no /proc', () => {
    expect(scanVllmProcesses(path.join(os.tmpdir(), 'no-such-root-jetson-vllm'))).toEqual([]);
  });
});

describe('createVllmProcessTracker', () => {
  it('sums the RSS of the processes found, rescans only when one exits', () => {
    const root = fakeRoot();
    addProcess(root, 10, 'vllm', ['vllm', 'serve', 'm'], 1000);
    addProcess(root, 11, 'VLLM::EngineCor', ['python3'], 2000);
    const tracker = createVllmProcessTracker(root, () => 0);
    expect(tracker.measureRss()).toBe(3000 * 1024);
    // A new vLLM-like process is not seen while the known ones live (no scan per poll).
    addProcess(root, 12, 'VLLM::Worker', ['python3'], 4000);
    expect(tracker.measureRss()).toBe(3000 * 1024);
    // The engine core exits: the next poll scans again and finds the rest.
    rmSync(path.join(root, 'proc', '11'), { recursive: true });
    expect(tracker.measureRss()).toBe(5000 * 1024);
    expect([...tracker.pids()].sort()).toEqual([10, 12]);
  });

  it('answers null with no vLLM, and scans again only after 30 s or a rescan', () => {
    const root = fakeRoot();
    let now = 0;
    const tracker = createVllmProcessTracker(root, () => now);
    expect(tracker.measureRss()).toBeNull();
    addProcess(root, 20, 'vllm', ['vllm', 'serve', 'm'], 100);
    now = 10_000;
    expect(tracker.measureRss()).toBeNull();
    now = 30_000;
    expect(tracker.measureRss()).toBe(100 * 1024);
    rmSync(path.join(root, 'proc', '20'), { recursive: true });
    addProcess(root, 21, 'vllm', ['vllm', 'serve', 'm'], 200);
    tracker.rescan();
    expect(tracker.measureRss()).toBe(200 * 1024);
  });
});

describe('createNvMapReader', () => {
  it('reads NvMapMemUsed each call, and stops reading on a machine without it', () => {
    const root = fakeRoot();
    const meminfo = path.join(root, 'proc', 'meminfo');
    writeFileSync(meminfo, 'MemTotal: 8000000 kB\nNvMapMemUsed: 1024 kB\n');
    const read = createNvMapReader(root);
    expect(read()).toBe(1024 * 1024);
    writeFileSync(meminfo, 'MemTotal: 8000000 kB\nNvMapMemUsed: 2048 kB\n');
    expect(read()).toBe(2048 * 1024);
    const pc = fakeRoot();
    writeFileSync(path.join(pc, 'proc', 'meminfo'), 'MemTotal: 8000000 kB\n');
    const readPc = createNvMapReader(pc);
    expect(readPc()).toBeNull();
    writeFileSync(path.join(pc, 'proc', 'meminfo'), 'NvMapMemUsed: 1 kB\n');
    expect(readPc()).toBeNull();
  });
});

describe('createFanReader', () => {
  it('finds the pwm-fan hwmon once and reads its duty; null on a board without a fan', () => {
    const root = fakeRoot();
    const hwmon = path.join(root, 'sys', 'class', 'hwmon');
    mkdirSync(path.join(hwmon, 'hwmon0'), { recursive: true });
    writeFileSync(path.join(hwmon, 'hwmon0', 'name'), 'tmp451\n');
    mkdirSync(path.join(hwmon, 'hwmon1'));
    writeFileSync(path.join(hwmon, 'hwmon1', 'name'), 'pwm-fan\n');
    writeFileSync(path.join(hwmon, 'hwmon1', 'pwm1'), '51\n');
    const read = createFanReader(root);
    expect(read()).toBeCloseTo(20, 9);
    writeFileSync(path.join(hwmon, 'hwmon1', 'pwm1'), '255\n');
    expect(read()).toBe(100);
    expect(createFanReader(fakeRoot())()).toBeNull();
  });
});

describe('createGpuShareReader', () => {
  const NVIDIA_SMI = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'bin', 'nvidia-smi');
  const GiB = 1024 ** 3;

  /** A Jetson root: meminfo with NvMapMemUsed, and (when given) the nvmap debugfs table. */
  function jetsonRoot(table: string | null): string {
    const root = fakeRoot();
    writeFileSync(path.join(root, 'proc', 'meminfo'), 'MemTotal: 7620000 kB\nNvMapMemUsed: 2097152 kB\n');
    if (table !== null) {
      const dir = path.join(root, 'sys', 'kernel', 'debug', 'nvmap', 'iovmm');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'clients'), table);
    }
    return root;
  }

  it('Thor / desktop: sums the vLLM pids of nvidia-smi per-process figures (the stand-in answers the query)', async () => {
    const before = process.env.NVIDIA_SMI_STANDIN_APPS;
    process.env.NVIDIA_SMI_STANDIN_APPS = '4242:3072,4243:1024,999:500';
    try {
      const reader = createGpuShareReader(fakeRoot(), NVIDIA_SMI);
      expect(await reader.measure([4242, 4243])).toEqual({ kind: 'bytes', bytes: 4 * GiB, from: 'nvidia-smi' });
    } finally {
      if (before === undefined) delete process.env.NVIDIA_SMI_STANDIN_APPS;
      else process.env.NVIDIA_SMI_STANDIN_APPS = before;
    }
  });

  it('Orin / Xavier: the nvmap clients table, where it can be read', async () => {
    const root = jetsonRoot(
      'CLIENT PROCESS PID SIZE\nuser python3 4242 2097152K\nuser gnome-shell 1200 65536K\ntotal 2162688K\n',
    );
    expect(await createGpuShareReader(root, null).measure([4242])).toEqual({
      kind: 'bytes',
      bytes: 2 * GiB,
      from: 'nvmap',
    });
  });

  it('says "needs root" where debugfs does not let this user in; nothing (not 0) where no table tells', async () => {
    const denied = (): string => {
      throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
    };
    expect(await createGpuShareReader(jetsonRoot(null), null, { readFile: denied }).measure([4242])).toEqual({
      kind: 'needsRoot',
    });
    // A PC without nvidia-smi: no NvMap, no table, no row.
    expect(await createGpuShareReader(fakeRoot(), null).measure([4242])).toBeNull();
    // A table that does not list vLLM says nothing about it.
    expect(await createGpuShareReader(jetsonRoot('user Xorg 1200 1024K\n'), null).measure([4242])).toBeNull();
    // No vLLM tracked: nothing is read.
    expect(await createGpuShareReader(jetsonRoot(null), null, { readFile: denied }).measure([])).toBeNull();
  });

  it('reads at most every 2 s (the last answer meanwhile)', async () => {
    let reads = 0;
    let now = 0;
    const root = jetsonRoot(null);
    const reader = createGpuShareReader(root, null, {
      nowMs: () => now,
      readFile: () => {
        reads++;
        return 'user python3 4242 1048576K\n';
      },
    });
    expect(await reader.measure([4242])).toEqual({ kind: 'bytes', bytes: GiB, from: 'nvmap' });
    now = 1500;
    await reader.measure([4242]);
    expect(reads).toBe(1);
    now = 2100;
    await reader.measure([4242]);
    expect(reads).toBe(2);
  });

  it('asks nvidia-smi at most every 10 s, and not again once three answers in a row list no vLLM process', async () => {
    const root = fakeRoot();
    const count = path.join(root, 'calls');
    const smi = path.join(root, 'nvidia-smi');
    // An nvidia-smi that answers the query with another process only.
    writeFileSync(smi, `#!/bin/sh\necho x >> '${count}'\necho '999, 512'\n`, { mode: 0o755 });
    const calls = (): number => (existsSync(count) ? readFileSync(count, 'utf8').split('\n').length - 1 : 0);
    let now = 0;
    const reader = createGpuShareReader(root, smi, { nowMs: () => now });
    for (let t = 0; t <= 60_000; t += 2000) {
      now = t;
      expect(await reader.measure([4242])).toBeNull();
    }
    // At 0, 10 and 20 s; then never again.
    expect(calls()).toBe(3);
  });
});
