/**
 * The CUDA-graph knobs as plan options (plan/core/graph-terms.ts): -O levels, --max-cudagraph-capture-size,
 * --cudagraph-capture-sizes and --performance-mode, with the graph term following them; and the graph memory vLLM's
 * profiler over-charges on gated-delta-net hybrids from 0.26 (issue #50780), as a budget term.
 * The graph estimate is budget.ts's: 32 MiB pool + graphs × layers × 512 KiB.
 */
import { describe, expect, it } from 'vitest';
import {
  computeGdnGraphOverReserve,
  computeModeDefaults,
  parseGraphOptions,
  resolveCaptureSizes,
} from '../../../src/plan/core/graph-terms.js';
import { hasFlag, resolveVllmVersion } from '../../../src/plan/core/vllm-version.js';
import type { Plan } from '../../../src/plan/core/plan.js';
import { resolvePlanRequest, type PlanOptions } from '../../../src/plan/core/request.js';
import { buildPlan } from '../../../src/plan/core/plan.js';
import { GiB, MiB } from '../../../src/shared/units.js';
import { loadTestCatalog, planFor } from '../../helpers/catalog.js';

const catalog = loadTestCatalog();
const info = (v: string) => {
  const i = resolveVllmVersion(v, catalog.vllm);
  if (i === null) throw new Error(v);
  return i;
};
const item = (p: Plan, key: string) => p.budget.items.find((i) => i.key === key);
const refusal = (o: PlanOptions): string => {
  const r = resolvePlanRequest(o, catalog, { detected: null, described: null, hfCacheDir: '/hf', workDir: '/work' });
  if (!r.ok) return r.message;
  const p = buildPlan(r.request, catalog);
  if (p.ok) throw new Error('expected a refusal');
  return p.message;
};

describe('the captured batch sizes', () => {
  it("0.31 default: [1, 2, 4] + 8…248 by 8 + 256…512 by 16 = 51 sizes (a public 0.2x log: 'PIECEWISE=51 (largest=512)')", () => {
    const sizes = resolveCaptureSizes(info('0.31.0'), 256, 2048, 'Qwen3ForCausalLM', null);
    expect(sizes.length).toBe(51);
    expect(sizes.at(-1)).toBe(512);
  });
  it('-O0 captures nothing; an explicit list is sorted, without repeats, ≤ max_num_batched_tokens; a max caps the ladder', () => {
    const o = (text: Record<string, string>) => {
      const r = parseGraphOptions(text);
      if (!r.ok || r.value === null) throw new Error('bad');
      return r.value;
    };
    expect(resolveCaptureSizes(info('0.31.0'), 256, 2048, 'x', o({ optimizationLevel: '0' }))).toEqual([]);
    expect(resolveCaptureSizes(info('0.31.0'), 256, 2048, 'x', o({ cudagraphCaptureSizes: '8,1 2,4096,2' }))).toEqual([
      1, 2, 8,
    ]);
    expect(resolveCaptureSizes(info('0.31.0'), 256, 2048, 'x', o({ maxCudagraphCaptureSize: '16' }))).toEqual([
      1, 2, 4, 8, 16,
    ]);
    // A max above max_num_batched_tokens stops at it: [1, 2, 4, 8, 16, 24, 32].
    expect(resolveCaptureSizes(info('0.31.0'), 256, 32, 'x', o({ maxCudagraphCaptureSize: '512' }))).toEqual([
      1, 2, 4, 8, 16, 24, 32,
    ]);
  });
  it('the option texts', () => {
    expect(parseGraphOptions({})).toEqual({ ok: true, value: null });
    expect(parseGraphOptions({ optimizationLevel: 'O2' })).toMatchObject({ ok: true, value: { optimizationLevel: 2 } });
    expect(parseGraphOptions({ optimizationLevel: '4' })).toEqual({
      ok: false,
      message: '--optimization-level: "4" is not one of 0, 1, 2, 3',
    });
    expect(parseGraphOptions({ cudagraphCaptureSizes: '1,x' })).toMatchObject({ ok: false });
    expect(parseGraphOptions({ maxCudagraphCaptureSize: '0' })).toMatchObject({ ok: false });
    expect(parseGraphOptions({ performanceMode: 'fast' })).toEqual({
      ok: false,
      message: '--performance-mode: "fast" is not one of balanced, interactivity, throughput',
    });
  });
});

describe('the graph term follows the knobs (Qwen3-8B, 36 layers, on AGX Orin 64GB, vLLM 0.31.0)', () => {
  const base: PlanOptions = {
    device: 'agx-orin-64gb',
    model: 'qwen3-8b',
    quant: 'awq',
    vllmVersion: '0.31.0',
    maxModelLen: '8192',
    maxNumSeqs: '4',
  };
  it('--cudagraph-capture-sizes 1,2: 32 MiB + 2 × 36 × 512 KiB = 68 MiB; the flag takes one argument per size', () => {
    const p = planFor({ ...base, cudagraphCaptureSizes: '1,2' });
    expect(item(p, 'cudaGraphs')?.bytes).toBe(68 * MiB);
    expect(item(p, 'cudaGraphs')?.why).toMatch(/^2 captured batch sizes/);
    const i = p.argv.indexOf('--cudagraph-capture-sizes');
    expect(p.argv.slice(i, i + 3)).toEqual(['--cudagraph-capture-sizes', '1', '2']);
  });
  it('--max-cudagraph-capture-size 16: 5 sizes, 32 + 5 × 18 = 122 MiB', () => {
    const p = planFor({ ...base, maxCudagraphCaptureSize: '16' });
    expect(item(p, 'cudaGraphs')?.bytes).toBe(122 * MiB);
    expect(p.argv).toContain('--max-cudagraph-capture-size');
  });
  it('--optimization-level 0: no CUDA graphs at all', () => {
    const with0 = planFor({ ...base, optimizationLevel: '0' });
    expect(item(with0, 'cudaGraphs')).toBeUndefined();
    const i = with0.argv.indexOf('--optimization-level');
    expect(with0.argv[i + 1]).toBe('0');
    // Without it the planner's own choice on this board captures graphs (a 36-layer model, 4 sequences: 8 sizes).
    expect(item(planFor(base), 'cudaGraphs')?.bytes).toBeGreaterThan(0);
  });
  it('a version without the flag refuses it, naming the range', () => {
    expect(refusal({ ...base, vllmVersion: '0.11.2', optimizationLevel: '0' })).toBe(
      '--optimization-level: vLLM 0.11.2 does not have it (exists from vLLM 0.13.0)',
    );
    expect(refusal({ ...base, vllmVersion: '0.16.0', performanceMode: 'throughput' })).toBe(
      '--performance-mode: vLLM 0.16.0 does not have it (exists from vLLM 0.17.0)',
    );
  });
});

describe('--performance-mode throughput doubles the defaults vLLM is left with', () => {
  it('computeModeDefaults: 256 → 512 sequences, 2048 → 4096 batched tokens (below 70 GiB), capped by seqs × len', () => {
    expect(computeModeDefaults(info('0.31.0'), 61 * GiB, 8192, null, 'throughput')).toEqual({
      maxNumSeqs: 512,
      maxNumBatchedTokens: 4096,
    });
    expect(computeModeDefaults(info('0.31.0'), 61 * GiB, 8192, null, 'balanced')).toEqual({
      maxNumSeqs: 256,
      maxNumBatchedTokens: 2048,
    });
    // One sequence of 1024 tokens: batched tokens ≤ 1 × 1024 (≥ 0.21).
    expect(computeModeDefaults(info('0.31.0'), 61 * GiB, 1024, 1, 'throughput').maxNumBatchedTokens).toBe(1024);
  });
  it('under --vllm-defaults the plan sizes 512 sequences and 4096 tokens, and leaves both flags to vLLM', () => {
    const base: PlanOptions = {
      device: 'agx-orin-64gb',
      model: 'qwen3-8b',
      quant: 'awq',
      vllmVersion: '0.31.0',
      maxModelLen: '8192',
      vllmDefaults: true,
    };
    const plain = planFor(base);
    const fast = planFor({ ...base, performanceMode: 'throughput' });
    expect([plain.settings.maxNumSeqs, plain.settings.maxNumBatchedTokens]).toEqual([256, 2048]);
    expect([fast.settings.maxNumSeqs, fast.settings.maxNumBatchedTokens]).toEqual([512, 4096]);
    expect(fast.argv).not.toContain('--max-num-seqs');
    expect(fast.argv).not.toContain('--max-num-batched-tokens');
    const i = fast.argv.indexOf('--performance-mode');
    expect(fast.argv[i + 1]).toBe('throughput');
  });
});

describe("the graph memory vLLM's profiler over-charges on gated-delta-net hybrids from 0.26 (issue #50780)", () => {
  const qwen = catalog.models.find((m) => m.id === 'qwen3.6-27b');
  if (qwen === undefined) throw new Error('qwen3.6-27b');
  it('128 KiB × max_num_batched_tokens from 0.26.0, when graphs are captured and reserved; 0 otherwise', () => {
    expect(computeGdnGraphOverReserve(qwen.arch, info('0.26.0'), 2048, true, 51)).toBe(256 * MiB);
    expect(computeGdnGraphOverReserve(qwen.arch, info('0.25.1'), 2048, true, 51)).toBe(0);
    expect(computeGdnGraphOverReserve(qwen.arch, info('0.31.0'), 2048, false, 51)).toBe(0);
    expect(computeGdnGraphOverReserve(qwen.arch, info('0.31.0'), 2048, true, 0)).toBe(0);
    const dense = catalog.models.find((m) => m.id === 'qwen3-8b');
    if (dense === undefined) throw new Error('qwen3-8b');
    expect(computeGdnGraphOverReserve(dense.arch, info('0.31.0'), 2048, true, 51)).toBe(0);
  });
  it('in a plan it takes graphs + 256 MiB from the KV cache (reserved, not held), and says so', () => {
    const base: PlanOptions = {
      device: 'agx-orin-64gb',
      model: 'qwen3.6-27b',
      quant: 'awq',
      vllmVersion: '0.31.0',
      maxModelLen: '8192',
      maxNumSeqs: '1',
      gpuMemoryUtilization: '0.8',
      vllmDefaults: true,
    };
    const eager = planFor({ ...base, enforceEager: true });
    const graphs = planFor(base);
    const g = item(graphs, 'cudaGraphs');
    expect(graphs.settings.maxNumBatchedTokens).toBe(2048);
    expect(eager.kvCache.availableBytes - graphs.kvCache.availableBytes).toBe((g?.bytes ?? 0) + 256 * MiB);
    expect(g?.why).toContain(
      'charges 0.25 GiB for gated delta net (128 KiB × 2048 batched tokens, ≥ 0.26, issue #50780)',
    );
    // The physical total holds the graphs only, not the transient.
    expect(graphs.budget.totalBytes - eager.budget.totalBytes).toBe(
      (g?.bytes ?? 0) + (item(graphs, 'kvCache')?.bytes ?? 0) - (item(eager, 'kvCache')?.bytes ?? 0),
    );
  });
});

describe('every release: the new options are refused where the version lacks their flag, emitted only where it has it', () => {
  it('0.6.3 → 0.31: --optimization-level, capture sizes, --performance-mode, --speculative-config', () => {
    const options: PlanOptions = {
      device: 'agx-orin-64gb',
      model: 'qwen3.6-27b',
      quant: 'awq',
      maxModelLen: '4096',
      optimizationLevel: '2',
      maxCudagraphCaptureSize: '64',
      performanceMode: 'balanced',
      speculativeConfig: '{"method":"mtp"}',
    };
    const flags = [
      '--optimization-level',
      '--max-cudagraph-capture-size',
      '--performance-mode',
      '--speculative-config',
    ];
    let planned = 0;
    for (const release of catalog.vllm.releases) {
      const r = resolvePlanRequest({ ...options, vllmVersion: release.version }, catalog, {
        detected: null,
        described: null,
        hfCacheDir: '/hf',
        workDir: '/work',
      });
      if (!r.ok) throw new Error(r.message);
      const p = buildPlan(r.request, catalog);
      const v = info(release.version);
      const lacking = flags.filter((f) => !hasFlag(catalog.vllm, v.version, f));
      if (!p.ok) {
        expect(lacking.length).toBeGreaterThan(0);
        expect(p.message).toMatch(/does not have it|V1 engine/);
        continue;
      }
      planned++;
      expect(lacking).toEqual([]);
      for (const arg of p.plan.argv.filter((a) => a.startsWith('--')))
        expect(hasFlag(catalog.vllm, v.version, arg), `${release.version} ${arg}`).toBe(true);
    }
    // 0.17.0 (--performance-mode) and later plan it.
    expect(planned).toBeGreaterThan(0);
  });
});
