/**
 * Every launch keeps its full log: `$XDG_STATE_HOME/jetson-vllm/logs/<server name>-<time>.log`, the
 * newest few per server name kept (core/log-files.ts), a recorded detached server's never removed.
 * Writing never blocks the launch: lines go to a stream; past a bound of unwritten bytes they are
 * dropped (and counted), and a write error is said once and ends the writing, not the launch.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { buildLogFileName, LOGS_KEPT, selectLogsToPrune } from './core/log-files.js';

/** Unwritten bytes past which lines are dropped rather than held (a disk far slower than vLLM). */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/** A launch's log file: its path, a line writer that never blocks nor throws, and its end. */
export interface LaunchLog {
  path: string;
  write(line: string): void;
  /** Flushes and closes (the count of dropped lines, if any, is the last line). */
  close(): Promise<void>;
}

/**
 * Creates this launch's log file (its own: never another start's), removes the same server's oldest
 * beyond LOGS_KEPT except those in `kept` (full paths of recorded servers' logs). Throws when the folder
 * or file cannot be made.
 */
export async function createLaunchLogFile(dir: string, name: string, kept: readonly string[] = []): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const now = new Date();
  let file = '';
  for (let n = 0; ; n++) {
    file = path.join(dir, buildLogFileName(name, now, n));
    try {
      await (await open(file, 'wx', 0o600)).close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 100) throw error;
    }
  }
  const keptNames = new Set(kept.filter((k) => path.dirname(k) === dir).map((k) => path.basename(k)));
  keptNames.add(path.basename(file));
  const files = await readdir(dir).catch(() => [] as string[]);
  // The new one counts among those kept.
  for (const old of selectLogsToPrune(files, name, LOGS_KEPT - 1, keptNames))
    await unlink(path.join(dir, old)).catch(() => undefined);
  return file;
}

/** Opens a writer on a log file created by createLaunchLogFile; `onError` is told once if writing fails. */
export function openLaunchLog(file: string, onError: (message: string) => void): LaunchLog {
  let stream: WriteStream | null = createWriteStream(file, { flags: 'a' });
  let dropped = 0;
  const fail = (error: Error): void => {
    if (stream === null) return;
    stream.destroy();
    stream = null;
    onError(`jetson-vllm: could not write the launch log ${file}: ${error.message} (the launch goes on without it)`);
  };
  stream.on('error', fail);
  return {
    path: file,
    write(line) {
      if (stream === null) return;
      if (stream.writableLength > MAX_PENDING_BYTES) {
        dropped++;
        return;
      }
      stream.write(`${line}\n`);
    },
    close() {
      const s = stream;
      if (s === null) return Promise.resolve();
      if (dropped > 0) s.write(`[jetson-vllm: ${dropped} lines were not written: the disk did not keep up]\n`);
      stream = null;
      return new Promise((resolve) => {
        s.once('error', () => resolve());
        s.end(() => resolve());
      });
    },
  };
}
