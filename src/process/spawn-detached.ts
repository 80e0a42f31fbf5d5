/**
 * The third part of the process wrapper (with exec.ts and spawn-lines.ts): a child that outlives this
 * process — in its own session (setsid(2), so its process group can be signalled as one), its output
 * written straight into an open file, never killed when this process exits.
 */
import { execa } from 'execa';

export interface DetachedChild {
  pid: number | undefined;
  /** Resolves when the child has exited, if this process is still there to see it (never rejects). */
  exited: Promise<{ exitCode: number | null; signal: string | null }>;
}

/**
 * Starts `cmd args…` detached, stdout and stderr into the open file `outputFd` (the caller may close its
 * own copy at once), stdin ignored; this process does not wait for it to exit. Throws only when the
 * child cannot be spawned at all.
 */
export function spawnDetached(cmd: string, args: string[], options: { outputFd: number }): DetachedChild {
  // execa's types take a file descriptor only as a number literal; at run time any open one works.
  const fd = options.outputFd as 3;
  const child = execa(cmd, args, {
    detached: true,
    stdin: 'ignore',
    stdout: fd,
    stderr: fd,
    reject: false,
    cleanup: false,
  });
  child.unref();
  return {
    pid: child.pid,
    exited: child.then(
      (r) => ({ exitCode: r.exitCode ?? null, signal: r.signal ?? null }),
      () => ({ exitCode: null, signal: null }),
    ),
  };
}
