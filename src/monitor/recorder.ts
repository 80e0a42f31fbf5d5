/**
 * `monitor --record FILE`: one write stream, appended to, so every sample is written once and in order. A
 * write that fills the stream's buffer hands back a promise for 'drain' (a replay waits on it: backpressure);
 * the first write error (a full disk, ENOSPC) is kept and reported once, and the monitor ends with it.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { describeFileError } from './core/monitor-options.js';
import { UserError } from '../shared/errors.js';

export interface Recorder {
  /** Writes one line; returns a promise for when more may be written, or null when it may be at once. */
  write(line: string): Promise<void> | null;
  /** Flushes and closes the file; resolves with the first error's text, or null when all was written. */
  close(): Promise<string | null>;
}

/** The error's one-line text: "--record: FILE: no space left on device". */
function formatRecordError(file: string, error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  // Opening for append creates the file: "no such file" can only mean its folder.
  const reason = e.code === 'ENOENT' ? 'its folder does not exist' : describeFileError(e.code, e.message);
  return `--record: ${file}: ${reason}`;
}

/**
 * Opens `file` for appending; rejects with a UserError (exit 1) when it cannot be opened (a missing folder, no
 * permission). `onError` hears the first write error afterwards.
 */
export function openRecorder(file: string, onError: (text: string) => void): Promise<Recorder> {
  return new Promise((resolve, reject) => {
    const stream: WriteStream = createWriteStream(file, { flags: 'a' });
    let failure: string | null = null;
    let waiting: Promise<void> | null = null;
    let wake: () => void = () => undefined;
    const recorder: Recorder = {
      write(line) {
        // After an error nothing more is written (the monitor is ending); none is left waiting either.
        if (failure !== null || stream.destroyed) return null;
        if (stream.write(line)) return null;
        waiting ??= new Promise<void>((done) => {
          wake = () => {
            waiting = null;
            done();
          };
          stream.once('drain', () => wake());
        });
        return waiting;
      },
      close() {
        return new Promise((done) => {
          // A failed stream is destroyed before it emits its error: read the error from the stream itself.
          const settle = (): void => {
            const error = stream.errored;
            if (failure === null && error !== null) failure = formatRecordError(file, error);
            done(failure);
          };
          if (stream.destroyed) settle();
          else stream.end(settle);
        });
      },
    };
    // Not stream.pending: the stream closes its fd before it emits an error, and would look unopened then.
    let isOpen = false;
    stream.once('open', () => {
      isOpen = true;
      resolve(recorder);
    });
    stream.on('error', (error) => {
      if (failure !== null) return;
      failure = formatRecordError(file, error);
      wake();
      // Not opened: the monitor has started nothing yet; a one-line error, exit 1.
      if (!isOpen) reject(new UserError(failure, undefined, 1));
      else onError(failure);
    });
  });
}
