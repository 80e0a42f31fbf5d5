/** Runs the stand-in `vllm` (test/fixtures/bin/vllm) and the built CLI with it on PATH, reading every line. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createServer as createHttpServer, type Server } from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './catalog.js';
import { TEST_HOME } from './home.js';

export const BIN = path.join(ROOT, 'test', 'fixtures', 'bin');
export const STANDIN = path.join(BIN, 'vllm');
export const CLI_JS = path.join(ROOT, 'bin', 'jetson-vllm.js');
export const STANDIN_BANNER = '[stand-in vllm for tests]';

/** A child whose stdout and stderr lines are collected in arrival order, each with its stream and time. */
export interface Followed {
  child: ChildProcess;
  lines: { text: string; stream: 'stdout' | 'stderr'; atMs: number }[];
  /** Resolves with how the child ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once a line contains `text` (rejects after `timeoutMs`, or when the child ends without it). */
  waitForLine(text: string, timeoutMs?: number): Promise<void>;
  /** All lines, joined with '\n'. */
  text(): string;
}

/** Starts `command args` with exactly `env` (plus nothing) and follows its output. */
export function follow(command: string, args: string[], env: NodeJS.ProcessEnv): Followed {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const started = performance.now();
  const lines: Followed['lines'] = [];
  const waiters: { text: string; resolve: () => void }[] = [];
  let hasEnded = false;
  const onLine = (text: string, stream: 'stdout' | 'stderr'): void => {
    lines.push({ text, stream, atMs: performance.now() - started });
    for (const w of [...waiters]) {
      if (text.includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const closed = [child.stdout, child.stderr].map((s, i) => {
    const rl = createInterface({ input: s, crlfDelay: Infinity });
    rl.on('line', (l) => onLine(l, i === 0 ? 'stdout' : 'stderr'));
    return new Promise<void>((resolve) => rl.on('close', resolve));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      void Promise.all(closed).then(() => {
        hasEnded = true;
        resolve({ code, signal });
      });
    });
  });
  const text = (): string => lines.map((l) => l.text).join('\n');
  return {
    child,
    lines,
    exited,
    text,
    waitForLine(wanted, timeoutMs = 10_000) {
      if (lines.some((l) => l.text.includes(wanted))) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line with ${JSON.stringify(wanted)} in ${timeoutMs} ms:\n${text()}`)),
          timeoutMs,
        );
        waiters.push({
          text: wanted,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        void exited.then(() => {
          if (!hasEnded || lines.some((l) => l.text.includes(wanted))) return;
          clearTimeout(timer);
          reject(new Error(`exited without a line with ${JSON.stringify(wanted)}:\n${text()}`));
        });
      });
    },
  };
}

/** The stand-in `vllm` with these arguments and environment (PATH kept). */
export function followStandin(args: string[], env: Record<string, string> = {}): Followed {
  return follow(STANDIN, args, { PATH: process.env.PATH, ...env });
}

/** The built CLI with the stand-ins first on PATH and a private HOME, plus `env`. */
export function followCli(args: string[], env: Record<string, string> = {}): Followed {
  return follow(process.execPath, [CLI_JS, ...args], {
    PATH: `${BIN}:${process.env.PATH ?? ''}`,
    HOME: TEST_HOME,
    ...env,
  });
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether a process with this id still exists (signal 0 probes without sending anything). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Polls `check` every 20 ms until it holds (true) or `timeoutMs` passes (false). */
export async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

/**
 * An HTTP server answering as a vLLM serving `model` would (/health 200, /v1/models listing it), on
 * 127.0.0.1:`port`: another server that must never pass for ours. Resolves once it listens.
 */
export function startImpostorServer(port: number, model: string): Promise<Server> {
  const server = createHttpServer((req, res) => {
    if (req.url === '/health') res.writeHead(200).end();
    else if (req.url === '/v1/models')
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [{ id: model }] }));
    else res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
