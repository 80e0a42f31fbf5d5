/**
 * Property tests for the planner against the real presets: memory grows with context and
 * concurrency, the solvers return the edge of what runs, the argv only holds flags the targeted
 * vLLM has, and verdicts agree with the figures.
 */
import { planFor } from '../../helpers/catalog.js';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Budget } from '../../../src/plan/core/budget.js';
import { buildPlan, type Plan, type PlanRequest } from '../../../src/plan/core/plan.js';
import {
  ASSUMED_OS_BYTES,
  evaluate,
  MAX_SEQS_SEARCHED,
  solveMaxModelLen,
  solveMaxNumSeqs,
  type DefaultsMode,
  type PlanContext,
} from '../../../src/plan/core/planner.js';
import { parsePresetFile, type Catalog, type PresetFileName } from '../../../src/catalog/core/presets-schema.js';
import { estimateWeightBytes, resolveScheme } from '../../../src/model/core/quantization.js';
import { computeDtypeBytes, resolveModelDtype } from '../../../src/plan/core/dtype.js';
import { parseCount, resolvePlanRequest, type PlanOptions } from '../../../src/plan/core/request.js';
import { isAtLeast } from '../../../src/shared/units.js';
import { hasFlag, resolveVllmVersion } from '../../../src/plan/core/vllm-version.js';
import { computeGdnGraphOverReserve } from '../../../src/plan/core/graph-terms.js';
import { findMissingSupport, findSupportMinimum } from '../../../src/plan/core/model-support.js';

const DEVICES = ['orin-nano-8gb', 'orin-nx-16gb', 'agx-orin-64gb', 'agx-thor', 'rtx-4090'] as const;
const VERSIONS = [
  '0.6.3',
  '0.7.0',
  '0.8.6',
  '0.9.2',
  '0.11.2',
  '0.14.0',
  '0.21.0',
  '0.22.0',
  '0.25.0',
  '0.29.0',
  '0.31.0',
] as const;
const ENV = { detected: null, described: null, hfCacheDir: '/hf', workDir: '/work' };

let catalog: Catalog;

function loadPreset(name: PresetFileName): unknown {
  const text = readFileSync(new URL(`../../../presets/${name}.yaml`, import.meta.url), 'utf8');
  const result = parsePresetFile(name, parse(text));
  if (!result.ok) throw new Error(`presets/${name}.yaml: ${result.problem}`);
  return result.value;
}

beforeAll(() => {
  catalog = {
    devices: (loadPreset('devices') as { devices: Catalog['devices'] }).devices,
    models: (loadPreset('models') as { models: Catalog['models'] }).models,
    vllm: loadPreset('vllm') as Catalog['vllm'],
  };
});

/** One planning scenario: a device, model, quantization, version and the user's knobs. */
interface Scenario {
  device: string;
  modelIndex: number;
  quantIndex: number;
  version: string;
  defaults: DefaultsMode;
  knobs: KnobOptions;
}

/** The knobs a user may give (command-line strings); context and concurrency are kept apart. */
interface KnobOptions {
  kvCacheDtype?: string;
  enforceEager?: boolean;
  noEnforceEager?: boolean;
  blockSize?: string;
  gpuMemoryUtilization?: string;
  swapSpace?: string;
  kvCacheMemoryBytes?: string;
  numGpuBlocksOverride?: string;
  maxNumBatchedTokens?: string;
  dtype?: string;
}

const knobOptions: fc.Arbitrary<KnobOptions> = fc.record(
  {
    kvCacheDtype: fc.constantFrom('auto', 'fp8'),
    enforceEager: fc.constant(true),
    noEnforceEager: fc.constant(true),
    blockSize: fc.constantFrom('16', '32'),
    gpuMemoryUtilization: fc.constantFrom('0.5', '0.7', '0.85', '0.9'),
    swapSpace: fc.constantFrom('0', '1', '4'),
    kvCacheMemoryBytes: fc.constantFrom('512M', '1G', '3G'),
    numGpuBlocksOverride: fc.constantFrom('64', '512', '4096'),
    maxNumBatchedTokens: fc.constantFrom('512', '2048', '8192'),
    dtype: fc.constantFrom('auto', 'half', 'bfloat16', 'float32'),
  },
  { requiredKeys: [] },
);

/** Scenarios with few knobs most of the time: the planner's own choices are what is tested. */
const scenario = (options: { versions?: readonly string[]; knobs?: boolean } = {}): fc.Arbitrary<Scenario> =>
  fc.record({
    device: fc.constantFrom(...DEVICES),
    modelIndex: fc.nat(),
    quantIndex: fc.nat(),
    version: fc.constantFrom(...(options.versions ?? VERSIONS)),
    defaults: fc.constantFrom<DefaultsMode>('planner', 'vllm'),
    knobs:
      options.knobs === false
        ? fc.constant({})
        : fc.oneof({ weight: 1, arbitrary: fc.constant({}) }, { weight: 2, arbitrary: knobOptions }),
  });

/** Drops the knobs the targeted version has no flag for, and keeps one of the eager switches. */
function usableKnobs(s: Scenario): KnobOptions {
  const version = resolveVllmVersion(s.version, catalog.vllm);
  if (version === null) throw new Error(`bad version ${s.version}`);
  const knobs: KnobOptions = { ...s.knobs };
  if (!hasFlag(catalog.vllm, version.version, '--swap-space')) delete knobs.swapSpace;
  if (!hasFlag(catalog.vllm, version.version, '--kv-cache-memory-bytes')) delete knobs.kvCacheMemoryBytes;
  if (!hasFlag(catalog.vllm, version.version, '--num-gpu-blocks-override')) delete knobs.numGpuBlocksOverride;
  if (knobs.enforceEager === true) delete knobs.noEnforceEager;
  return knobs;
}

function options(s: Scenario, extra: PlanOptions = {}): PlanOptions {
  const model = catalog.models[s.modelIndex % catalog.models.length];
  if (model === undefined) throw new Error('no models');
  const quant = model.quants[s.quantIndex % model.quants.length];
  if (quant === undefined) throw new Error(`no quants for ${model.id}`);
  return {
    device: s.device,
    model: model.id,
    quant: quant.id,
    vllmVersion: s.version,
    vllmDefaults: s.defaults === 'vllm',
    ...usableKnobs(s),
    ...extra,
  };
}

function request(s: Scenario, extra: PlanOptions = {}): PlanRequest {
  const resolved = resolvePlanRequest(options(s, extra), catalog, ENV);
  if (!resolved.ok) throw new Error(resolved.message);
  return resolved.request;
}

/**
 * The plan for a scenario; null when the quantization cannot run on that GPU (a message, by design) or the release
 * cannot load the model (a refusal, by design: model-support.ts; its own properties are in 'the release loads it').
 */
function plan(s: Scenario, extra: PlanOptions = {}): Plan | null {
  const outcome = buildPlan(request(s, extra), catalog);
  if (outcome.ok) return outcome.plan.refusal?.reason === 'unsupported-model' ? null : outcome.plan;
  if (/not supported on this GPU|needs vLLM|refuses bfloat16/.test(outcome.message)) return null;
  throw new Error(outcome.message);
}

/** The planner's context for a scenario, built the way buildPlan builds it. */
function context(s: Scenario, defaults: DefaultsMode = s.defaults): { ctx: PlanContext; modelMax: number } {
  const r = request(s);
  const info = resolveVllmVersion(s.version, catalog.vllm);
  if (info === null) throw new Error(`bad version ${s.version}`);
  // As buildPlan: --dtype resolved as vLLM does, an unquantized checkpoint in float32 at 4 bytes per parameter.
  const dtype = resolveModelDtype(r.dtype ?? 'auto', r.model.arch.torchDtype);
  const weights = estimateWeightBytes(r.model.arch, r.quant).weightBytes;
  const ctx: PlanContext = {
    arch: r.model.arch,
    weightBytes: resolveScheme(r.quant) === 'bf16' && dtype === 'float32' ? weights * 2 : weights,
    modelDtypeBytes: computeDtypeBytes(dtype),
    info,
    vllm: catalog.vllm,
    device: {
      memTotalBytes: r.device.memTotalBytes,
      isUnified: r.device.isUnified,
      osUsedBytes: ASSUMED_OS_BYTES,
      osSource: 'assumed',
    },
    runtime: r.device.isUnified ? 'docker' : 'native',
    knobs: r.knobs,
    defaults,
  };
  return { ctx, modelMax: r.model.arch.maxPositionEmbeddings };
}

const isRunnable = (b: Budget): boolean => b.verdict === 'fits' || b.verdict === 'tight';

/**
 * Slack allowed when a larger shape is compared with a smaller one. When vLLM sizes the KV cache
 * itself (no --kv-cache-memory-bytes, no --num-gpu-blocks-override) it takes whole blocks out of a
 * fixed util × total budget: growing the activations can drop one block (the part of a block left
 * over moves), so the total may shrink by less than one block. Any larger drop is a real regression.
 */
function roundingSlack(a: ReturnType<typeof evaluate>, b: ReturnType<typeof evaluate>): number {
  const fillsBudget = (e: ReturnType<typeof evaluate>): boolean =>
    e.choice.settings.kvCacheMemoryBytes === null && e.choice.settings.numGpuBlocksOverride === null;
  return fillsBudget(a) || fillsBudget(b)
    ? Math.max(a.budget.kvCache.bytesPerBlock, b.budget.kvCache.bytesPerBlock)
    : 0;
}

const RUNS = { numRuns: 50 };
/** evaluate() alone costs microseconds: the monotonicity properties afford more runs. */
const MANY_RUNS = { numRuns: 100 };

/** A point in [0, 1], cubed by toLength so that short contexts (where most plans fit) come up often. */
const contextFraction = fc.double({ min: 0, max: 1, noNaN: true });
/** A context length from a fraction of `max`, a multiple of the block size, at least one block. */
const toLength = (f: number, max: number, step: number): number =>
  Math.max(step, Math.floor((f ** 3 * max) / step) * step);

describe('memory grows with the shape', () => {
  it('more context never needs less memory (planner and --vllm-defaults)', () => {
    fc.assert(
      fc.property(scenario(), fc.integer({ min: 1, max: 16 }), contextFraction, contextFraction, (s, seqs, f1, f2) => {
        const { ctx, modelMax } = context(s);
        const step = ctx.knobs.blockSize ?? 16;
        const [l1, l2] = [toLength(f1, modelMax, step), toLength(f2, modelMax, step)].sort((a, b) => a - b) as [
          number,
          number,
        ];
        fc.pre(l1 < l2);
        // V0 turns chunked prefill on above 32768 tokens (max-num-batched-tokens drops to 512):
        // crossing that line legitimately shrinks the activations, so compare on one side of it.
        if (ctx.info.engine === 'v0' && ctx.knobs.maxNumBatchedTokens === undefined) fc.pre(l2 <= 32768 || l1 > 32768);
        const a = evaluate(ctx, l1, seqs);
        const b = evaluate(ctx, l2, seqs);
        // A gated-delta-net hybrid from 0.26: vLLM's profiler charges 128 KiB per batched token that it never holds
        // (graph-terms.ts computeGdnGraphOverReserve), so a longer context (more batched tokens) shrinks the KV
        // cache by that much more than the memory it really uses grows; allow exactly that growth.
        // Reviewed (issue #50780: "charges an mnbt-linear profiling transient as graph memory"): the allowance is
        // right and no wider than it must be. The batched-token count never falls as max-model-len rises — it RISES
        // with it (vLLM ≥ 0.21: min(2048, max_num_seqs × max_model_len), arg_utils), and with it the over-reservation,
        // which is charged inside util × total but freed after start-up: the KV pool loses it, the held total drops.
        // When the count stays or falls, overReserve(b) ≤ overReserve(a) and the slack is 0 (strict). The test
        // below pins one such drop by hand.
        const overReserve = (e: ReturnType<typeof evaluate>): number =>
          computeGdnGraphOverReserve(ctx.arch, ctx.info, e.choice.settings.maxNumBatchedTokens, true, 1);
        const gdnSlack = Math.max(0, overReserve(b) - overReserve(a));
        expect(b.budget.totalBytes).toBeGreaterThanOrEqual(a.budget.totalBytes - roundingSlack(a, b) - gdnSlack);
      }),
      MANY_RUNS,
    );
  });

  it('the one exception, by hand: Qwen3.5-9B on AGX Orin 64GB, vLLM 0.26 defaults, 1 sequence, 1024 → 2048 tokens', () => {
    // Batched tokens = min(2048, 1 × max_model_len): 1024 → 2048. The GDN over-reservation (128 KiB per batched token,
    // issue #50780) grows 128 MiB → 256 MiB; activations grow 112 MiB → 216 MiB (+104 MiB). Both come out of the
    // same util × total, so the KV pool loses 104 + 128 = 232 MiB = 14 blocks of 16.5 MiB (2380 → 2366 blocks,
    // 14 × 17,301,504 B = 242,221,056 B = 231 MiB; the last MiB came out of the spare part of a block). Held memory: +104 MiB
    // activations − 231 MiB KV = −127 MiB (133,169,152 B) — within the 128 MiB over-reservation growth.
    // On 0.25 (no over-reservation) the same step holds 5 MiB more, as the strict property wants.
    const at = (version: string, len: string): Plan => {
      const p = planFor({
        device: 'agx-orin-64gb',
        model: 'qwen3.5-9b',
        vllmVersion: version,
        vllmDefaults: true,
        maxModelLen: len,
        maxNumSeqs: '1',
      });
      return p;
    };
    const [a, b] = [at('0.26.0', '1024'), at('0.26.0', '2048')];
    expect([a.settings.maxNumBatchedTokens, b.settings.maxNumBatchedTokens]).toEqual([1024, 2048]);
    expect([a.kvCache.gpuBlocks, b.kvCache.gpuBlocks]).toEqual([2380, 2366]);
    expect(a.kvCache.bytesPerBlock).toBe(17_301_504);
    const item = (p: Plan, key: string): number => p.budget.items.find((i) => i.key === key)?.bytes ?? 0;
    expect(item(b, 'activations') - item(a, 'activations')).toBe(109_051_904);
    expect(a.budget.totalBytes - b.budget.totalBytes).toBeCloseTo(133_169_152, 0);
    expect(a.budget.totalBytes - b.budget.totalBytes).toBeLessThanOrEqual(128 * 1024 * 1024);
    const [c, d] = [at('0.25.0', '1024'), at('0.25.0', '2048')];
    expect(d.budget.totalBytes - c.budget.totalBytes).toBeCloseTo(5_242_880, 0);
  });

  it('more sequences never need less memory (planner and --vllm-defaults)', () => {
    fc.assert(
      fc.property(
        scenario(),
        fc.integer({ min: 1, max: 48 }),
        fc.integer({ min: 1, max: 48 }),
        contextFraction,
        (s, s1, delta, f) => {
          const s2 = s1 + delta;
          const { ctx, modelMax } = context(s);
          const len = toLength(f, Math.min(modelMax, 32768), ctx.knobs.blockSize ?? 16);
          const a = evaluate(ctx, len, s1);
          const b = evaluate(ctx, len, s2);
          expect(b.budget.totalBytes).toBeGreaterThanOrEqual(a.budget.totalBytes - roundingSlack(a, b));
        },
      ),
      MANY_RUNS,
    );
  });
});

describe('the solvers', () => {
  it('solveMaxModelLen returns the last runnable context: n runs, n + block size does not', () => {
    let edges = 0;
    fc.assert(
      fc.property(scenario(), fc.integer({ min: 1, max: 32 }), (s, seqs) => {
        const { ctx, modelMax } = context(s, 'planner');
        const step = ctx.knobs.blockSize ?? 16;
        const n = solveMaxModelLen(ctx, seqs, modelMax);
        if (n === null) {
          expect(isRunnable(evaluate(ctx, step, seqs).budget)).toBe(false);
          return;
        }
        expect(n % step).toBe(0);
        expect(n).toBeLessThanOrEqual(modelMax);
        expect(['fits', 'tight']).toContain(evaluate(ctx, n, seqs).budget.verdict);
        if (n < modelMax) {
          edges++;
          expect(['fits', 'tight']).not.toContain(evaluate(ctx, n + step, seqs).budget.verdict);
        }
      }),
      RUNS,
    );
    expect(edges).toBeGreaterThan(0);
  });

  it('solveMaxNumSeqs returns the last runnable concurrency: n runs, n + 1 does not', () => {
    let edges = 0;
    fc.assert(
      fc.property(scenario(), fc.double({ min: 0, max: 1, noNaN: true }), (s, f) => {
        const { ctx, modelMax } = context(s, 'planner');
        const step = ctx.knobs.blockSize ?? 16;
        const len = toLength(f, modelMax, step);
        const n = solveMaxNumSeqs(ctx, len);
        if (n === null) {
          expect(isRunnable(evaluate(ctx, len, 1).budget)).toBe(false);
          return;
        }
        expect(Number.isInteger(n) && n >= 1 && n <= MAX_SEQS_SEARCHED).toBe(true);
        expect(['fits', 'tight']).toContain(evaluate(ctx, len, n).budget.verdict);
        if (n < MAX_SEQS_SEARCHED) {
          edges++;
          expect(['fits', 'tight']).not.toContain(evaluate(ctx, len, n + 1).budget.verdict);
        }
      }),
      RUNS,
    );
    expect(edges).toBeGreaterThan(0);
  });

  // The solvers bisect, so they assume "runs" is monotone. Whole KV blocks taken out of a budget
  // rounded to 0.01 × total can make 'tight'/'oom' flicker right at the edge, but nothing above the
  // answer may fit with the full margin.
  it('no context above solveMaxModelLen’s answer fits with a margin (V0 across 32768 tokens too)', () => {
    fc.assert(
      fc.property(
        scenario(),
        fc.integer({ min: 1, max: 32 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (s, seqs, f) => {
          const { ctx, modelMax } = context(s, 'planner');
          const step = ctx.knobs.blockSize ?? 16;
          const n = solveMaxModelLen(ctx, seqs, modelMax) ?? 0;
          fc.pre(n < modelMax);
          const above = Math.min(modelMax, n + step + Math.floor((f * (modelMax - n - step)) / step) * step);
          expect(evaluate(ctx, above, seqs).budget.verdict).not.toBe('fits');
        },
      ),
      RUNS,
    );
  });

  it('no concurrency above solveMaxNumSeqs’s answer fits with a margin', () => {
    fc.assert(
      fc.property(
        scenario(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: MAX_SEQS_SEARCHED }),
        (s, f, k) => {
          const { ctx, modelMax } = context(s, 'planner');
          const step = ctx.knobs.blockSize ?? 16;
          const len = toLength(f, modelMax, step);
          const n = solveMaxNumSeqs(ctx, len) ?? 0;
          fc.pre(n < MAX_SEQS_SEARCHED);
          const above = n + 1 + ((k - 1) % (MAX_SEQS_SEARCHED - n));
          expect(evaluate(ctx, len, above).budget.verdict).not.toBe('fits');
        },
      ),
      RUNS,
    );
  });

  it('V0 contexts past 32768 (chunked prefill switches on) are still found by the solver', () => {
    // Regression: orin-nano-8gb, qwen3-0.6b gguf-q8_0, vLLM 0.6.3, 1 sequence used to stop at 30560
    // although 32784 fits, because V0's memory is not monotone across 32768 tokens. vLLM 0.6.3 cannot load Qwen3
    // (Qwen3ForCausalLM from 0.8.4), so the plan is refused and has no fits figures: the solver is asked directly,
    // with the same numbers as the plan's fits figure used.
    const refused = planFor({
      device: 'orin-nano-8gb',
      model: 'qwen3-0.6b',
      quant: 'gguf-q8_0',
      vllmVersion: '0.6.3',
      maxNumSeqs: '1',
    });
    expect(refused.refusal?.reason).toBe('unsupported-model');
    const modelIndex = catalog.models.findIndex((m) => m.id === 'qwen3-0.6b');
    const quantIndex = catalog.models[modelIndex]?.quants.findIndex((q) => q.id === 'gguf-q8_0') ?? -1;
    const s: Scenario = {
      device: 'orin-nano-8gb',
      modelIndex,
      quantIndex,
      version: '0.6.3',
      defaults: 'planner',
      knobs: {},
    };
    const { ctx, modelMax } = context(s, 'planner');
    const fitsLen = solveMaxModelLen(ctx, 1, modelMax);
    expect(fitsLen).not.toBeNull();
    expect(fitsLen ?? 0).toBeGreaterThan(32768);
  });
});

describe('the plan', () => {
  /** A context and concurrency the user may give, to reach 'tight' and 'oom' plans too. */
  const shape = fc.record(
    {
      maxModelLen: fc.constantFrom('256', '2048', '8k', '32k'),
      maxNumSeqs: fc.constantFrom('1', '4', '64', '256'),
    },
    { requiredKeys: [] },
  );
  /** The shape options that the model allows (buildPlan refuses a context over the model's maximum). */
  const fitShape = (s: Scenario, given: { maxModelLen?: string; maxNumSeqs?: string }): PlanOptions => {
    const model = catalog.models[s.modelIndex % catalog.models.length];
    const len = given.maxModelLen === undefined ? null : parseCount(given.maxModelLen);
    if (model !== undefined && len !== null && len > model.arch.maxPositionEmbeddings) {
      return given.maxNumSeqs === undefined ? {} : { maxNumSeqs: given.maxNumSeqs };
    }
    return given;
  };

  it('has only flags the targeted vLLM version has', () => {
    fc.assert(
      fc.property(scenario(), shape, (s, given) => {
        const p = plan(s, fitShape(s, given));
        fc.pre(p !== null);
        if (p === null) return;
        const info = resolveVllmVersion(s.version, catalog.vllm);
        if (info === null) throw new Error('bad version');
        expect(p.argv.slice(0, 2)).toEqual(['vllm', 'serve']);
        for (const arg of p.argv.filter((a) => a.startsWith('--'))) {
          expect({ flag: arg, has: hasFlag(catalog.vllm, info.version, arg) }).toEqual({ flag: arg, has: true });
        }
      }),
      RUNS,
    );
  });

  it("'fits' keeps at least the margin free; 'oom' needs more than there is", () => {
    fc.assert(
      fc.property(scenario(), shape, (s, given) => {
        const p = plan(s, fitShape(s, given));
        fc.pre(p !== null);
        if (p === null) return;
        const b = p.budget;
        expect(b.headroomBytes).toBe(b.limitBytes - b.totalBytes);
        if (p.verdict === 'fits') expect(b.headroomBytes).toBeGreaterThanOrEqual(b.marginBytes);
        if (p.verdict === 'tight') {
          expect(b.headroomBytes).toBeLessThan(b.marginBytes);
          expect(b.headroomBytes).toBeGreaterThanOrEqual(0);
        }
        if (p.verdict === 'oom') expect(b.totalBytes).toBeGreaterThan(b.limitBytes);
      }),
      RUNS,
    );
  });

  it('the scenarios above reach every verdict (so the verdict property is not vacuous)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(scenario(), shape, (s, given) => {
        const p = plan(s, fitShape(s, given));
        if (p !== null) seen.add(p.verdict);
      }),
      { numRuns: 150, seed: 42 },
    );
    expect([...seen].sort()).toEqual(expect.arrayContaining(['fits', 'oom', 'tight']));
  });

  it('on a Jetson, versions before 0.18 get "--swap-space 0"; from 0.18 --swap-space never appears', () => {
    const versions = [...VERSIONS, '0.17.0', '0.18.0'];
    fc.assert(
      fc.property(scenario({ versions }), shape, (s, given) => {
        const p = plan(s, fitShape(s, given));
        fc.pre(p !== null);
        if (p === null) return;
        const info = resolveVllmVersion(s.version, catalog.vllm);
        if (info === null) throw new Error('bad version');
        const at = p.argv.indexOf('--swap-space');
        if (isAtLeast(info.version, '0.18.0')) {
          expect(at).toBe(-1);
          return;
        }
        const userSwap = usableKnobs(s).swapSpace;
        if (p.device.isUnified && s.defaults === 'planner' && userSwap === undefined) {
          expect(at).toBeGreaterThan(-1);
          expect(p.argv[at + 1]).toBe('0');
        }
        if (userSwap !== undefined) {
          expect(at).toBeGreaterThan(-1);
          expect(p.argv[at + 1]).toBe(userSwap);
        }
      }),
      RUNS,
    );
  });

  it('fits.maxModelLen and fits.maxNumSeqs come from the solvers with the user’s knobs kept, in the plan’s own defaults mode', () => {
    fc.assert(
      fc.property(scenario(), (s) => {
        const p = plan(s);
        fc.pre(p !== null);
        if (p === null) return;
        const base = context(s);
        // The planner turns CUDA graphs off when nothing runs with them and --enforce-eager was left open.
        const fallbackEager = p.settings.enforceEager && usableKnobs(s).enforceEager === undefined;
        const ctx: PlanContext = { ...base.ctx, fallbackEager };
        expect(p.fits.maxModelLen).toBe(solveMaxModelLen(ctx, p.settings.maxNumSeqs, base.modelMax));
        expect(p.fits.maxNumSeqs).toBe(solveMaxNumSeqs(ctx, p.settings.maxModelLen));
      }),
      { numRuns: 30 },
    );
  });

  it('the fits figures re-planned run: the longest context at the planned sequences, the most sequences at the planned context', () => {
    fc.assert(
      fc.property(scenario(), (s) => {
        const p = plan(s);
        fc.pre(p !== null);
        if (p === null) return;
        if (p.fits.maxModelLen !== null) {
          const again = plan(s, { maxModelLen: String(p.fits.maxModelLen), maxNumSeqs: String(p.settings.maxNumSeqs) });
          expect(again === null ? 'refused' : again.verdict).toMatch(/^(fits|tight)$/);
        }
        if (p.fits.maxNumSeqs !== null) {
          const again = plan(s, { maxModelLen: String(p.settings.maxModelLen), maxNumSeqs: String(p.fits.maxNumSeqs) });
          expect(again === null ? 'refused' : again.verdict).toMatch(/^(fits|tight)$/);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('the plan runs whenever some choice of the knobs the user left open runs (context, sequences, CUDA graphs)', () => {
    const LENS = [256, 1024, 2048, 4096, 8192, 16384, 32768];
    const SEQS = [1, 2, 4, 8];
    fc.assert(
      fc.property(
        scenario(),
        fc.option(fc.constantFrom(...LENS), { nil: undefined }),
        fc.option(fc.constantFrom(...SEQS), { nil: undefined }),
        (s, givenLen, givenSeqs) => {
          fc.pre(s.defaults === 'planner');
          const { ctx, modelMax } = context(s);
          fc.pre(givenLen === undefined || givenLen <= modelMax);
          const extra: PlanOptions = {};
          if (givenLen !== undefined) extra.maxModelLen = String(givenLen);
          if (givenSeqs !== undefined) extra.maxNumSeqs = String(givenSeqs);
          const p = plan(s, extra);
          fc.pre(p !== null);
          if (p === null) return;
          const lens = givenLen !== undefined ? [givenLen] : LENS.filter((l) => l <= Math.min(modelMax, 32768));
          const seqsList = givenSeqs !== undefined ? [givenSeqs] : SEQS;
          const eagerChoices = ctx.knobs.enforceEager !== undefined ? [undefined] : [false, true];
          const someRuns = lens.some((len) =>
            seqsList.some((n) =>
              eagerChoices.some((eager) => {
                const knobs = eager === undefined ? ctx.knobs : { ...ctx.knobs, enforceEager: eager };
                return isRunnable(evaluate({ ...ctx, knobs }, len, n).budget);
              }),
            ),
          );
          if (someRuns) expect(p.verdict).toMatch(/^(fits|tight)$/);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('the release loads the model (model-support.ts, presets/vllm.yaml architectures and quantizations)', () => {
  it('every planned (architecture, quantization, version) is one the release loads; any other is refused with the release that does', () => {
    const seen = { loads: 0, refused: 0 };
    fc.assert(
      fc.property(
        scenario({ versions: [...VERSIONS, '0.8.3', '0.8.4', '0.16.0', '0.17.0', '0.18.0', '0.19.0'] }),
        (s) => {
          const r = request(s);
          const outcome = buildPlan(r, catalog);
          fc.pre(outcome.ok);
          if (!outcome.ok) return;
          const p = outcome.plan;
          const info = resolveVllmVersion(s.version, catalog.vllm);
          if (info === null) throw new Error('bad version');
          const missing = findMissingSupport(
            catalog.vllm,
            r.model.arch,
            resolveScheme(r.quant),
            info.version,
            r.quant.method,
          );
          if (missing.length === 0) {
            seen.loads++;
            expect(p.refusal?.reason).not.toBe('unsupported-model');
            return;
          }
          seen.refused++;
          const needed = findSupportMinimum(catalog.vllm, r.model.arch, resolveScheme(r.quant), r.quant.method);
          expect(p.verdict).toBe('unsupported');
          expect(p.refusal?.reason).toBe('unsupported-model');
          expect(p.refusal?.message).toContain(`needs vLLM ≥ ${needed?.since ?? '?'}, this is ${info.label}`);
          expect(p.fits.maxModelLen).toBeNull();
          expect(p.fits.maxNumSeqs).toBeNull();
        },
      ),
      { numRuns: 150, seed: 7 },
    );
    expect(seen.loads).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });

  it('the planner, choosing the version itself, picks a release that loads the model', () => {
    fc.assert(
      fc.property(scenario({ knobs: false }), (s) => {
        const { vllmVersion: _given, ...rest } = options(s);
        const resolved = resolvePlanRequest(rest, catalog, ENV);
        if (!resolved.ok) throw new Error(resolved.message);
        const outcome = buildPlan(resolved.request, catalog);
        fc.pre(outcome.ok);
        if (!outcome.ok) return;
        const info = resolveVllmVersion(outcome.plan.vllm.version, catalog.vllm);
        if (info === null) throw new Error('bad version');
        const scheme = resolveScheme(resolved.request.quant);
        expect(
          findMissingSupport(
            catalog.vllm,
            resolved.request.model.arch,
            scheme,
            info.version,
            resolved.request.quant.method,
          ),
        ).toEqual([]);
        expect(outcome.plan.refusal?.reason).not.toBe('unsupported-model');
      }),
      RUNS,
    );
  });
});
