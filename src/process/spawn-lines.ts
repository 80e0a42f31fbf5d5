/**
 * The other half of the execa wrapper: a long-running child whose output is read line by line.
 */
import { createInterface } from 'node:readline';
import { execa } from 'execa';

export interface LineStream {
  pid: number | undefined;
  /** Resolves when the child has exited (never rejects). */
  exited: Promise<{ exitCode: number | null; signal: string | null }>;
  /** SIGTERM, then SIGKILL after the grace period. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts a long-running child and hands each stdout (and stderr) line to `onLine` as it arrives, read
 * with node:readline on the raw stream (execa's own line iteration waits for the child to end on
 * break, and costs ~3× the CPU: reference perf-baseline.md §5). Output is never buffered in memory.
 */
export function spawnLines(
  cmd: string,
  args: string[],
  onLine: (line: string, stream: 'stdout' | 'stderr') => void,
  options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {},
): LineStream {
  const child = execa(cmd, args, {
    buffer: false,
    reject: false,
    stdin: 'ignore',
    ...(options.env !== undefined ? { env: options.env, extendEnv: false } : {}),
    ...(options.signal !== undefined ? { cancelSignal: options.signal } : {}),
  });
  for (const [stream, name] of [
    [child.stdout, 'stdout'],
    [child.stderr, 'stderr'],
  ] as const) {
    if (stream === null) continue;
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    rl.on('line', (line) => onLine(line, name));
  }
  const exited = child.then(
    (r) => ({ exitCode: r.exitCode ?? null, signal: r.signal ?? null }),
    () => ({ exitCode: null, signal: null }),
  );
  return {
    pid: child.pid,
    exited,
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
