/**
 * Property tests for the live panel's per-tick pieces: the bar, the sparkline and the truncation are written for
 * speed (they run every tick for hours), and must give exactly what the plain versions below give, for any input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildBar, buildSparkline, truncateVisible } from '../../../src/monitor/core/panel.js';

const RUNS = { numRuns: 5_000 };
const SPARKS = '▁▂▃▄▅▆▇█';

/** The plain versions (an array of cells; map and join; one character at a time). */
function plainBar(used: number, total: number, width: number, marks: { at: number; ch: string }[] = []): string {
  const cells: string[] = Array.from({ length: width }, (_, i) =>
    total > 0 && i < Math.round((used / total) * width) ? '█' : '·',
  );
  for (const m of marks) {
    const i = Math.min(width - 1, Math.max(0, Math.round((m.at / Math.max(total, 1)) * width) - 1));
    cells[i] = m.ch;
  }
  return cells.join('');
}

function plainSparkline(values: (number | null)[], width: number, max?: number): string {
  const shown = values.slice(-width);
  const top = max ?? Math.max(1e-9, ...shown.map((v) => v ?? 0));
  return shown
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      const i = Math.min(SPARKS.length - 1, Math.max(0, Math.round((v / top) * (SPARKS.length - 1))));
      return SPARKS[i] ?? ' ';
    })
    .join('');
}

function plainTruncate(line: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] ?? '';
    if (ch === '\u001b') {
      const end = line.indexOf('m', i);
      if (end !== -1) {
        out += line.slice(i, end + 1);
        i = end;
        continue;
      }
    }
    if (visible >= width) continue;
    out += ch;
    visible++;
  }
  return out;
}

/** Any number, the odd ones often. */
const anyNumber = fc.oneof(
  fc.double(),
  fc.integer({ min: -50, max: 200 }),
  fc.constantFrom(0, -0, 0.5, 1e-9, Number.NaN, Infinity, -Infinity),
);
const width = fc.oneof(fc.integer({ min: 0, max: 120 }), fc.constantFrom(-3, -1, 0.5, 2.5, 7.9, Number.NaN));

describe('panel pieces (fast = plain)', () => {
  it('buildBar', () => {
    const mark = fc.record({ at: anyNumber, ch: fc.constantFrom('▲', '|', '', 'ab') });
    fc.assert(
      fc.property(anyNumber, anyNumber, width, fc.array(mark, { maxLength: 3 }), (used, total, w, marks) => {
        expect(buildBar(used, total, w, marks)).toBe(plainBar(used, total, w, marks));
        expect(buildBar(used, total, w)).toBe(plainBar(used, total, w));
      }),
      RUNS,
    );
  });

  it('buildSparkline', () => {
    const values = fc.array(fc.oneof(anyNumber, fc.constant(null)), { maxLength: 80 });
    fc.assert(
      fc.property(values, width, fc.option(anyNumber, { nil: undefined }), (vs, w, max) => {
        expect(buildSparkline(vs, w, max)).toBe(plainSparkline(vs, w, max));
      }),
      RUNS,
    );
  });

  it('truncateVisible', () => {
    // Text with SGR sequences, stray escapes and "m"s, wide and surrogate characters.
    const piece = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom('\u001b[31m', '\u001b[0m', '\u001b[2m', '\u001b', 'm', '█', '°C', '😀', ' '),
    );
    const line = fc.array(piece, { maxLength: 20 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(line, width, (l, w) => {
        expect(truncateVisible(l, w)).toBe(plainTruncate(l, w));
      }),
      RUNS,
    );
  });
});
