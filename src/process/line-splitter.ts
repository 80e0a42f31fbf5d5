/**
 * Splitting a child's output into lines in bounded memory: bytes go in as they arrive, whole lines come
 * out. A line longer than the bound keeps its first `maxLineBytes` bytes (cut on a UTF-8 character
 * boundary) and ends with a marker saying how many bytes were dropped; what is dropped is only counted,
 * never held, so a child printing gigabytes without a newline costs at most the bound. Line ends are
 * node:readline's with `crlfDelay: Infinity` (what spawnLines used before): `\n`, `\r\n` and a lone `\r`
 * (a progress bar's redraw) each end a line, a `\r\n` split across two chunks is one end. Bytes that are
 * not UTF-8 (a binary stream) become U+FFFD; nothing here throws on any input.
 */

/** The default bound of one line: far above any vLLM, tegrastats or docker line, far below a problem. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

/** What ends a cut line: how many bytes of it were dropped. */
export function formatCutMarker(droppedBytes: number): string {
  return `… [cut: ${droppedBytes} more bytes]`;
}

export interface LineSplitter {
  /** Hands over each line completed by `chunk`. */
  push(chunk: Uint8Array): void;
  /** The end of the stream: hands over a last line that had no line end (if it has any bytes). */
  end(): void;
  /** Lines cut so far and the bytes dropped from them. */
  readonly cut: { lines: number; bytes: number };
}

const LF = 0x0a;
const CR = 0x0d;

/** How many bytes the UTF-8 sequence that `lead` starts has (1 for a stray continuation or invalid byte). */
function computeSequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf7) return 4;
  if (lead >= 0xe0) return lead <= 0xef ? 3 : 1;
  if (lead >= 0xc0) return 2;
  return 1;
}

/** Where to cut `kept[0, length)` so that no UTF-8 character is split: `length`, or a little before. */
function findCharBoundary(kept: Uint8Array, length: number): number {
  // The last lead byte within the final 4 bytes: if its sequence runs past the end, cut before it.
  for (let i = length - 1; i >= 0 && i >= length - 4; i -= 1) {
    const b = kept[i] ?? 0;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte
    return i + computeSequenceLength(b) > length ? i : length;
  }
  return length;
}

/**
 * A splitter handing each line (without its line end) to `onLine`; a line over `maxLineBytes` bytes is
 * cut to at most that many bytes and ends with formatCutMarker(dropped).
 */
export function createLineSplitter(
  onLine: (line: string) => void,
  maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
): LineSplitter {
  const bound = Math.max(4, Math.floor(maxLineBytes));
  // Allocated on the first byte, at most the bound (a child that prints nothing costs nothing).
  let kept: Buffer | null = null;
  let keptLength = 0;
  let dropped = 0;
  let hasBytes = false;
  // A '\r' ended the last line: a '\n' right after it (even in the next chunk) is part of that end.
  let isAfterCr = false;
  const cut = { lines: 0, bytes: 0 };

  const emit = (): void => {
    let length = keptLength;
    let droppedBytes = dropped;
    if (droppedBytes > 0) {
      const boundary = findCharBoundary(kept ?? Buffer.alloc(0), keptLength);
      droppedBytes += length - boundary;
      length = boundary;
    }
    const text = kept === null ? '' : kept.toString('utf8', 0, length);
    keptLength = 0;
    dropped = 0;
    hasBytes = false;
    if (droppedBytes > 0) {
      cut.lines += 1;
      cut.bytes += droppedBytes;
      onLine(`${text}${formatCutMarker(droppedBytes)}`);
    } else onLine(text);
  };

  const append = (chunk: Uint8Array, from: number, to: number): void => {
    if (to <= from) return;
    hasBytes = true;
    const room = bound - keptLength;
    const take = Math.min(room, to - from);
    if (take > 0) {
      kept ??= Buffer.allocUnsafe(bound);
      kept.set(chunk.subarray(from, from + take), keptLength);
      keptLength += take;
    }
    dropped += to - from - take;
  };

  return {
    cut,
    push(chunk) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      let start = 0;
      // The next '\n' and '\r' (found natively: a gigabyte without either is scanned at memory speed).
      let nextLf = bytes.indexOf(LF, 0);
      let nextCr = bytes.indexOf(CR, 0);
      while (nextLf !== -1 || nextCr !== -1) {
        const i = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
        const b = bytes[i];
        if (b === LF && isAfterCr && i === start && !hasBytes) {
          // The '\n' of a '\r\n' whose '\r' already ended the line.
          isAfterCr = false;
        } else {
          append(bytes, start, i);
          emit();
          isAfterCr = b === CR;
        }
        start = i + 1;
        if (b === LF) nextLf = bytes.indexOf(LF, start);
        else nextCr = bytes.indexOf(CR, start);
      }
      if (start < bytes.length) {
        append(bytes, start, bytes.length);
        isAfterCr = false;
      }
    },
    end() {
      if (hasBytes) emit();
      isAfterCr = false;
    },
  };
}
