/**
 * `jetson-vllm launch` and the port, the records and the logs, with the stand-in `vllm` on PATH:
 * a taken port is refused before anything starts, naming what holds it (a recorded server by name, a
 * plain listener by pid, a vLLM left by a launch killed with SIGKILL) and the fix (port 65535: no next
 * port); two --detach runs on one port leave the first recorded, logged and stoppable; six parallel
 * --detach launches are all recorded; a truncated servers.json is set aside and said; another server
 * answering on the port never passes for ours; a failed launch says where its full log is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/catalog.js';
import { runCliAsync } from '../helpers/cli.js';
import { findFreePort, startImpostorServer } from '../helpers/standin.js';
import { isLive as isAlive } from '../helpers/procs.js';

const BIN = path.join(ROOT, 'test', 'fixtures', 'bin');
const CLI = path.join(ROOT, 'bin', 'jetson-vllm.js');
const MODEL_ID = 'Qwen/Qwen2.5-0.5B-Instruct';
const base = ['launch', '--device', 'orin-nx-16gb', '--model', 'qwen2.5-0.5b-instruct', '--runtime', 'native'];
const nameFor = (port: number): string => `jetson-vllm-qwen2.5-0.5b-instruct-${port}`;

interface Box {
  dir: string;
  env: NodeJS.ProcessEnv;
  serversFile: string;
  logsDir: string;
  records: () => { name: string; pid: number; logPath: string }[];
}

function sandbox(extra: NodeJS.ProcessEnv = {}): Box {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jv-ports-'));
  const state = path.join(dir, 'state');
  const serversFile = path.join(state, 'jetson-vllm', 'servers.json');
  return {
    dir,
    serversFile,
    logsDir: path.join(state, 'jetson-vllm', 'logs'),
    env: {
      PATH: `${BIN}:${process.env.PATH ?? ''}`,
      HOME: path.join(dir, 'home'),
      XDG_STATE_HOME: state,
      XDG_DATA_HOME: path.join(dir, 'data'),
      VLLM_STANDIN_PIDFILE: path.join(dir, 'vllm.pid'),
      ...extra,
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

async function health(port: number): Promise<number | null> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
    return r.status;
  } catch {
    return null;
  }
}

// Whatever a test started is ended after it (by pid).
const started: number[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) s.close();
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await new Promise((r) => setTimeout(r, 50));
});

/** A plain TCP listener in a child process (not ours, not vLLM): resolves once it listens (or could not). */
async function listenInChild(port: number): Promise<{ child: ChildProcess; isListening: boolean }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('net').createServer().on('error', () => { console.log('busy'); }).listen(${port}, '127.0.0.1', () => console.log('listening'))`,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  if (child.pid !== undefined) started.push(child.pid);
  const said = await new Promise<string>((resolve) => child.stdout?.once('data', (d: Buffer) => resolve(d.toString())));
  return { child, isListening: said.includes('listening') };
}

/** The CLI run in the background, its output collected. */
function startCli(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) started.push(child.pid);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    out: () => out,
    exited,
    async until(text: string | RegExp, ms = 20_000): Promise<void> {
      const has = (): boolean => (typeof text === 'string' ? out.includes(text) : text.test(out));
      const deadline = Date.now() + ms;
      while (Date.now() < deadline && !has()) await new Promise((r) => setTimeout(r, 40));
      if (!has()) throw new Error(`never printed ${String(text)}; output:\n${out}`);
    },
  };
}

describe('a taken port is refused before anything starts, naming what holds it', () => {
  it('a plain listener: by pid and command line, with `kill` and the next free port; vLLM never runs (exit 3)', async () => {
    const box = sandbox();
    const port = await findFreePort();
    const { child, isListening } = await listenInChild(port);
    expect(isListening).toBe(true);
    const r = await runCliAsync([...base, '--port', String(port)], box.env);
    expect(r.code).toBe(3);
    const line = r.stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(
      new RegExp(
        `^jetson-vllm: not launched: port ${port} is taken by pid ${child.pid} \\(.*node -e .*\\); stop it: kill ${child.pid}, or launch on the next free port: --port (\\d+)$`,
      ),
    );
    const next = Number(/--port (\d+)$/.exec(line)?.[1]);
    expect(next).toBeGreaterThan(port);
    expect(existsSync(box.env.VLLM_STANDIN_PIDFILE ?? '')).toBe(false);
    expect(r.stdout).not.toContain('running vllm serve');
  }, 30_000);

  it('port 65535: there is no next port, and it says so', async () => {
    const box = sandbox();
    // Held here, or already held by something else: either way it is refused.
    await listenInChild(65_535);
    const r = await runCliAsync([...base, '--port', '65535'], box.env);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('not launched: port 65535 is taken by ');
    expect(r.stderr).toContain(
      '(port 65535 is the last one: there is no next port; choose a free one below it with --port)',
    );
    expect(r.stderr).not.toContain('65536');
    expect(existsSync(box.env.VLLM_STANDIN_PIDFILE ?? '')).toBe(false);
  }, 30_000);

  it('a vLLM left running by an attached launch killed with SIGKILL (no record): named by pid as a vLLM', async () => {
    const box = sandbox();
    const port = await findFreePort();
    const run = startCli([...base, '--port', String(port)], box.env);
    await run.until('ready: http://127.0.0.1');
    const vllmPid = Number(readFileSync(box.env.VLLM_STANDIN_PIDFILE ?? '', 'utf8'));
    started.push(vllmPid);
    run.child.kill('SIGKILL');
    await run.exited;
    // A supervisor killed with SIGKILL cannot stop its child: it still serves.
    expect(isAlive(vllmPid)).toBe(true);
    expect(await health(port)).toBe(200);
    const r = await runCliAsync([...base, '--port', String(port)], box.env);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`not launched: port ${port} is taken by pid ${vllmPid} (`);
    expect(r.stderr).toContain(`vllm serve ${MODEL_ID}`);
    expect(r.stderr).toContain('a vLLM no launch recorded (left by a launch that was killed?)');
    expect(r.stderr).toContain(`stop it: kill ${vllmPid}`);
  }, 40_000);
});

describe('launch --detach twice on one port, in parallel, and a broken record file', () => {
  it('the second run is refused naming the first; the first stays recorded, its log whole, and stoppable', async () => {
    const box = sandbox();
    const port = await findFreePort();
    const name = nameFor(port);
    const first = await runCliAsync([...base, '--port', String(port), '--detach'], box.env);
    expect(first.code).toBe(0);
    const vllmPid = Number(readFileSync(box.env.VLLM_STANDIN_PIDFILE ?? '', 'utf8'));
    started.push(vllmPid);
    const [record] = box.records();
    expect(record).toEqual(expect.objectContaining({ name, pid: vllmPid }));
    const logBefore = readFileSync(record?.logPath ?? '', 'utf8');
    expect(logBefore).toContain('Application startup complete.');

    const second = await runCliAsync([...base, '--port', String(port), '--detach'], box.env);
    expect(second.code).toBe(3);
    const refusal = second.stderr.trim();
    expect(refusal).toMatch(/^[^\n]+$/);
    expect(
      refusal.startsWith(
        `jetson-vllm: not launched: port ${port} is taken by ${name}, a server of ours launched with --detach (pid ${vllmPid}); stop it: jetson-vllm launch --stop ${name}, or launch on the next free port: --port `,
      ),
    ).toBe(true);
    expect(Number(/--port (\d+)$/.exec(refusal)?.[1])).toBeGreaterThan(port);
    // The first: still recorded, still serving, its log not truncated (one log file per start).
    expect(box.records()).toEqual([expect.objectContaining({ name, pid: vllmPid })]);
    expect(isAlive(vllmPid)).toBe(true);
    expect(readFileSync(record?.logPath ?? '', 'utf8').startsWith(logBefore)).toBe(true);
    expect(readdirSync(box.logsDir)).toHaveLength(1);

    const stopped = await runCliAsync(['launch', '--stop', name], box.env);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain(`stopped ${name}`);
    expect(isAlive(vllmPid)).toBe(false);
    expect(box.records()).toEqual([]);
  }, 40_000);

  it('two started at once (both past the check): one serves and is the one recorded; --stop ends it; none left', async () => {
    const box = sandbox({ VLLM_STANDIN_STARTUP_MS: '2500' });
    const port = await findFreePort();
    const name = nameFor(port);
    const pidFiles = [path.join(box.dir, 'a.pid'), path.join(box.dir, 'b.pid')];
    const runs = pidFiles.map((pidFile) =>
      runCliAsync([...base, '--port', String(port), '--detach'], { ...box.env, VLLM_STANDIN_PIDFILE: pidFile }),
    );
    const results = await Promise.all(runs);
    const pids = pidFiles.filter((f) => existsSync(f)).map((f) => Number(readFileSync(f, 'utf8')));
    started.push(...pids);
    const codes = results.map((r) => r.code).sort();
    // One is ready; the other died of "Address already in use" (1), or was refused by the check (3).
    expect(codes[0]).toBe(0);
    expect([1, 3]).toContain(codes[1]);
    const loser = results.find((r) => r.code !== 0);
    expect(loser?.stdout).not.toContain('left running');
    const records = box.records();
    expect(records).toHaveLength(1);
    expect(records[0]?.name).toBe(name);
    expect(isAlive(records[0]?.pid ?? 0)).toBe(true);
    expect(await health(port)).toBe(200);
    expect(readFileSync(records[0]?.logPath ?? '', 'utf8')).toContain('Application startup complete.');
    const stopped = await runCliAsync(['launch', '--stop', name], box.env);
    expect(stopped.code).toBe(0);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(box.records()).toEqual([]);
  }, 60_000);

  it('six parallel --detach launches (six ports) are all recorded', async () => {
    const box = sandbox();
    const ports: number[] = [];
    while (ports.length < 6) {
      const p = await findFreePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const results = await Promise.all(
      ports.map((port, i) =>
        runCliAsync([...base, '--port', String(port), '--detach'], {
          ...box.env,
          VLLM_STANDIN_PIDFILE: path.join(box.dir, `${i}.pid`),
        }),
      ),
    );
    for (let i = 0; i < 6; i++) {
      const pidFile = path.join(box.dir, `${i}.pid`);
      if (existsSync(pidFile)) started.push(Number(readFileSync(pidFile, 'utf8')));
    }
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(
      box
        .records()
        .map((r) => r.name)
        .sort(),
    ).toEqual(ports.map(nameFor).sort());
    expect(readdirSync(box.logsDir)).toHaveLength(6);
    const stops = await Promise.all(ports.map((p) => runCliAsync(['launch', '--stop', nameFor(p)], box.env)));
    expect(stops.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(box.records()).toEqual([]);
  }, 90_000);

  it('a truncated servers.json is set aside with its time and said in one line, not read as empty and overwritten', async () => {
    const box = sandbox();
    const dir = path.dirname(box.serversFile);
    mkdirSync(dir, { recursive: true });
    const truncated = '{\n  "version": 1,\n  "servers": [\n    {\n      "name": "jetson-vllm-x-1",\n      "runt';
    writeFileSync(box.serversFile, truncated);
    const port = await findFreePort();
    const r = await runCliAsync([...base, '--port', String(port), '--detach'], box.env);
    started.push(Number(readFileSync(box.env.VLLM_STANDIN_PIDFILE ?? '', 'utf8')));
    expect(r.code).toBe(0);
    const aside = readdirSync(dir).filter((f) => f.startsWith('servers.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(path.join(dir, aside[0] ?? ''), 'utf8')).toBe(truncated);
    const said = r.stderr.split('\n').filter((l) => l.includes('could not be read'));
    expect(said).toEqual([
      `jetson-vllm: ${box.serversFile} could not be read (${said[0]?.match(/could not be read \((.*)\): kept as/)?.[1] ?? '?'}): kept as ${path.join(dir, aside[0] ?? '')}; the servers it listed are no longer recorded (jetson-vllm launch finds one still holding its port)`,
    ]);
    expect(said[0]).toMatch(/could not be read \(not JSON/);
    expect(box.records().map((s) => s.name)).toEqual([nameFor(port)]);
    expect((await runCliAsync(['launch', '--stop', nameFor(port)], box.env)).code).toBe(0);
  }, 40_000);
});

describe('readiness is not fooled by another server on the port', () => {
  /** A start-up log whose API-server line comes early, then a slow rest: the port is bound only at the end. */
  function slowBindLog(dir: string, port: number): string {
    const file = path.join(dir, 'slow-bind.log');
    const lines = [
      `INFO 01-01 00:00:00 [api_server.py:1000] vLLM API server version 0.11.2`,
      `INFO 01-01 00:00:00 [api_server.py:1500] Starting vLLM API server 0 on http://127.0.0.1:${port}`,
      ...Array.from({ length: 10 }, (_, i) => `INFO 01-01 00:00:00 [core.py:100] still starting (${i})`),
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  it.each([
    ['--detach', true],
    ['attached', false],
  ])(
    '%s: a server that starts answering after the check, while ours dies of "Address already in use": failed, no record, no ready',
    async (_, isDetached) => {
      const port = await findFreePort();
      const box = sandbox({ VLLM_STANDIN_STARTUP_MS: '4000' });
      const run = startCli([...base, '--port', String(port), ...(isDetached ? ['--detach'] : [])], {
        ...box.env,
        VLLM_STANDIN_LOG: slowBindLog(box.dir, port),
      });
      await run.until('starting the API server');
      servers.push(await startImpostorServer(port, MODEL_ID));
      const exit = await run.exited;
      const vllmPid = Number(readFileSync(box.env.VLLM_STANDIN_PIDFILE ?? '', 'utf8'));
      expect(exit.code).toBe(1);
      expect(run.out()).toContain('Address already in use');
      expect(run.out()).not.toMatch(/ready: http/);
      expect(run.out()).not.toContain('left running');
      expect(isAlive(vllmPid)).toBe(false);
      expect(box.records()).toEqual([]);
      const history = path.join(box.env.XDG_DATA_HOME ?? '', 'jetson-vllm', 'history.jsonl');
      const entries = existsSync(history)
        ? readFileSync(history, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { outcome: string })
        : [];
      expect(entries.filter((e) => e.outcome === 'ready')).toEqual([]);
    },
    40_000,
  );
});

describe('every launch keeps its log', () => {
  it('a failed attached launch prints where its full log is; the file holds the traceback', async () => {
    const box = sandbox({ VLLM_STANDIN_FAIL: 'engine-failed' });
    const port = await findFreePort();
    const r = await runCliAsync([...base, '--port', String(port)], box.env);
    expect(r.code).toBe(1);
    const logPath = /^ {2}full log: (.+)$/m.exec(r.stdout)?.[1] ?? '';
    expect(path.dirname(logPath)).toBe(box.logsDir);
    expect(path.basename(logPath)).toMatch(
      new RegExp(`^${nameFor(port).replaceAll('.', '\\.')}-\\d{8}T\\d{6}\\.\\d{3}Z\\.log$`),
    );
    const text = readFileSync(logPath, 'utf8');
    expect(text).toContain('Traceback (most recent call last):');
    expect(text).toContain(`jetson-vllm: running vllm serve ${MODEL_ID}`);
    // The last line printed says where the log is.
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(`  full log: ${logPath}`);
  }, 30_000);

  it('the newest five per server name are kept', async () => {
    const box = sandbox({ VLLM_STANDIN_EXIT: '1' });
    const port = await findFreePort();
    for (let i = 0; i < 7; i++) {
      const r = await runCliAsync([...base, '--port', String(port)], box.env);
      expect(r.code).toBe(1);
    }
    expect(readdirSync(box.logsDir)).toHaveLength(5);
  }, 90_000);
});
