/**
 * Predicted vs actual: a large difference has words beside its percentage (+118 % is 2.2× the plan, +367 % 4.7×),
 * a small one none; every row stays within 80 columns.
 */
import { describe, expect, it } from 'vitest';
import { describeDifference, formatPredictedVsActual } from '../../../src/launch/core/predicted-vs-actual.js';
import { initialLogState } from '../../../src/launch/core/log/state.js';
import { GiB } from '../../../src/shared/units.js';
import { requestAndPlanFor } from '../../helpers/catalog.js';

describe('predicted vs actual', () => {
  it('says what a large difference means; nothing within 25 %', () => {
    expect(describeDifference(100, 218)).toBe('2.2× the plan');
    expect(describeDifference(100, 467)).toBe('4.7× the plan');
    expect(describeDifference(100, 140)).toBe('over the plan');
    expect(describeDifference(100, 70)).toBe('under the plan');
    expect(describeDifference(100, 40)).toBe('under half the plan');
    expect(describeDifference(100, 114)).toBe('');
    expect(describeDifference(100, 80)).toBe('');
    expect(describeDifference(0, 5)).toBe('not in the plan');
  });

  it('puts the words after the percentage; rows within 80 columns', () => {
    const { plan } = requestAndPlanFor({
      device: 'orin-nx-16gb',
      model: 'qwen2.5-0.5b-instruct',
      quant: 'bf16',
      vllmVersion: '0.11.2',
    });
    const predictedKv = plan.kvCache.gpuBlocks * plan.kvCache.bytesPerBlock;
    const log = initialLogState();
    const rows = formatPredictedVsActual(plan, {
      ...log,
      figures: {
        ...log.figures,
        weightsBytes: plan.quant.weightBytes * 1.01,
        availableKvBytes: predictedKv * 4.67,
        kvTokens: Math.round(plan.kvCache.tokens * 2.18),
        gpuBlocks: Math.round(plan.kvCache.gpuBlocks * 0.2),
      },
    });
    expect(rows.find((r) => r.includes('KV cache memory'))).toMatch(/\(\+367\.0 %\) 4\.7× the plan$/);
    expect(rows.find((r) => r.includes('KV cache tokens'))).toMatch(/\(\+118\.0 %\) 2\.2× the plan$/);
    expect(rows.find((r) => r.includes('GPU KV blocks'))).toMatch(/\(-80\.0 %\) under half the plan$/);
    expect(rows.find((r) => r.includes('weights'))).toMatch(/\(\+1\.0 %\)$/);
    for (const r of rows) expect(r.length, r).toBeLessThanOrEqual(80);
    expect(predictedKv).toBeLessThan(10 * GiB);
  });
});
