/**
 * Real-terminal harness: runs the built CLI (bin/jetson-vllm.js) in a pseudo-terminal (node-pty) and
 * renders what it writes in a headless xterm of the same size, so tests read the screen a user sees.
 * See test/e2e/README.md.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import xtermHeadless from '@xterm/headless';

// @xterm/headless is CommonJS: take Terminal off the default export (named imports fail under Node ESM).
const { Terminal } = xtermHeadless;

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(ROOT, 'bin', 'jetson-vllm.js');
export const BUNDLE = path.join(ROOT, 'bin', 'dist', 'cli.js');

/** Key names press() understands; anything else is written as literal text. */
export const KEYS = {
  enter: '\r',
  esc: '\u001b',
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
} as const;
export type KeyName = keyof typeof KEYS;

export type ScreenPredicate = ((screen: string) => boolean) | string | RegExp;

/** How often waitFor reads the screen. */
export const POLL_MS = 25;
/**
 * How long the predicate must keep holding before waitFor resolves. Ink draws a frame on commit but
 * attaches key handlers (and switches the tty to raw mode) in effects that run a few milliseconds
 * later; a key sent in between is lost or goes to the previous screen's list (see README.md).
 */
export const SETTLE_MS = 50;
const EXIT_GRACE_MS = 100;

export interface WaitOptions {
  /** How long the predicate must hold before resolving (default SETTLE_MS); 0 resolves on the first match. */
  settleMs?: number;
}

export interface StartOptions {
  cols?: number;
  rows?: number;
  /** Added to the child's environment (PATH, HOME, XDG_CONFIG_HOME, TERM are set by the harness). */
  env?: Record<string, string>;
  /** Run bin/jetson-vllm.js itself, as an installed `jetson-vllm` is (node found through its shebang). */
  asInstalled?: boolean;
}

export interface Exit {
  exitCode: number;
  signal: number | undefined;
}

export interface CliSession {
  /** The visible rows, right-trimmed, joined with '\n'. */
  screen(): string;
  /**
   * The whole buffer (scrollback and screen) as logical lines: a line the terminal wrapped because it
   * was longer than the width is joined back into one (Ink's own line breaks stay).
   */
  lines(): string[];
  /** Everything the child wrote so far, escape sequences included. */
  raw(): string;
  /**
   * Resolves with the screen once `predicate` has held for `settleMs` (polled every POLL_MS); rejects
   * on timeout (or when the child exited without it) with the screen in the message.
   */
  waitFor(predicate: ScreenPredicate, timeoutMs?: number, options?: WaitOptions): Promise<string>;
  /** Writes one key (a name from KEYS, or literal text) as one pty write, i.e. one key press for Ink. */
  press(key: KeyName | (string & {})): void;
  resize(cols: number, rows: number): void;
  exited: Promise<Exit>;
  /** True once the child has exited. */
  hasExited(): boolean;
  pid: number;
  /** The temporary HOME and XDG_CONFIG_HOME of this session. */
  home: string;
  configHome: string;
  kill(signal?: string): void;
  /** Kills the child if it runs, waits for it, and removes the temporary folders. */
  dispose(): Promise<void>;
}

/** Every session started and not yet disposed, so afterEach can clean up after a failed test. */
const live = new Set<CliSession>();

function toMatcher(predicate: ScreenPredicate): (screen: string) => boolean {
  if (typeof predicate === 'string') return (s) => s.includes(predicate);
  if (predicate instanceof RegExp) return (s) => predicate.test(s);
  return predicate;
}

function describe(predicate: ScreenPredicate): string {
  if (typeof predicate === 'string') return JSON.stringify(predicate);
  if (predicate instanceof RegExp) return String(predicate);
  return predicate.name !== '' ? `predicate ${predicate.name}` : 'predicate';
}

export function startCli(args: string[], options: StartOptions = {}): CliSession {
  const cols = options.cols ?? 80;
  const rows = options.rows ?? 24;
  const home = mkdtempSync(path.join(os.tmpdir(), 'jetson-vllm-e2e-home-'));
  const configHome = mkdtempSync(path.join(os.tmpdir(), 'jetson-vllm-e2e-config-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: configHome,
    TERM: 'xterm-256color',
    ...options.env,
  };

  const term = new Terminal({ cols, rows, allowProposedApi: true, scrollback: 1000 });
  const [file, argv] = options.asInstalled === true ? [CLI, args] : [process.execPath, [CLI, ...args]];
  const child = pty.spawn(file, argv, { name: 'xterm-256color', cols, rows, cwd: ROOT, env });

  let raw = '';
  let pending = 0; // term.write calls xterm has not yet parsed
  let hasExited = false;
  child.onData((data) => {
    raw += data;
    pending += 1;
    term.write(data, () => {
      pending -= 1;
    });
  });
  const exited = new Promise<Exit>((resolve) => {
    child.onExit(({ exitCode, signal }) => {
      hasExited = true;
      resolve({ exitCode, signal });
    });
  });

  const screen = (): string => {
    const buffer = term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < term.rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
    return lines.join('\n');
  };

  const lines = (): string[] => {
    const buffer = term.buffer.active;
    const out: string[] = [];
    for (let y = 0; y < buffer.length; y++) {
      const line = buffer.getLine(y);
      if (line === undefined) continue;
      // A wrapped row continues the previous one: keep its trailing blanks, they are part of the text.
      const text = line.translateToString(!(buffer.getLine(y + 1)?.isWrapped ?? false));
      if (line.isWrapped && out.length > 0) out[out.length - 1] += text;
      else out.push(text);
    }
    return out;
  };

  const waitFor = (predicate: ScreenPredicate, timeoutMs = 10_000, options: WaitOptions = {}): Promise<string> => {
    const matches = toMatcher(predicate);
    const settleMs = options.settleMs ?? SETTLE_MS;
    const started = Date.now();
    let matchedSince: number | null = null;
    let last = '';
    let lastRawLength = -1;
    let quietSince = started;
    return new Promise<string>((resolve, reject) => {
      const tick = (): void => {
        const now = Date.now();
        // Read only when xterm has parsed every chunk received so far, so the screen is not half-drawn.
        if (pending === 0) {
          const s = screen();
          if (s !== last || raw.length !== lastRawLength) {
            last = s;
            lastRawLength = raw.length;
            quietSince = now;
          }
          // Resolve once the predicate has held for settleMs (a live screen that keeps redrawing
          // settles too, as long as what is asked for stays on it).
          if (matches(s)) {
            matchedSince ??= now;
            if (now - matchedSince >= settleMs) {
              resolve(s);
              return;
            }
          } else {
            matchedSince = null;
            // Output can trail the exit a little: give up once the child is gone and the screen is still.
            if (hasExited && now - quietSince >= EXIT_GRACE_MS) {
              reject(new Error(`the CLI exited while waiting for ${describe(predicate)}; screen:\n${s}`));
              return;
            }
          }
        }
        if (now - started >= timeoutMs) {
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${describe(predicate)}; screen:\n${screen()}`));
          return;
        }
        setTimeout(tick, POLL_MS);
      };
      tick();
    });
  };

  const session: CliSession = {
    screen,
    lines,
    raw: () => raw,
    waitFor,
    press(key) {
      child.write(Object.hasOwn(KEYS, key) ? KEYS[key as KeyName] : key);
    },
    resize(c, r) {
      child.resize(c, r);
      term.resize(c, r);
    },
    exited,
    hasExited: () => hasExited,
    pid: child.pid,
    home,
    configHome,
    kill(signal) {
      if (!hasExited) child.kill(signal);
    },
    async dispose() {
      live.delete(session);
      if (!hasExited) {
        child.kill('SIGKILL');
        await exited;
      }
      // Let xterm finish what it was given before it goes.
      await new Promise<void>((resolve) => term.write('', resolve));
      term.dispose();
      rmSync(home, { recursive: true, force: true });
      rmSync(configHome, { recursive: true, force: true });
    },
  };
  live.add(session);
  return session;
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

/**
 * For afterEach: kills and awaits every session still open, then returns the pids that survived
 * (expected to be none).
 */
export async function disposeAll(): Promise<number[]> {
  const sessions = [...live];
  await Promise.all(sessions.map((s) => s.dispose()));
  return sessions.map((s) => s.pid).filter(isRunning);
}

/** Whether the bundle exists (the e2e tests run the built CLI). */
export function isBuilt(): boolean {
  return existsSync(BUNDLE);
}

/** Waits until the screen differs from `before` and satisfies `predicate` (default: any change). */
export async function pressAndWait(
  session: CliSession,
  key: KeyName | (string & {}),
  predicate?: ScreenPredicate,
  timeoutMs?: number,
): Promise<string> {
  const before = session.screen();
  session.press(key);
  const matches = predicate === undefined ? () => true : toMatcher(predicate);
  return session.waitFor((s) => s !== before && matches(s), timeoutMs);
}
