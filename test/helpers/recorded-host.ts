/**
 * A probe host over a fake board root: files from test/fixtures/roots/<board>/, commands answered
 * from that root's .commands.json (recorded real output); a command not recorded is "not found".
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { createFileHost, type ProbeHost } from '../../src/device/host.js';
import type { CommandResult } from '../../src/process/exec.js';
import { ROOT } from './catalog.js';

export const ROOTS = path.join(ROOT, 'test', 'fixtures', 'roots');

interface Recorded {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

/** The host for a fixture board; `calls` records every command the probes ran. */
export function recordedHost(board: string, env: Record<string, string> = {}): ProbeHost & { calls: string[] } {
  const dir = path.join(ROOTS, board);
  const file = path.join(dir, '.commands.json');
  const commands = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Recorded>) : {};
  const calls: string[] = [];
  const runner = (cmd: string, args: string[]): Promise<CommandResult> => {
    const key = [cmd, ...args].join(' ');
    calls.push(key);
    const r = commands[key];
    if (r === undefined)
      return Promise.resolve({ stdout: '', stderr: '', exitCode: null, isNotFound: true, isTimedOut: false });
    return Promise.resolve({
      stdout: r.stdout ?? '',
      stderr: r.stderr ?? '',
      exitCode: r.exitCode ?? 0,
      isNotFound: false,
      isTimedOut: false,
    });
  };
  const home = board.startsWith('x86') ? '/home/dev' : '/home/nvidia';
  return Object.assign(createFileHost(dir, runner, env, home), { calls });
}
