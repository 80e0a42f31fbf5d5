/**
 * Issue 13, items 2, 3 and 7 in a real terminal (80×24), with the stand-in `vllm` in its V1 mode (an
 * API server that binds its port before loading, as vLLM ≥ 0.8 does, and an EngineCore_0 child that
 * shares its stdout):
 * - two `launch --detach` on one port: the second is refused naming the first, which stays recorded,
 *   its log whole, and stoppable (item 2);
 * - another server answering /health and /v1/models on the port never passes for ours, whether it held
 *   the port before (refused, named by pid) or took it after the check while ours loads (item 3);
 * - six parallel `--detach` launches are all recorded; a truncated servers.json is set aside, said, and
 *   not overwritten as empty (item 7).
 * Every process of each vLLM tree is checked by pid after the stop.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAll, isLive } from '../helpers/procs.js';
import { BIN, findFreePort, startImpostorServer, waitUntil } from '../helpers/standin.js';
import { disposeAll, isBuilt, startCli } from './harness.js';

const MODEL_ID = 'Qwen/Qwen2.5-0.5B-Instruct';
const BASE = ['launch', '--device', 'orin-nx-16gb', '--model', 'qwen2.5-0.5b-instruct', '--runtime', 'native'];
const nameFor = (port: number): string => `jetson-vllm-qwen2.5-0.5b-instruct-${port}`;
const pidsToKill: number[] = [];
const servers: Server[] = [];

beforeAll(() => {
  if (!isBuilt()) throw new Error('bin/dist/cli.js is missing: run npm run build:bundle first');
});
afterEach(async () => {
  expect(await disposeAll()).toEqual([]);
  for (const s of servers.splice(0)) s.close();
  killAll(pidsToKill.splice(0));
});

interface Box {
  dir: string;
  serversFile: string;
  logsDir: string;
  env(pidName?: string, extra?: Record<string, string>): Record<string, string>;
  /** The API server's and engine core's pids a run wrote (once both are there). */
  tree(pidName?: string): Promise<{ api: number; engine: number }>;
  records(): { name: string; pid: number; logPath: string }[];
}

function sandbox(): Box {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jv-records-e2e-'));
  const state = path.join(dir, 'state');
  const serversFile = path.join(state, 'jetson-vllm', 'servers.json');
  const pidFile = (name: string): string => path.join(dir, `${name}.pid`);
  return {
    dir,
    serversFile,
    logsDir: path.join(state, 'jetson-vllm', 'logs'),
    env: (pidName = 'vllm', extra = {}) => ({
      PATH: `${BIN}:${process.env.PATH ?? ''}`,
      VLLM_STANDIN_V1: '1',
      VLLM_STANDIN_PIDFILE: pidFile(pidName),
      XDG_STATE_HOME: state,
      XDG_DATA_HOME: path.join(dir, 'data'),
      ...extra,
    }),
    async tree(pidName = 'vllm') {
      const file = pidFile(pidName);
      expect(await waitUntil(() => existsSync(file) && existsSync(`${file}.engine`), 10_000)).toBe(true);
      const api = Number(readFileSync(file, 'utf8'));
      const engine = Number(readFileSync(`${file}.engine`, 'utf8'));
      pidsToKill.push(api, engine);
      return { api, engine };
    },
    records: () =>
      existsSync(serversFile)
        ? (
            JSON.parse(readFileSync(serversFile, 'utf8')) as {
              servers: { name: string; pid: number; logPath: string }[];
            }
          ).servers
        : [],
  };
}

/** Runs the CLI in a pty to its end: its exit code and every line it wrote (wrapped rows joined back). */
async function runToEnd(args: string[], env: Record<string, string>): Promise<{ code: number; text: string }> {
  const s = startCli(args, { cols: 80, rows: 24, env });
  const { exitCode } = await s.exited;
  // Let xterm parse what came last before reading it.
  await new Promise((r) => setTimeout(r, 50));
  const text = s.lines().join('\n').trimEnd();
  await s.dispose();
  return { code: exitCode, text };
}

/** The same impostor in a child process, so the refusal can name a pid other than the test's own. */
async function impostorInChild(port: number, model: string): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('http').createServer((q, s) => q.url === '/health' ? s.end() : q.url === '/v1/models' ? s.end(JSON.stringify({ data: [{ id: ${JSON.stringify(model)} }] })) : s.writeHead(404).end()).listen(${port}, '127.0.0.1', () => console.log('listening'))`,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const pid = child.pid ?? 0;
  pidsToKill.push(pid);
  await new Promise((resolve) => child.stdout.once('data', resolve));
  return pid;
}

describe('item 2: launch --detach twice on one port', () => {
  it('the second is refused naming the first; the first stays recorded, its log whole; --stop ends its whole tree', async () => {
    const box = sandbox();
    const port = await findFreePort();
    const name = nameFor(port);
    const first = await runToEnd([...BASE, '--port', String(port), '--detach'], box.env('first'));
    expect(first.code).toBe(0);
    const tree = await box.tree('first');
    expect(first.text).toContain(`left running: ${name} (pid ${tree.api}) at http://127.0.0.1:${port}`);
    const [record] = box.records();
    expect(record).toEqual(expect.objectContaining({ name, pid: tree.api }));
    const logBefore = readFileSync(record?.logPath ?? '', 'utf8');
    expect(logBefore).toContain('Application startup complete.');

    const second = await runToEnd([...BASE, '--port', String(port), '--detach'], box.env('second'));
    expect(second.code).toBe(3);
    expect(second.text).toContain(
      `jetson-vllm: not launched: port ${port} is taken by ${name}, a server of ours launched with --detach (pid ${tree.api}); stop it: jetson-vllm launch --stop ${name}, or launch on the next free port: --port `,
    );
    // The second never started a vLLM.
    expect(existsSync(path.join(box.dir, 'second.pid'))).toBe(false);
    expect(box.records()).toEqual([expect.objectContaining({ name, pid: tree.api })]);
    expect(readFileSync(record?.logPath ?? '', 'utf8').startsWith(logBefore)).toBe(true);
    expect(readdirSync(box.logsDir)).toHaveLength(1);
    expect(isLive(tree.api) && isLive(tree.engine)).toBe(true);

    const stopped = await runToEnd(['launch', '--stop', name], box.env('first'));
    expect(stopped.code).toBe(0);
    expect(stopped.text).toContain(`stopped ${name}`);
    expect(await waitUntil(() => !isLive(tree.api) && !isLive(tree.engine), 5000)).toBe(true);
    expect(box.records()).toEqual([]);
  }, 60_000);
});

describe('item 3: another server on the port never passes for ours', () => {
  it('held before the launch (answering /health and /v1/models for the model): refused, named by pid; no vLLM runs', async () => {
    const box = sandbox();
    const port = await findFreePort();
    const holder = await impostorInChild(port, MODEL_ID);
    const r = await runToEnd([...BASE, '--port', String(port), '--detach'], box.env());
    expect(r.code).toBe(3);
    expect(r.text).toMatch(
      new RegExp(`not launched: port ${port} is taken by pid ${holder} \\(.*node -e .*\\); stop it: kill ${holder}`),
    );
    expect(r.text).not.toContain('left running');
    expect(existsSync(path.join(box.dir, 'vllm.pid'))).toBe(false);
    expect(box.records()).toEqual([]);
  }, 40_000);

  it('taken after the check while ours loads (V1 binds before loading: "Address already in use"): failed, no record, no ready', async () => {
    const box = sandbox();
    const port = await findFreePort();
    // Slow start: the impostor takes the port between the launcher's check and vLLM's bind.
    const s = startCli([...BASE, '--port', String(port), '--detach'], {
      cols: 80,
      rows: 24,
      env: box.env('vllm', { VLLM_STANDIN_STARTUP_MS: '1500' }),
    });
    await s.waitFor(/running vllm serve/, 20_000, { settleMs: 0 });
    servers.push(await startImpostorServer(port, MODEL_ID));
    const { exitCode } = await s.exited;
    await new Promise((r) => setTimeout(r, 50));
    const text = s.lines().join('\n');
    expect(exitCode).toBe(1);
    expect(text).toContain('Address already in use');
    expect(text).not.toMatch(/ready: http/);
    expect(text).not.toContain('left running');
    const pid = Number(readFileSync(path.join(box.dir, 'vllm.pid'), 'utf8'));
    pidsToKill.push(pid);
    expect(await waitUntil(() => !isLive(pid), 5000)).toBe(true);
    expect(box.records()).toEqual([]);
    const history = path.join(box.dir, 'data', 'jetson-vllm', 'history.jsonl');
    const outcomes = existsSync(history)
      ? readFileSync(history, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => (JSON.parse(l) as { outcome: string }).outcome)
      : [];
    expect(outcomes).not.toContain('ready');
  }, 40_000);
});

describe('item 8: an attached launch killed with SIGKILL', () => {
  it('leaves its vLLM tree serving (nothing can catch SIGKILL); the next launch on the port finds it and names it by pid', async () => {
    const box = sandbox();
    const port = await findFreePort();
    const s = startCli([...BASE, '--port', String(port)], { cols: 80, rows: 24, env: box.env('killed') });
    await s.waitFor(/ready: http:\/\/127\.0\.0\.1/, 20_000, { settleMs: 0 });
    const tree = await box.tree('killed');
    s.kill('SIGKILL');
    await s.exited;
    // vLLM runs in its own session: the terminal's hang-up does not reach it either.
    await new Promise((r) => setTimeout(r, 300));
    expect(isLive(tree.api) && isLive(tree.engine)).toBe(true);
    const r = await runToEnd([...BASE, '--port', String(port)], box.env('next'));
    expect(r.code).toBe(3);
    expect(r.text).toContain(`not launched: port ${port} is taken by pid ${tree.api} (`);
    expect(r.text).toContain('a vLLM no launch recorded (left by a launch that was killed?)');
    expect(r.text).toContain(`stop it: kill ${tree.api}`);
    expect(existsSync(path.join(box.dir, 'next.pid'))).toBe(false);
  }, 40_000);
});

describe('item 7: servers.json under a lock', () => {
  it('six parallel --detach launches (six ports, six terminals) are all recorded, and all stop', async () => {
    const box = sandbox();
    const ports: number[] = [];
    while (ports.length < 6) {
      const p = await findFreePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const runs = await Promise.all(
      ports.map((port, i) => runToEnd([...BASE, '--port', String(port), '--detach'], box.env(`p${i}`))),
    );
    const trees = await Promise.all(ports.map((_, i) => box.tree(`p${i}`)));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(
      box
        .records()
        .map((r) => r.name)
        .sort(),
    ).toEqual(ports.map(nameFor).sort());
    expect(readdirSync(box.logsDir)).toHaveLength(6);
    const stops = await Promise.all(ports.map((p) => runToEnd(['launch', '--stop', nameFor(p)], box.env())));
    expect(stops.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(await waitUntil(() => trees.every((t) => !isLive(t.api) && !isLive(t.engine)), 5000)).toBe(true);
    expect(box.records()).toEqual([]);
  }, 120_000);

  it('a truncated servers.json is kept aside with its time and said in one line; the new server is recorded', async () => {
    const box = sandbox();
    mkdirSync(path.dirname(box.serversFile), { recursive: true });
    const truncated = '{\n  "version": 1,\n  "servers": [\n    {\n      "name": "jetson-vllm-x-1",\n      "runt';
    writeFileSync(box.serversFile, truncated);
    const port = await findFreePort();
    const r = await runToEnd([...BASE, '--port', String(port), '--detach'], box.env());
    const tree = await box.tree();
    expect(r.code).toBe(0);
    const aside = readdirSync(path.dirname(box.serversFile)).filter((f) => f.startsWith('servers.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(path.join(path.dirname(box.serversFile), aside[0] ?? ''), 'utf8')).toBe(truncated);
    expect(r.text).toMatch(/servers\.json could not be read \(not JSON[^\n]*\): kept as [^\n]*servers\.json\.corrupt-/);
    expect(box.records().map((x) => x.name)).toEqual([nameFor(port)]);
    expect((await runToEnd(['launch', '--stop', nameFor(port)], box.env())).code).toBe(0);
    expect(await waitUntil(() => !isLive(tree.api) && !isLive(tree.engine), 5000)).toBe(true);
  }, 40_000);
});
