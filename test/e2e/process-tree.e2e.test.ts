/**
 * vLLM's process tree against the launcher, in a real terminal, with the stand-in `vllm` in its V1 mode
 * (an API server and an EngineCore_0 child that inherits stdout/stderr, here one that outlives its parent
 * and keeps the pipe: VLLM_STANDIN_ORPHAN_ENGINE=1). After Ctrl-C, SIGINT, SIGTERM, SIGHUP, the wizard's
 * `s`, a grace-period SIGKILL, a second Ctrl-C and `launch --stop --stop-grace`, no process of the tree is
 * left (API server and engine, checked by PID) and the launch never hangs on the orphan's pipe. A child
 * printing 1 GB without a newline (vLLM, tegrastats) leaves the tool running, its peak RSS under 150 MiB.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, findFreePort, followCli, waitUntil } from '../helpers/standin.js';
import { disposeAll, isBuilt, pressAndWait, ROOT, startCli, type CliSession } from './harness.js';
import { isLive, readPeakRss } from '../helpers/procs.js';

const MODEL = ['--model', 'qwen2.5-0.5b-instruct', '--runtime', 'native', '--device', 'orin-nx-16gb'];
const CTRL_C = '\u0003';
const GIB = 1024 ** 3;
const pidsToKill: number[] = [];

beforeAll(() => {
  if (!isBuilt()) throw new Error('bin/dist/cli.js is missing: run npm run build:bundle first');
});
afterEach(async () => {
  expect(await disposeAll()).toEqual([]);
  // A failed test must not leave a stand-in behind either.
  for (const pid of pidsToKill.splice(0))
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
});

interface Tree {
  dir: string;
  pidFile: string;
  signalFile: string;
  /** The API server's and the engine's pids, once both wrote them. */
  pids(): Promise<{ api: number; engine: number }>;
  signals(): string[];
}

function prepareTree(): Tree {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jv-tree-e2e-'));
  const pidFile = path.join(dir, 'vllm.pid');
  const signalFile = path.join(dir, 'signals');
  return {
    dir,
    pidFile,
    signalFile,
    async pids() {
      expect(await waitUntil(() => existsSync(pidFile) && existsSync(`${pidFile}.engine`), 10_000)).toBe(true);
      const api = Number(readFileSync(pidFile, 'utf8'));
      const engine = Number(readFileSync(`${pidFile}.engine`, 'utf8'));
      pidsToKill.push(api, engine);
      return { api, engine };
    },
    signals: () =>
      existsSync(signalFile)
        ? readFileSync(signalFile, 'utf8')
            .trim()
            .split('\n')
            .map((l) => l.split(' ').slice(1).join(' '))
        : [],
  };
}

function treeEnv(t: Tree, env: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${BIN}:${process.env.PATH ?? ''}`,
    VLLM_STANDIN_V1: '1',
    VLLM_STANDIN_ORPHAN_ENGINE: '1',
    VLLM_STANDIN_PIDFILE: t.pidFile,
    VLLM_STANDIN_SIGNALS: t.signalFile,
    XDG_DATA_HOME: path.join(t.dir, 'data'),
    XDG_STATE_HOME: path.join(t.dir, 'state'),
    ...env,
  };
}

async function launchTree(
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<{ s: CliSession; t: Tree; port: number }> {
  const port = await findFreePort();
  const t = prepareTree();
  const s = startCli(['launch', ...MODEL, '--port', String(port), ...extraArgs], {
    cols: 160,
    rows: 30,
    env: treeEnv(t, env),
  });
  return { s, t, port };
}

const text = (s: CliSession): string => s.lines().join('\n');

describe.each([
  { how: 'Ctrl-C (the terminal)', send: (s: CliSession) => s.press(CTRL_C) },
  { how: 'SIGINT', send: (s: CliSession) => s.kill('SIGINT') },
  { how: 'SIGTERM', send: (s: CliSession) => s.kill('SIGTERM') },
  { how: 'SIGHUP (the SSH session drops)', send: (s: CliSession) => s.kill('SIGHUP') },
])('$how to jetson-vllm launch', ({ send }) => {
  it('stops the whole tree: API server and engine core gone by PID, no hang on the orphan pipe', async () => {
    const { s, t } = await launchTree();
    await s.waitFor('ready: http://', 20_000);
    const { api, engine } = await t.pids();
    expect(isLive(api) && isLive(engine)).toBe(true);
    const sentAt = Date.now();
    send(s);
    expect((await s.exited).exitCode).toBe(0);
    expect(Date.now() - sentAt).toBeLessThan(5000);
    // The CLI ended only once the group was gone: nothing to wait for.
    expect(isLive(api)).toBe(false);
    expect(isLive(engine)).toBe(false);
    await s.waitFor('stopped', 5000);
    expect(text(s)).toMatch(/stopping the server\n\[ *\d+\.\ds\] stopped$/m);
    // Both processes got one SIGTERM, from the group signal (the terminal's own signal reaches neither).
    expect(t.signals().sort()).toEqual([`SIGTERM pid=${api}`, `SIGTERM pid=${engine}`].sort());
  }, 40_000);
});

describe('escalation', () => {
  it('a tree that ignores SIGTERM: SIGKILL to the group after --stop-grace 1', async () => {
    const { s, t } = await launchTree(['--stop-grace', '1'], { VLLM_STANDIN_IGNORE_SIGTERM: '1' });
    await s.waitFor('ready: http://', 20_000);
    const { api, engine } = await t.pids();
    const sentAt = Date.now();
    s.kill('SIGTERM');
    expect((await s.exited).exitCode).toBe(0);
    const took = Date.now() - sentAt;
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(6000);
    expect(isLive(api)).toBe(false);
    expect(isLive(engine)).toBe(false);
    await s.waitFor('stopped', 5000);
    expect(text(s)).toMatch(/vLLM did not exit within 1 s of SIGTERM: killed it \(SIGKILL\)\n\[ *\d+\.\ds\] stopped$/m);
  }, 40_000);

  it('a second Ctrl-C kills the tree at once (the grace of 60 s is not waited)', async () => {
    const { s, t } = await launchTree(['--stop-grace', '60'], { VLLM_STANDIN_IGNORE_SIGTERM: '1' });
    await s.waitFor('ready: http://', 20_000);
    const { api, engine } = await t.pids();
    s.press(CTRL_C);
    await s.waitFor('stopping the server', 5000);
    expect(await waitUntil(() => t.signals().length === 2, 5000)).toBe(true);
    expect(isLive(api) && isLive(engine)).toBe(true); // both ignore SIGTERM
    const secondAt = Date.now();
    s.press(CTRL_C);
    expect((await s.exited).exitCode).toBe(0);
    expect(Date.now() - secondAt).toBeLessThan(3000);
    expect(isLive(api)).toBe(false);
    expect(isLive(engine)).toBe(false);
  }, 40_000);
});

describe('the wizard', () => {
  it('s stops the whole tree (API server and engine core gone by PID); q quits', async () => {
    const port = await findFreePort();
    const t = prepareTree();
    const s = startCli(
      [
        ...['--device', 'orin-nx-16gb', '--model', 'qwen2.5-0.5b-instruct', '--quant', 'bf16', '--runtime', 'native'],
        ...['--port', String(port), '--root', path.join(ROOT, 'test', 'fixtures', 'roots', 'orin-nx-16gb-jp62')],
      ],
      { env: treeEnv(t) },
    );
    await s.waitFor('Verdict:');
    await pressAndWait(s, 'enter', /^❯ Launch$/m);
    s.press('enter');
    await s.waitFor(/^Ready: http:\/\/127\.0\.0\.1:\d+$/m, 20_000);
    const { api, engine } = await t.pids();
    expect(isLive(api) && isLive(engine)).toBe(true);
    s.press('s');
    await s.waitFor('Stopped: the server is not running', 10_000);
    expect(isLive(api)).toBe(false);
    expect(isLive(engine)).toBe(false);
    s.press('q');
    expect((await s.exited).exitCode).toBe(0);
  }, 40_000);
});

describe('the wizard, a second request while the server stops', () => {
  it('q, then Ctrl-C while a tree that ignores SIGTERM has 60 s of grace: killed at once (SIGKILL), the wizard ends', async () => {
    const port = await findFreePort();
    const t = prepareTree();
    const s = startCli(
      [
        ...['--device', 'orin-nx-16gb', '--model', 'qwen2.5-0.5b-instruct', '--quant', 'bf16', '--runtime', 'native'],
        ...['--port', String(port), '--stop-grace', '60'],
        ...['--root', path.join(ROOT, 'test', 'fixtures', 'roots', 'orin-nx-16gb-jp62')],
      ],
      { env: treeEnv(t, { VLLM_STANDIN_IGNORE_SIGTERM: '1' }) },
    );
    await s.waitFor('Verdict:');
    await pressAndWait(s, 'enter', /^❯ Launch$/m);
    s.press('enter');
    await s.waitFor(/^Ready: http:\/\/127\.0\.0\.1:\d+$/m, 20_000);
    const { api, engine } = await t.pids();
    s.press('q');
    await s.waitFor('Stopping the server, then quitting…', 5000, { settleMs: 0 });
    // The stop has begun (SIGTERM sent, ignored); the grace is 60 s.
    await new Promise((r) => setTimeout(r, 500));
    expect(isLive(api)).toBe(true);
    const secondAt = Date.now();
    s.press(CTRL_C);
    const exit = await s.exited;
    expect(Date.now() - secondAt).toBeLessThan(5000);
    expect(exit.exitCode).toBe(0);
    expect(isLive(api)).toBe(false);
    expect(isLive(engine)).toBe(false);
    expect(t.signals().some((l) => l.startsWith('SIGTERM'))).toBe(true);
  }, 60_000);
});

describe('launch --stop <name> --stop-grace', () => {
  it('stops a detached tree (its whole session) within the grace, SIGKILL when it ignores SIGTERM', async () => {
    const port = await findFreePort();
    const t = prepareTree();
    const env = { ...treeEnv(t, { VLLM_STANDIN_IGNORE_SIGTERM: '1' }), HOME: t.dir };
    const started = followCli(['launch', ...MODEL, '--port', String(port), '--detach'], env);
    expect((await started.exited).code).toBe(0);
    const { api, engine } = await t.pids();
    expect(isLive(api) && isLive(engine)).toBe(true);
    const name = /launch --stop (\S+)/.exec(started.text())?.[1] ?? '';
    expect(name).not.toBe('');

    const stopAt = Date.now();
    const stopped = followCli(['launch', '--stop', name, '--stop-grace', '1'], env);
    expect((await stopped.exited).code).toBe(0);
    const took = Date.now() - stopAt;
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(8000);
    expect(stopped.text()).toContain(`${name} did not exit within 1 s of SIGTERM: killed it (SIGKILL)`);
    expect(stopped.text()).toContain(`stopped ${name}`);
    expect(isLive(api)).toBe(false);
    expect(isLive(engine)).toBe(false);
  }, 40_000);

  it('a detached tree whose API server died but whose engine lives on is stopped too', async () => {
    const port = await findFreePort();
    const t = prepareTree();
    const env = { ...treeEnv(t), HOME: t.dir };
    const started = followCli(['launch', ...MODEL, '--port', String(port), '--detach'], env);
    expect((await started.exited).code).toBe(0);
    const { api, engine } = await t.pids();
    const name = /launch --stop (\S+)/.exec(started.text())?.[1] ?? '';
    process.kill(api, 'SIGKILL'); // the engine (VLLM_STANDIN_ORPHAN_ENGINE=1) stays
    expect(await waitUntil(() => !isLive(api), 3000)).toBe(true);
    expect(isLive(engine)).toBe(true);
    const stopped = followCli(['launch', '--stop', name, '--stop-grace', '2'], env);
    expect((await stopped.exited).code).toBe(0);
    expect(stopped.text()).toContain(`stopped ${name}`);
    expect(isLive(engine)).toBe(false);
  }, 40_000);

  it('--stop-grace that is not a number of seconds: one line, exit 2', async () => {
    const stopped = followCli(['launch', '--stop', 'anything', '--stop-grace', 'soon'], {});
    expect((await stopped.exited).code).toBe(2);
    expect(stopped.text().trim()).toMatch(/^jetson-vllm: --stop-grace: "soon" is not a number of seconds/);
  }, 20_000);
});

describe('1 GB without a newline', () => {
  it('from vLLM: the launch reaches ready and stops cleanly, peak RSS < 150 MiB, no stack trace', async () => {
    const { s, t } = await launchTree([], { VLLM_STANDIN_NO_NEWLINE_BYTES: String(GIB) });
    await s.waitFor('ready: http://', 120_000);
    const peak = readPeakRss(s.pid);
    const { api, engine } = await t.pids();
    s.kill('SIGTERM');
    expect((await s.exited).exitCode).toBe(0);
    expect(isLive(api) || isLive(engine)).toBe(false);
    expect(peak).toBeLessThan(150 * 1024 * 1024);
    expect(text(s)).not.toMatch(/RangeError|Invalid string length|^\s+at .+:\d+:\d+\)?$/m);
    // For the record (README / report): the peak resident memory through the gigabyte.
    process.stdout.write(`launch through 1 GB without a newline: peak RSS ${(peak / 2 ** 20).toFixed(1)} MiB\n`);
  }, 150_000);

  it('from tegrastats: the monitor keeps running and shows the samples after it, peak RSS < 150 MiB', async () => {
    const s = startCli(['monitor', '--interval', '500', '--url', 'http://127.0.0.1:9'], {
      cols: 80,
      rows: 24,
      env: { PATH: `${BIN}:${process.env.PATH ?? ''}`, TEGRASTATS_NO_NEWLINE_BYTES: String(GIB) },
    });
    // The Orin Nano line the stand-in replays, after the gigabyte: RAM 3162/7620MB.
    await s.waitFor('3.1/7.4 GiB', 120_000);
    const peak = readPeakRss(s.pid);
    s.press('q');
    expect((await s.exited).exitCode).toBe(0);
    expect(peak).toBeLessThan(150 * 1024 * 1024);
    expect(s.lines().join('\n')).not.toMatch(/RangeError|Invalid string length/);
    process.stdout.write(`monitor through 1 GB without a newline: peak RSS ${(peak / 2 ** 20).toFixed(1)} MiB\n`);
  }, 150_000);
});
