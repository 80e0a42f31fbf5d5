/** src/launch/core/servers.ts: the record of detached servers survives a round trip; broken input reads as none. */
import { describe, expect, it } from 'vitest';
import {
  addServer,
  describeServerPlace,
  emptyServerFile,
  parseServerFile,
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
});
