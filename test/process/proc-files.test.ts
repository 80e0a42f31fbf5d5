import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listProcPids, readTextOrNull } from '../../src/process/proc-files.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'jv-proc-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('proc-files', () => {
  it("lists only a root's numeric /proc entries; none when it has no /proc", () => {
    for (const name of ['1', '812', 'self', 'meminfo', '42x'])
      mkdirSync(path.join(root, 'proc', name), { recursive: true });
    expect(listProcPids(root).sort((a, b) => a - b)).toEqual([1, 812]);
    expect(listProcPids(path.join(root, 'missing'))).toEqual([]);
  });

  it('reads a file whole, and null for one that is gone (a process that exited between listing and reading)', () => {
    writeFileSync(path.join(root, 'proc', '812', 'comm'), 'ollama\n');
    expect(readTextOrNull(path.join(root, 'proc', '812', 'comm'))).toBe('ollama\n');
    expect(readTextOrNull(path.join(root, 'proc', '9999', 'comm'))).toBeNull();
  });
});
