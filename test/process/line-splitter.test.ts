/**
 * The bounded line splitter (src/process/line-splitter.ts): any chunking of any input gives the same lines
 * as node:readline's line ends on the whole input, no line is longer than the bound plus the marker, the
 * cut counts are exact, and the boundary holds: a line exactly at the bound is whole, one byte past is cut.
 */
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLineSplitter, formatCutMarker } from '../../src/process/line-splitter.js';

/** Lines of `input` (ends: \n, \r\n, lone \r) split in chunks of the given sizes. */
function split(
  input: Uint8Array,
  sizes: number[],
  bound: number,
): { lines: string[]; cut: { lines: number; bytes: number } } {
  const lines: string[] = [];
  const s = createLineSplitter((l) => lines.push(l), bound);
  let at = 0;
  for (const size of sizes) {
    if (at >= input.length) break;
    s.push(input.subarray(at, at + size));
    at += size;
  }
  if (at < input.length) s.push(input.subarray(at));
  s.end();
  return { lines, cut: { ...s.cut } };
}

/** The reference: whole lines as bytes (readline's ends), each cut at the bound on a character boundary. */
function reference(input: Uint8Array, bound: number): { lines: string[]; cut: { lines: number; bytes: number } } {
  const raw: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < input.length; i++) {
    const b = input[i];
    if (b === 0x0a || b === 0x0d) {
      raw.push(Buffer.from(input.subarray(start, i)));
      if (b === 0x0d && input[i + 1] === 0x0a) i += 1;
      start = i + 1;
    }
  }
  if (start < input.length) raw.push(Buffer.from(input.subarray(start)));
  const cut = { lines: 0, bytes: 0 };
  const lines = raw.map((line) => {
    if (line.length <= bound) return line.toString('utf8');
    let keep = bound;
    // back off over a character the bound splits
    let i = keep - 1;
    while (i >= 0 && i >= keep - 4 && ((line[i] ?? 0) & 0xc0) === 0x80) i -= 1;
    const lead = line[i] ?? 0;
    const len =
      lead >= 0xf0 && lead <= 0xf7 ? 4 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xc0 && lead < 0xe0 ? 2 : 1;
    if (i >= 0 && i >= keep - 4 && i + len > keep) keep = i;
    cut.lines += 1;
    cut.bytes += line.length - keep;
    return line.subarray(0, keep).toString('utf8') + formatCutMarker(line.length - keep);
  });
  return { lines, cut };
}

/** Bytes biased towards line ends and multi-byte UTF-8 (and invalid sequences). */
const bytesArb = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        Buffer.from('\n'),
        Buffer.from('\r'),
        Buffer.from('\r\n'),
        Buffer.from('é'),
        Buffer.from('€'),
        Buffer.from('😀'),
        Buffer.from([0xff]),
        Buffer.from([0x80]),
      ),
      fc.string({ maxLength: 20 }).map((t) => Buffer.from(t)),
      fc.uint8Array({ maxLength: 12 }).map((u) => Buffer.from(u)),
    ),
    { maxLength: 40 },
  )
  .map((parts) => new Uint8Array(Buffer.concat(parts)));

describe('createLineSplitter', () => {
  it('any chunking of any input gives the reference lines and exact counts', () => {
    fc.assert(
      fc.property(
        bytesArb,
        fc.array(fc.integer({ min: 1, max: 16 }), { maxLength: 60 }),
        fc.integer({ min: 4, max: 24 }),
        (input, sizes, bound) => {
          const expected = reference(input, bound);
          expect(split(input, sizes, bound)).toEqual(expected);
          expect(split(input, [input.length || 1], bound)).toEqual(expected);
          expect(
            split(
              input,
              Array.from({ length: input.length }, () => 1),
              bound,
            ),
          ).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('no line is longer than the bound plus the marker, in bytes', () => {
    fc.assert(
      fc.property(bytesArb, fc.integer({ min: 4, max: 24 }), (input, bound) => {
        for (const line of split(input, [7], bound).lines) {
          const body = line.replace(/… \[cut: \d+ more bytes\]$/, '');
          // U+FFFD for an invalid byte is 3 bytes in UTF-8 but stands for one: count the source bytes.
          expect(Buffer.byteLength(body.replace(/\uFFFD/g, '?'))).toBeLessThanOrEqual(bound);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with node:readline (crlfDelay: Infinity) on text without cut lines', async () => {
    const samples = [
      'a\nb\r\nc\rd\n\n\re',
      '\r\n\r\n',
      'x\r',
      '',
      'tail without end',
      'progress 10%\rprogress 50%\rprogress 100%\n',
    ];
    for (const text of samples) {
      const lines: string[] = [];
      const rl = createInterface({ input: Readable.from([Buffer.from(text)]), crlfDelay: Infinity });
      for await (const line of rl) lines.push(line);
      expect(split(Buffer.from(text), [1], 1024).lines, JSON.stringify(text)).toEqual(lines);
    }
  });

  it('boundary: a line exactly at the bound is whole; one byte past is cut, 1 byte counted', () => {
    const bound = 16;
    const exact = split(Buffer.from(`${'a'.repeat(bound)}\n`), [5], bound);
    expect(exact).toEqual({ lines: ['a'.repeat(bound)], cut: { lines: 0, bytes: 0 } });
    const past = split(Buffer.from(`${'a'.repeat(bound + 1)}\n`), [5], bound);
    expect(past).toEqual({ lines: [`${'a'.repeat(bound)}… [cut: 1 more bytes]`], cut: { lines: 1, bytes: 1 } });
    // The same at the end of the stream, with no line end.
    expect(split(Buffer.from('a'.repeat(bound + 1)), [3], bound).cut).toEqual({ lines: 1, bytes: 1 });
  });

  it('cuts before a character the bound would split, counting its bytes as dropped', () => {
    // 15 'a' then '€' (3 bytes): the bound 16 falls inside the euro sign.
    const r = split(Buffer.from(`${'a'.repeat(15)}€b\n`), [2], 16);
    expect(r.lines).toEqual([`${'a'.repeat(15)}… [cut: 4 more bytes]`]);
    expect(r.cut).toEqual({ lines: 1, bytes: 4 });
  });

  it('holds at most the bound: 64 MiB without a newline in 64 KiB chunks costs no more memory', () => {
    const lines: string[] = [];
    const s = createLineSplitter((l) => lines.push(l), 1024);
    const chunk = Buffer.alloc(64 * 1024, 0x78);
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 1024; i++) s.push(chunk);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
    s.push(Buffer.from('\nnext\n'));
    s.end();
    expect(lines).toEqual([`${'x'.repeat(1024)}${formatCutMarker(64 * 1024 * 1024 - 1024)}`, 'next']);
    expect(s.cut).toEqual({ lines: 1, bytes: 64 * 1024 * 1024 - 1024 });
  });

  it('binary input never throws and becomes U+FFFD', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(() => split(bytes, [3], 8)).not.toThrow();
      }),
    );
    expect(split(Buffer.from([0xff, 0xfe, 0x0a]), [1], 8).lines).toEqual(['\uFFFD\uFFFD']);
  });
});
