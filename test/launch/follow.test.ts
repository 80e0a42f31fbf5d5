/** src/launch/follow.ts: a growing file is handed over line by line, from its start or its last lines. */
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { followFile } from '../../src/launch/follow.js';

const tmpFile = (): string => path.join(mkdtempSync(path.join(os.tmpdir(), 'jv-follow-')), 'server.log');
const settle = (ms = 120): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('followFile', () => {
  it('from the start: complete lines as they are written, a line split across writes once, the last partial one on stop', async () => {
    const file = tmpFile();
    writeFileSync(file, 'one\ntw');
    const lines: string[] = [];
    const f = followFile(file, (l) => lines.push(l), { fromStart: true, intervalMs: 20 });
    await settle();
    expect(lines).toEqual(['one']);
    appendFileSync(file, 'o\r\nthree\nfou');
    await settle();
    expect(lines).toEqual(['one', 'two', 'three']);
    await f.stop();
    expect(lines).toEqual(['one', 'two', 'three', 'fou']);
  });

  it('from the last N lines, then what follows; a file that appears later is waited for', async () => {
    const file = tmpFile();
    writeFileSync(file, Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n') + '\n');
    const lines: string[] = [];
    const f = followFile(file, (l) => lines.push(l), { tailLines: 3, intervalMs: 20 });
    await settle();
    appendFileSync(file, 'line 100\n');
    await settle();
    await f.stop();
    expect(lines).toEqual(['line 97', 'line 98', 'line 99', 'line 100']);

    const later = tmpFile();
    const seen: string[] = [];
    const g = followFile(later, (l) => seen.push(l), { fromStart: true, intervalMs: 20 });
    await settle(60);
    writeFileSync(later, 'hello\n');
    await settle();
    await g.stop();
    expect(seen).toEqual(['hello']);
  });
});
