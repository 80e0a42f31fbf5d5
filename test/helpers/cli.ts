/** Runs the built CLI (bin/jetson-vllm.js) as a child process. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './catalog.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'jetson-vllm.js'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: '/tmp/jetson-vllm-test-home', ...env },
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
