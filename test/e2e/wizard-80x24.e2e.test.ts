/**
 * The wizard at 80×24 (the pty harness's size) with the longest real texts: the SD-card Orin Nano's checks and
 * fixes on the device screen, a GGUF plan's reasons on Review. No line where a fix or a reason is shown is cut
 * with "…"; the step bar stays on the top row; every fix and every reason can be read whole.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { disposeAll, isBuilt, pressAndWait, startCli } from './harness.js';

const TEST_TIMEOUT = 30_000;
const flat = (screen: string): string => screen.replace(/\s+/g, ' ');
const NANO = ['--root', 'test/fixtures/roots/orin-nano-8gb-jp62'];

beforeAll(() => {
  if (!isBuilt()) throw new Error('bin/dist is not built: run `npm run build:bundle` (npm test does)');
});
afterEach(() => disposeAll());

describe('the wizard at 80×24', () => {
  it(
    'device screen on the SD-card Orin Nano: the checks fit with the list; their fixes are whole (at once or behind d)',
    async () => {
      const s = startCli(NANO);
      let screen = await s.waitFor(/This device: Jetson Orin Nano 8GB/, 15_000);
      const lines = screen.split('\n');
      expect(lines.length).toBeLessThanOrEqual(24);
      expect(lines[0]).toMatch(/^jetson-vllm Device › Model/);
      for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
      expect(screen.split('\n').filter((l) => l.includes('fix:') && l.includes('…'))).toEqual([]);
      if (screen.includes('d: the checks with their fixes, whole')) {
        screen = await pressAndWait(s, 'd', /d: back to the list/);
        expect(screen).not.toContain('…');
        expect(screen).toMatch(/fix: /);
        screen = await pressAndWait(s, 'd', /This device: Jetson Orin Nano 8GB/);
      }
      expect(screen).toMatch(/❯ This device: Jetson Orin Nano 8GB/);
      s.press('q');
      expect((await s.exited).exitCode).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it(
    "a GGUF plan's Review: every reason whole, the download note among them, paged with ] and [",
    async () => {
      const s = startCli([
        '--device',
        'orin-nx-16gb',
        '--model',
        'qwen2-7b-instruct',
        '--quant',
        'gguf-q4_k_m',
        ...NANO,
      ]);
      await s.waitFor('Verdict:', 15_000);
      let screen = await pressAndWait(s, 'enter', /Launch/);
      expect(screen.split('\n')[0]).toMatch(/^jetson-vllm Device › Model/);
      let seen = flat(screen);
      for (let i = 0; i < 8 && !seen.includes('download the GGUF first'); i++) {
        const before = screen;
        s.press(']');
        screen = await s.waitFor((x) => x !== before, 5000);
        expect(screen).not.toContain('…');
        seen += flat(screen);
      }
      expect(seen).toContain(
        'download the GGUF first: huggingface-cli download Qwen/Qwen2-7B-Instruct-GGUF qwen2-7b-instruct-q4_k_m.gguf --local-dir',
      );
      expect(seen).toContain('--gpu-memory-utilization 0.');
      expect(seen).toContain('--swap-space 0: ignored by the V1 engine');
      expect(seen).toMatch(/reasons \d+–\d+ of \d+/);
      s.press('q');
      expect((await s.exited).exitCode).toBe(0);
    },
    TEST_TIMEOUT,
  );
});
