/**
 * `jetson-vllm launch` (built CLI, stand-ins on PATH) gathers the evidence of a kill itself: on a copy of the fake
 * Orin NX root whose /proc/812 (ollama) grows while its MemAvailable falls, the stand-in vllm SIGKILLed while
 * loading → the cause names ollama and the fall, the fix is "stop it"; with dmesg denied (kernel.dmesg_restrict)
 * and no task list anywhere, the launch still ends with its diagnosis (the kernel log fails quietly).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GiB } from '../../src/shared/units.js';
import { ROOT } from '../helpers/catalog.js';
import { findFreePort, followCli } from '../helpers/standin.js';

const BOARD = path.join(ROOT, 'test', 'fixtures', 'roots', 'orin-nx-16gb-jp62');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'jv-launch-evidence-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function writeOllama(root: string, rssBytes: number): void {
  const dir = path.join(root, 'proc', '812');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'comm'), 'ollama\n');
  writeFileSync(
    path.join(dir, 'status'),
    `Name:\tollama\nState:\tS (sleeping)\nPid:\t812\nPPid:\t1\nVmRSS:\t${Math.round(rssBytes / 1024)} kB\n`,
  );
}

function setMemAvailable(root: string, bytes: number): void {
  const file = path.join(root, 'proc', 'meminfo');
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace(/^MemAvailable:\s+\d+ kB$/m, `MemAvailable:   ${Math.round(bytes / 1024)} kB`),
  );
}

const args = (port: number, root: string): string[] => [
  'launch',
  '--runtime',
  'native',
  '--device',
  'orin-nx-16gb',
  '--model',
  'qwen2.5-0.5b-instruct',
  '--quant',
  'bf16',
  '--port',
  String(port),
  '--root',
  root,
];

describe('launch gathers the evidence of a kill', () => {
  it('another process grew while vLLM loaded: named with what it took; the fix is to stop it', async () => {
    const root = path.join(tmp, 'grow');
    cpSync(BOARD, root, { recursive: true });
    writeOllama(root, 0.5 * GiB);
    const run = followCli(args(await findFreePort(), root), {
      VLLM_STANDIN_UNTIL: 'loading',
      VLLM_STANDIN_EXIT: 'SIGKILL',
      VLLM_STANDIN_STARTUP_MS: '6000',
      XDG_STATE_HOME: path.join(tmp, 'state'),
    });
    await run.waitForLine('engine configured', 15_000);
    writeOllama(root, 5.5 * GiB);
    setMemAvailable(root, 8 * GiB);
    const exit = await run.exited;
    expect(exit.code).toBe(1);
    const out = run.text();
    expect(out).toContain("vLLM's settings are not what ran out. Something else took the memory (available memory");
    expect(out).toContain('ollama (pid 812) grew by 5.00 GiB to 5.50 GiB.');
    expect(out).toMatch(/^ {2}fix: stop ollama \(kill 812, or sudo systemctl stop <its service>\)/m);
    expect(out).toMatch(/^ {2}run: jetson-vllm doctor$/m);
  }, 30_000);

  it('dmesg denied, no journal of this start: the kill is still diagnosed (from the headroom), nothing said of it', async () => {
    const root = path.join(tmp, 'denied');
    cpSync(BOARD, root, { recursive: true });
    const run = followCli(args(await findFreePort(), root), {
      VLLM_STANDIN_UNTIL: 'loading',
      VLLM_STANDIN_EXIT: 'SIGKILL',
      VLLM_STANDIN_STARTUP_MS: '600',
      DMESG_STANDIN_DENY: '1',
      XDG_STATE_HOME: path.join(tmp, 'state'),
    });
    const exit = await run.exited;
    expect(exit.code).toBe(1);
    const out = run.text();
    expect(out).toContain('a kill with that much headroom means the memory went elsewhere');
    expect(out).not.toMatch(/dmesg|Operation not permitted|journalctl/);
  }, 30_000);
});
