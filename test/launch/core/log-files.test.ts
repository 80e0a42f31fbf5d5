/** src/launch/core/log-files.ts: one log file per launch, named by server and time; the newest few kept. */
import { describe, expect, it } from 'vitest';
import {
  buildLogFileName,
  formatLogTimestamp,
  LOGS_KEPT,
  parseLogFileName,
  selectLogsToPrune,
} from '../../../src/launch/core/log-files.js';

const at = (iso: string): Date => new Date(iso);
const NAME = 'jetson-vllm-qwen-8000';

describe('log file names', () => {
  it('carry the server name and the UTC time to the millisecond (sorting as they happened)', () => {
    expect(formatLogTimestamp(at('2026-01-02T03:04:05.678Z'))).toBe('20260102T030405.678Z');
    expect(buildLogFileName(NAME, at('2026-01-02T03:04:05.678Z'))).toBe(`${NAME}-20260102T030405.678Z.log`);
    expect(buildLogFileName(NAME, at('2026-01-02T03:04:05.678Z'), 2)).toBe(`${NAME}-20260102T030405.678Z-2.log`);
  });

  it.each([
    [`${NAME}-20260102T030405.678Z.log`, NAME, { stamp: '20260102T030405.678Z', n: 0 }],
    [`${NAME}-20260102T030405.678Z-3.log`, NAME, { stamp: '20260102T030405.678Z', n: 3 }],
    // Another server whose name starts with this one's is not this one's.
    [`${NAME}1-20260102T030405.678Z.log`, NAME, null],
    [`jetson-vllm-x-1-2-20260102T030405.678Z.log`, 'jetson-vllm-x-1', null],
    [`jetson-vllm-x-1-2-20260102T030405.678Z.log`, 'jetson-vllm-x-1-2', { stamp: '20260102T030405.678Z', n: 0 }],
    [`${NAME}.log`, NAME, null],
    [`${NAME}-20260102T030405.678Z.log.tmp`, NAME, null],
    ['servers.json', NAME, null],
  ])('%s of %s → %j', (file, name, parsed) => {
    expect(parseLogFileName(file, name)).toEqual(parsed);
  });

  it('a name round-trips', () => {
    for (const n of [0, 1, 12]) {
      const file = buildLogFileName(NAME, at('2030-12-31T23:59:59.999Z'), n);
      expect(parseLogFileName(file, NAME)).toEqual({ stamp: '20301231T235959.999Z', n });
    }
  });
});

describe('selectLogsToPrune', () => {
  const files = (count: number): string[] =>
    Array.from({ length: count }, (_, i) => buildLogFileName(NAME, new Date(Date.UTC(2026, 0, 1, 0, 0, i))));

  it.each([
    [0, 0],
    [LOGS_KEPT - 1, 0],
    [LOGS_KEPT, 0],
    [LOGS_KEPT + 1, 1],
    [12, 12 - LOGS_KEPT],
  ])('%i logs, keeping %i → removes the oldest %i', (count, removed) => {
    const all = files(count);
    const pruned = selectLogsToPrune([...all].reverse(), NAME, LOGS_KEPT);
    expect(pruned.sort()).toEqual(all.slice(0, removed).sort());
  });

  it('never removes a kept file (a running detached server writes it) nor counts it', () => {
    const all = files(7);
    const kept = new Set([all[0] ?? '']);
    const pruned = selectLogsToPrune(all, NAME, 5, kept);
    expect(pruned).not.toContain(all[0]);
    // Six count; the oldest of them goes.
    expect(pruned).toEqual([all[1]]);
  });

  it('the same millisecond: the higher number is newer', () => {
    const t = at('2026-01-01T00:00:00.000Z');
    const list = [0, 1, 2].map((n) => buildLogFileName(NAME, t, n));
    expect(selectLogsToPrune(list, NAME, 2)).toEqual([list[0]]);
  });

  it("leaves other servers' logs and other files alone; keep 0 removes all of this server's", () => {
    const other = buildLogFileName(`${NAME}1`, at('2020-01-01T00:00:00.000Z'));
    const mine = files(2);
    expect(selectLogsToPrune([other, 'servers.json', ...mine], NAME, 0).sort()).toEqual(mine.sort());
    expect(selectLogsToPrune([other, 'servers.json', ...mine], NAME, -1).sort()).toEqual(mine.sort());
  });
});
