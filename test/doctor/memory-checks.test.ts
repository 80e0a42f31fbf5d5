/**
 * doctor names the real holder of memory (low MemAvailable, the largest processes, NvMap held by others — also
 * under --root, from the files) and sizes its swap fix to the board (largest local disk, not an SD card unless it
 * is the only one; idempotent steps); no vLLM fix on a board that cannot run vLLM.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { examineSystem } from '../../src/doctor/doctor-command.js';
import { buildSwapSteps, chooseSwapDisk, rankHolders, sizeSwapGiB } from '../../src/doctor/core/memory-checks.js';
import type { DiskFact } from '../../src/device/core/system-facts.js';
import { GiB, MiB } from '../../src/shared/units.js';
import { loadTestCatalog, ROOT } from '../helpers/catalog.js';
import { runCli } from '../helpers/cli.js';
import { recordedHost } from '../helpers/recorded-host.js';

const catalog = loadTestCatalog();
const root = (board: string): string => path.join(ROOT, 'test', 'fixtures', 'roots', board);

async function checksOf(board: string) {
  const { checks } = await examineSystem(recordedHost(board), catalog);
  const byId = (id: string) => {
    const c = checks.find((x) => x.id === id);
    if (c === undefined) throw new Error(`no check ${id}`);
    return c;
  };
  return byId;
}

describe('doctor: who holds the memory', () => {
  it('AGX Orin 64 GB under --root (files only): the memory held by others and the NvMap figure are named', () => {
    const r = runCli(['doctor', '--root', root('agx-orin-64gb-jp72')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'WARN  memory                 16.1 GiB of 61.3 GiB available: 45.2 GiB held by the OS and other processes; 29.0 GiB of it GPU memory (NvMapMemUsed)',
    );
    expect(r.stdout).toMatch(
      /^WARN {2}gpu-users {14}29\.0 GiB of GPU memory \(NvMapMemUsed\) is held by other processes \(47 % of 61\.3 GiB\)/m,
    );
    expect(r.stdout).not.toMatch(/SKIP {2}gpu-users/);
  });

  it('AGX Orin 64 GB with its process list: the largest holders by name', async () => {
    const byId = await checksOf('agx-orin-64gb-jp72');
    expect(byId('memory').status).toBe('warn');
    expect(byId('memory').summary).toContain('largest: VLLM::EngineCor 7.1 GiB, ollama 4.7 GiB, vllm 1.8 GiB');
    expect(byId('memory').fix).toContain('stop what you do not need of: VLLM::EngineCor 7.1 GiB, ollama 4.7 GiB');
  });

  it('the Orin NX 16 GB (the good board): memory passes', async () => {
    const byId = await checksOf('orin-nx-16gb-jp62');
    expect(byId('memory').status).toBe('pass');
  });

  it('rankHolders sums a name and sorts, whatever the list', () => {
    expect(
      rankHolders([
        { pid: 1, comm: 'ollama', args: '', rssBytes: 1 * GiB },
        { pid: 2, comm: 'ollama', args: '', rssBytes: 2 * GiB },
        { pid: 3, comm: 'Xorg', args: '', rssBytes: 100 * MiB },
      ]),
    ).toEqual([
      { name: 'ollama', rssBytes: 3 * GiB },
      { name: 'Xorg', rssBytes: 100 * MiB },
    ]);
    fc.assert(
      fc.property(
        fc.array(fc.record({ pid: fc.nat(), comm: fc.string(), args: fc.string(), rssBytes: fc.nat() })),
        (procs) => {
          const ranked = rankHolders(procs, 50);
          for (let i = 1; i < ranked.length; i++)
            expect(ranked[i - 1]?.rssBytes ?? 0).toBeGreaterThanOrEqual(ranked[i]?.rssBytes ?? 0);
          expect(ranked.reduce((s, h) => s + h.rssBytes, 0)).toBe(procs.reduce((s, p) => s + p.rssBytes, 0));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("doctor's swap fix, sized to the board", () => {
  it('the SD-card Orin Nano: a small file on the only disk, said to be slow, as idempotent steps', async () => {
    const byId = await checksOf('orin-nano-8gb-jp62');
    const swap = byId('swap');
    expect(swap.status).toBe('warn');
    expect(swap.summary).toContain(
      'the only disk is an SD card (8.5 GiB free on /): swap there is slow and wears the card',
    );
    expect(swap.fix).toBe(buildSwapSteps('/jetson-vllm.swap', 2));
    expect(swap.fix).not.toContain('/ssd');
    expect(swap.gain).toMatch(/^2 GiB of swap on \/ \(8\.5 GiB free\)/);
  });

  it('the AGX Orin (eMMC, 20.6 GiB free): sized to half its free space', async () => {
    const byId = await checksOf('agx-orin-64gb-jp72');
    expect(byId('swap').fix).toBe(buildSwapSteps('/jetson-vllm.swap', 10));
  });

  it('a Nano that cannot run vLLM: no swap fix', async () => {
    const byId = await checksOf('nano-jp46');
    expect(byId('swap').status).toBe('warn');
    expect(byId('swap').fix).toBeNull();
    expect(byId('swap').summary).toContain('vLLM cannot run on this board');
    expect(byId('memory').fix).toBeNull();
  });

  it('the fstab step run twice adds one line', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jv-fstab-'));
    const fstab = path.join(dir, 'fstab');
    writeFileSync(fstab, 'UUID=1 / ext4 defaults 0 1\n');
    const step = (buildSwapSteps('/ssd/jetson-vllm.swap', 8).split('\n')[2] ?? '')
      .replace(/^3\. /, '')
      .replaceAll('/etc/fstab', fstab)
      .replace('sudo tee', 'tee');
    for (let i = 0; i < 2; i++) execFileSync('bash', ['-c', step], { stdio: 'ignore' });
    expect(readFileSync(fstab, 'utf8')).toBe('UUID=1 / ext4 defaults 0 1\n/ssd/jetson-vllm.swap none swap sw 0 0\n');
  });

  it('the largest local disk that is not an SD card; never more than the RAM, 16 GiB or half the free space', () => {
    const disk = (target: string, availGiB: number, medium: DiskFact['medium']): DiskFact => ({
      path: target,
      source: target,
      target,
      availBytes: availGiB * GiB,
      sizeBytes: 100 * GiB,
      medium,
    });
    expect(
      chooseSwapDisk([disk('/', 40, 'sd-card'), disk('/ssd', 30, 'nvme'), disk('/data', 10, 'emmc')])?.target,
    ).toBe('/ssd');
    expect(chooseSwapDisk([disk('/', 40, 'sd-card')])).toBeNull();
    fc.assert(
      fc.property(fc.nat({ max: 4096 }), fc.integer({ min: 1, max: 128 }), (freeGiB, ramGiB) => {
        const size = sizeSwapGiB(freeGiB * GiB, ramGiB * GiB);
        expect(size).toBeLessThanOrEqual(Math.min(16, ramGiB, freeGiB / 2));
        expect(Number.isInteger(size)).toBe(true);
      }),
    );
  });
});

describe('doctor --model (built CLI)', () => {
  it("checks available memory against the chosen model's plan: on the busy AGX Orin it does not fit now", () => {
    const r = runCli(['doctor', '--root', root('agx-orin-64gb-jp72'), '--model', 'qwen2.5-14b-instruct']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^WARN {2}memory {17}16\.1 GiB of 61\.3 GiB available: .*; qwen2\.5-14b-instruct bf16 \(as planned\) needs \d+\.\d GiB \(weights and vLLM's runtime\): it does not fit now$/m,
    );
  });

  it('a model larger than the board: no process to stop, a smaller variant', () => {
    const r = runCli(['doctor', '--root', root('orin-nx-16gb-jp62'), '--model', 'qwen2.5-14b-instruct']);
    expect(r.stdout).toMatch(/needs \d+\.\d GiB \(weights and vLLM's runtime\): more than the board's 15\.3 GiB/);
    expect(r.stdout).toContain(
      'fix:   a smaller model or quantization: jetson-vllm models --device <this board> lists what fits',
    );
  });
});
