/**
 * The re-plan ladder: how a plan that failed for lack of memory (or for a flag) becomes one that fits. The
 * user's knobs minus the culprits, lighter rungs (fewer sequences, no CUDA graphs, a shorter context), rungs
 * below the planner's own choice, then smaller quantizations; the fix names the flags that changed.
 * Ladder: anchors.md, the safe-launch ladder; reference/vllm-memory.md §9.
 */
import type { Knobs } from '../../../plan/core/planner.js';
import { buildPlan, type Plan, type PlanRequest } from '../../../plan/core/plan.js';
import type { Catalog, QuantVariant } from '../../../catalog/core/presets-schema.js';
import { checkCapability, estimateWeightBytes, resolveScheme } from '../../../model/core/quantization.js';
import { resolveVllmVersion } from '../../../plan/core/vllm-version.js';
import { floorTo, formatGiB, type Version } from '../../../shared/units.js';
import type { DiagnosisContext, Fix } from './types.js';

/** The vLLM flag of each planner knob. */
export const KNOB_FLAGS: Record<keyof Knobs, string> = {
  maxModelLen: '--max-model-len',
  maxNumSeqs: '--max-num-seqs',
  maxNumBatchedTokens: '--max-num-batched-tokens',
  gpuMemoryUtilization: '--gpu-memory-utilization',
  swapSpaceGiB: '--swap-space',
  kvCacheDtype: '--kv-cache-dtype',
  kvCacheMemoryBytes: '--kv-cache-memory-bytes',
  enforceEager: '--enforce-eager',
  blockSize: '--block-size',
  numGpuBlocksOverride: '--num-gpu-blocks-override',
};

// ---------------------------------------------------------------------------------------------
// Memory failures: re-plan with the user's knobs minus the culprits, lighter rungs, then quants.

/** The name of one planner knob. */
export type KnobKey = keyof Knobs;

/** Returns a copy of the knobs without the given keys. */
export function omitKnobs(knobs: Knobs, keys: readonly KnobKey[]): Knobs {
  const out: Knobs = { ...knobs };
  for (const k of keys) delete out[k];
  return out;
}

/** Returns whether a plan's verdict lets it run ('fits' or 'tight'). */
export const isRunnable = (p: Plan): boolean => p.verdict === 'fits' || p.verdict === 'tight';

/** Returns the plan for the request with `patch` applied, or null when the planner refuses it. */
export function tryPlan(request: PlanRequest, catalog: Catalog, patch: Partial<PlanRequest>): Plan | null {
  const outcome = buildPlan({ ...request, ...patch }, catalog);
  return outcome.ok ? outcome.plan : null;
}

/**
 * Returns the user's knobs minus those that made this run heavier than the planner would: the listed
 * culprits always, --max-num-seqs and --max-num-batched-tokens when the planner picks fewer, and
 * --enforce-eager false when the planner turns CUDA graphs off.
 */
export function dropCulprits(ctx: DiagnosisContext, culprits: readonly KnobKey[]): Knobs {
  const { request, catalog } = ctx;
  let knobs = omitKnobs(request.knobs, culprits);
  const weighable: KnobKey[] = ['maxNumSeqs', 'maxNumBatchedTokens', 'enforceEager'];
  const given = weighable.filter((k) => knobs[k] !== undefined);
  if (given.length === 0) return knobs;
  const probe = tryPlan(request, catalog, { knobs: omitKnobs(knobs, given), defaults: 'planner' });
  if (probe === null) return knobs;
  const lighter: KnobKey[] = [];
  if (knobs.maxNumSeqs !== undefined && probe.settings.maxNumSeqs < knobs.maxNumSeqs) lighter.push('maxNumSeqs');
  if (knobs.maxNumBatchedTokens !== undefined && probe.settings.maxNumBatchedTokens < knobs.maxNumBatchedTokens)
    lighter.push('maxNumBatchedTokens');
  if (knobs.enforceEager === false && probe.settings.enforceEager) lighter.push('enforceEager');
  knobs = omitKnobs(knobs, lighter);
  return knobs;
}

/** Returns the rungs from `first`: then fewer sequences and no graphs, then (if allowed) a shorter context. */
export function buildRungs(first: Knobs, canShorten: boolean): Knobs[] {
  const lighter: Knobs = { ...omitKnobs(first, ['maxNumSeqs', 'maxNumBatchedTokens']), enforceEager: true };
  const rungs = [first, lighter];
  if (canShorten) rungs.push(omitKnobs(lighter, ['maxModelLen']));
  return dedupe(rungs);
}

/** The model's other preset quantizations the GPU runs, smaller than the current one, largest first. */
function findSmallerQuants(ctx: DiagnosisContext): QuantVariant[] {
  const { request, catalog } = ctx;
  if (request.model.source !== 'preset') return [];
  const preset = catalog.models.find((m) => m.id === request.model.id);
  const version = planVersion(ctx);
  if (preset === undefined || version === null) return [];
  const current = estimateWeightBytes(request.model.arch, request.quant).weightBytes;
  return preset.quants
    .filter((q) => q.id !== request.quant.id)
    .filter((q) => checkCapability(resolveScheme(q), request.device.computeCapability, version).ok)
    .map((q) => ({ q, bytes: estimateWeightBytes(request.model.arch, q).weightBytes }))
    .filter((x) => x.bytes < current)
    .sort((a, b) => b.bytes - a.bytes)
    .map((x) => x.q);
}

/** Returns the vLLM version the plan was made for, or null when the catalog does not know it. */
export function planVersion(ctx: DiagnosisContext): Version | null {
  return resolveVllmVersion(ctx.plan.vllm.version, ctx.catalog.vllm)?.version ?? null;
}

/** Bytes vLLM itself takes in a plan: everything but the OS and other processes. */
function computeVllmBytes(plan: Plan): number {
  return plan.budget.items.filter((i) => i.key !== 'os').reduce((sum, i) => sum + i.bytes, 0);
}

/** What a memory fix must meet besides running and differing from the failing plan. */
export interface SolveOptions {
  /** A condition the fixed plan must meet besides running (e.g. fewer sequences). */
  accept?: (p: Plan) => boolean;
  /** The fix must take less memory than the failing plan (a kill or an OOM). */
  mustShrink?: boolean;
}

/**
 * Returns the fix of a memory failure: re-plans through the rungs in planner mode and takes the first plan that runs and differs from the
 * one that failed. When the failing plan was the planner's own (it predicted a fit), the next rungs
 * halve the sequences, then the context. Then it tries smaller quantizations. The fix is a runnable
 * plan, or "none" with what the nearest attempt needed.
 */
export function solveMemory(ctx: DiagnosisContext, rungs: Knobs[], advice: string[], options: SolveOptions = {}): Fix {
  const { request, catalog, plan } = ctx;
  const failingBytes = computeVllmBytes(plan);
  const ok = (p: Plan): boolean =>
    isRunnable(p) &&
    listChangedFlags(plan.argv, p.argv).length > 0 &&
    (options.mustShrink !== true || computeVllmBytes(p) < failingBytes) &&
    (options.accept === undefined || options.accept(p));
  const seen: { nearest: Plan | null } = { nearest: null };
  const attempt = (knobs: Knobs, quant?: QuantVariant): Plan | null => {
    const patch: Partial<PlanRequest> = quant === undefined ? {} : { quant };
    const fixed = tryPlan(request, catalog, { ...patch, knobs, defaults: 'planner' });
    if (fixed === null) return null;
    if (ok(fixed)) return fixed;
    if (!isRunnable(fixed)) seen.nearest ??= fixed;
    return null;
  };
  for (const knobs of rungs) {
    const fixed = attempt(knobs);
    if (fixed !== null) return makeReplan(ctx, knobs, fixed, advice);
  }
  for (const { knobs, why } of buildSmallerRungs(ctx, rungs[0] ?? request.knobs)) {
    const fixed = attempt(knobs);
    if (fixed !== null) return makeReplan(ctx, knobs, fixed, [why, ...advice]);
  }
  const failed = seen.nearest;
  const stillNeeds =
    failed === null ? '' : ` (${formatGiB(failed.budget.totalBytes)} needed of ${formatGiB(failed.budget.limitBytes)})`;
  const what = `${plan.model.name} ${plan.quant.id}`;
  for (const quant of findSmallerQuants(ctx)) {
    for (const knobs of rungs) {
      const fixed = attempt(knobs, quant);
      if (fixed !== null) {
        return makeReplan(ctx, knobs, fixed, [
          `no setting makes ${what} fit on ${plan.device.name}${stillNeeds}; the smaller --quant ${quant.id} does`,
          ...advice,
        ]);
      }
    }
  }
  return {
    kind: 'none',
    explanation: [
      `no setting makes ${what} fit on ${plan.device.name}${stillNeeds}, and no smaller quantization of it in the catalog does: choose a smaller model`,
      ...advice,
    ].join('; '),
  };
}

/**
 * Rungs below the planner's own choice, for when its prediction was what failed (anchors.md, the
 * safe-launch ladder): on a Jetson half the sequences, then half the context too; on a discrete GPU,
 * where the KV cache fills vLLM's share, a share 0.05 smaller.
 */
function buildSmallerRungs(ctx: DiagnosisContext, first: Knobs): { knobs: Knobs; why: string }[] {
  const s = ctx.plan.settings;
  if (!ctx.plan.device.isUnified) {
    const util = Math.round((s.gpuMemoryUtilization - 0.05) * 100) / 100;
    if (util < 0.05) return [];
    return [
      {
        knobs: { ...first, gpuMemoryUtilization: util },
        why: `the GPU had less memory free than this plan counted on: a share 0.05 smaller (${util})`,
      },
    ];
  }
  const why =
    'the board had less memory free than this plan counted on (a desktop or another process?): a smaller KV cache';
  const seqs = Math.max(1, Math.floor(s.maxNumSeqs / 2));
  const len = Math.max(s.blockSize, floorTo(Math.floor(s.maxModelLen / 2), s.blockSize));
  const eager: Knobs = { ...first, enforceEager: true };
  return dedupe([
    { ...eager, maxNumSeqs: seqs },
    { ...eager, maxNumSeqs: seqs, maxModelLen: len },
    { ...eager, maxNumSeqs: 1, maxModelLen: len },
  ]).map((knobs) => ({ knobs, why }));
}

function makeReplan(ctx: DiagnosisContext, knobs: Knobs, fixed: Plan, advice: string[]): Fix {
  const userKnobs = ctx.request.knobs;
  const show = (k: KnobKey, v: Knobs[KnobKey]): string =>
    k === 'enforceEager' ? (v === true ? '--enforce-eager' : '--no-enforce-eager') : `${KNOB_FLAGS[k]} ${String(v)}`;
  const userKeys = Object.keys(userKnobs) as KnobKey[];
  const fixKeys = Object.keys(knobs) as KnobKey[];
  const dropped = userKeys.filter((k) => knobs[k] === undefined).map((k) => show(k, userKnobs[k]));
  const changed = userKeys
    .filter((k) => knobs[k] !== undefined && knobs[k] !== userKnobs[k])
    .map((k) => `${show(k, userKnobs[k])} → ${String(knobs[k])}`);
  const added = fixKeys.filter((k) => userKnobs[k] === undefined).map((k) => show(k, knobs[k]));
  const kept = userKeys.filter((k) => knobs[k] === userKnobs[k]).map((k) => show(k, userKnobs[k]));
  const parts: string[] = [];
  if (dropped.length > 0) parts.push(`left to the planner what caused it (${dropped.join(', ')})`);
  if (changed.length > 0) parts.push(`changed ${changed.join(', ')}`);
  if (added.length > 0) parts.push(`set ${added.join(', ')}`);
  if (kept.length > 0) parts.push(`kept what you set (${kept.join(', ')})`);
  const verdict = fixed.verdict === 'fits' ? 'fits' : 'is tight';
  parts.push(
    `the planner chose ${userKeys.length + added.length > 0 ? 'the rest' : 'every setting'}: the new plan ${verdict}, ${formatGiB(fixed.budget.totalBytes)} of ${formatGiB(fixed.budget.limitBytes)} with ${formatGiB(fixed.budget.headroomBytes)} to spare`,
  );
  const given = describeGivenUp(ctx.plan, fixed);
  if (given !== null) parts.unshift(given);
  return {
    kind: 'replan',
    knobs,
    defaults: 'planner',
    changedFlags: listChangedFlags(ctx.plan.argv, fixed.argv),
    plan: fixed,
    explanation: [...advice, ...parts].join('; '),
  };
}

/** Says so when a fix gives up more than half the context or the concurrency of the plan that ran (null if not). */
export function describeGivenUp(before: Plan, after: Plan): string | null {
  const lost: string[] = [];
  const a = before.settings;
  const b = after.settings;
  if (b.maxModelLen * 2 < a.maxModelLen) lost.push(`the context (${a.maxModelLen} → ${b.maxModelLen} tokens)`);
  if (b.maxNumSeqs * 2 < a.maxNumSeqs) lost.push(`the concurrency (${a.maxNumSeqs} → ${b.maxNumSeqs} sequences)`);
  if (lost.length === 0) return null;
  return `this gives up more than half of ${lost.join(' and ')}: check it still does what you need before you retry`;
}

/** The knobs that make a memory failure of this kind: always left to the planner. */
export const MEMORY_CULPRITS: readonly KnobKey[] = [
  'gpuMemoryUtilization',
  'swapSpaceGiB',
  'kvCacheMemoryBytes',
  'numGpuBlocksOverride',
];

/** Returns the fix for running out of memory: the planner's plan without the culprits, down the ladder. */
export function fixOutOfMemory(ctx: DiagnosisContext, mustShrink: boolean): Fix {
  const base = dropCulprits(ctx, MEMORY_CULPRITS);
  return solveMemory(ctx, buildRungs(base, true), [], { mustShrink });
}

/** Returns the flags that differ between two serve argvs: "--flag value", "without --flag", "vllm serve <model>". */
export function listChangedFlags(before: string[], after: string[]): string[] {
  const a = readServeArgv(before);
  const b = readServeArgv(after);
  const changes: string[] = [];
  if (a.target !== b.target && b.target !== null) changes.push(`vllm serve ${b.target}`);
  for (const [flag, value] of b.flags) {
    if (!a.flags.has(flag) || a.flags.get(flag) !== value) changes.push(value === null ? flag : `${flag} ${value}`);
  }
  for (const flag of a.flags.keys()) if (!b.flags.has(flag)) changes.push(`without ${flag}`);
  return changes;
}

function readServeArgv(argv: string[]): { target: string | null; flags: Map<string, string | null> } {
  const serve = argv.findIndex((t, i) => t === 'serve' && argv[i - 1] === 'vllm');
  const start = serve >= 0 ? serve + 1 : 0;
  const first = argv[start];
  const target = first !== undefined && !first.startsWith('--') ? first : null;
  const flags = new Map<string, string | null>();
  for (let i = target === null ? start : start + 1; i < argv.length; i++) {
    const token = argv[i];
    if (token === undefined || !token.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      flags.set(token, next);
      i++;
    } else flags.set(token, null);
  }
  return { target, flags };
}

/** Returns the rungs without repeats, first occurrence kept. */
export function dedupe(rungs: Knobs[]): Knobs[] {
  const seen = rungs.map((r) => JSON.stringify(r));
  return rungs.filter((_, i) => seen.indexOf(seen[i] ?? '') === i);
}
