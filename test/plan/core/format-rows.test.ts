/**
 * plan's budget table: an item of 0 bytes ("Sampler warm-up 0.00 GiB") is not a row of its own; the items that
 * are none in this plan are named once, under the table (dimmed in colour), and the total is unchanged.
 */
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/plan/core/plan.js';
import { formatPlan } from '../../../src/plan/core/format.js';
import { planFor } from '../../helpers/catalog.js';

const plain = { color: false } as const;

describe('plan table rows', () => {
  const p = planFor({ device: 'orin-nx-16gb', model: 'qwen3-4b', quant: 'awq' });
  const withZeros: Plan = {
    ...p,
    budget: {
      ...p.budget,
      items: [
        ...p.budget.items,
        { key: 'sampler', label: 'Sampler warm-up', bytes: 0, why: '', isEstimate: true },
        { key: 'cudaGraphs', label: 'CUDA graphs', bytes: 0, why: '', isEstimate: true },
      ],
    },
  };

  it('leaves out rows of 0 bytes and names them once under the table', () => {
    const text = formatPlan(withZeros, plain);
    expect(text).not.toMatch(/0\.00 GiB/);
    expect(text).not.toMatch(/^\s+~?Sampler warm-up/m);
    expect(text).toContain('  none in this plan: Sampler warm-up, CUDA graphs');
    // Every other row and the total are as before.
    const rows = (t: string): string[] => t.split('\n').filter((l) => / GiB {2}/.test(l) && !l.includes('none in'));
    expect(rows(text)).toEqual(rows(formatPlan(p, plain)));
  });

  it('says nothing of zero items when there are none; dims the line in colour', () => {
    expect(formatPlan(p, plain)).not.toContain('none in this plan');
    expect(formatPlan(withZeros, { color: true })).toContain(
      '\u001b[2m  none in this plan: Sampler warm-up, CUDA graphs',
    );
  });
});
