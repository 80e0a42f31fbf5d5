/**
 * The other half of the process wrapper (with exec.ts): a long-running child whose output is read line by line.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { createLineSplitter, DEFAULT_MAX_LINE_BYTES } from './line-splitter.js';
import { isGroupAlive, signalGroup, stopGroup } from './process-group.js';

export interface LineStream {
  pid: number | undefined;
  /**
   * Resolves when the child has exited — a group leader: it and every process of its group — and its
   * output has been read (never rejects). A pipe still held by a process outside the group (one that left
   * it) is read for a moment more, then let go: the end never waits on it.
   */
  exited: Promise<{ exitCode: number | null; signal: string | null }>;
  /** SIGTERM (to the whole group for a group leader), then SIGKILL after the grace period. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (the whole group for a group leader): a second Ctrl-C during a stop. */
  kill(): void;
  /** Lines cut at the bound so far (formatCutMarker), and the bytes dropped from them. */
  readonly cut: { lines: number; bytes: number };
}

export interface SpawnLinesOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /**
   * Start the child as the leader of its own process group and session (setsid(2)): whatever it starts
   * (vLLM's engine core and workers) is stopped with it, a terminal's Ctrl-C or hang-up reaches only
   * this process (which stops the group, once), and an exit of this process kills the group.
   */
  isGroupLeader?: boolean;
  /** How long the group has, after its leader exited by itself, before what is left of it is killed. */
  orphanGraceMs?: number;
  /** The bound of one line in bytes (default 64 KiB); a longer line is cut with a marker. */
  maxLineBytes?: number;
}

/** After the child is gone, how long a pipe may stay quiet before it is let go… */
const DRAIN_QUIET_MS = 200;
/** …and how long it may keep talking at most (an escaped process that prints forever). */
const DRAIN_MAX_MS = 2000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a long-running child and hands each stdout (and stderr) line to `onLine` as it arrives, split
 * in bounded memory (line-splitter.ts: a line over the bound is cut and marked, binary never throws).
 * node:child_process, not execa: execa's module graph is ~100 kB of code that the live panel would load,
 * compile and keep for one spawn (its start-up allocation alone wakes V8's memory reducer, two full GCs
 * 8 s later); execa's own line iteration also waits for the child to end on break and costs ~3× the CPU
 * (reference perf-baseline.md §5). Like execa's `cleanup`, the child is killed if this process exits
 * while it runs (a group leader: its whole group, with SIGKILL — there is no time left for a grace).
 */
export function spawnLines(
  cmd: string,
  args: string[],
  onLine: (line: string, stream: 'stdout' | 'stderr') => void,
  options: SpawnLinesOptions = {},
): LineStream {
  const isGroup = options.isGroupLeader === true;
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: isGroup,
    ...(options.env !== undefined ? { env: options.env } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  const pid = child.pid;
  const cut = { lines: 0, bytes: 0 };
  let lastDataAt = Date.now();
  const streams: Readable[] = [];
  const closed: Promise<void>[] = [];
  for (const [stream, name] of [
    [child.stdout, 'stdout'],
    [child.stderr, 'stderr'],
  ] as const) {
    if (stream === null) continue;
    const splitter = createLineSplitter((line) => onLine(line, name), options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
    streams.push(stream);
    stream.on('data', (chunk: Buffer) => {
      lastDataAt = Date.now();
      const before = splitter.cut.lines;
      const beforeBytes = splitter.cut.bytes;
      splitter.push(chunk);
      cut.lines += splitter.cut.lines - before;
      cut.bytes += splitter.cut.bytes - beforeBytes;
    });
    // A pipe that breaks (or is let go below) ends like one that closed: its last line is handed over.
    stream.on('error', () => undefined);
    closed.push(
      new Promise<void>((resolve) =>
        stream.once('close', () => {
          const before = splitter.cut.lines;
          const beforeBytes = splitter.cut.bytes;
          splitter.end();
          cut.lines += splitter.cut.lines - before;
          cut.bytes += splitter.cut.bytes - beforeBytes;
          resolve();
        }),
      ),
    );
  }
  const pipesClosed = Promise.all(closed).then(() => true);

  let stopping: { done: Promise<unknown>; escalate(): void } | null = null;
  const killGroupOnExit = (): void => {
    if (pid !== undefined) signalGroup(pid, 'SIGKILL');
  };
  const killOnExit = (): void => {
    if (isGroup) killGroupOnExit();
    else child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);

  const leaderExited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (exitCode: number | null, signal: NodeJS.Signals | null) =>
      resolve({ exitCode, signal: signal ?? null }),
    );
    // Not started (a missing program: ENOENT), or aborted through `signal` before it started.
    child.once('error', () => {
      if (child.pid === undefined) resolve({ exitCode: null, signal: null });
    });
  });
  // An aborted or failed child also ends with 'exit' when it had started; never an unhandled 'error'.
  child.on('error', () => undefined);

  /** The pipes after the child is gone: read to their end, unless something else holds them open. */
  const drainPipes = async (): Promise<void> => {
    const deadline = Date.now() + DRAIN_MAX_MS;
    for (;;) {
      const isClosed = await Promise.race([pipesClosed, sleep(DRAIN_QUIET_MS / 4).then(() => false)]);
      if (isClosed) return;
      const now = Date.now();
      if (now - lastDataAt >= DRAIN_QUIET_MS || now >= deadline) break;
    }
    for (const stream of streams) stream.destroy();
    await pipesClosed;
  };

  const exited = (async () => {
    const result = await leaderExited;
    if (isGroup && pid !== undefined && isGroupAlive(pid)) {
      // The leader is gone but not its group (an engine core that outlives the API server): it is
      // stopped too — what is left of a vLLM without its API server only holds memory.
      stopping ??= stopGroup(pid, options.orphanGraceMs ?? 3000);
      await stopping.done;
    }
    if (pid !== undefined) await drainPipes();
    return result;
  })().finally(() => process.off('exit', killOnExit));

  const hasEnded = (): boolean =>
    pid === undefined || ((child.exitCode !== null || child.signalCode !== null) && (!isGroup || !isGroupAlive(pid)));

  return {
    pid,
    exited,
    cut,
    async stop(graceMs = 3000) {
      if (hasEnded() && stopping === null) {
        await exited;
        return;
      }
      if (stopping === null) {
        if (isGroup && pid !== undefined) stopping = stopGroup(pid, graceMs);
        else {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          const done = exited.finally(() => clearTimeout(timer));
          stopping = { done, escalate: () => child.kill('SIGKILL') };
        }
      }
      await exited;
    },
    kill() {
      if (stopping !== null) stopping.escalate();
      else if (isGroup && pid !== undefined) {
        stopping = stopGroup(pid, 0);
      } else child.kill('SIGKILL');
    },
  };
}
