/**
 * The evidence a launch gathers while vLLM starts: memory samples (first, lowest, bounded), the other processes
 * (the one that grew, a process that started during the start, a reused pid, bounded), the kernel's lines since the
 * start, /proc/<pid>/status, vLLM's own tree; and a session fed those events diagnosing the kill from them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_PROCESSES,
  MEMORY_SAMPLES,
  createStartEvidence,
  findProcessTree,
  listGrownProcesses,
  observeAvailableMemory,
  observeKernelLog,
  observeProcesses,
  parseProcStatus,
  selectNewKernelLines,
  type ProcessReading,
} from '../../../../src/launch/core/diagnosis/evidence.js';
import { buildKillEvidence } from '../../../../src/launch/core/diagnosis/kill.js';
import { initialLogState } from '../../../../src/launch/core/log/state.js';
import type { LaunchSessionEvent } from '../../../../src/launch/core/session.js';
import { GiB, MiB } from '../../../../src/shared/units.js';
import { requestAndPlanFor } from '../../../helpers/catalog.js';
import { buildTestSetup, replaySession } from '../../../helpers/launch-session.js';

const proc = (pid: number, name: string, rssBytes: number, ppid: number | null = 1): ProcessReading => ({
  pid,
  ppid,
  name,
  rssBytes,
});

describe('start evidence', () => {
  it('keeps the first, lowest and the last MEMORY_SAMPLES samples of available memory', () => {
    let s = createStartEvidence();
    for (let i = 0; i < MEMORY_SAMPLES + 50; i++) s = observeAvailableMemory(s, (12 - (i % 7)) * GiB);
    expect(s.firstBytes).toBe(12 * GiB);
    expect(s.lowestBytes).toBe(6 * GiB);
    expect(s.recent).toHaveLength(MEMORY_SAMPLES);
  });

  it('names the process that grew, by how much; one started during the start grew from nothing; a reused pid is another process', () => {
    let s = createStartEvidence();
    s = observeProcesses(s, [proc(812, 'ollama', 300 * MiB), proc(1045, 'gnome-shell', 400 * MiB)]);
    s = observeProcesses(s, [proc(812, 'ollama', 3 * GiB), proc(1045, 'gnome-shell', 410 * MiB)]);
    s = observeProcesses(s, [
      proc(812, 'ollama', 6.5 * GiB),
      proc(1045, 'gnome-shell', 420 * MiB),
      proc(2000, 'chrome', 1 * GiB),
    ]);
    const grown = listGrownProcesses(s, 256 * MiB);
    expect(grown).toEqual([
      { name: 'ollama', pid: 812, grewBytes: 6.5 * GiB - 300 * MiB, rssBytes: 6.5 * GiB },
      { name: 'chrome', pid: 2000, grewBytes: 1 * GiB, rssBytes: 1 * GiB },
    ]);
    // Pid 812 now another program: followed from nothing, not as ollama's growth.
    s = observeProcesses(s, [proc(812, 'python3', 2 * GiB)]);
    expect(s.processes.find((p) => p.pid === 812)).toEqual({
      pid: 812,
      name: 'python3',
      firstBytes: 0,
      lastBytes: 2 * GiB,
    });
  });

  it('follows at most MAX_PROCESSES processes and none under 16 MiB, however many samples', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.record({ pid: fc.nat(500), rss: fc.nat(4 * GiB) }), { maxLength: 120 }), {
          maxLength: 8,
        }),
        (samples) => {
          let s = createStartEvidence();
          for (const sample of samples)
            s = observeProcesses(
              s,
              sample.map((p) => proc(p.pid, `p${p.pid}`, p.rss)),
            );
          expect(s.processes.length).toBeLessThanOrEqual(MAX_PROCESSES);
          expect(s.processSamples).toBe(samples.length);
          for (const p of listGrownProcesses(s)) expect(p.grewBytes).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('a board of many steady processes: none is taken for one that grew, however often they are re-ranked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 16, max: 4000 }), { minLength: MAX_PROCESSES + 1, maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 2, maxLength: 6 }),
        (sizesMiB, jitters) => {
          let s = createStartEvidence();
          for (const jitter of jitters) {
            // Each sample: the same processes, a few MiB up or down (allocator noise), in another order.
            const sample = sizesMiB.map((mib, pid) =>
              proc(pid + 100, `p${pid}`, (mib + ((pid * jitter) % 7) - 3) * MiB),
            );
            s = observeProcesses(s, jitter % 2 === 0 ? sample : sample.reverse());
          }
          expect(listGrownProcesses(s, 256 * MiB)).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('reads /proc/<pid>/status; a kernel thread (no VmRSS) is none', () => {
    const status =
      'Name:\tollama\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t812\nPid:\t812\nPPid:\t1\nVmRSS:\t 6815744 kB\n';
    expect(parseProcStatus(812, status)).toEqual({ pid: 812, ppid: 1, name: 'ollama', rssBytes: 6815744 * 1024 });
    expect(parseProcStatus(2, 'Name:\tkthreadd\nPPid:\t0\n')).toBeNull();
  });

  it("finds vLLM's own tree (the API server, its engine core, their children) whatever the order", () => {
    const readings = [proc(30, 'pt_main_thread', 1, 20), proc(20, 'VLLM::EngineCore', 1, 10), proc(10, 'vllm', 1, 5)];
    expect([...findProcessTree(readings, 10)].sort()).toEqual([10, 20, 30]);
    expect([...findProcessTree(readings, 99)]).toEqual([99]);
  });

  it("keeps only the kernel's lines printed since the start", () => {
    const boot = ['[ 0.0] Booting Linux', '[ 0.1] Linux version 5.15'];
    const kill = ['[ 81.0] Out of memory: Killed process 77 (python3) total-vm:1kB, anon-rss:2048kB, file-rss:0kB'];
    expect(selectNewKernelLines(boot, [...boot, ...kill])).toEqual(kill);
    expect(selectNewKernelLines(null, [...boot, ...kill])).toEqual([...boot, ...kill]);
    // The ring buffer wrapped: the mark is gone, every line is read.
    expect(selectNewKernelLines(boot, kill)).toEqual(kill);
    expect(observeKernelLog(createStartEvidence(), kill).kernel?.victim?.pid).toBe(77);
  });

  it('buildKillEvidence passes the first sample, the grown processes and the kernel report on', () => {
    let s = observeAvailableMemory(createStartEvidence(), 12 * GiB);
    s = observeAvailableMemory(s, 1 * GiB);
    s = observeProcesses(s, [proc(812, 'ollama', 300 * MiB)]);
    s = observeProcesses(s, [proc(812, 'ollama', 6 * GiB)]);
    const e = buildKillEvidence(initialLogState(), null, s);
    expect(e.memory).toEqual({ firstBytes: 12 * GiB, lowestBytes: 1 * GiB });
    expect(e.processes?.[0]).toMatchObject({ name: 'ollama', pid: 812, grewBytes: 6 * GiB - 300 * MiB });
    expect(e.kernel).toBeNull();
  });
});

describe('a launch session fed the evidence', () => {
  const { request, plan } = requestAndPlanFor({
    device: 'orin-nx-16gb',
    model: 'qwen2.5-0.5b-instruct',
    quant: 'bf16',
    vllmVersion: '0.11.2',
  });
  const setup = buildTestSetup(plan, request, { name: 'jetson-vllm-qwen', memoryFloorBytes: 256 * MiB });
  const memory = (gib: number, elapsedMs: number): LaunchSessionEvent => ({
    type: 'memorySampled',
    availableBytes: gib * GiB,
    elapsedMs,
  });
  const processes = (rss: number, elapsedMs: number): LaunchSessionEvent => ({
    type: 'processesSampled',
    processes: [proc(812, 'ollama', rss)],
    elapsedMs,
  });
  const killed: LaunchSessionEvent = {
    type: 'serverExited',
    code: null,
    signal: 'SIGKILL',
    notStarted: null,
    elapsedMs: 3000,
  };

  it('a SIGKILL while ollama grew: the cause names ollama and how much it took; the fix is to stop it', () => {
    const s = replaySession(setup, [
      memory(13, 0),
      processes(0.3 * GiB, 0),
      memory(9, 1000),
      processes(4 * GiB, 1000),
      memory(6.5, 2000),
      processes(6.8 * GiB, 2000),
      killed,
    ]);
    const d = s.outcome?.diagnosis;
    expect(d?.cause).toContain('Something else took the memory (available memory fell from 13.00 GiB to 6.50 GiB)');
    expect(d?.cause).toContain('ollama (pid 812) grew by 6.50 GiB to 6.80 GiB');
    expect(d?.fix).toMatchObject({ kind: 'command', command: 'jetson-vllm doctor' });
    expect(d?.fix.explanation).toMatch(/^stop ollama \(kill 812/);
  });

  it("a SIGKILL the kernel reported with ollama in its task list: ollama named from the kernel's report", () => {
    const s = replaySession(setup, [
      memory(13, 0),
      {
        type: 'kernelLogRead',
        elapsedMs: 2900,
        lines: [
          '[ 81.0] Tasks state (memory values in pages):',
          '[ 81.0] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name',
          '[ 81.0] [    812]   998   812  2457612  1625292  14254080        0             0 ollama',
          '[ 81.1] Out of memory: Killed process 4321 (python3) total-vm:1kB, anon-rss:2048kB, file-rss:0kB',
        ],
      },
      killed,
    ]);
    expect(s.outcome?.diagnosis?.cause).toContain('ollama (pid 812) held 6.20 GiB');
  });
});
