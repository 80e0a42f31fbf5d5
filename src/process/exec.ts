/**
 * The one wrapper around execa: run a command to completion (never throws on a non-zero exit or a
 * missing program). Argv arrays only, never a shell string.
 */
import { createInterface } from 'node:readline';
import { execa } from 'execa';

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** null when the program could not be started or was killed by the timeout. */
  exitCode: number | null;
  /** The program does not exist on PATH. */
  isNotFound: boolean;
  isTimedOut: boolean;
}

/** Runs `cmd args…` with a timeout (SIGTERM, then SIGKILL after a grace period). */
export async function run(
  cmd: string,
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  const result = await execa(cmd, args, {
    reject: false,
    timeout: options.timeoutMs ?? 5000,
    forceKillAfterDelay: 1000,
    stdin: 'ignore',
    ...(options.env !== undefined ? { env: options.env, extendEnv: false } : {}),
  });
  const code = (result as { code?: string }).code;
  return {
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    exitCode: result.exitCode ?? null,
    isNotFound: code === 'ENOENT',
    isTimedOut: result.timedOut,
  };
}

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
