/**
 * The vLLM process tracker on a fake /proc: a scan reads comm first and the command line only of candidates;
 * the processes found are re-read each poll without scanning again, and a process that exits makes it scan.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createFanReader,
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
