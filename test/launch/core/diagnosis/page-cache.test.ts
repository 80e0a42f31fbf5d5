/**
 * The page cache and zram as the cause of an OOM kill: their figures read from /proc/meminfo and /proc/swaps (the
 * fixture boards' own files), kept by the start evidence, and the diagnosis that names them, with figures, when the
 * plan had headroom, vLLM stayed within it and no process grew; the fix drops the caches (or replaces zram) and
 * launches the same plan, never a smaller KV cache. A board whose page cache is small never gets that cause. The
 * zram reader of the launch, on the fixture roots; a launch session fed both figures.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMeminfo, parseProcSwaps } from '../../../../src/device/core/system-parsers.js';
import { diagnose } from '../../../../src/launch/core/diagnosis/diagnose.js';
import {
  computePageCacheBytes,
  computeZramUsedBytes,
  createStartEvidence,
  observeAvailableMemory,
  observeZram,
  parseZramMemUsedBytes,
} from '../../../../src/launch/core/diagnosis/evidence.js';
import {
  DROP_CACHES,
  buildKillEvidence,
  findPageCacheCause,
  findZramCause,
  hasLargeHeadroom,
} from '../../../../src/launch/core/diagnosis/kill.js';
import type { KillEvidence } from '../../../../src/launch/core/diagnosis/types.js';
import { createZramReader } from '../../../../src/launch/evidence.js';
import { initialLogState } from '../../../../src/launch/core/log/state.js';
import type { LaunchSessionEvent } from '../../../../src/launch/core/session.js';
import { GiB, MiB, formatGiB } from '../../../../src/shared/units.js';
import { loadTestCatalog, requestAndPlanFor } from '../../../helpers/catalog.js';
import { buildTestSetup, replaySession } from '../../../helpers/launch-session.js';

const catalog = loadTestCatalog();
const ROOTS = path.join(import.meta.dirname, '..', '..', '..', 'fixtures', 'roots');
const read = (root: string, file: string): string => readFileSync(path.join(ROOTS, root, 'proc', file), 'utf8');

/** The planner's own plan of issue 14 (V1, --swap-space 0, gigabytes to spare). */
const { request, plan } = requestAndPlanFor({
  device: 'orin-nx-16gb',
  model: 'qwen2-7b-instruct',
  quant: 'awq',
  vllmVersion: '0.11.2',
});
const killedWith = (evidence: KillEvidence) =>
  diagnose({ kind: 'oom-killed', line: 'Killed', figures: {}, evidence }, request, plan, catalog);

describe('the page cache and zram, from the fixture boards', () => {
  it('page cache = Cached + Buffers − Shmem of the Orin NX whose RAM is full of page cache', () => {
    const m = parseMeminfo(read('orin-nx-16gb-jp62-pagecache', 'meminfo'));
    // 10764880 + 41908 − 21476 kB.
    expect(computePageCacheBytes(m)).toBe(10785312 * 1024);
    expect(formatGiB(computePageCacheBytes(m) ?? 0)).toBe('10.29 GiB');
    expect(computePageCacheBytes({ MemAvailable: 1 })).toBeNull();
    // tmpfs larger than the cache (a truncated read): never negative.
    expect(computePageCacheBytes({ Cached: 1 * MiB, Shmem: 2 * MiB })).toBe(0);
  });

  it("the kernel's own definitions: Cached counts tmpfs & shmem, which Shmem is; Buffers are raw disk blocks", () => {
    const doc = readFileSync(path.join(ROOTS, '..', 'upstream', 'kernel-meminfo.txt'), 'utf8').replace(/\s+/g, ' ');
    expect(doc).toContain(
      'Cached In-memory cache for files read from the disk (the pagecache) as well as tmpfs & shmem.',
    );
    expect(doc).toContain('Shmem Total memory used by shared memory (shmem) and tmpfs');
    expect(doc).toContain('Buffers Relatively temporary storage for raw disk blocks');
    // A Cached that is all tmpfs and shared memory holds no page cache drop_caches could free.
    expect(computePageCacheBytes({ Cached: 512 * MiB, Buffers: 0, Shmem: 512 * MiB })).toBe(0);
  });

  it("zram use: the Used column of /proc/swaps' zram devices; null on a board without zram", () => {
    // Orin Nano 8GB, JetPack 6: six zram devices of nvzramconfig.
    expect(computeZramUsedBytes(parseProcSwaps(read('orin-nano-8gb-jp62', 'swaps')))).toBe(
      (28176 + 28160 + 28168 + 28172 + 28180 + 28168) * 1024,
    );
    expect(computeZramUsedBytes(parseProcSwaps('Filename\tType\tSize\tUsed\tPriority\n'))).toBeNull();
  });

  it("the launch's reader, under --root: the zram of the fixture board, none on a board with a swap file", () => {
    // The fixture has no /sys/block/zram*: the RAM zram takes is not known.
    expect(createZramReader(path.join(ROOTS, 'xavier-nx-jp51'))()).toEqual({
      usedBytes: (27480 + 27452 + 27488 + 27472 + 27500 + 27472) * 1024,
      ramBytes: null,
    });
    expect(createZramReader(path.join(ROOTS, 'orin-nx-16gb-jp62-pagecache'))()).toBeNull();
    expect(createZramReader(path.join(ROOTS, 'no-such-board'))()).toBeNull();
  });

  it("mm_stat's mem_used_total is the RAM zram takes; every device's summed, unknown when one is unreadable", () => {
    // orig_data_size compr_data_size mem_used_total mem_limit mem_used_max same_pages pages_compacted huge_pages
    expect(parseZramMemUsedBytes('115048448 29914453 31326208 0 31326208 3117 0 0\n')).toBe(31326208);
    expect(parseZramMemUsedBytes('115048448 29914453')).toBeNull();
    expect(parseZramMemUsedBytes('')).toBeNull();
    const root = mkdtempSync(path.join(os.tmpdir(), 'jv-zram-'));
    try {
      mkdirSync(path.join(root, 'proc'));
      cpSync(path.join(ROOTS, 'xavier-nx-jp51', 'proc', 'swaps'), path.join(root, 'proc', 'swaps'));
      for (let i = 0; i < 6; i++) {
        mkdirSync(path.join(root, 'sys', 'block', `zram${i}`), { recursive: true });
        writeFileSync(
          path.join(root, 'sys', 'block', `zram${i}`, 'mm_stat'),
          `28139520 9379840 ${10 * MiB} 0 ${10 * MiB} 12 0 0\n`,
        );
      }
      expect(createZramReader(root)()?.ramBytes).toBe(60 * MiB);
      rmSync(path.join(root, 'sys', 'block', 'zram5', 'mm_stat'));
      expect(createZramReader(root)()?.ramBytes).toBeNull();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('the start evidence keeps the last page cache and zram figures, and the kill evidence carries them', () => {
    let e = observeAvailableMemory(createStartEvidence(), 14 * GiB, 10 * GiB);
    e = observeAvailableMemory(e, 9 * GiB, 6.1 * GiB);
    // A read without a Cached line keeps the figure before it.
    e = observeAvailableMemory(e, 8 * GiB, null);
    e = observeZram(e, { usedBytes: 2 * GiB, ramBytes: 0.7 * GiB });
    expect(e.pageCacheBytes).toBe(6.1 * GiB);
    expect(buildKillEvidence(initialLogState(), null, e).memory).toEqual({
      firstBytes: 14 * GiB,
      lowestBytes: 8 * GiB,
      pageCacheBytes: 6.1 * GiB,
      zramUsedBytes: 2 * GiB,
      zramRamBytes: 0.7 * GiB,
    });
  });
});

describe('an OOM kill the page cache or zram explains', () => {
  const headroom = plan.budget.headroomBytes;

  it('the plan left gigabytes to spare', () => {
    expect(hasLargeHeadroom(plan)).toBe(true);
    expect(headroom).toBeGreaterThan(4 * GiB);
  });

  it('the page cache held more than the plan left to spare: named with figures, the fix drops the caches', () => {
    const pageCache = headroom + 1.5 * GiB;
    const d = killedWith({ memory: { firstBytes: 14 * GiB, lowestBytes: 6 * GiB, pageCacheBytes: pageCache } });
    expect(d.cause).toContain(
      `This plan predicted ${formatGiB(plan.budget.totalBytes)} of ${formatGiB(plan.budget.limitBytes)}, ${formatGiB(headroom)} to spare, vLLM stayed within it and no other process grew (available memory fell from 14.00 GiB to 6.00 GiB). The page cache held ${formatGiB(pageCache)} when vLLM was killed, more than the ${formatGiB(headroom)} to spare; a Jetson's GPU allocations do not wait for it to be reclaimed. Halving the KV cache would not address it.`,
    );
    expect(d.fix).toEqual({
      kind: 'command',
      command: 'sync && echo 3 | sudo tee /proc/sys/vm/drop_caches',
      explanation: `free the page cache (${formatGiB(pageCache)}), then launch the same plan again`,
    });
    expect(DROP_CACHES).toBe('sync && echo 3 | sudo tee /proc/sys/vm/drop_caches');
  });

  it("the fixture board's 10.29 GiB page cache, exact", () => {
    const pageCache = 10785312 * 1024;
    const d = killedWith({ memory: { firstBytes: null, lowestBytes: null, pageCacheBytes: pageCache } });
    expect(d.cause).toContain('The page cache held 10.29 GiB when vLLM was killed');
    expect(d.cause).not.toContain('available memory fell');
    expect(d.fix.explanation).toBe('free the page cache (10.29 GiB), then launch the same plan again');
  });

  it('zram took more RAM than the plan left to spare: named with both figures, the fix replaces zram with a disk swap file', () => {
    const ram = headroom + 0.5 * GiB;
    const used = 2.5 * ram;
    const d = killedWith({
      memory: {
        firstBytes: 20 * GiB,
        lowestBytes: 11 * GiB,
        pageCacheBytes: 0.4 * GiB,
        zramUsedBytes: used,
        zramRamBytes: ram,
      },
    });
    expect(d.cause).toContain(
      `zram held ${formatGiB(used)} of swapped memory in ${formatGiB(ram)} of RAM when vLLM was killed, more than the ${formatGiB(headroom)} to spare: zram keeps what it swaps in RAM itself, compressed, and swap never holds GPU memory (CUDA memory is pinned). Halving the KV cache would not address it.`,
    );
    expect(d.fix).toEqual({
      kind: 'command',
      command: 'jetson-vllm doctor',
      explanation:
        "disable zram (sudo systemctl disable nvzramconfig, then reboot) and use a disk swap file (jetson-vllm doctor sizes one to this board's disk), then launch the same plan again",
    });
  });

  it("zram's RAM at the headroom is named, one byte under it is not; its RAM unread, the swapped size alone is not", () => {
    const at = (ramBytes: number | undefined): KillEvidence => ({
      memory: {
        firstBytes: 20 * GiB,
        lowestBytes: 11 * GiB,
        zramUsedBytes: 3 * headroom,
        ...(ramBytes === undefined ? {} : { zramRamBytes: ramBytes }),
      },
    });
    expect(findZramCause(plan, at(headroom))).toEqual({ usedBytes: 3 * headroom, ramBytes: headroom });
    expect(findZramCause(plan, at(headroom - 1))).toBeNull();
    expect(findZramCause(plan, at(undefined))).toBeNull();
    expect(killedWith(at(headroom - 1)).cause).not.toContain('zram held');
  });

  it('precedence: a process that grew is named first, then vLLM past its plan; the page cache only after them', () => {
    const memory = { firstBytes: 14 * GiB, lowestBytes: 6 * GiB, pageCacheBytes: headroom + 2 * GiB };
    const grown = killedWith({
      memory,
      processes: [{ name: 'ollama', pid: 812, grewBytes: 6.2 * GiB, rssBytes: 6.5 * GiB }],
    });
    expect(grown.cause).toContain('Something else took the memory');
    expect(grown.cause).not.toContain('page cache held');
    const weights = plan.budget.items.find((i) => i.key === 'weights')?.bytes ?? 0;
    const over = killedWith({ memory, measured: { weightsBytes: weights + 3 * GiB } });
    expect(over.cause).toContain('vLLM grew past its plan');
    expect(over.cause).not.toContain('page cache held');
  });

  it('a small page cache, or one under the headroom, keeps the honest "elsewhere" text', () => {
    for (const pageCache of [0.5 * GiB, headroom - 1 * GiB]) {
      const d = killedWith({
        memory: { firstBytes: 14 * GiB, lowestBytes: 6 * GiB, pageCacheBytes: pageCache, zramUsedBytes: 0.2 * GiB },
      });
      expect(d.cause).toContain('the memory went elsewhere');
      expect(d.fix).toMatchObject({ kind: 'command', command: 'jetson-vllm doctor' });
    }
  });

  it('property: a page cache under 1 GiB or under the headroom (or zram under 1 GiB) never gets that cause', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: 20 * 1024 }), { nil: null }),
        fc.option(fc.integer({ min: 0, max: 20 * 1024 }), { nil: null }),
        (share, isTiny, firstMiB, lowestMiB) => {
          // Under 1 GiB, or under the headroom the plan left.
          const pageCache = Math.floor(isTiny ? share * (1 * GiB - 1) : share * (headroom - 1));
          const evidence: KillEvidence = {
            memory: {
              firstBytes: firstMiB === null ? null : firstMiB * MiB,
              lowestBytes: lowestMiB === null ? null : lowestMiB * MiB,
              pageCacheBytes: pageCache,
              // zram under 1 GiB is never the cause either.
              ...(isTiny ? { zramUsedBytes: pageCache } : {}),
            },
          };
          expect(findPageCacheCause(plan, evidence)).toBeNull();
          const d = killedWith(evidence);
          expect(d.cause).not.toContain('page cache held');
          expect(d.cause).not.toContain('zram held');
          expect(d.fix.kind === 'command' ? d.fix.command : null).not.toBe(DROP_CACHES);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('a launch session fed the page cache', () => {
  const small = requestAndPlanFor({
    device: 'orin-nx-16gb',
    model: 'qwen2.5-0.5b-instruct',
    quant: 'bf16',
    vllmVersion: '0.11.2',
  });
  const setup = buildTestSetup(small.plan, small.request, { name: 'jetson-vllm-qwen', memoryFloorBytes: 256 * MiB });
  const memory = (gib: number, cacheGiB: number, elapsedMs: number): LaunchSessionEvent => ({
    type: 'memorySampled',
    availableBytes: gib * GiB,
    pageCacheBytes: cacheGiB * GiB,
    elapsedMs,
  });

  it('MemAvailable falls, nothing grows, the page cache stays full: the SIGKILL is put on the page cache', () => {
    const cache = small.plan.budget.headroomBytes / GiB + 0.5;
    const s = replaySession(setup, [
      memory(14, cache, 0),
      { type: 'processesSampled', processes: [], zram: null, elapsedMs: 0 },
      memory(8, cache, 1000),
      { type: 'serverExited', code: null, signal: 'SIGKILL', notStarted: null, elapsedMs: 2000 },
    ]);
    const d = s.outcome?.diagnosis;
    expect(d?.cause).toContain(`The page cache held ${formatGiB(cache * GiB)} when vLLM was killed`);
    expect(d?.cause).toContain('available memory fell from 14.00 GiB to 8.00 GiB');
    expect(d?.fix).toMatchObject({ kind: 'command', command: DROP_CACHES });
  });
  it('zram filled while vLLM started (read with the processes): the SIGKILL is put on zram', () => {
    // zram's RAM (mm_stat's mem_used_total) the first whole GiB over the headroom: it alone explains the kill.
    const ram = Math.ceil(small.plan.budget.headroomBytes / GiB) * GiB;
    const zram = 3 * ram;
    const s = replaySession(setup, [
      memory(14, 0.3, 0),
      { type: 'processesSampled', processes: [], zram: { usedBytes: 0, ramBytes: 0 }, elapsedMs: 0 },
      memory(8, 0.3, 1000),
      { type: 'processesSampled', processes: [], zram: { usedBytes: zram, ramBytes: ram }, elapsedMs: 1000 },
      { type: 'serverExited', code: null, signal: 'SIGKILL', notStarted: null, elapsedMs: 2000 },
    ]);
    const d = s.outcome?.diagnosis;
    expect(d?.cause).toContain(
      `zram held ${formatGiB(zram)} of swapped memory in ${formatGiB(ram)} of RAM when vLLM was killed, more than the ${formatGiB(small.plan.budget.headroomBytes)} to spare`,
    );
    expect(d?.fix.explanation).toMatch(/^disable zram \(sudo systemctl disable nvzramconfig, then reboot\)/);
  });
});
