/**
 * The wizard's variant table (wizard-view.ts assessVariant) on a vLLM release that cannot load the model: the
 * variant is "unsupported" with the plan's refusal (plan/core/model-support.ts), and with the version left to the
 * planner the release it picks loads it.
 */
import { describe, expect, it } from 'vitest';
import { toResolvedDevice } from '../../../src/device/core/resolved-device.js';
import { assessVariant } from '../../../src/wizard/core/wizard-view.js';
import { loadTestCatalog } from '../../helpers/catalog.js';

const catalog = loadTestCatalog();
const preset = (id: string) => {
  const d = catalog.devices.find((x) => x.id === id);
  if (d === undefined) throw new Error(id);
  return toResolvedDevice(d, 'preset');
};
const model = (id: string) => {
  const m = catalog.models.find((x) => x.id === id);
  if (m === undefined) throw new Error(id);
  return m;
};

describe('assessVariant and the release that loads the model', () => {
  it('Gemma 4 E4B on AGX Orin: unsupported on vLLM 0.18.0 (Gemma 4 from 0.19.0), runnable when the planner picks', () => {
    const m = model('gemma-4-e4b-it');
    const quant = m.quants[0];
    if (quant === undefined) throw new Error('no quant');
    const old = assessVariant(catalog, preset('agx-orin-64gb'), m, quant, '0.18.0', false);
    expect(old.fit).toBe('unsupported');
    expect(old.reason).toContain('Gemma4ForConditionalGeneration needs vLLM ≥ 0.19.0, this is 0.18.0');
    const chosen = assessVariant(catalog, preset('agx-orin-64gb'), m, quant, null, false);
    expect(chosen.fit).not.toBe('unsupported');
  });
});
