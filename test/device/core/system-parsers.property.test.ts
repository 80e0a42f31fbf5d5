/**
 * Property tests for the system parsers: none throws on any text (NULs, newlines, tabs and the characters the
 * formats care about mixed in), and each structured format round-trips from generated values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareL4t, expectedCudaForL4t, lookupJetpack, parseL4tVersion } from '../../../src/device/core/jetpack.js';
import {
  classifyDockerError,
  parseCompatible,
  parseCudaVersionJson,
  parseCudaVersionTxt,
  parseCudartFileName,
  parseDeviceTreeStrings,
  parseDf,
  parseDockerInfoJson,
  parseDpkgVersion,
  parseIdGroups,
  parseMeminfo,
  parseNvccVersion,
  parseNvidiaSmiGpuCsv,
  parseNvpmodelQuery,
  parseNvTegraRelease,
  parseOsRelease,
  parseProcMounts,
  parseProcSwaps,
  parsePs,
  parseSystemctlGetDefault,
  parseSystemctlIsActive,
  parseVllmVersionOutput,
} from '../../../src/device/core/system-parsers.js';

const RUNS = { numRuns: 200 };
const KiB = 1024;

/** Text built from the pieces the formats are made of, so that near-misses are common. */
const formatish = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom(
        '\0',
        '\n',
        '\r\n',
        '\t',
        ' ',
        ',',
        ', ',
        ':',
        '=',
        '"',
        '{',
        '}',
        '[N/A]',
        'nvidia,',
        'p3767-0003',
        '+',
        'tegra234',
        '# R',
        ' (release), REVISION: ',
        'NV Power Mode',
        '[1]',
        'kB',
        '\\040',
        '/dev/zram0',
        'partition',
        'file',
        '36.4.3',
        '0.11.2',
        '__proto__',
        'constructor',
      ),
      fc.nat({ max: 100000 }).map(String),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''));

/** Any string, full Unicode, with NULs and line breaks likely. */
const anyText = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), formatish);

const textParsers: [string, (text: string) => unknown][] = [
  ['parseDeviceTreeStrings', parseDeviceTreeStrings],
  ['parseCompatible', parseCompatible],
  ['parseNvTegraRelease', parseNvTegraRelease],
  ['parseDpkgVersion', parseDpkgVersion],
  ['parseCudaVersionJson', parseCudaVersionJson],
  ['parseCudaVersionTxt', parseCudaVersionTxt],
  ['parseNvccVersion', parseNvccVersion],
  ['parseCudartFileName', parseCudartFileName],
  ['parseMeminfo', parseMeminfo],
  ['parseProcSwaps', parseProcSwaps],
  ['parseNvpmodelQuery', parseNvpmodelQuery],
  ['parseNvidiaSmiGpuCsv', parseNvidiaSmiGpuCsv],
  ['parseDockerInfoJson', parseDockerInfoJson],
  ['classifyDockerError', classifyDockerError],
  ['parseIdGroups', parseIdGroups],
  ['parseSystemctlGetDefault', parseSystemctlGetDefault],
  ['parsePs', parsePs],
  ['parseDf', parseDf],
  ['parseProcMounts', parseProcMounts],
  ['parseVllmVersionOutput', parseVllmVersionOutput],
  ['parseOsRelease', parseOsRelease],
  ['parseL4tVersion', parseL4tVersion],
  ['lookupJetpack', lookupJetpack],
  ['expectedCudaForL4t', expectedCudaForL4t],
];

describe('every parser', () => {
  it.each(textParsers)('%s never throws', (_name, parse) => {
    fc.assert(
      fc.property(anyText, (text) => {
        parse(text);
      }),
      RUNS,
    );
  });

  it('parseSystemctlIsActive and compareL4t never throw, and map every unit', () => {
    fc.assert(
      fc.property(anyText, fc.array(fc.string(), { maxLength: 6 }), anyText, (text, units, other) => {
        const states = parseSystemctlIsActive(text, units);
        for (const unit of units) expect(typeof states[unit]).toBe('string');
        expect(Number.isNaN(compareL4t(text, other))).toBe(false);
      }),
      RUNS,
    );
  });

  it('parseDockerInfoJson never throws on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        parseDockerInfoJson(JSON.stringify(value));
        parseCudaVersionJson(JSON.stringify(value));
      }),
      RUNS,
    );
  });

  it('numbers from /proc parsers are safe, non-negative integers', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        for (const value of Object.values(parseMeminfo(text)))
          expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
        for (const s of parseProcSwaps(text)) expect(Number.isSafeInteger(s.sizeBytes) && s.sizeBytes >= 0).toBe(true);
        for (const p of parsePs(text)) expect(Number.isSafeInteger(p.rssBytes) && p.rssBytes >= 0).toBe(true);
        for (const d of parseDf(text)) expect(Number.isSafeInteger(d.availBytes)).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('round trips', () => {
  const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_()]{0,15}$/);
  const kib = fc.nat({ max: 2 ** 40 });

  it('meminfo lines read back as kB × 1024; unit-less lines only for HugePages_* counts (others were cut off)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(key, kib, fc.boolean(), fc.boolean()), { selector: ([k]) => k, maxLength: 20 }),
        (rows) => {
          // A unit-less row is a HugePages_ count when `isCount`, else a truncated line that must be dropped.
          const named = rows.map(
            ([k, v, hasUnit, isCount]) => [!hasUnit && isCount ? `HugePages_${k}` : k, v, hasUnit] as const,
          );
          const text = named
            .map(([k, v, hasUnit]) => `${`${k}:`.padEnd(16)}${String(v).padStart(8)}${hasUnit ? ' kB' : ''}`)
            .join('\n');
          const expected = Object.fromEntries(
            named
              .filter(([k, , hasUnit]) => hasUnit || k.startsWith('HugePages_'))
              .map(([k, v, hasUnit]) => [k, hasUnit ? v * KiB : v]),
          );
          expect(parseMeminfo(text)).toEqual(expected);
        },
      ),
      RUNS,
    );
  });

  it('/proc/swaps tables read back, escapes decoded and kinds classified', () => {
    const swapName = fc.oneof(
      fc.nat({ max: 15 }).map((i) => `/dev/zram${i}`),
      fc.stringMatching(/^\/dev\/(nvme0n1p|mmcblk0p|sda)[1-9]$/),
      fc.stringMatching(/^\/[a-z]{1,8}( [a-z]{1,8})?\/[a-z0-9]{1,8}\.swap$/),
    );
    const row = fc.record({
      name: swapName,
      isFile: fc.boolean(),
      sizeKiB: kib,
      usedKiB: kib,
      priority: fc.integer({ min: -100, max: 32767 }),
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 12 }), (rows) => {
        const lines = rows.map((r) => {
          const escaped = r.name.replaceAll(' ', '\\040');
          const pad = ' '.repeat(Math.max(1, 40 - escaped.length));
          return `${escaped}${pad}${r.isFile ? 'file\t' : 'partition'}\t${r.sizeKiB}\t\t${r.usedKiB}\t\t${r.priority}`;
        });
        const text = ['Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority', ...lines].join('\n');
        expect(parseProcSwaps(text)).toEqual(
          rows.map((r) => ({
            name: r.name,
            kind: r.name.startsWith('/dev/zram') ? 'zram' : r.isFile ? 'file' : 'partition',
            sizeBytes: r.sizeKiB * KiB,
            usedBytes: r.usedKiB * KiB,
            priority: r.priority,
          })),
        );
      }),
      RUNS,
    );
  });

  it('nv_tegra_release first lines read back as major.minor.patch', () => {
    const part = fc.nat({ max: 999 });
    fc.assert(
      fc.property(
        part,
        part,
        part,
        fc.constantFrom('t186ref', 't210ref', 'generic'),
        fc.boolean(),
        fc.boolean(),
        (major, minor, patch, board, hash, extraLines) => {
          const line = `${hash ? '# ' : ''}R${major} (release), REVISION: ${minor}.${patch}, GCID: 41844464, BOARD: ${board}, EABI: aarch64, DATE: Fri Aug 22 00:55:42 UTC 2025`;
          const text = extraLines ? `${line}\n# KERNEL_VARIANT: oot\nTARGET_USERSPACE_LIB_DIR=nvidia\n` : line;
          const l4t = `${major}.${minor}.${patch}`;
          expect(parseNvTegraRelease(text)).toEqual({ l4t, board });
          expect(parseL4tVersion(l4t)).toEqual([major, minor, patch]);
          expect(compareL4t(l4t, `${major}.${minor}.${patch}`)).toBe(0);
        },
      ),
      RUNS,
    );
  });

  it('nvidia-smi CSV rows read back, with random N/A fields as null', () => {
    const na = fc.constantFrom('[N/A]', '[Not Supported]', 'N/A', '[Unknown Error]', 'Not Supported');
    const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<{ value: T } | { na: string }> =>
      fc.oneof(
        arb.map((value) => ({ value })),
        na.map((text) => ({ na: text })),
      );
    const gpu = fc.record({
      name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ()-]{0,30}[A-Za-z0-9)]$/).filter((n) => n.toLowerCase() !== 'name'),
      memory: maybe(fc.nat({ max: 200000 })),
      cc: maybe(fc.tuple(fc.nat({ max: 12 }), fc.nat({ max: 9 })).map(([a, b]) => `${a}.${b}`)),
      driver: maybe(fc.array(fc.nat({ max: 999 }), { minLength: 1, maxLength: 3 }).map((p) => p.join('.'))),
    });
    const show = (f: { value: unknown } | { na: string }): string => ('na' in f ? f.na : String(f.value));
    fc.assert(
      fc.property(fc.array(gpu, { maxLength: 8 }), fc.boolean(), (gpus, header) => {
        const rows = gpus.map((g) => [g.name, show(g.memory), show(g.cc), show(g.driver)].join(', '));
        if (header) rows.unshift('name, memory.total [MiB], compute_cap, driver_version');
        expect(parseNvidiaSmiGpuCsv(`${rows.join('\n')}\n`)).toEqual(
          gpus.map((g) => ({
            name: g.name,
            memoryTotalMiB: 'na' in g.memory ? null : g.memory.value,
            computeCapability: 'na' in g.cc ? null : g.cc.value,
            driverVersion: 'na' in g.driver ? null : g.driver.value,
          })),
        );
      }),
      RUNS,
    );
  });

  it('df output reads back under its header, mount points with spaces included', () => {
    const bytes = fc.nat({ max: Number.MAX_SAFE_INTEGER });
    const entry = fc.record({
      source: fc.stringMatching(/^(\/dev\/[a-z0-9]{1,10}|tmpfs|overlay)$/),
      target: fc.stringMatching(/^\/([A-Za-z0-9_.-]{1,10}( [A-Za-z0-9_.-]{1,10})?)?(\/[A-Za-z0-9_.-]{1,10}){0,3}$/),
      availBytes: bytes,
      sizeBytes: bytes,
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 10 }), (entries) => {
        const lines = entries.map(
          (e) =>
            `${e.source.padEnd(15)} ${e.target.padEnd(20)} ${String(e.availBytes).padStart(14)} ${String(e.sizeBytes).padStart(14)}`,
        );
        const text = ['Filesystem      Mounted on                    Avail      1B-blocks', ...lines].join('\n');
        expect(parseDf(text)).toEqual(entries);
      }),
      RUNS,
    );
  });

  it('ps lines read back with RSS in bytes', () => {
    const proc = fc.record({
      pid: fc.integer({ min: 1, max: 4194304 }),
      rssKiB: fc.nat({ max: 2 ** 36 }),
      comm: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,15}$/),
      args: fc.stringMatching(/^(\S+( \S+){0,4})?$/),
    });
    fc.assert(
      fc.property(fc.array(proc, { maxLength: 10 }), (procs) => {
        const text = procs
          .map((p) => `${String(p.pid).padStart(7)} ${String(p.rssKiB).padStart(6)} ${p.comm.padEnd(15)} ${p.args}`)
          .join('\n');
        expect(parsePs(text)).toEqual(
          procs.map((p) => ({ pid: p.pid, rssBytes: p.rssKiB * KiB, comm: p.comm, args: p.args })),
        );
      }),
      RUNS,
    );
  });

  it('compatible lists give their module, carrier and SoC, with or without NULs', () => {
    const pNumber = fc
      .tuple(fc.nat({ max: 9999 }), fc.nat({ max: 9999 }))
      .map(([board, sku]) => `p${String(board).padStart(4, '0')}-${String(sku).padStart(4, '0')}`);
    const soc = fc.constantFrom('210', '186', '194', '234', '264');
    fc.assert(
      fc.property(pNumber, pNumber, soc, fc.boolean(), (carrier, module, chip, keepNuls) => {
        const entries = [`nvidia,${carrier}+${module}`, `nvidia,${module}`, `nvidia,tegra${chip}`];
        const text = keepNuls ? `${entries.join('\0')}\0` : entries.join('');
        expect(parseCompatible(text)).toEqual({ moduleParts: [module], carrier, soc: `t${chip}`, entries });
      }),
      RUNS,
    );
  });

  it('L4T comparison is a consistent order and lookupJetpack is exact only on table rows', () => {
    const l4t = fc
      .tuple(fc.constantFrom(32, 34, 35, 36, 38, 39), fc.nat({ max: 8 }), fc.nat({ max: 8 }))
      .map(([a, b, c]) => `${a}.${b}.${c}`);
    fc.assert(
      fc.property(l4t, l4t, (a, b) => {
        // Antisymmetric: the two signs add up to zero (written as a sum so -0 and +0 compare equal).
        expect(Math.sign(compareL4t(a, b)) + Math.sign(compareL4t(b, a))).toBe(0);
        const found = lookupJetpack(a);
        if (found !== null && !found.isExact) {
          expect(lookupJetpack(a.replace(/\.0$/, ''))).toEqual(found);
        }
      }),
      RUNS,
    );
  });
});
