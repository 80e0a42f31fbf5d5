/**
 * Quitting the live panel after a wizard launch (not --detach), in a real pseudo-terminal with the stand-in vllm
 * and tegrastats on PATH: q asks, and l leaves the server running as a detached, recorded server (the wizard exits
 * 0, the server still answers on its port, servers.json has its record, `launch --stop <name>` ends it and nothing
 * of it is left), natively and in a container (the stand-in docker); y stops it and nothing is left. A wizard killed
 * with SIGKILL leaves its server recorded as held by a wizard that died: `launch --stop` ends it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, disposeAll, isBuilt, startCli, type CliSession } from './harness.js';
import { isLive } from '../helpers/procs.js';

const BIN = path.join(ROOT, 'test', 'fixtures', 'bin');
const BOARD_ROOT = path.join(ROOT, 'test', 'fixtures', 'roots', 'orin-nx-16gb-jp62');
const QUESTION = 'Stop the vLLM server and quit? y stop · l leave it running · n keep watching';
const PATH = `${BIN}:${process.env.PATH ?? ''}`;

let tmp = '';
beforeAll(() => {
  if (!isBuilt()) throw new Error('bin/dist is not built: run `npm run build:bundle` (npm test does)');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'jv-panel-leave-'));
  return () => rmSync(tmp, { recursive: true, force: true });
});
afterEach(disposeAll);

let seq = 0;
/** The wizard on the stand-in (native, no --detach) with its own state folder, pid files and port. */
function startWizard(): { s: CliSession; state: string; pidFile: string; port: number; name: string } {
  seq += 1;
  const port = 23000 + (process.pid % 400) * 10 + seq;
  const state = mkdtempSync(path.join(tmp, 'state-'));
  const pidFile = path.join(state, 'vllm.pid');
  const s = startCli(
    [
      ...['--device', 'orin-nx-16gb', '--model', 'qwen2.5-0.5b-instruct', '--quant', 'bf16'],
      ...['--runtime', 'native', '--port', String(port), '--root', BOARD_ROOT],
    ],
    {
      env: {
        PATH,
        VLLM_STANDIN_PIDFILE: pidFile,
        // vLLM >= 0.8's tree: an API server and its engine core, both to be left running or stopped.
        VLLM_STANDIN_V1: '1',
        XDG_STATE_HOME: state,
        XDG_DATA_HOME: path.join(state, 'data'),
      },
    },
  );
  return { s, state, pidFile, port, name: `jetson-vllm-qwen2.5-0.5b-instruct-${port}` };
}

/** Launch → ready → the live panel → q: the question with its three answers. */
async function askToQuit(s: CliSession): Promise<void> {
  await s.waitFor('Verdict:');
  s.press('enter');
  await s.waitFor(/^❯ Launch$/m);
  s.press('enter');
  await s.waitFor('Enter live panel', 20_000);
  s.press('enter');
  await s.waitFor((screen) => /vLLM ● healthy/.test(screen), 15_000);
  s.press('q');
  await s.waitFor(QUESTION);
}

/** The pids of the stand-in's API server and engine core (its pid files). */
function readPids(pidFile: string): number[] {
  return [pidFile, `${pidFile}.engine`]
    .filter((f) => existsSync(f))
    .map((f) => Number(readFileSync(f, 'utf8').trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

async function waitGone(pids: number[], ms = 8000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (pids.some(isLive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !pids.some(isLive);
}

describe('q on the panel after a wizard launch', () => {
  it('l leaves the server running and recorded; launch --stop ends it, and nothing is left', async () => {
    const { s, state, pidFile, port, name } = startWizard();
    await askToQuit(s);
    const pids = readPids(pidFile);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    s.press('l');
    const exit = await s.exited;
    expect(exit.exitCode).toBe(0);
    const said = s.lines().join('\n');
    expect(said).toContain(`left running: ${name}`);
    expect(said).toContain(`stop it:  jetson-vllm launch --stop ${name}`);
    expect(said).toMatch(new RegExp(`its log: {2}\\S+${name.replaceAll('.', '\\.')}-\\S+\\.log`));
    // The wizard is gone; the server is not, and answers on its port.
    expect(pids.every(isLive)).toBe(true);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    // Recorded as `launch --detach` records a server: its pid and its log file.
    const file = JSON.parse(readFileSync(path.join(state, 'jetson-vllm', 'servers.json'), 'utf8')) as {
      servers: { name: string; runtime: string; pid: number | null; logPath: string | null }[];
    };
    const record = file.servers.find((r) => r.name === name);
    expect(record?.runtime).toBe('native');
    expect(record?.pid).toBe(pids[0]);
    // No longer the wizard's: the record made at the start, held by it, was replaced by the user's.
    expect(record).not.toHaveProperty('heldBy');
    expect(record?.logPath !== null && existsSync(record?.logPath ?? '')).toBe(true);
    const stopped = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'jetson-vllm.js'), 'launch', '--stop', name], {
      env: { PATH, XDG_STATE_HOME: state, HOME: tmp },
      encoding: 'utf8',
    });
    expect(stopped.status).toBe(0);
    expect(stopped.stdout).toContain(`stopped ${name}`);
    expect(await waitGone(pids)).toBe(true);
  }, 60_000);

  it('y stops the server: the last line says so, and nothing is left', async () => {
    const { s, pidFile, state } = startWizard();
    await askToQuit(s);
    const pids = readPids(pidFile);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    s.press('y');
    const exit = await s.exited;
    expect(exit.exitCode).toBe(0);
    expect(
      s
        .lines()
        .filter((l) => l.trim() !== '')
        .at(-1),
    ).toBe('The vLLM server (qwen2.5-0.5b-instruct) was stopped.');
    expect(await waitGone(pids, 2000)).toBe(true);
    // Nothing recorded: the server was the wizard's, and it is gone.
    const recorded = path.join(state, 'jetson-vllm', 'servers.json');
    if (existsSync(recorded)) expect(readFileSync(recorded, 'utf8')).not.toContain('qwen2.5-0.5b-instruct');
  }, 60_000);

  it('a wizard killed with SIGKILL leaves its server recorded (held by its dead pid): launch --stop ends it, nothing is left', async () => {
    const { s, state, pidFile, port, name } = startWizard();
    await s.waitFor('Verdict:');
    s.press('enter');
    await s.waitFor(/^❯ Launch$/m);
    s.press('enter');
    await s.waitFor('Enter live panel', 20_000);
    const pids = readPids(pidFile);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    // Recorded at its start, held by the wizard (it is still the wizard's: no `l` yet).
    const recorded = path.join(state, 'jetson-vllm', 'servers.json');
    const file = JSON.parse(readFileSync(recorded, 'utf8')) as {
      servers: { name: string; runtime: string; pid: number | null; heldBy?: number }[];
    };
    expect(file.servers).toEqual([expect.objectContaining({ name, runtime: 'native', pid: pids[0], heldBy: s.pid })]);
    s.kill('SIGKILL');
    await s.exited;
    // Nothing stopped it: its own session outlived the wizard.
    expect(pids.every(isLive)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    // A launch on its port names it for what it is.
    const again = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'bin', 'jetson-vllm.js'),
        ...['launch', '--device', 'orin-nx-16gb', '--model', 'qwen2.5-0.5b-instruct', '--runtime', 'native'],
        ...['--port', String(port)],
      ],
      { env: { PATH, XDG_STATE_HOME: state, HOME: tmp }, encoding: 'utf8' },
    );
    expect(again.status).toBe(3);
    expect(again.stderr).toContain(
      `port ${port} is taken by ${name}, a server of ours launched by the wizard (pid ${pids[0]}, left behind by a wizard that died (pid ${s.pid}))`,
    );
    const stopped = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'jetson-vllm.js'), 'launch', '--stop', name], {
      env: { PATH, XDG_STATE_HOME: state, HOME: tmp },
      encoding: 'utf8',
    });
    expect(stopped.status).toBe(0);
    expect(stopped.stdout).toContain(
      `jetson-vllm: stopping ${name} (pid ${pids[0]}, left behind by a wizard that died (pid ${s.pid}))`,
    );
    expect(stopped.stdout).toContain(`stopped ${name}`);
    expect(await waitGone(pids)).toBe(true);
    expect(readFileSync(recorded, 'utf8')).not.toContain(name);
  }, 60_000);

  it('docker: the container was started detached (-d, no --rm), l leaves it recorded; launch --stop removes it', async () => {
    seq += 1;
    const port = 23000 + (process.pid % 400) * 10 + seq;
    const dir = mkdtempSync(path.join(tmp, 'docker-'));
    const state = path.join(dir, 'xdg-state');
    const calls = path.join(dir, 'calls.jsonl');
    const pidFile = path.join(dir, 'vllm.pid');
    const name = `jetson-vllm-qwen2.5-0.5b-instruct-${port}`;
    const env = {
      PATH,
      DOCKER_STANDIN_STATE: path.join(dir, 'state'),
      DOCKER_STANDIN_CALLS: calls,
      VLLM_STANDIN_PIDFILE: pidFile,
      XDG_DATA_HOME: path.join(dir, 'data'),
      XDG_STATE_HOME: state,
    };
    // No --runtime: docker, the default on a Jetson.
    const s = startCli(
      [
        ...['--device', 'orin-nx-16gb', '--model', 'qwen2.5-0.5b-instruct', '--quant', 'bf16'],
        ...['--port', String(port), '--root', BOARD_ROOT],
      ],
      { env },
    );
    await askToQuit(s);
    const pids = readPids(pidFile);
    expect(pids.length).toBeGreaterThanOrEqual(1);
    const readCalls = (): string[][] =>
      readFileSync(calls, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as string[]);
    const run = readCalls().find((c) => c[0] === 'run' && c.includes('--name'));
    expect(run).toContain('-d');
    expect(run).not.toContain('--rm');
    // Held by the wizard: no restart policy yet (docker must not restart an OOM-killed vLLM behind its back).
    expect(run).not.toContain('--restart');
    s.press('l');
    expect((await s.exited).exitCode).toBe(0);
    const said = s.lines().join('\n');
    expect(said).toContain(`left running: ${name} (container ${name})`);
    expect(said).toContain(`its log:  docker logs -f ${name}`);
    // Nothing was stopped: the container still serves.
    expect(readCalls().some((c) => c[0] === 'stop' || c[0] === 'kill' || c[0] === 'rm')).toBe(false);
    // Left running, it now has the policy a --detach container has from the start.
    expect(readCalls()).toContainEqual(['update', '--restart', 'unless-stopped', name]);
    expect(pids.every(isLive)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    const file = JSON.parse(readFileSync(path.join(state, 'jetson-vllm', 'servers.json'), 'utf8')) as {
      servers: { name: string; runtime: string; container: string | null }[];
    };
    expect(file.servers.find((r) => r.name === name)).toMatchObject({ runtime: 'docker', container: name });
    const stopped = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'jetson-vllm.js'), 'launch', '--stop', name], {
      env: { ...env, HOME: tmp },
      encoding: 'utf8',
    });
    expect(stopped.status).toBe(0);
    expect(readCalls().some((c) => c[0] === 'rm' && c.includes(name))).toBe(true);
    expect(await waitGone(pids)).toBe(true);
  }, 60_000);
});
