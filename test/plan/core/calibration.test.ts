/**
 * Calibration from this board's launches: logged terms of the same vLLM version family replace the estimates,
 * labelled "measured on this board (N launches)", and the plan says how the verdict changed.
 */
import { describe, expect, it } from 'vitest';
import { computeCalibration, parseLaunchRecords, type LaunchRecord } from '../../../src/plan/core/calibration.js';
import { buildPlan, type Plan } from '../../../src/plan/core/plan.js';
import { resolvePlanRequest, type PlanOptions } from '../../../src/plan/core/request.js';
import { GiB, MiB } from '../../../src/shared/units.js';
import { loadTestCatalog } from '../../helpers/catalog.js';

const catalog = loadTestCatalog();
const ENV = { detected: null, described: null, hfCacheDir: '/hf', workDir: '/work' };

function plan(options: PlanOptions, launchRecords?: LaunchRecord[]): Plan {
  const r = resolvePlanRequest(options, catalog, ENV);
  if (!r.ok) throw new Error(r.message);
  // As on the board: detection identified the device (a preset plan is not calibrated by one board's launches).
  const request = { ...r.request, device: { ...r.request.device, source: 'detected' as const } };
  const out = buildPlan(launchRecords === undefined ? request : { ...request, launchRecords }, catalog);
  if (!out.ok) throw new Error(out.message);
  return out.plan;
}

const record = (over: Partial<LaunchRecord['terms']> & { device?: string; vllmVersion?: string } = {}): string =>
  JSON.stringify({
    at: '2026-12-01T00:00:00.000Z',
    device: over.device ?? 'orin-nx-16gb',
    model: 'qwen2.5-3b-instruct',
    quant: 'awq',
    vllmVersion: over.vllmVersion ?? '0.11.2',
    outcome: 'ready',
    predicted: { weightsBytes: 2e9, gpuBlocks: 100, kvTokens: 1600, totalBytes: 1e10 },
    actual: { weightsBytes: 2e9, gpuBlocks: null, kvTokens: 1600 },
    terms: {
      nonTorchBytes: over.nonTorchBytes ?? 0.1 * GiB,
      activationPeakBytes: over.activationPeakBytes ?? 2 * GiB,
      batchedTokens: over.batchedTokens ?? 2048,
      cudaGraphBytes: over.cudaGraphBytes ?? null,
      predictedGraphBytes: over.predictedGraphBytes ?? null,
    },
  });

describe('the history as the planner reads it', () => {
  it('keeps records with terms and without; skips damaged lines', () => {
    const text = `${record()}\nnot json\n{"device": 1}\n${JSON.stringify({ device: 'x', vllmVersion: '0.6.3' })}\n`;
    const records = parseLaunchRecords(text);
    expect(records).toHaveLength(2);
    expect(records[0]?.terms?.activationPeakBytes).toBe(2 * GiB);
    expect(records[1]?.terms).toBeNull();
  });
  it('averages only this board’s launches of the same version family (the same memory algorithm)', () => {
    const records = parseLaunchRecords(
      [
        record({ activationPeakBytes: 1 * GiB }),
        record({ activationPeakBytes: 3 * GiB, vllmVersion: '0.20.0' }), // same family as 0.11.2 (v1-profiled)
        record({ activationPeakBytes: 9 * GiB, vllmVersion: '0.21.0' }), // another family
        record({ activationPeakBytes: 9 * GiB, device: 'agx-orin-64gb' }), // another board
      ].join('\n'),
    );
    const cal = computeCalibration(records, 'orin-nx-16gb', '0.11.2', catalog.vllm);
    expect(cal?.launches).toBe(2);
    expect(cal?.family).toBe('v1-profiled');
    expect(cal?.activationBytesPerToken).toBe((2 * GiB) / 2048);
    expect(cal?.nonTorchBytes).toBe(0.1 * GiB);
    expect(computeCalibration(records, 'orin-nano-8gb', '0.11.2', catalog.vllm)).toBeNull();
  });
});

describe('recorded launches change the next plan', () => {
  // vLLM's defaults, a context at the edge of what the estimates let fit: measured activations twice as large
  // leave too little KV cache for one request, and the verdict turns to a refusal.
  const base: PlanOptions = {
    device: 'orin-nx-16gb',
    model: 'qwen2.5-3b-instruct',
    quant: 'awq',
    vllmVersion: '0.11.2',
    gpuMemoryUtilization: '0.25',
    vllmDefaults: true,
  };
  const estimated = plan({ ...base, maxModelLen: '2048' });
  const edge = estimated.fits.maxModelLen ?? 0;
  const atEdge = { ...base, maxModelLen: String(edge) };
  const activationItem = (p: Plan) => p.budget.items.find((i) => i.key === 'activations');

  it('starts from a plan that runs on the estimates', () => {
    expect(edge).toBeGreaterThan(2048);
    expect(plan(atEdge).verdict).toMatch(/^(fits|tight)$/);
  });

  it('the measured terms replace the estimates, labelled, and the verdict change is said', () => {
    const estimate = activationItem(plan(atEdge))?.bytes ?? 0;
    const perToken = (3 * estimate) / 2048;
    const logged = { activationPeakBytes: perToken * 2048, nonTorchBytes: 0.3 * GiB };
    const records = parseLaunchRecords([record(logged), record(logged)].join('\n'));
    const measured = plan(atEdge, records);
    const item = activationItem(measured);
    expect(item?.bytes).toBe(Math.round(perToken * measured.settings.maxNumBatchedTokens));
    expect(item?.isEstimate).toBe(false);
    expect(item?.why).toContain('measured on this board (2 launches)');
    const runtime = measured.budget.items.find((i) => i.key === 'runtime');
    expect(runtime?.why).toContain('0.30 GiB measured on this board (2 launches)');
    expect(measured.verdict).toBe('max-len');
    expect(measured.notes.join('\n')).toMatch(
      /measured on this board \(2 launches\) of the vLLM 0\.11\.2 family \(v1-profiled\): non-torch 0\.30 GiB, activation peak [\d.]+ KiB per batched token replace the estimates; the verdict changed from (fits|tight) \(estimates\) to max-len/,
    );
  });

  it('the planner, given the same records, plans around them: what it proposes runs', () => {
    const records = parseLaunchRecords(record({ activationPeakBytes: 3 * GiB }));
    const planned = plan(
      { device: 'orin-nx-16gb', model: 'qwen2.5-3b-instruct', quant: 'awq', vllmVersion: '0.11.2' },
      records,
    );
    expect(planned.verdict).toMatch(/^(fits|tight)$/);
    expect(activationItem(planned)?.why).toContain('measured on this board (1 launch)');
    expect(activationItem(planned)?.bytes).toBe(Math.round(((3 * GiB) / 2048) * planned.settings.maxNumBatchedTokens));
  });

  it('a preset plan (--device, not detected) is not calibrated by the records', () => {
    const records = parseLaunchRecords(record({ activationPeakBytes: 3 * GiB }));
    const r = resolvePlanRequest(atEdge, catalog, ENV);
    if (!r.ok) throw new Error(r.message);
    const out = buildPlan({ ...r.request, launchRecords: records }, catalog);
    expect(out.ok && out.plan.notes.some((n) => n.includes('measured on this board'))).toBe(false);
  });

  it('launches of another version family change nothing', () => {
    const records = parseLaunchRecords(record({ activationPeakBytes: 100 * MiB, vllmVersion: '0.6.3' }));
    expect(plan(atEdge, records)).toEqual(plan(atEdge));
  });
});
