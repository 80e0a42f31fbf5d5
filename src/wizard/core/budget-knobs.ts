/**
 * The budget screen's knobs: stepping one with ←/→ (every knob stops at its ends, none wraps around), a number
 * typed on it, and resetting it to the planner's choice. Pure: the reducer (wizard.ts) applies what these return.
 */
import type { DefaultsMode, Knobs } from '../../plan/core/planner.js';

/** The knobs the budget screen adjusts, in display order. */
export const BUDGET_KNOBS = [
  'maxModelLen',
  'maxNumSeqs',
  'enforceEager',
  'kvCacheDtype',
  'vllmVersion',
  'defaults',
] as const;
export type BudgetKnob = (typeof BUDGET_KNOBS)[number];

/** Context steps the budget screen walks through. */
export const CONTEXT_STEPS = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144];
/** Sequence counts the budget screen walks through. */
export const SEQ_STEPS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
/** The most sequences the knob offers (its last step; a typed number stops there too). */
export const MAX_SEQS = 256;

/** The knobs a number can be typed on. */
export const NUMBER_KNOBS: readonly BudgetKnob[] = ['maxModelLen', 'maxNumSeqs'];

/** What the knobs hold in the wizard's state. */
export interface KnobValues {
  knobs: Knobs;
  vllmVersion: string | null;
  defaults: DefaultsMode;
}

/** The values the budget screen shows now (the plan's), which a change steps from. */
export interface ShownKnobs {
  maxModelLen: number;
  maxNumSeqs: number;
  enforceEager: boolean;
  kvCacheDtype: string;
  vllmVersion: string;
}

/** One ←/→ press on a knob. */
export interface KnobStep {
  knob: BudgetKnob;
  direction: 1 | -1;
  modelMax: number;
  versions: string[];
  current?: ShownKnobs | null;
}

function stepThrough(steps: number[], current: number | undefined, direction: 1 | -1, max: number): number {
  const allowed = [...steps.filter((s) => s < max), max].filter((v, i, a) => a.indexOf(v) === i);
  if (current === undefined) return direction > 0 ? (allowed[0] ?? max) : (allowed.at(-1) ?? max);
  const next = direction > 0 ? allowed.find((s) => s > current) : [...allowed].reverse().find((s) => s < current);
  return next ?? current;
}

/** A two-valued knob as a list of two: ← goes to the first, → to the second, and each end stays (no wrap). */
function stepPair<T>(pair: readonly [T, T], direction: 1 | -1): T {
  return direction > 0 ? pair[1] : pair[0];
}

/** Returns the knob values after one ←/→ press, or null when nothing changes (an end reached). */
export function stepKnob(values: KnobValues, e: KnobStep): KnobValues | null {
  const knobs: Knobs = { ...values.knobs };
  const same = (a: unknown, b: unknown): KnobValues | null => (a === b ? null : { ...values, knobs });
  switch (e.knob) {
    case 'maxModelLen': {
      const was = values.knobs.maxModelLen ?? e.current?.maxModelLen;
      knobs.maxModelLen = stepThrough(CONTEXT_STEPS, was, e.direction, e.modelMax);
      return was === knobs.maxModelLen && values.knobs.maxModelLen !== undefined ? null : { ...values, knobs };
    }
    case 'maxNumSeqs': {
      const was = values.knobs.maxNumSeqs ?? e.current?.maxNumSeqs;
      knobs.maxNumSeqs = stepThrough(SEQ_STEPS, was, e.direction, MAX_SEQS);
      return was === knobs.maxNumSeqs && values.knobs.maxNumSeqs !== undefined ? null : { ...values, knobs };
    }
    case 'enforceEager': {
      const was = values.knobs.enforceEager ?? e.current?.enforceEager ?? false;
      knobs.enforceEager = stepPair([false, true] as const, e.direction);
      return same(was, knobs.enforceEager);
    }
    case 'kvCacheDtype': {
      const was = values.knobs.kvCacheDtype ?? e.current?.kvCacheDtype ?? 'auto';
      knobs.kvCacheDtype = stepPair(['auto', 'fp8'] as const, e.direction);
      return same(was, knobs.kvCacheDtype);
    }
    case 'vllmVersion': {
      if (e.versions.length === 0) return null;
      const shown = values.vllmVersion ?? e.current?.vllmVersion ?? null;
      const at = shown === null ? -1 : e.versions.indexOf(shown);
      // Like every other knob, the version stops at the ends of its list.
      const next =
        at < 0 ? (e.direction > 0 ? e.versions[0] : e.versions.at(-1)) : (e.versions[at + e.direction] ?? shown);
      if (next === shown) return null;
      // Knobs a version lacks would make the plan invalid: drop them when the version changes.
      const { swapSpaceGiB: _s, kvCacheMemoryBytes: _k, numGpuBlocksOverride: _n, ...kept } = knobs;
      return { ...values, knobs: kept, vllmVersion: next ?? null };
    }
    case 'defaults': {
      const next = stepPair(['planner', 'vllm'] as const, e.direction);
      return next === values.defaults ? null : { ...values, defaults: next };
    }
    default: {
      const unreachable: never = e.knob;
      throw new Error(`unknown knob ${String(unreachable)}`);
    }
  }
}

/** Returns the knob values with this knob back at the planner's choice (what was set for it dropped). */
export function resetKnob(values: KnobValues, knob: BudgetKnob): KnobValues {
  switch (knob) {
    case 'maxModelLen':
    case 'maxNumSeqs':
    case 'enforceEager':
    case 'kvCacheDtype': {
      const { [knob]: _dropped, ...kept } = values.knobs;
      return { ...values, knobs: kept };
    }
    case 'vllmVersion':
      return { ...values, vllmVersion: null };
    case 'defaults':
      return { ...values, defaults: 'planner' };
    default: {
      const unreachable: never = knob;
      throw new Error(`unknown knob ${String(unreachable)}`);
    }
  }
}

/** Returns whether this knob differs from the planner's choice (what a reset would undo). */
export function isKnobSet(values: KnobValues, knob: BudgetKnob): boolean {
  switch (knob) {
    case 'maxModelLen':
    case 'maxNumSeqs':
    case 'enforceEager':
    case 'kvCacheDtype':
      return values.knobs[knob] !== undefined;
    case 'vllmVersion':
      return values.vllmVersion !== null;
    case 'defaults':
      return values.defaults !== 'planner';
    default: {
      const unreachable: never = knob;
      throw new Error(`unknown knob ${String(unreachable)}`);
    }
  }
}

/** The label a knob has on the budget screen (and in notices about it). */
export const KNOB_LABEL: Record<BudgetKnob, string> = {
  maxModelLen: 'max-model-len',
  maxNumSeqs: 'max-num-seqs',
  enforceEager: 'enforce-eager',
  kvCacheDtype: 'kv-cache-dtype',
  vllmVersion: 'vLLM version',
  defaults: 'open knobs',
};

/**
 * Returns the knob values with a typed number set on a number knob, or the one-line notice saying why it was not
 * (the old value is kept). Any whole number within the knob's range is taken, not only the steps (e.g. 200).
 */
export function setTypedKnob(
  values: KnobValues,
  knob: BudgetKnob,
  typed: string,
  modelMax: number,
): { ok: true; values: KnobValues } | { ok: false; notice: string } {
  if (knob !== 'maxModelLen' && knob !== 'maxNumSeqs')
    return { ok: false, notice: `A number cannot be typed on ${KNOB_LABEL[knob]}: ←→ change it.` };
  const max = knob === 'maxModelLen' ? modelMax : MAX_SEQS;
  const n = /^\d+$/.test(typed) ? Number(typed) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    return {
      ok: false,
      notice: `${KNOB_LABEL[knob]} takes a whole number from 1 to ${max}: "${typed}" was not set.`,
    };
  return { ok: true, values: { ...values, knobs: { ...values.knobs, [knob]: n } } };
}
