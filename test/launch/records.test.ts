/**
 * src/launch/detached.ts (the record functions), lock-file.ts and logs.ts on real files: parallel
 * updates all land, a record of a server that still runs is never forgotten nor replaced, an unreadable
 * servers.json is set aside (not emptied) and said in one line; each launch gets its own log file, the
 * newest few kept; a log that cannot be written is said once and never fails the launch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { summarizePlan, type ServerRecord } from '../../src/launch/core/servers.js';
import { buildLogFileName } from '../../src/launch/core/log-files.js';
import { forgetServers, readServers, recordServer } from '../../src/launch/detached.js';
import { withFileLock } from '../../src/launch/lock-file.js';
import { createLaunchLogFile, openLaunchLog } from '../../src/launch/logs.js';
import { planFor } from '../helpers/catalog.js';

const plan = planFor({ device: 'orin-nx-16gb', model: 'qwen2.5-0.5b-instruct', port: '8123' });
const tmp = (): string => mkdtempSync(path.join(os.tmpdir(), 'jv-records-'));
const record = (name: string, pid: number): ServerRecord => ({
  name,
  runtime: 'native',
  url: 'http://127.0.0.1:8123',
  pid,
  container: null,
  logPath: null,
  startedAt: '',
  plan: summarizePlan(plan),
});

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});
/** A live process whose command line says vllm (what isServerAlive asks of a recorded pid). */
async function liveVllm(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', 'vllm'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((r) => child.once('spawn', r));
  return child.pid ?? 0;
}
/** A pid that is not alive: a child that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('exit', r));
  return child.pid ?? 0;
}

describe('servers.json under a lock', () => {
  it('parallel records all land (each read-change-write holds the lock)', async () => {
    const file = path.join(tmp(), 'state', 'servers.json');
    const pid = await liveVllm();
    await Promise.all(Array.from({ length: 12 }, (_, i) => recordServer(record(`s${i}`, pid), file)));
    const { servers } = await readServers(file);
    expect(servers.map((s) => s.name).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `s${i}`).sort());
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('a lock left by a process that is gone is taken over; one held waits', async () => {
    const dir = tmp();
    const file = path.join(dir, 'servers.json');
    writeFileSync(`${file}.lock`, String(await deadPid()));
    expect(await withFileLock(file, () => Promise.resolve('ran'))).toBe('ran');
    const order: string[] = [];
    await Promise.all([
      withFileLock(file, async () => {
        order.push('a in');
        await new Promise((r) => setTimeout(r, 100));
        order.push('a out');
      }),
      new Promise((r) => setTimeout(r, 10)).then(() => withFileLock(file, () => Promise.resolve(order.push('b')))),
    ]);
    expect(order).toEqual(['a in', 'a out', 'b']);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a record of a server that still runs is never forgotten; a gone one is', async () => {
    const file = path.join(tmp(), 'servers.json');
    await recordServer(record('alive', await liveVllm()), file);
    await recordServer(record('gone', await deadPid()), file);
    await forgetServers(['alive', 'gone'], file);
    expect((await readServers(file)).servers.map((s) => s.name)).toEqual(['alive']);
  });

  it('a start does not replace the record of a running server of its name (said in one line); ready does', async () => {
    const file = path.join(tmp(), 'servers.json');
    const first = await liveVllm();
    const second = await liveVllm();
    await recordServer(record('same', first), file);
    const said: string[] = [];
    await recordServer(record('same', second), file, (l) => said.push(l));
    expect((await readServers(file)).servers.map((s) => s.pid)).toEqual([first]);
    expect(said).toEqual([
      `jetson-vllm: same is already recorded for a server that runs (pid ${first}): the record stays`,
    ]);
    await recordServer(record('same', second), file, (l) => said.push(l), true);
    expect((await readServers(file)).servers.map((s) => s.pid)).toEqual([second]);
    // A dead one of the name is replaced by a start.
    const dir = tmp();
    const other = path.join(dir, 'servers.json');
    await recordServer(record('same', await deadPid()), other);
    await recordServer(record('same', first), other);
    expect((await readServers(other)).servers.map((s) => s.pid)).toEqual([first]);
  });

  it.each([
    ['truncated', (text: string) => text.slice(0, Math.floor(text.length / 2))],
    ['foreign', () => '{"version": 7, "servers": []}'],
  ])(
    'a %s servers.json is set aside with its time, said in one line, and a new record starts a new file',
    async (_, spoil) => {
      const dir = tmp();
      const file = path.join(dir, 'servers.json');
      const pid = await liveVllm();
      await recordServer(record('a', pid), file);
      await recordServer(record('b', pid), file);
      const broken = spoil(readFileSync(file, 'utf8'));
      writeFileSync(file, broken);
      const said: string[] = [];
      expect((await readServers(file, (l) => said.push(l))).servers).toEqual([]);
      expect(said).toHaveLength(1);
      const aside = readdirSync(dir).filter((f) => f.startsWith('servers.json.corrupt-'));
      expect(aside).toEqual([expect.stringMatching(/^servers\.json\.corrupt-\d{8}T\d{6}\.\d{3}Z$/)]);
      expect(readFileSync(path.join(dir, aside[0] ?? ''), 'utf8')).toBe(broken);
      expect(said[0]).toContain(`${file} could not be read (`);
      expect(said[0]).toContain(`kept as ${path.join(dir, aside[0] ?? '')}`);
      // Set aside once: the next reading finds no file, the next record writes a new one.
      expect((await readServers(file, (l) => said.push(l))).servers).toEqual([]);
      await recordServer(record('c', pid), file, (l) => said.push(l));
      expect((await readServers(file)).servers.map((s) => s.name)).toEqual(['c']);
      expect(said).toHaveLength(1);
    },
  );

  it('a broken file found while recording is set aside too, not overwritten', async () => {
    const dir = tmp();
    const file = path.join(dir, 'servers.json');
    writeFileSync(file, '{"version":1,"servers":[{"name":"x"');
    const said: string[] = [];
    await recordServer(record('new', await liveVllm()), file, (l) => said.push(l));
    expect(said).toHaveLength(1);
    expect(readdirSync(dir).filter((f) => f.includes('corrupt'))).toHaveLength(1);
    expect((await readServers(file)).servers.map((s) => s.name)).toEqual(['new']);
  });
});

describe('launch logs', () => {
  const NAME = 'jetson-vllm-m-8000';

  it('each launch gets its own file; the newest 5 per server stay, a recorded one and other servers’ are kept', async () => {
    const dir = path.join(tmp(), 'logs');
    mkdirSync(dir);
    const old = Array.from({ length: 7 }, (_, i) => buildLogFileName(NAME, new Date(Date.UTC(2020, 0, 1, 0, 0, i))));
    for (const f of old) writeFileSync(path.join(dir, f), f);
    const other = buildLogFileName(`${NAME}1`, new Date(Date.UTC(2019, 0, 1)));
    writeFileSync(path.join(dir, other), 'other');
    const kept = path.join(dir, old[0] ?? '');
    const file = await createLaunchLogFile(dir, NAME, [kept]);
    expect(path.dirname(file)).toBe(dir);
    expect(readFileSync(file, 'utf8')).toBe('');
    const left = readdirSync(dir).sort();
    expect(left).toEqual([other, old[0], old[3], old[4], old[5], old[6], path.basename(file)].sort());
    // A second launch in the same folder never reuses the file.
    const again = await createLaunchLogFile(dir, NAME, [kept]);
    expect(again).not.toBe(file);
    expect(existsSync(file)).toBe(true);
  });

  it('the writer writes every line in order; closing flushes', async () => {
    const dir = tmp();
    const file = await createLaunchLogFile(dir, NAME);
    const errors: string[] = [];
    const log = openLaunchLog(file, (m) => errors.push(m));
    for (let i = 0; i < 1000; i++) log.write(`line ${i}`);
    await log.close();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1000);
    expect(lines[999]).toBe('line 999');
    expect(errors).toEqual([]);
    log.write('after close: ignored');
    await log.close();
  });

  it('a file that cannot be written: said once, never thrown', async () => {
    const errors: string[] = [];
    const file = path.join(tmp(), 'missing-folder', 'x.log');
    const log = openLaunchLog(file, (m) => errors.push(m));
    for (let i = 0; i < 10; i++) log.write(`line ${i}`);
    await new Promise((r) => setTimeout(r, 100));
    log.write('more');
    await log.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(
        `^jetson-vllm: could not write the launch log ${file}: .*ENOENT.*\\(the launch goes on without it\\)$`,
      ),
    );
  });

  it('a folder that cannot be made throws (the launch says so and goes on)', async () => {
    const blocker = path.join(tmp(), 'file');
    writeFileSync(blocker, '');
    await expect(createLaunchLogFile(path.join(blocker, 'logs'), NAME)).rejects.toThrow();
  });
});
