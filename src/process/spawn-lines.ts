/**
 * The other half of the process wrapper (with exec.ts): a long-running child whose output is read line by line.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface LineStream {
  pid: number | undefined;
  /** Resolves when the child has exited and its output has been read (never rejects). */
  exited: Promise<{ exitCode: number | null; signal: string | null }>;
  /** SIGTERM, then SIGKILL after the grace period. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts a long-running child and hands each stdout (and stderr) line to `onLine` as it arrives, read
 * with node:readline on the raw pipe. Output is never buffered in memory. node:child_process, not execa:
 * execa's module graph is ~100 kB of code that the live panel would load, compile and keep for one spawn
 * (its start-up allocation alone wakes V8's memory reducer, two full GCs 8 s later); execa's own line
 * iteration also waits for the child to end on break and costs ~3× the CPU (reference perf-baseline.md §5).
 * Like execa's `cleanup`, the child is killed if this process exits while it runs.
 */
export function spawnLines(
  cmd: string,
  args: string[],
  onLine: (line: string, stream: 'stdout' | 'stderr') => void,
  options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {},
): LineStream {
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.env !== undefined ? { env: options.env } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  for (const [stream, name] of [
    [child.stdout, 'stdout'],
    [child.stderr, 'stderr'],
  ] as const) {
    if (stream === null) continue;
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    rl.on('line', (line) => onLine(line, name));
  }
  const killOnExit = (): void => {
    child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
    // 'close' comes after the exit and the end of stdout/stderr, so every line has been handed over.
    child.once('close', (exitCode: number | null, signal: NodeJS.Signals | null) =>
      resolve({ exitCode, signal: signal ?? null }),
    );
    // Not started (a missing program: ENOENT), or aborted through `signal`.
    child.once('error', () => {
      if (child.pid === undefined) resolve({ exitCode: null, signal: null });
    });
  }).finally(() => process.off('exit', killOnExit));
  // An aborted or failed child also ends with 'close' when it had started; never an unhandled 'error'.
  child.on('error', () => undefined);
  return {
    pid: child.pid,
    exited,
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
