/**
 * The bounded line splitter (replay's reader): any chunking of any input gives the lines the plain model gives
 * (split on "\n", one "\r" before it dropped, a longer line cut at the bound and marked), the bound is kept,
 * and the count of cut lines is exact. Boundaries: a line exactly at the bound, one past it, "\r\n" across chunks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLineSplitter, LINE_CUT_MARKER } from '../../../src/monitor/core/line-splitter.js';

/** The plain model: the whole input at once. */
function plainLines(input: string, max: number): { lines: string[]; cut: number } {
  if (input === '') return { lines: [], cut: 0 };
  const parts = input.split('\n');
  if (parts.at(-1) === '') parts.pop();
  let cut = 0;
  const lines = parts.map((p) => {
    const line = p.endsWith('\r') ? p.slice(0, -1) : p;
    if (line.length <= max) return line;
    cut++;
    return line.slice(0, max) + LINE_CUT_MARKER;
  });
  return { lines, cut };
}

/** The input cut at the given positions. */
function chunksOf(input: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let prev = 0;
  for (const c of at) {
    chunks.push(input.slice(prev, c));
    prev = c;
  }
  chunks.push(input.slice(prev));
  return chunks;
}

function splitAll(chunks: string[], max: number): { lines: string[]; cut: number } {
  const splitter = createLineSplitter(max);
  const lines: string[] = [];
  for (const c of chunks) lines.push(...splitter.push(c));
  lines.push(...splitter.end());
  return { lines, cut: splitter.countCutLines() };
}

// Text made mostly of line ends and CRs, so that every boundary case comes up often.
const text = fc
  .array(fc.constantFrom('a', 'b', 'é', '\r', '\n', '\r\n', 'xyz', '😀'), { maxLength: 80 })
  .map((parts) => parts.join(''));

describe('createLineSplitter', () => {
  it('any chunking of any input gives the plain model’s lines and cut count', () => {
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 1, max: 8 }), (input, cuts, max) => {
        expect(splitAll(chunksOf(input, cuts), max)).toEqual(plainLines(input, max));
      }),
      { numRuns: 5_000 },
    );
  });

  it('every line is at most the bound (plus the marker when cut)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer({ min: 1, max: 20 }),
        (s, cuts, max) => {
          for (const line of splitAll(chunksOf(s, cuts), max).lines) {
            const body = line.endsWith(LINE_CUT_MARKER) ? line.slice(0, -LINE_CUT_MARKER.length) : line;
            expect(body.length).toBeLessThanOrEqual(max);
          }
        },
      ),
    );
  });

  it('a line exactly at the bound is whole; one character past it is cut and counted', () => {
    expect(splitAll(['abcd\n'], 4)).toEqual({ lines: ['abcd'], cut: 0 });
    expect(splitAll(['abcd\r\n'], 4)).toEqual({ lines: ['abcd'], cut: 0 });
    expect(splitAll(['abcd\r', '\n'], 4)).toEqual({ lines: ['abcd'], cut: 0 });
    expect(splitAll(['abcd'], 4)).toEqual({ lines: ['abcd'], cut: 0 });
    expect(splitAll(['abcde\n'], 4)).toEqual({ lines: [`abcd${LINE_CUT_MARKER}`], cut: 1 });
    expect(splitAll(['abcd', 'e'], 4)).toEqual({ lines: [`abcd${LINE_CUT_MARKER}`], cut: 1 });
    expect(splitAll(['abcd\r', 'e\nok\n'], 4)).toEqual({ lines: [`abcd${LINE_CUT_MARKER}`, 'ok'], cut: 1 });
  });

  it('one endless line in many chunks keeps only the bound', () => {
    const splitter = createLineSplitter(10);
    for (let i = 0; i < 10_000; i++) expect(splitter.push('x'.repeat(1000))).toEqual([]);
    expect(splitter.push('\nnext\n')).toEqual([`${'x'.repeat(10)}${LINE_CUT_MARKER}`, 'next']);
    expect(splitter.end()).toEqual([]);
    expect(splitter.countCutLines()).toBe(1);
  });

  it('empty input gives no line; a lone newline gives one empty line', () => {
    expect(splitAll([], 4)).toEqual({ lines: [], cut: 0 });
    expect(splitAll(['', ''], 4)).toEqual({ lines: [], cut: 0 });
    expect(splitAll(['\n'], 4)).toEqual({ lines: [''], cut: 0 });
  });
});
