/** src/launch/core/servers.ts: the record of detached servers survives a round trip; broken input reads as none. */
import { describe, expect, it } from 'vitest';
import {
  addServer,
  buildCorruptPath,
  describeServerPlace,
  describeSetAside,
  emptyServerFile,
  findRecordPort,
  parseServerFile,
  readServerFileText,
  removeServers,
  serializeServerFile,
  summarizePlan,
  type ServerRecord,
} from '../../../src/launch/core/servers.js';
import { planFor } from '../../helpers/catalog.js';

const plan = planFor({ device: 'orin-nx-16gb', model: 'qwen2.5-0.5b-instruct', port: '8123' });
const docker: ServerRecord = {
  name: 'jetson-vllm-qwen2.5-0.5b-instruct-8123',
  runtime: 'docker',
  url: 'http://127.0.0.1:8123',
  pid: null,
  container: 'jetson-vllm-qwen2.5-0.5b-instruct-8123',
  logPath: null,
  startedAt: '2026-11-25T00:00:00.000Z',
  plan: summarizePlan(plan),
};
const native: ServerRecord = {
  ...docker,
  name: 'n',
  runtime: 'native',
  pid: 4242,
  container: null,
  logPath: '/s/n.log',
};

describe('the record of detached servers', () => {
  it("keeps the plan's prediction for the monitor, and round-trips", () => {
    expect(docker.plan.totalBytes).toBe(plan.budget.totalBytes);
    expect(docker.plan.bytesPerBlock).toBe(plan.kvCache.bytesPerBlock);
    const file = addServer(addServer(emptyServerFile(), docker), native);
    expect(parseServerFile(serializeServerFile(file))).toEqual(file);
  });

  it('a server recorded again under its name replaces the old record; removing forgets it', () => {
    const file = addServer(addServer(emptyServerFile(), docker), { ...docker, url: 'http://127.0.0.1:9' });
    expect(file.servers.map((s) => s.url)).toEqual(['http://127.0.0.1:9']);
    expect(removeServers(file, [docker.name]).servers).toEqual([]);
  });

  it('broken, foreign or partial input reads as no servers, and bad entries are dropped', () => {
    for (const text of [null, '', '{', '[]', '{"version":2,"servers":[]}', '{"version":1}'])
      expect(parseServerFile(text)).toEqual(emptyServerFile());
    const mixed = JSON.stringify({
      version: 1,
      servers: [docker, { ...native, pid: null }, { ...docker, container: null }, { name: 'x' }, 3],
    });
    expect(parseServerFile(mixed).servers).toEqual([docker]);
  });
});

describe('describeServerPlace', () => {
  it.each([
    ['a docker server: its container', docker, 'container jetson-vllm-qwen2.5-0.5b-instruct-8123'],
    [
      'a docker server with no container recorded: its name',
      { ...docker, container: null },
      `container ${docker.name}`,
    ],
    ['a native server: its pid', native, 'pid 4242'],
    ['a native server with no pid recorded', { ...native, pid: null }, 'pid ?'],
  ])('%s', (_what, record, expected) => {
    expect(describeServerPlace(record)).toBe(expected);
  });

  it("a wizard's server (held by its pid): whether that wizard still runs or died and left it behind", () => {
    const held: ServerRecord = { ...native, heldBy: 777 };
    expect(describeServerPlace(held, true)).toBe('pid 4242, held by the wizard pid 777');
    expect(describeServerPlace(held, false)).toBe('pid 4242, left behind by a wizard that died (pid 777)');
    // Not asked (the liveness unknown) or not held: the place alone.
    expect(describeServerPlace(held)).toBe('pid 4242');
    expect(describeServerPlace(native, false)).toBe('pid 4242');
  });
});

describe("the holder of a wizard's record", () => {
  it('round-trips; a record without one (--detach, or after `l`) has none; a bad one is dropped', () => {
    const file = addServer(emptyServerFile(), { ...native, heldBy: 777 });
    expect(parseServerFile(serializeServerFile(file)).servers[0]?.heldBy).toBe(777);
    expect(parseServerFile(serializeServerFile(addServer(emptyServerFile(), native))).servers[0]).not.toHaveProperty(
      'heldBy',
    );
    const bad = serializeServerFile(addServer(emptyServerFile(), native)).replace(
      '"pid": 4242',
      '"pid": 4242, "heldBy": -3',
    );
    expect(parseServerFile(bad).servers[0]).toEqual(native);
  });
});

describe('readServerFileText: a file that cannot be read is said so, never read as empty', () => {
  it.each([
    ['missing', null],
    ['empty', ''],
    ['blank', ' \n'],
  ])('%s: no servers', (_, text) => {
    expect(readServerFileText(text)).toEqual({ ok: true, file: emptyServerFile() });
  });

  it.each([
    ['truncated JSON', serializeServerFile(addServer(emptyServerFile(), docker)).slice(0, 60), /^not JSON \(/],
    ['an opening brace only', '{', /^not JSON/],
    ['a list', '[]', /^not a jetson-vllm record file/],
    ['another version', '{"version":2,"servers":[]}', /^not a jetson-vllm record file/],
    ['no servers', '{"version":1}', /^not a jetson-vllm record file/],
    ['null', 'null', /^not a jetson-vllm record file/],
  ])('%s: unreadable, with why', (_, text, why) => {
    const reading = readServerFileText(text);
    expect(reading.ok).toBe(false);
    if (!reading.ok) expect(reading.why).toMatch(why);
  });

  it('a good file reads as parseServerFile reads it', () => {
    const text = serializeServerFile(addServer(addServer(emptyServerFile(), docker), native));
    expect(readServerFileText(text)).toEqual({ ok: true, file: parseServerFile(text) });
  });

  it('the copy set aside is named by the time; the line says where it is and what it means', () => {
    const aside = buildCorruptPath('/s/servers.json', new Date('2026-01-02T03:04:05.678Z'));
    expect(aside).toBe('/s/servers.json.corrupt-20260102T030405.678Z');
    expect(describeSetAside('/s/servers.json', aside, 'not JSON (x)')).toBe(
      'jetson-vllm: /s/servers.json could not be read (not JSON (x)): kept as /s/servers.json.corrupt-20260102T030405.678Z; the servers it listed are no longer recorded (jetson-vllm launch finds one still holding its port)',
    );
  });
});

describe('findRecordPort', () => {
  it.each([
    ['http://127.0.0.1:8000', 8000],
    ['http://127.0.0.1:1', 1],
    ['http://127.0.0.1:65535', 65_535],
    ['http://127.0.0.1:65536', null],
    ['http://127.0.0.1:0', null],
    ['http://[::1]:8001', 8001],
    ['http://host:8002/v1', 8002],
    ['http://host', null],
  ])('%s → %s', (url, port) => {
    expect(findRecordPort({ ...docker, url })).toBe(port);
  });
});
