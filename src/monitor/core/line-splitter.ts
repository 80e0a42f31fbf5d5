/**
 * A bounded line splitter: text arrives in chunks of any size and comes out as whole lines ("\n" or "\r\n"
 * ended; a last line without a newline still counts), none longer than a bound. A longer line is cut at the
 * bound, marked and counted, and the rest of it up to its newline dropped, so memory stays O(bound) whatever
 * the input (a file of one endless line included). Pure.
 */

/** Appended to a line cut at the bound. */
export const LINE_CUT_MARKER = ' …[line cut]';

/** Longest replayed line kept whole, in characters (a tegrastats line is under 1 KiB). */
export const REPLAY_LINE_LIMIT = 64 * 1024;

/** A splitter fed chunk by chunk. */
export interface LineSplitter {
  /** Feeds one chunk; returns the lines it completed, in order. */
  push(chunk: string): string[];
  /** Ends the input; returns the last line when the input did not end with a newline. */
  end(): string[];
  /** Returns how many lines were cut so far. */
  countCutLines(): number;
}

/** Returns a splitter whose lines are at most `maxChars` characters (plus the marker when cut). */
export function createLineSplitter(maxChars: number): LineSplitter {
  const max = Math.max(1, Math.floor(maxChars));
  // The line so far: at most max + 1 characters (a trailing "\r" may be the first half of "\r\n").
  let pending = '';
  let isCutting = false;
  let cut = 0;

  const append = (piece: string): void => {
    if (isCutting || piece === '') return;
    pending += piece;
    // Past the bound for sure: more than max + 1 characters, or max + 1 of which the last is not a "\r".
    if (pending.length > max + 1 || (pending.length === max + 1 && !pending.endsWith('\r'))) {
      pending = pending.slice(0, max);
      isCutting = true;
    }
  };
  const finishLine = (): string => {
    let line: string;
    if (isCutting) {
      line = pending + LINE_CUT_MARKER;
      cut++;
    } else line = pending.endsWith('\r') ? pending.slice(0, -1) : pending;
    pending = '';
    isCutting = false;
    return line;
  };

  return {
    push(chunk) {
      const lines: string[] = [];
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf('\n', start);
        if (nl === -1) {
          append(start === 0 ? chunk : chunk.slice(start));
          return lines;
        }
        append(chunk.slice(start, nl));
        lines.push(finishLine());
        start = nl + 1;
      }
    },
    end() {
      return pending !== '' || isCutting ? [finishLine()] : [];
    },
    countCutLines: () => cut,
  };
}
