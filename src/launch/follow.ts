/**
 * Following a growing log file (a detached native server's): each complete line is handed over as it is
 * written, read in chunks by polling (no watcher that holds the process open), never all in memory.
 */
import { open } from 'node:fs/promises';

export interface FileFollower {
  /** Reads what is left, hands over a last unterminated line, and stops. */
  stop(): Promise<void>;
}

const CHUNK = 64 * 1024;

/**
 * Follows `file` from its start (`fromStart`) or from its last `tailLines` lines; a file that does not
 * exist yet is waited for.
 */
export function followFile(
  file: string,
  onLine: (line: string) => void,
  o: { fromStart?: boolean; tailLines?: number; intervalMs?: number } = {},
): FileFollower {
  let offset = -1;
  let partial = '';
  let isStopped = false;
  let busy: Promise<void> = Promise.resolve();
  const emit = (text: string): void => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  };
  const readMore = async (): Promise<void> => {
    const handle = await open(file, 'r').catch(() => null);
    if (handle === null) return;
    try {
      const { size } = await handle.stat();
      if (offset < 0) {
        offset = 0;
        if (o.fromStart !== true && size > 0) {
          // Start at the last `tailLines` lines (default none: only what is written from now on).
          const want = o.tailLines ?? 0;
          const from = Math.max(0, size - CHUNK * 4);
          const buf = Buffer.alloc(size - from);
          await handle.read(buf, 0, buf.length, from);
          const lines = buf.toString('utf8').split('\n');
          if (lines.at(-1) === '') lines.pop();
          const kept = want > 0 ? lines.slice(-want) : [];
          for (const line of kept) onLine(line);
          offset = size;
        }
      }
      if (size < offset) offset = 0; // truncated: a new start
      while (offset < size) {
        const length = Math.min(CHUNK, size - offset);
        const buf = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buf, 0, length, offset);
        if (bytesRead <= 0) break;
        offset += bytesRead;
        emit(buf.subarray(0, bytesRead).toString('utf8'));
      }
    } finally {
      await handle.close();
    }
  };
  const tick = (): void => {
    busy = busy.then(readMore).catch(() => undefined);
  };
  const timer = setInterval(tick, o.intervalMs ?? 150);
  tick();
  return {
    async stop() {
      if (isStopped) return;
      isStopped = true;
      clearInterval(timer);
      tick();
      await busy;
      if (partial !== '') {
        onLine(partial);
        partial = '';
      }
    },
  };
}
