/** The per-stage "looks stuck" timeouts: generous, growing with the weights, never for ready/failed. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeSlowStage, stageTimeoutS } from '../../../src/launch/core/stage-timeouts.js';
import { GiB } from '../../../src/shared/units.js';
import { LAUNCH_STAGES } from '../../../src/launch/core/log/state.js';

describe('stageTimeoutS', () => {
  it('every stage but ready and failed has a timeout of at least three minutes', () => {
    for (const stage of LAUNCH_STAGES) {
      const t = stageTimeoutS(stage, 4 * GiB);
      if (stage === 'ready' || stage === 'failed') expect(t).toBeNull();
      else expect(t).toBeGreaterThanOrEqual(180);
    }
  });

  it('weights loading: 10 min plus 3 min per GiB (Qwen2-7B Q4_K_M, 4.38 GB → 22 min)', () => {
    expect(stageTimeoutS('weights-loading', 0)).toBe(600);
    expect(stageTimeoutS('weights-loading', 4.38e9)).toBe(Math.round(600 + (4.38e9 / GiB) * 180));
    expect(stageTimeoutS('weights-loading', 4.38e9)).toBe(1334);
  });

  it('never shrinks as the weights grow', () => {
    fc.assert(
      fc.property(fc.nat(200 * GiB), fc.nat(200 * GiB), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(stageTimeoutS('weights-loading', hi)).toBeGreaterThanOrEqual(stageTimeoutS('weights-loading', lo) ?? 0);
      }),
    );
  });
});

describe('describeSlowStage', () => {
  it('says how long, against what, and what the user can do', () => {
    expect(describeSlowStage('loading weights', 1400, 1334)).toBe(
      'loading weights has taken 23 min (more than the 22 min it may take here): vLLM may be stuck — its last lines are above; s (or Ctrl-C) stops it, or keep waiting',
    );
    expect(describeSlowStage('starting the container', 95, 60)).toContain('95 s (more than the 60 s');
    expect(describeSlowStage('engine configured', 1.26, 1)).toContain('1.3 s (more than the 1.0 s');
  });
});
