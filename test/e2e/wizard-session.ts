/**
 * What the wizard's end-to-end launch tests share: the wizard's arguments for the small model on the fake Orin NX
 * (flags open it at the budget screen), Review → Launch with the lost-key retry, and the stand-in vLLM's pid.
 */
import { existsSync, readFileSync } from 'node:fs';
import { pressAndWait, type CliSession } from './harness.js';

/** The wizard's arguments: Qwen2.5-0.5B bf16, natively, on the Orin NX plan, on `port`, detection from `root`. */
export function wizardArgs(port: number, root: string): string[] {
  return [
    ...['--device', 'orin-nx-16gb', '--model', 'qwen2.5-0.5b-instruct', '--quant', 'bf16'],
    ...['--runtime', 'native', '--port', String(port), '--root', root],
  ];
}

/**
 * Budget → Review → Launch; resolves with the screen once the launch has started. Under load, Ink may attach the
 * Review list's key handler after the frame that shows it (see the harness's SETTLE_MS): an Enter that landed
 * before it is lost, so it is pressed again while the Review is still on screen (a second Enter on the launch
 * screen does nothing before "ready").
 */
export async function launchFromReview(s: CliSession): Promise<string> {
  await s.waitFor('Verdict:');
  await pressAndWait(s, 'enter', /^❯ Launch$/m);
  const started = /Starting vLLM|Ready|Failed/;
  for (let i = 0; i < 3; i++) {
    s.press('enter');
    try {
      return await s.waitFor(started, 3000);
    } catch (error) {
      if (s.hasExited() || !/^❯ Launch$/m.test(s.screen())) throw error;
    }
  }
  return s.waitFor(started);
}

/** The pid the stand-in vLLM wrote into `pidFile` (VLLM_STANDIN_PIDFILE), waited for up to 10 s. */
export async function readStandinPid(pidFile: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8') === '') {
    if (Date.now() > deadline) throw new Error('the stand-in vllm never wrote its pid');
    await new Promise((r) => setTimeout(r, 25));
  }
  return Number(readFileSync(pidFile, 'utf8'));
}
