/**
 * vLLM's GPU share, as the pure decisions on nvidia-smi's per-process CSV and the nvmap clients table: property
 * tests (any table written in the format reads back; the sum is over vLLM's pids only, and "not listed" is never
 * read as 0) and the real formats.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COMPUTE_APPS_ARGS,
  formatGpuShare,
  parseComputeApps,
  parseNvmapClients,
  sumGpuShare,
} from '../../../src/monitor/core/gpu-share.js';

const pidArb = fc.integer({ min: 1, max: 4_194_304 });
const rowsArb = fc.uniqueArray(fc.record({ pid: pidArb, mib: fc.integer({ min: 0, max: 131_072 }) }), {
  selector: (r) => r.pid,
  maxLength: 20,
});

describe('parseComputeApps', () => {
  it('reads back every "pid, MiB" row nvidia-smi writes, as bytes', () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        const text = rows.map((r) => `${r.pid}, ${r.mib}`).join('\n') + (rows.length > 0 ? '\n' : '');
        const read = parseComputeApps(text);
        expect(read.size).toBe(rows.length);
        for (const r of rows) expect(read.get(r.pid)).toBe(r.mib * 1024 * 1024);
      }),
    );
  });

  it('leaves out rows without a figure ("[N/A]"), and anything that is not a row', () => {
    const read = parseComputeApps('4242, 5120\n4243, [N/A]\nNo running processes found\n\n');
    expect([...read]).toEqual([[4242, 5120 * 1024 * 1024]]);
    expect(COMPUTE_APPS_ARGS).toEqual(['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits']);
  });

  it('never throws, and never yields a negative or unsafe figure, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        for (const bytes of parseComputeApps(text).values()) {
          expect(bytes).toBeGreaterThanOrEqual(0);
          expect(Number.isSafeInteger(bytes)).toBe(true);
        }
      }),
    );
  });
});

describe('parseNvmapClients', () => {
  it('reads back every client row of the table (any unit), leaving out the header and the total', () => {
    const units = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as const;
    const unitArb = fc.constantFrom<keyof typeof units>('B', 'K', 'M', 'G');
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ pid: pidArb, size: fc.integer({ min: 0, max: 4_000_000 }), unit: unitArb }), {
          selector: (r) => r.pid,
          maxLength: 15,
        }),
        (rows) => {
          const text = [
            'CLIENT                        PROCESS      PID        SIZE',
            ...rows.map((r) => `user                          python3 ${String(r.pid).padStart(8)} ${r.size}${r.unit}`),
            `total ${rows.length}K`,
            '',
          ].join('\n');
          const read = parseNvmapClients(text);
          expect(read.size).toBe(rows.length);
          for (const r of rows) expect(read.get(r.pid)).toBe(r.size * units[r.unit]);
        },
      ),
    );
  });

  it('sums a process listed twice', () => {
    const read = parseNvmapClients('user pt_main_thread 4242 1024K\nuser pt_main_thread 4242 1024K\ntotal 2048K\n');
    expect(read.get(4242)).toBe(2 * 1024 * 1024);
  });
});

describe('sumGpuShare', () => {
  it('sums only the vLLM pids that are listed; null when none is (never 0 for "not listed")', () => {
    fc.assert(
      fc.property(rowsArb, fc.array(pidArb, { maxLength: 8 }), (rows, extra) => {
        const table = new Map(rows.map((r) => [r.pid, r.mib * 1024 * 1024]));
        const pids = [...rows.slice(0, 3).map((r) => r.pid), ...extra];
        const listed = [...new Set(pids)].filter((p) => table.has(p));
        const sum = sumGpuShare(table, pids);
        if (listed.length === 0) expect(sum).toBeNull();
        else expect(sum).toBe(listed.reduce((t, p) => t + (table.get(p) ?? 0), 0));
      }),
    );
  });
});

describe('formatGpuShare', () => {
  it('says the figure and where it comes from, or that it needs root', () => {
    expect(formatGpuShare({ kind: 'bytes', bytes: 3.2 * 1024 ** 3, from: 'nvidia-smi' })).toBe(
      'vLLM GPU 3.2 GiB (nvidia-smi per process)',
    );
    expect(formatGpuShare({ kind: 'bytes', bytes: 1.5 * 1024 ** 3, from: 'nvmap' })).toBe(
      'vLLM GPU 1.5 GiB (nvmap clients)',
    );
    expect(formatGpuShare({ kind: 'needsRoot' })).toBe('vLLM GPU share: needs root (nvmap clients are in debugfs)');
  });
});
