/**
 * The real host: files under --root (default /), commands through the execa wrapper (skipped with
 * --root, since the commands would describe this machine, not the copied board).
 */
import os from 'node:os';
import { run } from '../process/exec.js';
import { createFileHost, type ProbeHost } from './host.js';

/** Short timeouts: a hung docker daemon must not stall detection. */
const COMMAND_TIMEOUT_MS = 4000;

export function createRealHost(root: string | undefined): ProbeHost {
  if (root !== undefined) return createFileHost(root, null, process.env, '/home/nvidia');
  return createFileHost(
    '/',
    (cmd, args) => run(cmd, args, { timeoutMs: COMMAND_TIMEOUT_MS }),
    process.env,
    os.homedir(),
  );
}
