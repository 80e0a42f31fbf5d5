/**
 * The command line's amounts, checked where they come in (issue 13 item 8): `--stop-grace 1e308` was a
 * timer overflow (setTimeout clamps above 2^31 − 1 ms: SIGKILL after 1 ms), for `launch` and `launch --stop`.
 */
import { describe, expect, it } from 'vitest';
import { LAUNCH_AMOUNTS, parseCliArgs, parseLaunchAmount } from '../../src/cli/args.js';
import { UserError } from '../../src/shared/errors.js';
import { runCli } from '../helpers/cli.js';

const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error('no error');
};

describe('--stop-grace, --memory-floor, --stage-timeout', () => {
  it('--stop-grace: 0 to 3600 seconds, as milliseconds; the bounds are accepted, one step past them is not', () => {
    expect(parseCliArgs(['launch', '--stop-grace', '0']).stopGraceMs).toBe(0);
    expect(parseCliArgs(['launch', '--stop-grace', '3600']).stopGraceMs).toBe(3_600_000);
    expect(parseCliArgs(['launch', '--stop-grace', '2.5']).stopGraceMs).toBe(2500);
    expect(parseCliArgs(['launch']).stopGraceMs).toBeNull();
    for (const bad of ['3600.001', '3601', '1e308', 'Infinity', '-1', '-0.001', '1e4']) {
      expect(messageOf(() => parseCliArgs(['launch', `--stop-grace=${bad}`]))).toBe(
        `--stop-grace: "${bad}" is not a number of seconds from 0 to 3600 (how long vLLM has to exit after SIGTERM; default 10)`,
      );
    }
  });

  it('text that is no number keeps the plain message', () => {
    expect(messageOf(() => parseLaunchAmount('stop-grace', 'soon'))).toBe(
      '--stop-grace: "soon" is not a number of seconds (how long vLLM has to exit after SIGTERM; default 10)',
    );
    expect(messageOf(() => parseLaunchAmount('stage-timeout', ''))).toBe(
      '--stage-timeout: "" is not a number of seconds (after which a start-up stage is said to look stuck)',
    );
    expect(messageOf(() => parseLaunchAmount('memory-floor', 'NaN'))).toBe(
      '--memory-floor: "NaN" is not a size in MiB (0 turns the watchdog off)',
    );
  });

  it('every amount: its minimum and maximum are accepted, past them refused with the range named', () => {
    for (const [name, spec] of Object.entries(LAUNCH_AMOUNTS) as [
      keyof typeof LAUNCH_AMOUNTS,
      (typeof LAUNCH_AMOUNTS)[keyof typeof LAUNCH_AMOUNTS],
    ][]) {
      expect(parseLaunchAmount(name, String(spec.min))).toBe(spec.min);
      expect(parseLaunchAmount(name, String(spec.max))).toBe(spec.max);
      expect(parseLaunchAmount(name, undefined)).toBeNull();
      expect(messageOf(() => parseLaunchAmount(name, String(spec.max + 1)))).toContain(
        `from ${spec.min} to ${spec.max}`,
      );
      expect(messageOf(() => parseLaunchAmount(name, '1e308'))).toContain(`--${name}: "1e308" is not `);
      expect(() => parseCliArgs(['launch', `--${name}`, '0x10'])).toThrow(UserError);
    }
  });

  it('checked for `launch --stop` too, before anything is stopped: one line, exit 2', () => {
    const r = runCli(['launch', '--stop', 'jetson-vllm-x-8000', '--stop-grace', '1e308']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'jetson-vllm: --stop-grace: "1e308" is not a number of seconds from 0 to 3600 (how long vLLM has to exit after SIGTERM; default 10)',
    );
    expect(r.stdout).toBe('');
  });
});

describe('--limit-mm-per-prompt', () => {
  it('reaches the plan options as given, for plan and launch alike', () => {
    expect(parseCliArgs(['plan', '--limit-mm-per-prompt', '{"image":0,"video":0}']).plan.limitMmPerPrompt).toBe(
      '{"image":0,"video":0}',
    );
    expect(parseCliArgs(['launch', '--limit-mm-per-prompt=image=0']).plan.limitMmPerPrompt).toBe('image=0');
    expect(parseCliArgs(['plan']).plan.limitMmPerPrompt).toBeUndefined();
  });
});
