/**
 * The wizard in a real pseudo-terminal: keys go in through node-pty, the screen is read back from a
 * headless xterm. Runs the built bundle (npm test builds it first). See test/e2e/README.md.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  ROOT,
  disposeAll,
  isBuilt,
  isRunning,
  pressAndWait,
  startCli,
  type CliSession,
  type KeyName,
} from './harness.js';

const BOARD = ['--root', 'test/fixtures/roots/orin-nx-16gb-jp62'];
const STEP_BAR = 'Device › Model › Quantization › Budget › Review';
const TEST_TIMEOUT = 30_000;

/** The screen as one line: wrapping (Ink's word wrap or the terminal's) does not split what we look for. */
const flat = (screen: string): string => screen.replace(/\s+/g, ' ');
/** The row of the screen that contains `text` (empty when none). */
const rowWith = (screen: string, text: string): string => screen.split('\n').find((l) => l.includes(text)) ?? '';
/** The budget bar: "[OOORRRWWW…]" (a "|" marks the physical limit when the plan is over). */
const barOf = (screen: string): string => screen.split('\n').find((l) => /^\[[A-Z·|]+\]?$/.test(l)) ?? '';

/** Presses `key` and waits until the row holding `rowText` differs from what it was. */
async function pressAndWaitRow(s: CliSession, key: KeyName, rowText: string): Promise<string> {
  const before = rowWith(s.screen(), rowText);
  s.press(key);
  return s.waitFor((screen) => {
    const row = rowWith(screen, rowText);
    return row !== '' && row !== before;
  });
}

/** Presses `key` until the screen satisfies `done`, at most `max` times, checking the screen each press. */
async function pressUntil(
  s: CliSession,
  key: KeyName,
  rowText: string,
  done: (screen: string) => boolean,
  max: number,
): Promise<string> {
  let screen = s.screen();
  for (let i = 0; i < max && !done(screen); i++) screen = await pressAndWaitRow(s, key, rowText);
  if (!done(screen)) throw new Error(`not reached after ${max} × ${key}; screen:\n${screen}`);
  return screen;
}

/** Moves the budget screen's knob focus ("›") down to the knob labelled `label`. */
async function focusKnob(s: CliSession, label: string): Promise<string> {
  let screen = s.screen();
  for (let i = 0; i < 6 && !rowWith(screen, label).startsWith('›'); i++) screen = await pressAndWait(s, 'down');
  expect(rowWith(screen, label)).toMatch(/^› /);
  return screen;
}

/** Goes from the first screen to the budget screen for Qwen2-7B GGUF Q4_K_M on the detected board. */
async function toBudget(s: CliSession): Promise<string> {
  await s.waitFor('part number p3767-0000');
  const models = await pressAndWait(s, 'enter', 'qwen2-7b-instruct');
  expect(rowWith(models, 'qwen2-7b-instruct')).toMatch(/^❯ qwen2-7b-instruct\b.*\bfits\b/);
  const quants = await pressAndWait(s, 'enter', 'gguf-q4_k_m');
  expect(quants).toMatch(/bf16\s+[\d.]+ GiB\s+does not fit/);
  // The list opens on the first variant that fits (awq), not on bf16; down from there to gguf-q4_k_m.
  expect(quants).toMatch(/^❯ awq\s+[\d.]+ GiB\s+up to \d+ tokens/m);
  for (let i = 0; i < 3; i++) await pressAndWait(s, 'down', /^❯ /m);
  expect(s.screen()).toMatch(/^❯ gguf-q4_k_m\b/m);
  return pressAndWait(s, 'enter', 'Verdict:');
}

beforeAll(() => {
  if (!isBuilt()) throw new Error('bin/dist/cli.js is missing: run npm run build:bundle first');
});

afterEach(async () => {
  const survivors = await disposeAll();
  expect(survivors, 'CLI processes still running after the test').toEqual([]);
});

describe.each([
  { cols: 80, rows: 24 },
  { cols: 120, rows: 40 },
])('wizard at $cols×$rows', ({ cols, rows }) => {
  it(
    'walks Device → Model → Quantization → Budget → Review for Qwen2-7B Q4_K_M on an Orin NX 16GB',
    async () => {
      const s = startCli(BOARD, { cols, rows });

      // The first frame: the step bar, then what was detected on the fake board.
      const first = await s.waitFor(STEP_BAR);
      expect(first.split('\n')[0]).toContain(`jetson-vllm ${STEP_BAR}`);
      const device = await s.waitFor('part number p3767-0000');
      expect(device).toContain('Jetson Orin NX 16GB');
      expect(device).toMatch(/^❯ This device: Jetson Orin NX 16GB/m);

      // "This device" → the model list, with the fit of each model.
      const models = await pressAndWait(s, 'enter', 'qwen2-7b-instruct');
      expect(models).toContain('Choose a model for Jetson Orin NX 16GB');
      expect(rowWith(models, 'qwen2-7b-instruct')).toMatch(/^❯ qwen2-7b-instruct\b.*\bfits\b/);
      expect(models).toMatch(/\btoo big\b/);

      // The first row → the variants; bf16 (14 GiB of weights) does not fit in 16 GB.
      const quants = await pressAndWait(s, 'enter', 'gguf-q4_k_m');
      expect(quants).toContain('choose the quantization');
      expect(quants).toMatch(/^ {2}bf16\s+[\d.]+ GiB\s+does not fit/m);
      expect(quants).toMatch(/^ {2}gguf-q4_k_m\s+[\d.]+ GiB\s+up to \d+ tokens/m);
      // The cursor starts on the first variant that fits (awq), not on bf16 that would not.
      expect(quants).toMatch(/^❯ awq\s+[\d.]+ GiB\s+up to \d+ tokens/m);

      // Down to gguf-q4_k_m, one key at a time, each move drawn before the next key.
      for (let i = 0; i < 3; i++) await pressAndWait(s, 'down', /^❯ /m);
      expect(s.screen()).toMatch(/^❯ gguf-q4_k_m\b/m);

      const budget = await pressAndWait(s, 'enter', 'Verdict:');
      expect(budget).toContain('Verdict: FITS');
      expect(budget).toMatch(/^› max-model-len/m);
      expect(barOf(budget)).not.toBe('');

      // The story: vLLM 0.6.3 (V0) with vLLM's own defaults is OOM-killed; the planner's choices fit.
      await focusKnob(s, 'vLLM version');
      const v063 = (screen: string): boolean => rowWith(screen, 'vLLM version').includes('0.6.3 (V0)');
      // The version stops at the ends of its list (no wrap-around): 0.6.3 is to the left of the default.
      const screen = await pressUntil(s, 'left', 'vLLM version', v063, 12);
      expect(rowWith(screen, 'vLLM version')).toMatch(/^› vLLM version\s+0\.6\.3 \(V0\) set/);
      expect(screen).toContain('vLLM 0.6.3');
      expect(screen).toContain('Verdict: FITS');

      await focusKnob(s, 'open knobs');
      const killed = await pressAndWaitRow(s, 'right', 'open knobs');
      expect(rowWith(killed, 'open knobs')).toContain("vLLM's defaults");
      expect(killed).toMatch(/Verdict: WILL BE KILLED\s+[\d.]+ GiB of [\d.]+ GiB, [\d.]+ GiB over/);
      expect(barOf(killed)).toContain('|'); // the physical limit, passed

      const back = await pressAndWaitRow(s, 'left', 'open knobs');
      expect(rowWith(back, 'open knobs')).toContain("planner's");
      expect(back).toContain('Verdict: FITS');

      // Review: the exact command and the four actions.
      const review = await pressAndWait(s, 'enter', /^❯ Launch$/m);
      const text = flat(review);
      expect(text).toContain('docker run');
      expect(text).toContain('vllm serve');
      expect(text).toContain('--swap-space 0');
      expect(text).toContain('dustynv/vllm:0.6.3');
      expect(review).toMatch(/^❯ Launch$/m);
      expect(review).toMatch(/^ {2}Copy the command/m);
      expect(review).toMatch(/^ {2}Save the recipe/m);
      expect(review).toMatch(/^ {2}Back to the budget/m);
      // Every row of the review fits the terminal: the step bar is still on the first row.
      expect(review.split('\n')[0]).toContain(STEP_BAR);

      // Launching is test/e2e/wizard-launch.e2e.test.ts's story (with the stand-in vllm).
      s.press('q');
      const exit = await s.exited;
      expect(exit.exitCode).toBe(0);
      expect(isRunning(s.pid)).toBe(false);
    },
    TEST_TIMEOUT,
  );

  it(
    'opens at the budget screen from flags, and "Copy the command" prints the command after exit',
    async () => {
      const flags = ['--model', 'qwen2-7b-instruct', '--quant', 'gguf-q4_k_m', '--device', 'orin-nx-16gb'];
      const s = startCli([...flags, ...BOARD], { cols, rows });
      const budget = await s.waitFor('Verdict:');
      expect(budget.split('\n')[0]).toContain(STEP_BAR);
      expect(budget).toContain('Verdict: FITS');
      expect(budget).toMatch(/Qwen2 7B Instruct gguf-q4_k_m/);

      await pressAndWait(s, 'enter', /^❯ Launch$/m);
      const copy = await pressAndWait(s, 'down', /^❯ Copy the command/m);
      expect(copy).toMatch(/^ {2}Launch$/m);
      s.press('enter');
      const exit = await s.exited;
      expect(exit.exitCode).toBe(0);
      expect(isRunning(s.pid)).toBe(false);

      // After the wizard is gone the command is printed as one line (the terminal wraps it, Ink does not).
      const printed = await s.waitFor(() => s.lines().some((l) => l.startsWith('docker run ')));
      const lines = s.lines().filter((l) => l !== '');
      const command = lines.at(-1) ?? '';
      expect(command, printed).toMatch(/^docker run .* vllm serve .*--swap-space 0\b/);
      // The wizard's screen was cleared first: the command is alone, not glued onto the key hints ("? help").
      expect(lines, printed).toEqual([command]);

      // It is the command `jetson-vllm plan` gives for the same flags, home and folder.
      const plan = spawnSync(process.execPath, [CLI, 'plan', ...flags, '--json'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: s.home, XDG_CONFIG_HOME: s.configHome },
        timeout: 10_000,
      });
      expect(plan.status, plan.stderr).toBe(0);
      expect(command).toBe((JSON.parse(plan.stdout) as { command: string }).command);
    },
    TEST_TIMEOUT,
  );
});

describe('without a terminal', () => {
  let home = '';
  const run = (args: string[]): SpawnSyncReturns<string> => {
    home = mkdtempSync(path.join(os.tmpdir(), 'jetson-vllm-e2e-notty-'));
    try {
      return spawnSync(process.execPath, [CLI, ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: home },
        timeout: 10_000,
      });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  };

  it(
    'prints the plan for the flags and exits 2 with a hint to use `plan`',
    () => {
      const r = run(['--device', 'orin-nx-16gb', '--model', 'qwen2-7b-instruct', '--quant', 'gguf-q4_k_m']);
      expect(r.error).toBeUndefined();
      expect(r.signal).toBeNull();
      expect(r.status, r.stderr).toBe(2);
      expect(r.stdout).toContain('vllm serve');
      expect(r.stdout).toMatch(/\bFITS\b|fits/i);
      expect(r.stdout).not.toContain('\u001b['); // no colour, no cursor moves
      expect(r.stderr).toMatch(/\bplan\b/);
      expect(r.stderr).toContain('terminal');
    },
    TEST_TIMEOUT,
  );

  it(
    'exits 2 at once without flags (never waits for keys)',
    () => {
      const started = Date.now();
      const r = run([]);
      expect(r.error, 'spawnSync timed out: the CLI waited for input').toBeUndefined();
      expect(r.signal).toBeNull();
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/\bplan\b/);
      expect(Date.now() - started).toBeLessThan(5_000);
    },
    TEST_TIMEOUT,
  );
});

/* eslint-disable no-control-regex -- these look for escape sequences on purpose */

/**
 * Colour in SGR sequences: foreground/background 30–49 (38;5;n and 48;2;r;g;b included) and bright
 * 90–107. Bold (1), dim (2), inverse (7) and resets (0, 22, 27, 39, 49) are not colour. Returns each distinct
 * code with the text it starts, for the failure message.
 */
function colourCodes(raw: string): string[] {
  const found = new Set<string>();
  for (const m of raw.matchAll(/\u001b\[([\d;:]*)m/g)) {
    const params = (m[1] ?? '').split(/[;:]/).map(Number);
    if (params.some((p) => (p >= 30 && p <= 49 && p !== 39 && p !== 49) || (p >= 90 && p <= 107))) {
      const after = raw.slice(m.index + m[0].length, m.index + m[0].length + 16).replace(/\u001b\[[\d;]*m/g, '');
      found.add(`${JSON.stringify(m[0])} ${JSON.stringify(after)}`);
    }
  }
  return [...found].slice(0, 12);
}

/** "\u001b[3…m" / "\u001b[9…m": a foreground colour as the first SGR parameter (not "\u001b[3J", clear scrollback). */
const SGR_FOREGROUND = /\u001b\[[39]\d(;[\d;]*)?m/;

/* eslint-enable no-control-regex */

describe('colour', () => {
  /** Walks every screen, including a red verdict, and returns the raw output. */
  async function walk(env: Record<string, string>): Promise<string> {
    const s = startCli(BOARD, { cols: 80, rows: 24, env });
    await toBudget(s);
    await focusKnob(s, 'open knobs');
    await pressAndWaitRow(s, 'right', 'open knobs');
    await pressAndWait(s, 'enter', /^❯ Launch$/m);
    s.press('q');
    expect((await s.exited).exitCode).toBe(0);
    return s.raw();
  }

  it(
    'NO_COLOR=1: no colour codes anywhere in the output (bold and inverse stay)',
    async () => {
      const raw = await walk({ NO_COLOR: '1' });
      expect(colourCodes(raw)).toEqual([]);
      expect(raw).not.toMatch(SGR_FOREGROUND);
      expect(raw).toContain('\u001b[7m'); // inverse still marks the step
    },
    TEST_TIMEOUT,
  );

  it(
    'without NO_COLOR the same walk is coloured (so the check above can fail)',
    async () => {
      const raw = await walk({});
      expect(colourCodes(raw).length).toBeGreaterThan(0);
    },
    TEST_TIMEOUT,
  );
});

describe('resize', () => {
  it(
    'redraws the budget screen wider when the terminal grows from 80×24 to 120×40',
    async () => {
      const flags = ['--model', 'qwen2-7b-instruct', '--quant', 'gguf-q4_k_m', '--device', 'orin-nx-16gb'];
      const s = startCli([...flags, ...BOARD], { cols: 80, rows: 24 });
      const small = await s.waitFor((screen) => barOf(screen) !== '');
      const before = barOf(small).length;
      expect(before).toBeLessThanOrEqual(80);

      s.resize(120, 40);
      const large = await s.waitFor((screen) => barOf(screen).length > before);
      expect(barOf(large).length).toBeGreaterThan(80);
      expect(large).toContain('Verdict: FITS');
      // One frame, not the old one left above the new one.
      expect(large.split('\n').filter((l) => l.includes(STEP_BAR))).toHaveLength(1);

      s.press('q');
      expect((await s.exited).exitCode).toBe(0);
    },
    TEST_TIMEOUT,
  );
});
