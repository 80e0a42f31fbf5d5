/**
 * The wrapper around execa (with spawn-lines.ts and spawn-detached.ts): run a command to completion
 * (never throws on a non-zero exit or a missing program). Argv arrays only, never a shell string.
 */

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
  // execa is loaded on first use: the wizard's first frame and `plan` never need it.
  const { execa } = await import('execa');
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
