/**
 * plan's budget table: an item of 0 bytes ("Sampler warm-up 0.00 GiB") is not a row of its own; the items that
 * are none in this plan are named once, under the table (dimmed in colour), and the total is unchanged. `models
 * --device` says a GPU's compute capability once, and a GPU that runs nothing in one line.
 */
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/plan/core/plan.js';
import { formatCatalogFits, formatPlan, type VariantFit } from '../../../src/plan/core/format.js';
import { runCli } from '../../helpers/cli.js';
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

describe('models --device: a refusal for the GPU is said once', () => {
  const row = (quant: string, need: string, verdict = 'unsupported'): VariantFit => ({
    model: 'qwen3-4b',
    quant,
    weightBytes: verdict === 'unsupported' ? 0 : 2.5 * 1024 ** 3,
    verdict,
    maxModelLen: verdict === 'unsupported' ? null : 8192,
    reason:
      verdict === 'unsupported'
        ? `--quant ${quant}: not supported on this GPU: ${quant} needs compute capability ≥ ${need}, this is 5.3`
        : null,
  });

  it('a GPU that runs no variant: one line, the lowest need and this GPU', () => {
    const text = formatCatalogFits([row('bf16', '8.0'), row('gguf', '6.0'), row('awq-int4', '7.5')], 'nano-4gb');
    expect(text.split('\n')).toEqual([
      "on nano-4gb (planner's choices; the verdict is for the planned context):",
      'no preset variant runs here: each needs compute capability 6.0 or more, and this GPU is 5.3.',
    ]);
  });

  it('some run: each refused row keeps what it needs, the capability is named once under the table', () => {
    const lines = formatCatalogFits([row('bf16', '8.0'), row('gguf', '6.0', 'fits')], 'x').split('\n');
    expect(lines[2]).toMatch(/^qwen3-4b\s+bf16\s+-\s+unsupported bf16 needs compute capability ≥ 8\.0$/);
    expect(lines[3]).toMatch(/^qwen3-4b\s+gguf\s+2\.5G\s+fits\s+8192$/);
    expect(lines.filter((l) => l.includes('this is 5.3') || l.includes('capability 5.3'))).toEqual([
      'unsupported: this GPU is compute capability 5.3',
    ]);
  });

  it('the built CLI: models --device nano-4gb prints no repeated line', () => {
    const r = runCli(['models', '--device', 'nano-4gb']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(
      'no preset variant runs here: each needs compute capability 6.0 or more, and this GPU is 5.3.',
    );
  });
});
