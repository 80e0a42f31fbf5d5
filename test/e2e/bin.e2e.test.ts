/**
 * The installed command: `jetson-vllm` is bin/jetson-vllm.js run through its shebang
 * (`#!/usr/bin/env -S node <V8 flags>`), not `node bin/jetson-vllm.js` as the other end-to-end tests run it.
 * The flags hold the wizard's peak RSS under its floor (README, "Benchmarks"), so they must reach node.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, disposeAll, isBuilt, startCli } from './harness.js';

/** The V8 flags written in the shebang. */
function shebangFlags(): string[] {
  const first = readFileSync(CLI, 'utf8').split('\n')[0] ?? '';
  const flags = /^#!\/usr\/bin\/env -S node((?: --\S+)+)$/.exec(first)?.[1];
  if (flags === undefined) throw new Error(`not a shebang with node flags: ${first}`);
  return flags.trim().split(' ');
}

beforeAll(() => {
  if (!isBuilt()) throw new Error('bin/dist is missing: run npm run build:bundle');
});
afterEach(disposeAll);

describe('the installed command', () => {
  it('the shebang gives node --optimize-for-size and a 1 MiB semi-space, which the running wizard has', async () => {
    expect(shebangFlags()).toEqual(['--optimize-for-size', '--max-semi-space-size=1']);
    const s = startCli(['--root', 'test/fixtures/roots/orin-nx-16gb-jp62'], { asInstalled: true });
    await s.waitFor('part number', 20_000);
    // env execs node in its own place: the pid is node's, and its argv carries the flags before the script.
    const argv = readFileSync(`/proc/${s.pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
    expect(argv.slice(1, 4)).toEqual([...shebangFlags(), CLI]);
    s.press('q');
    expect((await s.exited).exitCode).toBe(0);
  }, 30_000);
});
