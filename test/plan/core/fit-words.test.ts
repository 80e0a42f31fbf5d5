/**
 * Issue 12 §4: plans that fit when something fits, "Fits" figures that describe configurations that run with the
 * other knobs as planned, and a start-up check refusal as its own verdict with its numbers.
 */
import { describe, expect, it } from 'vitest';
import { formatFits, formatPlan } from '../../../src/plan/core/format.js';
import { planFor, SEED_CASE_AS_RUN } from '../../helpers/catalog.js';

const plain = { color: false } as const;

describe("README's example: plan --device orin-nano-8gb --model qwen3-4b --quant awq --max-model-len 8k", () => {
  const p = planFor({ device: 'orin-nano-8gb', model: 'qwen3-4b', quant: 'awq', maxModelLen: '8k' });
  it('plans the one sequence that runs instead of two that would be killed', () => {
    expect(p.settings.maxNumSeqs).toBe(1);
    expect(p.verdict).toMatch(/^(fits|tight)$/);
    expect(p.notes.join('\n')).toMatch(
      /--max-num-seqs 1: 1 concurrent request: the most that (fit with a margin|run) at 8192 tokens/,
    );
  });
  it('its fits figures re-plan to plans that run', () => {
    expect(p.fits.maxModelLen).not.toBeNull();
    const longer = planFor({
      device: 'orin-nano-8gb',
      model: 'qwen3-4b',
      quant: 'awq',
      maxModelLen: String(p.fits.maxModelLen),
      maxNumSeqs: '1',
    });
    expect(longer.verdict).toMatch(/^(fits|tight)$/);
  });
});

describe('the seed case with vLLM’s defaults (jetson-containers #795)', () => {
  const p = planFor({
    ...SEED_CASE_AS_RUN,
  });
  it('does not say "WILL BE KILLED" and then "Fits: up to 32768 tokens"', () => {
    expect(p.verdict).toBe('oom');
    // With vLLM's defaults (util 0.9 of all memory, 4 GiB pinned swap) no context and no sequence count runs.
    expect(p.fits).toEqual({ maxModelLen: null, maxNumSeqs: null, knobs: 'vllm' });
    const text = formatPlan(p, plain);
    expect(text).toContain('Verdict: WILL BE KILLED');
    expect(text).not.toMatch(/Fits: up to/);
    expect(formatFits(p)).toMatch(/^Fits: nothing with vLLM's defaults/);
  });
  it('says what the planner would do instead, as a note', () => {
    expect(p.notes.join('\n')).toMatch(
      /with the planner choosing the knobs you left open .* it runs: 1 sequence\(s\) of 200 tokens/,
    );
  });
  it('says the 0.6.3 KV figure is the no-reclaim bound', () => {
    expect(p.notes.join('\n')).toMatch(/no-reclaim bound/);
  });
});

describe('a refusal at the start-up free-memory check is its own verdict, with the numbers of the check', () => {
  const p = planFor({
    device: 'orin-nx-16gb',
    model: 'qwen2.5-3b-instruct',
    quant: 'awq',
    vllmVersion: '0.11.2',
    gpuMemoryUtilization: '0.95',
  });
  it('verdict startup-check, the check’s figures and what was in use', () => {
    expect(p.verdict).toBe('startup-check');
    expect(p.refusal?.reason).toBe('startup-free-memory');
    const check = p.refusal?.check;
    expect(check?.freeSource).toBe('MemAvailable');
    expect(check?.utilization).toBe(0.95);
    expect(check?.requestedBytes).toBe(Math.ceil(p.device.memTotalBytes * 0.95));
    expect(check?.freeBytes).toBeLessThan(check?.requestedBytes ?? 0);
    const text = formatPlan(p, plain);
    expect(text).toContain('Verdict: vLLM WILL REFUSE TO START AT ITS FREE-MEMORY CHECK');
    expect(text).toMatch(
      /start-up check: MemAvailable [\d.]+ GiB free < 0\.95 × [\d.]+ GiB = [\d.]+ GiB; in use then: OS and other processes/,
    );
    expect(p.notes.join('\n')).toMatch(/drop_caches/);
  });
});

describe('--max-model-len auto (vLLM ≥ 0.14, PR #29431)', () => {
  const nx = { device: 'orin-nx-16gb', model: 'qwen3-4b', quant: 'awq', maxModelLen: 'auto' };
  it('with vLLM’s defaults: passed as auto, the context vLLM will fit to its KV memory planned', () => {
    const p = planFor({ ...nx, vllmVersion: '0.31.0', gpuMemoryUtilization: '0.4', vllmDefaults: true });
    expect(p.argv).toEqual(expect.arrayContaining(['--max-model-len', 'auto']));
    // The longest context whose one request fits the available KV memory: exactly the KV cache's tokens here.
    expect(p.settings.maxModelLen).toBeLessThanOrEqual(p.kvCache.tokens);
    expect(p.kvCache.tokens - p.settings.maxModelLen).toBeLessThan(16);
    expect(p.verdict).toMatch(/^(fits|tight)$/);
  });
  it('with the planner: a number it chooses; before 0.14 an error naming the version', () => {
    const p = planFor({ ...nx, vllmVersion: '0.31.0' });
    expect(p.argv[p.argv.indexOf('--max-model-len') + 1]).toMatch(/^\d+$/);
    expect(() => planFor({ ...nx, vllmVersion: '0.11.2' })).toThrow(/has no auto context \(from 0\.14\.0\)/);
  });
});

describe('a vLLM newer than the newest known', () => {
  it('is planned with the newest family’s rules and says so', () => {
    const p = planFor({ device: 'agx-thor', model: 'qwen3-8b', quant: 'awq', vllmVersion: '0.33.0' });
    expect(p.notes.join('\n')).toContain(
      'vLLM 0.33.0 is newer than the newest release this tool knows (0.31.0): planned with the 0.31.0 family’s rules'.replace(
        '’',
        "'",
      ),
    );
    expect(p.vllm.algorithm).toBe('v1-profiled-graphs');
  });
});
