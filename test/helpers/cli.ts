/** Runs the built CLI (bin/jetson-vllm.js) as a child process (with `input` on its stdin when given). */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './catalog.js';
import { TEST_HOME } from './home.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): CliResult {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'jetson-vllm.js'), ...args], {
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
    env: { PATH: process.env.PATH, HOME: TEST_HOME, ...env },
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The same, without blocking this process's event loop: for tests whose server (a loopback Hub
 * stand-in) runs in the test process itself, where spawnSync would deadlock.
 */
export function runCliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'jetson-vllm.js'), ...args], {
      env: { PATH: process.env.PATH, HOME: TEST_HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
