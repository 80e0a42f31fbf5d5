/**
 * The wizard's launch keeps its full log (stand-in vllm, fake Orin NX 16 GB, in a pseudo-terminal): a
 * failure screen says where the log is, and the file holds vLLM's traceback; after "ready", the live
 * panel's `l` shows the log's lines (read from that file, from the start of the launch).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../helpers/standin.js';
import { ROOT, disposeAll, isBuilt, isRunning, pressAndWait, startCli, type CliSession } from './harness.js';
import { wizardArgs } from './wizard-session.js';

const BIN = path.join(ROOT, 'test', 'fixtures', 'bin');
const BOARD_ROOT = path.join(ROOT, 'test', 'fixtures', 'roots', 'orin-nx-16gb-jp62');
const flat = (screen: string): string => screen.replace(/\s+/g, ' ');

let tmp = '';
beforeAll(() => {
  if (!isBuilt()) throw new Error('bin/dist is not built: run `npm run build:bundle` (npm test does)');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'jv-launch-logs-'));
  return () => rmSync(tmp, { recursive: true, force: true });
});
afterEach(async () => {
  expect(await disposeAll()).toEqual([]);
});

/** The wizard at the budget screen for a small model, natively; wide enough that a log path is one row. */
async function startWizard(env: Record<string, string>): Promise<{ s: CliSession; port: number; state: string }> {
  const port = await findFreePort();
  const state = path.join(tmp, `state-${port}`);
  const s = startCli(wizardArgs(port, BOARD_ROOT), {
    cols: 220,
    rows: 50,
    env: {
      PATH: `${BIN}:${process.env.PATH ?? ''}`,
      VLLM_STANDIN_PIDFILE: path.join(tmp, `vllm-${port}.pid`),
      XDG_STATE_HOME: state,
      XDG_DATA_HOME: path.join(tmp, `data-${port}`),
      ...env,
    },
  });
  await s.waitFor('Verdict:');
  await pressAndWait(s, 'enter', /^❯ Launch$/m);
  s.press('enter');
  await s.waitFor(/Starting vLLM|Ready|Failed/);
  return { s, port, state };
}

describe('the wizard’s launch log', () => {
  it('the failure screen says where the full log is; the file holds the traceback', async () => {
    const { s, port, state } = await startWizard({ VLLM_STANDIN_FAIL: 'engine-failed' });
    const failed = await s.waitFor((screen) => /^Failed/m.test(screen) && flat(screen).includes('full log: '), 20_000);
    expect(failed).toMatch(/^Failed/m);
    // The path may wrap onto its own row: read it from the screen with whitespace collapsed.
    const logPath = /full log: (\S+)/.exec(flat(failed))?.[1] ?? '';
    expect(path.dirname(logPath)).toBe(path.join(state, 'jetson-vllm', 'logs'));
    expect(path.basename(logPath)).toMatch(
      new RegExp(`^jetson-vllm-qwen2\\.5-0\\.5b-instruct-${port}-\\d{8}T\\d{6}\\.\\d{3}Z\\.log$`),
    );
    const text = readFileSync(logPath, 'utf8');
    expect(text).toContain('Traceback (most recent call last):');
    expect(text).toContain('EngineCore');
    s.press('q');
    expect((await s.exited).exitCode).toBe(0);
  }, 40_000);

  it('after ready, the live panel’s l shows the launch’s log lines (from its file); q → y stops the server', async () => {
    const { s, port } = await startWizard({ VLLM_STANDIN_STARTUP_MS: '800' });
    await s.waitFor(/^Ready: http:\/\/127\.0\.0\.1:\d+$/m, 20_000);
    const pid = Number(readFileSync(path.join(tmp, `vllm-${port}.pid`), 'utf8'));
    s.press('enter');
    await s.waitFor(/vLLM ● healthy/, 15_000);
    s.press('l');
    // Lines printed before the panel opened: the log is read from the file, not only what comes after.
    const shown = await s.waitFor((screen) => screen.includes('Application startup complete.'), 10_000);
    expect(flat(shown)).toContain('Starting vLLM API server 0 on http://127.0.0.1:');
    expect(shown).not.toContain('(no log lines)');
    // The log hidden again before q: with it shown the panel fills the screen, and its next frame
    // would draw over the question on the last row (the monitor's, noted in the report).
    s.press('l');
    await s.waitFor((screen) => !screen.includes('Application startup complete.'), 10_000);
    s.press('q');
    await s.waitFor('Stop the vLLM server and quit?');
    s.press('y');
    expect((await s.exited).exitCode).toBe(0);
    const deadline = Date.now() + 5000;
    while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(isRunning(pid)).toBe(false);
  }, 40_000);
});
