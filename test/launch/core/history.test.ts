import { describe, expect, it } from 'vitest';
import { buildHistoryEntry, parseHistory, summarizeAccuracy } from '../../../src/launch/core/history.js';
import { parseLog } from '../../../src/launch/core/log/reducer.js';
import { planFor, SEED_CASE_AS_RUN } from '../../helpers/catalog.js';

describe('launch history', () => {
  const plan = planFor(SEED_CASE_AS_RUN);
  // The real log of test/fixtures/recorded/vllm-logs.json case 1.
  const figures = parseLog([
    'INFO 01-23 07:32:42 model_runner.py:1071] Loading model weights took 4.3752 GB',
    'INFO 01-23 07:34:26 gpu_executor.py:122] # GPU blocks: 11836, # CPU blocks: 4681',
  ]).figures;

  it('keeps what the plan predicted next to what vLLM logged', () => {
    const e = buildHistoryEntry(plan, figures, 'failed', '2026-11-25T00:00:00.000Z');
    expect(e.predicted.gpuBlocks).toBe(plan.kvCache.gpuBlocks);
    expect(e.actual).toEqual({ weightsBytes: Math.round(4.3752 * 2 ** 30), gpuBlocks: 11836, kvTokens: null });
  });

  it('reads JSON lines back, skipping damaged ones, and summarises per device', () => {
    const e = buildHistoryEntry(plan, { ...figures, kvTokens: 11836 * 16 }, 'ready', '2026-11-25T00:00:00.000Z');
    const text = `${JSON.stringify(e)}\nnot json\n{"half": true}\n${JSON.stringify({ ...e, device: 'agx-thor' })}\n`;
    const entries = parseHistory(text);
    expect(entries).toHaveLength(2);
    const acc = summarizeAccuracy(entries, 'orin-nx-16gb');
    expect(acc.launches).toBe(1);
    expect(acc.weightsError).toBeCloseTo(
      (Math.round(4.3752 * 2 ** 30) - plan.quant.weightBytes) / plan.quant.weightBytes,
      6,
    );
    expect(acc.kvTokensError).toBeCloseTo((11836 * 16 - plan.kvCache.tokens) / plan.kvCache.tokens, 6);
    expect(summarizeAccuracy(entries, 'orin-nano-8gb')).toEqual({
      launches: 0,
      weightsError: null,
      kvTokensError: null,
    });
  });
});
