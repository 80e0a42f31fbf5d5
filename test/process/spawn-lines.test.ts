/**
 * spawnLines against the stand-in vLLM's V1 process tree (an API server and its EngineCore_0 child that
 * inherits the pipes): as a group leader it stops the whole tree — checked by PID — and never waits on a
 * pipe an orphan holds; SIGKILL after the grace; kill() escalates at once; the tree dies with this process;
 * a child's endless line or binary output is bounded.
 */
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { buildSync } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnLines } from '../../src/process/spawn-lines.js';
import { isGroupAlive, listGroupMembers } from '../../src/process/process-group.js';
import { ROOT } from '../helpers/catalog.js';
import { findFreePort, STANDIN, waitUntil } from '../helpers/standin.js';
import { isLive } from '../helpers/procs.js';

const tmp = (): string => mkdtempSync(path.join(os.tmpdir(), 'jv-spawn-lines-'));
const left: number[] = [];

afterEach(() => {
  for (const pid of left.splice(0))
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
});

interface Tree {
  lines: string[];
  stream: ReturnType<typeof spawnLines>;
  apiPid: number;
  enginePid(): number;
  signals(): string[];
}

/** The V1 stand-in under spawnLines, started as a group leader, once it serves. */
async function startTree(env: Record<string, string>, o: { orphanGraceMs?: number } = {}): Promise<Tree> {
  const dir = tmp();
  const pidFile = path.join(dir, 'pid');
  const signalFile = path.join(dir, 'signals');
  const lines: string[] = [];
  const stream = spawnLines(STANDIN, ['serve', 'm', '--port', String(await findFreePort())], (l) => lines.push(l), {
    isGroupLeader: true,
    env: {
      PATH: process.env.PATH,
      VLLM_STANDIN_V1: '1',
      VLLM_STANDIN_PIDFILE: pidFile,
      VLLM_STANDIN_SIGNALS: signalFile,
      ...env,
    },
    ...o,
  });
  const apiPid = stream.pid ?? 0;
  left.push(apiPid);
  expect(await waitUntil(() => lines.some((l) => l.includes('Uvicorn running on')), 10_000)).toBe(true);
  const enginePid = Number(readFileSync(`${pidFile}.engine`, 'utf8'));
  left.push(enginePid);
  return {
    lines,
    stream,
    apiPid,
    enginePid: () => enginePid,
    signals: () => (existsSync(signalFile) ? readFileSync(signalFile, 'utf8').trim().split('\n') : []),
  };
}

describe('spawnLines as a group leader: the V1 tree (API server + EngineCore_0)', () => {
  it('runs in its own process group and session, the engine in it', async () => {
    const t = await startTree({});
    const stat = readFileSync(`/proc/${t.apiPid}/stat`, 'utf8');
    const [, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    expect(Number(pgrp)).toBe(t.apiPid);
    expect(Number(session)).toBe(t.apiPid);
    expect(listGroupMembers(t.apiPid)?.sort()).toEqual([t.apiPid, t.enginePid()].sort());
    expect(t.lines.some((l) => l.startsWith(`(EngineCore_0 pid=${t.enginePid()}) INFO `))).toBe(true);
    await t.stream.stop(2000);
  }, 20_000);

  it('stop(): SIGTERM to the group; an orphaning engine that keeps the pipe is stopped too, no hang', async () => {
    const t = await startTree({ VLLM_STANDIN_ORPHAN_ENGINE: '1' });
    const started = Date.now();
    await t.stream.stop(5000);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(isLive(t.apiPid)).toBe(false);
    expect(isLive(t.enginePid())).toBe(false);
    expect(isGroupAlive(t.apiPid)).toBe(false);
    // Both got SIGTERM (from the group signal), nobody needed SIGKILL.
    expect(t.signals().map((l) => l.split(' ')[1])).toEqual(['SIGTERM', 'SIGTERM']);
    expect(t.lines).toContain('INFO:     Application shutdown complete.');
  }, 20_000);

  it('the API server killed alone (SIGKILL) leaves an orphan holding the pipe: exited still resolves, the orphan is stopped', async () => {
    const t = await startTree({ VLLM_STANDIN_ORPHAN_ENGINE: '1' }, { orphanGraceMs: 500 });
    process.kill(t.apiPid, 'SIGKILL');
    const started = Date.now();
    expect(await t.stream.exited).toEqual({ exitCode: null, signal: 'SIGKILL' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(isLive(t.enginePid())).toBe(false);
  }, 20_000);

  it('a tree that ignores SIGTERM gets SIGKILL (the group) after the grace', async () => {
    const t = await startTree({ VLLM_STANDIN_IGNORE_SIGTERM: '1', VLLM_STANDIN_ORPHAN_ENGINE: '1' });
    const started = Date.now();
    await t.stream.stop(800);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(800);
    expect(took).toBeLessThan(4000);
    expect(await t.stream.exited).toEqual({ exitCode: null, signal: 'SIGKILL' });
    expect(isLive(t.apiPid)).toBe(false);
    expect(isLive(t.enginePid())).toBe(false);
  }, 20_000);

  it('kill() during a stop (a second Ctrl-C) kills the group at once', async () => {
    const t = await startTree({ VLLM_STANDIN_IGNORE_SIGTERM: '1' });
    const stopped = t.stream.stop(60_000);
    await waitUntil(() => t.signals().length === 2);
    const started = Date.now();
    t.stream.kill();
    await stopped;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(isLive(t.apiPid)).toBe(false);
    expect(isLive(t.enginePid())).toBe(false);
  }, 20_000);

  it('the group is killed when this process exits while it runs (an uncaught error)', async () => {
    const dir = tmp();
    const driver = path.join(dir, 'driver.mjs');
    // A process that starts the tree through spawnLines, then dies of an uncaught error.
    buildSync({
      stdin: {
        contents: `
          import { spawnLines } from ${JSON.stringify(path.join(ROOT, 'src/process/spawn-lines.ts'))};
          const s = spawnLines(process.argv[2], ['serve', 'm', '--port', process.argv[3]], (l) => {
            if (l.includes('Uvicorn running on')) setTimeout(() => { throw new Error('boom'); }, 10);
          }, { isGroupLeader: true });
          process.stdout.write(String(s.pid) + '\\n');
        `,
        resolveDir: ROOT,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: driver,
      logLevel: 'silent',
    });
    const pidFile = path.join(dir, 'pid');
    const child = spawn(process.execPath, [driver, STANDIN, String(await findFreePort())], {
      env: {
        PATH: process.env.PATH,
        VLLM_STANDIN_V1: '1',
        VLLM_STANDIN_PIDFILE: pidFile,
        VLLM_STANDIN_ORPHAN_ENGINE: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('boom');
    const apiPid = Number(readFileSync(pidFile, 'utf8'));
    const enginePid = Number(readFileSync(`${pidFile}.engine`, 'utf8'));
    left.push(apiPid, enginePid);
    expect(await waitUntil(() => !isLive(apiPid) && !isLive(enginePid), 3000)).toBe(true);
  }, 20_000);
});

describe('spawnLines: a pipe held by a process outside the group, hostile output', () => {
  it('a child gone while a process it set loose (setsid) holds the pipe: exited resolves, not waiting on it', async () => {
    const dir = tmp();
    const pidFile = path.join(dir, 'escaped');
    const lines: string[] = [];
    const s = spawnLines(
      'sh',
      ['-c', `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 30' & echo started; sleep 0.2`],
      (l) => lines.push(l),
    );
    const started = Date.now();
    expect(await s.exited).toEqual({ exitCode: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(3500);
    expect(lines).toContain('started');
    if (existsSync(pidFile)) left.push(Number(readFileSync(pidFile, 'utf8')));
  }, 20_000);

  it('64 MiB without a newline: one cut line with the exact count, memory bounded, then the next line', async () => {
    const lines: string[] = [];
    const size = 64 * 1024 * 1024;
    const rssBefore = process.memoryUsage().rss;
    const s = spawnLines(
      process.execPath,
      [
        '-e',
        `const b = Buffer.alloc(1 << 20, 120); let n = ${size / 2 ** 20};
         const more = () => { while (n > 0) { n--; if (!process.stdout.write(b)) return process.stdout.once('drain', more); } process.stdout.write('\\nafter\\n'); };
         more();`,
      ],
      (l) => lines.push(l),
    );
    expect(await s.exited).toEqual({ exitCode: 0, signal: null });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`${'x'.repeat(64 * 1024)}… [cut: ${size - 64 * 1024} more bytes]`);
    expect(lines[1]).toBe('after');
    expect(s.cut).toEqual({ lines: 1, bytes: size - 64 * 1024 });
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(48 * 1024 * 1024);
  }, 30_000);

  it('binary output never throws', async () => {
    const dir = tmp();
    const file = path.join(dir, 'bin');
    writeFileSync(file, Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 256)));
    const lines: string[] = [];
    const s = spawnLines('cat', [file], (l) => lines.push(l));
    expect((await s.exited).exitCode).toBe(0);
    expect(lines.length).toBeGreaterThan(0);
  }, 20_000);
});
