/**
 * Quitting the panel after a wizard launch, in a real pseudo-terminal (stand-in vllm and tegrastats on PATH):
 * with the log view open, the stop question stays on screen while the panel keeps drawing; y stops the server
 * and the last thing on the terminal says it was stopped (not the launch screen's "s stop the server").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, disposeAll, isBuilt, pressAndWait, startCli } from '../e2e/harness.js';
import { wizardArgs } from '../e2e/wizard-session.js';

const BIN = path.join(ROOT, 'test', 'fixtures', 'bin');
const BOARD_ROOT = path.join(ROOT, 'test', 'fixtures', 'roots', 'orin-nx-16gb-jp62');
const QUESTION = 'Stop the vLLM server and quit?';

let tmp = '';
beforeAll(() => {
  if (!isBuilt()) throw new Error('bin/dist is not built: run `npm run build:bundle` (npm test does)');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'jv-panel-quit-'));
  return () => rmSync(tmp, { recursive: true, force: true });
});
afterEach(disposeAll);

describe('the panel after a wizard launch', () => {
  it('keeps the stop question visible over the log view, and says the server was stopped', async () => {
    const port = 21000 + (process.pid % 500) * 20 + 7;
    const s = startCli(wizardArgs(port, BOARD_ROOT), {
      env: { PATH: `${BIN}:${process.env.PATH ?? ''}`, XDG_DATA_HOME: path.join(tmp, 'data') },
    });
    await s.waitFor('Verdict:');
    await pressAndWait(s, 'enter', /^❯ Launch$/m);
    s.press('enter');
    await s.waitFor('Enter live panel', 20_000);
    s.press('enter');
    await s.waitFor((screen) => /vLLM ● healthy/.test(screen), 10_000);
    await pressAndWait(s, 'l', '── log (l hides) ──');
    s.press('q');
    await s.waitFor(QUESTION);
    // Two more tegrastats samples (1 Hz) redraw the panel: the question is still there.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(s.screen()).toContain(QUESTION);
    expect(
      s
        .screen()
        .split('\n')
        .filter((l) => l.includes(QUESTION)),
    ).toHaveLength(1);
    s.press('y');
    const exit = await s.exited;
    expect(exit.exitCode).toBe(0);
    const last = s.lines().filter((l) => l.trim() !== '');
    expect(last.at(-1)).toBe('The vLLM server (qwen2.5-0.5b-instruct) was stopped.');
  }, 60_000);
});
