/**
 * The wizard's state machine without rendering: sequences of events from a first state, the key map,
 * and the list filter. A property checks that no sequence of events can break the state's shape.
 */
import fc from 'fast-check';
import { toResolvedDevice } from '../../../src/device/core/resolved-device.js';
import { describe, expect, it } from 'vitest';
import {
  BUDGET_KNOBS,
  CONTEXT_STEPS,
  createWizardState,
  interpretKey,
  launchElsewhere,
  matchesFilter,
  REVIEW_ACTIONS,
  SEQ_STEPS,
  wizardReducer,
  type BudgetKnob,
  type Detection,
  type KeyPress,
  type Step,
  type WizardEvent,
  type WizardFlags,
  type WizardState,
} from '../../../src/wizard/core/wizard.js';
import {
  LAUNCH_TAIL,
  createLaunchSession,
  type LaunchSession,
  type LaunchSessionEvent,
} from '../../../src/launch/core/session.js';
import { buildOutcome } from '../../../src/launch/core/session-outcome.js';
import { loadTestCatalog, requestAndPlanFor } from '../../helpers/catalog.js';
import { buildTestSetup, replaySession } from '../../helpers/launch-session.js';

const catalog = loadTestCatalog();
const STEPS: Step[] = ['device', 'model', 'quant', 'budget', 'review', 'launch'];
const MODEL = 'qwen2-7b-instruct';
const QUANT = 'gguf-q4_k_m';
const VERSIONS = ['0.6.3', '0.8.6', '0.11.2'];

const noFlags = (): WizardFlags => ({ knobs: {}, defaults: 'planner' });

/** Feeds the events to the reducer one after another. */
function run(state: WizardState, ...events: WizardEvent[]): WizardState {
  return events.reduce(wizardReducer, state);
}

/** Asserts the step and narrows the state to it. */
function at<S extends Step>(state: WizardState, step: S): Extract<WizardState, { step: S }> {
  expect(state.step).toBe(step);
  if (state.step !== step) throw new Error(`expected the ${step} step, got ${state.step}`);
  return state as Extract<WizardState, { step: S }>;
}

function knob(name: BudgetKnob, direction: 1 | -1, modelMax = 32768, versions = VERSIONS): WizardEvent {
  return { type: 'knobAdjusted', knob: name, direction, catalog, modelMax, versions };
}

/** The budget step for the Orin NX preset, Qwen2 7B, GGUF Q4_K_M. */
function budgetState(flags: Partial<WizardFlags> = {}): Extract<WizardState, { step: 'budget' }> {
  return at(
    createWizardState({ ...noFlags(), device: 'orin-nx-16gb', model: MODEL, quant: QUANT, ...flags }, catalog),
    'budget',
  );
}

const reviewState = (): Extract<WizardState, { step: 'review' }> =>
  at(run(budgetState(), { type: 'reviewOpened' }), 'review');

/** This machine detected as the Orin NX 16 GB preset. */
const ORIN_NX_HERE: Extract<Detection, { status: 'done' }> = {
  status: 'done',
  identification: {
    kind: 'jetson',
    presetId: 'orin-nx-16gb',
    name: 'Jetson Orin NX 16GB',
    source: 'test',
    isFamilyOnly: false,
    device: null,
  },
  warnings: [],
  rows: [],
};

const DONE: Extract<Detection, { status: 'done' }> = {
  status: 'done',
  identification: {
    kind: 'none',
    presetId: null,
    name: 'no NVIDIA GPU',
    source: 'test',
    isFamilyOnly: false,
    device: null,
  },
  warnings: [],
  rows: [{ label: 'memory', value: '15.5 GiB', source: '/proc/meminfo MemTotal' }],
};

describe('a walk through the steps', () => {
  it('starts at the device step with detection loading and nothing chosen', () => {
    const s = at(createWizardState(noFlags(), catalog), 'device');
    expect(s.detection).toEqual({ status: 'loading' });
    expect(s.device).toBeNull();
    expect(s.model).toBeNull();
    expect(s.quant).toBeNull();
    expect(s.list).toEqual({ cursor: 0, filter: '', isFiltering: false });
    expect(s.exit).toBeNull();
    expect(s.pendingSave).toBe(false);
  });

  it('goes device → model → quant → budget → review as each is chosen', () => {
    let s: WizardState = createWizardState(noFlags(), catalog);
    // Choosing "This device" before detection finished only says so and stays.
    const early = run(s, { type: 'deviceChosen', device: { kind: 'detected' } });
    expect(early.step).toBe('device');
    expect(early.notice).toMatch(/^Still detecting this device/);
    s = run(s, { type: 'deviceChosen', device: { kind: 'preset', id: 'orin-nx-16gb' } });
    expect(at(s, 'model').device).toEqual({ kind: 'preset', id: 'orin-nx-16gb' });
    s = run(s, { type: 'modelChosen', id: MODEL });
    const q = at(s, 'quant');
    expect(q.model).toBe(MODEL);
    expect(q.quant).toBeNull();
    // Not moved yet: the screen starts on the first variant that fits.
    expect(q.cursor).toBeNull();
    s = run(s, { type: 'quantChosen', id: QUANT });
    const b = at(s, 'budget');
    expect([b.model, b.quant, b.focus]).toEqual([MODEL, QUANT, 0]);
    s = run(s, { type: 'reviewOpened' });
    const r = at(s, 'review');
    expect([r.device, r.model, r.quant, r.cursor]).toEqual([{ kind: 'preset', id: 'orin-nx-16gb' }, MODEL, QUANT, 0]);
  });

  it('ignores a choice that does not belong to the current step', () => {
    const device = createWizardState(noFlags(), catalog);
    expect(run(device, { type: 'modelChosen', id: MODEL })).toBe(device);
    expect(run(device, { type: 'quantChosen', id: QUANT })).toBe(device);
    expect(run(device, { type: 'reviewOpened' })).toBe(device);
    expect(run(device, knob('maxModelLen', 1))).toBe(device);
    expect(run(device, { type: 'actionChosen', action: 'copy', command: 'x' })).toBe(device);
    const budget = budgetState();
    expect(run(budget, { type: 'deviceChosen', device: { kind: 'detected' } })).toBe(budget);
    expect(run(budget, { type: 'filterStarted' })).toBe(budget);
    expect(run(budget, { type: 'filterTyped', text: 'x' })).toBe(budget);
  });

  it('records the detection result whatever the step', () => {
    const s = run(budgetState(), { type: 'detectionFinished', detection: DONE });
    expect(at(s, 'budget').detection).toBe(DONE);
    const failed = run(createWizardState(noFlags(), catalog), { type: 'detectionFailed', reason: 'no /proc' });
    expect(failed.detection).toEqual({ status: 'failed', reason: 'no /proc' });
  });

  it('keeps the quantization when the same model is chosen again, and drops it for another model', () => {
    const back = run(budgetState(), { type: 'wentBack' }, { type: 'wentBack' });
    expect(at(back, 'model').quant).toBe(QUANT);
    expect(at(run(back, { type: 'modelChosen', id: MODEL }), 'quant').quant).toBe(QUANT);
    expect(at(run(back, { type: 'modelChosen', id: 'qwen3-8b' }), 'quant').quant).toBeNull();
  });
});

describe('the budget knobs', () => {
  // Only stepping from a value the user set is asserted here: from an unset knob the reducer does not
  // know the value the screen shows (the planner's), see the report on knobAdjusted.
  it('steps max-model-len up through the context steps to the model maximum, and back down', () => {
    let s: WizardState = budgetState({ knobs: { maxModelLen: 256 } });
    const seen: (number | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      s = run(s, knob('maxModelLen', 1, 3000));
      seen.push(s.knobs.maxModelLen);
    }
    // The model maximum (not one of the steps) is the last value.
    expect(seen).toEqual([512, 1024, 2048, 3000, 3000]);
    s = run(s, knob('maxModelLen', -1, 3000));
    expect(s.knobs.maxModelLen).toBe(2048);
  });

  it('steps max-model-len down to the smallest step and stops there; a value between steps moves to the next', () => {
    let s: WizardState = budgetState({ knobs: { maxModelLen: 32768 } });
    s = run(s, knob('maxModelLen', -1, 32768));
    expect(s.knobs.maxModelLen).toBe(16384);
    for (let i = 0; i < CONTEXT_STEPS.length + 2; i++) s = run(s, knob('maxModelLen', -1, 32768));
    expect(s.knobs.maxModelLen).toBe(CONTEXT_STEPS[0]);
    const between = budgetState({ knobs: { maxModelLen: 3000 } });
    expect(run(between, knob('maxModelLen', 1, 32768)).knobs.maxModelLen).toBe(4096);
    expect(run(between, knob('maxModelLen', -1, 32768)).knobs.maxModelLen).toBe(2048);
  });

  it('steps max-num-seqs through 1, 2, 4, … 256 and stops at both ends', () => {
    let s: WizardState = budgetState({ knobs: { maxNumSeqs: 1 } });
    const seen: (number | undefined)[] = [];
    for (let i = 0; i < SEQ_STEPS.length; i++) {
      s = run(s, knob('maxNumSeqs', 1));
      seen.push(s.knobs.maxNumSeqs);
    }
    expect(seen).toEqual([...SEQ_STEPS.slice(1), 256]);
    s = run(s, knob('maxNumSeqs', -1));
    expect(s.knobs.maxNumSeqs).toBe(128);
    const one = run(budgetState({ knobs: { maxNumSeqs: 1 } }), knob('maxNumSeqs', -1));
    expect(one.knobs.maxNumSeqs).toBe(1);
  });

  it('sets enforce-eager off with ← and on with →, stopping at each end (no wrap-around)', () => {
    const on = budgetState({ knobs: { enforceEager: true } });
    expect(run(on, knob('enforceEager', -1)).knobs.enforceEager).toBe(false);
    expect(run(on, knob('enforceEager', 1))).toBe(on);
    expect(run(on, knob('enforceEager', -1), knob('enforceEager', 1)).knobs.enforceEager).toBe(true);
    const off = budgetState({ knobs: { enforceEager: false } });
    expect(run(off, knob('enforceEager', -1))).toBe(off);
  });

  it('moves kv-cache-dtype between auto (←) and fp8 (→), stopping at each end (no wrap-around)', () => {
    const auto = budgetState({ knobs: { kvCacheDtype: 'auto' } });
    expect(run(auto, knob('kvCacheDtype', 1)).knobs.kvCacheDtype).toBe('fp8');
    expect(run(auto, knob('kvCacheDtype', -1))).toBe(auto);
    const fp8 = run(auto, knob('kvCacheDtype', 1));
    expect(run(fp8, knob('kvCacheDtype', 1))).toBe(fp8);
    expect(run(fp8, knob('kvCacheDtype', -1)).knobs.kvCacheDtype).toBe('auto');
  });

  it('steps the vLLM version through the list, stopping at its ends, and drops knobs a version may lack', () => {
    const s = budgetState({
      vllmVersion: '0.6.3',
      knobs: { maxModelLen: 4096, swapSpaceGiB: 4, kvCacheMemoryBytes: 1e9, numGpuBlocksOverride: 100 },
    });
    const next = run(s, knob('vllmVersion', 1));
    expect(next.vllmVersion).toBe('0.8.6');
    expect(next.knobs).toEqual({ maxModelLen: 4096 });
    // At the first version ← stays (no wrap-around to the last); at the last → stays.
    expect(run(s, knob('vllmVersion', -1))).toBe(s);
    const last = run(next, knob('vllmVersion', 1));
    expect(last.vllmVersion).toBe('0.11.2');
    expect(run(last, knob('vllmVersion', 1))).toBe(last);
    // A version from the command line that is not in the list: the list's first (→) or last (←).
    expect(run(budgetState({ vllmVersion: '0.99.0' }), knob('vllmVersion', 1)).vllmVersion).toBe('0.6.3');
    expect(run(budgetState({ vllmVersion: '0.99.0' }), knob('vllmVersion', -1)).vllmVersion).toBe('0.11.2');
    // No versions to cycle through: nothing changes.
    expect(run(s, knob('vllmVersion', 1, 32768, []))).toBe(s);
  });

  it("switches the open knobs between the planner's choices and vLLM's defaults", () => {
    const s = run(budgetState(), knob('defaults', 1));
    expect(s.defaults).toBe('vllm');
    expect(run(s, knob('defaults', -1)).defaults).toBe('planner');
    // Each end stays: → on vLLM's defaults and ← on the planner's change nothing.
    expect(run(s, knob('defaults', 1))).toBe(s);
    expect(run(budgetState(), knob('defaults', -1)).defaults).toBe('planner');
  });

  it('takes a typed number on max-model-len (any value, e.g. 200) and max-num-seqs: digits, then Enter', () => {
    const typed = (s: WizardState, k: BudgetKnob, digits: string): WizardState =>
      run(s, ...[...digits].map((text): WizardEvent => ({ type: 'knobDigitTyped', knob: k, text })));
    const s = typed(budgetState({ knobs: { maxModelLen: 4096 } }), 'maxModelLen', '200');
    expect(s.knobEntry).toBe('200');
    // Until Enter the old value holds.
    expect(s.knobs.maxModelLen).toBe(4096);
    const set = run(s, { type: 'knobEntrySubmitted', knob: 'maxModelLen', modelMax: 32768 });
    expect(set.knobs.maxModelLen).toBe(200);
    expect(set.knobEntry).toBeNull();
    expect(set.notice).toBeNull();
    const seqs = run(typed(budgetState(), 'maxNumSeqs', '3'), {
      type: 'knobEntrySubmitted',
      knob: 'maxNumSeqs',
      modelMax: 32768,
    });
    expect(seqs.knobs.maxNumSeqs).toBe(3);
    // ⌫ erases the last digit.
    const erased = run(typed(budgetState(), 'maxModelLen', '2000'), { type: 'knobDigitErased' });
    expect(erased.knobEntry).toBe('200');
  });

  it('Esc cancels a typed number and keeps the old value; the budget step stays', () => {
    const s = run(budgetState({ knobs: { maxModelLen: 4096 } }), {
      type: 'knobDigitTyped',
      knob: 'maxModelLen',
      text: '9',
    });
    const cancelled = at(run(s, { type: 'wentBack' }), 'budget');
    expect(cancelled.knobEntry).toBeNull();
    expect(cancelled.knobs.maxModelLen).toBe(4096);
    expect(run(s, { type: 'knobEntryCancelled' }).knobEntry).toBeNull();
  });

  it('a typed number out of range keeps the old value and says why in one line', () => {
    const over = run(
      budgetState({ knobs: { maxModelLen: 4096 } }),
      ...[...'99999'].map((text): WizardEvent => ({ type: 'knobDigitTyped', knob: 'maxModelLen', text })),
      { type: 'knobEntrySubmitted', knob: 'maxModelLen', modelMax: 32768 },
    );
    expect(over.knobs.maxModelLen).toBe(4096);
    expect(over.knobEntry).toBeNull();
    expect(over.notice).toContain('max-model-len');
    expect(over.notice).toContain('1 to 32768');
    expect(over.notice).not.toContain('\n');
    const seqs = run(
      budgetState({ knobs: { maxNumSeqs: 4 } }),
      ...[...'300'].map((text): WizardEvent => ({ type: 'knobDigitTyped', knob: 'maxNumSeqs', text })),
      { type: 'knobEntrySubmitted', knob: 'maxNumSeqs', modelMax: 32768 },
    );
    expect(seqs.knobs.maxNumSeqs).toBe(4);
    expect(seqs.notice).toContain('1 to 256');
    // An empty entry (every digit erased) is not a number either.
    const empty = run(
      budgetState({ knobs: { maxNumSeqs: 4 } }),
      { type: 'knobDigitTyped', knob: 'maxNumSeqs', text: '5' },
      { type: 'knobDigitErased' },
      { type: 'knobEntrySubmitted', knob: 'maxNumSeqs', modelMax: 32768 },
    );
    expect(empty.knobs.maxNumSeqs).toBe(4);
    expect(empty.notice).not.toBeNull();
  });

  it('digits start no entry on a knob that is not a number', () => {
    for (const k of ['enforceEager', 'kvCacheDtype', 'vllmVersion', 'defaults'] as const) {
      const s = budgetState();
      expect(run(s, { type: 'knobDigitTyped', knob: k, text: '4' })).toBe(s);
    }
  });

  it("a reset puts each knob back to the planner's choice", () => {
    const s = budgetState({
      vllmVersion: '0.8.6',
      defaults: 'vllm',
      knobs: { maxModelLen: 200, maxNumSeqs: 3, enforceEager: true, kvCacheDtype: 'fp8' },
    });
    const reset = (k: BudgetKnob): WizardState => run(s, { type: 'knobReset', knob: k });
    expect(reset('maxModelLen').knobs).toEqual({ maxNumSeqs: 3, enforceEager: true, kvCacheDtype: 'fp8' });
    expect(reset('maxNumSeqs').knobs).toEqual({ maxModelLen: 200, enforceEager: true, kvCacheDtype: 'fp8' });
    expect(reset('enforceEager').knobs.enforceEager).toBeUndefined();
    expect(reset('kvCacheDtype').knobs.kvCacheDtype).toBeUndefined();
    expect(reset('vllmVersion').vllmVersion).toBeNull();
    expect(reset('defaults').defaults).toBe('planner');
    // Only the knob reset changes.
    expect(reset('vllmVersion').knobs).toEqual(s.knobs);
  });

  it('clears a notice when a knob changes', () => {
    const saved = run(budgetState(), { type: 'recipeSaved', path: '/r.json' });
    expect(saved.notice).not.toBeNull();
    expect(run(saved, knob('maxNumSeqs', 1)).notice).toBeNull();
  });

  it('moves the focus over the knobs, wrapping at both ends', () => {
    const size = BUDGET_KNOBS.length;
    const up = run(budgetState(), { type: 'cursorMoved', delta: -1, size });
    expect(at(up, 'budget').focus).toBe(size - 1);
    expect(at(run(up, { type: 'cursorMoved', delta: 1, size }), 'budget').focus).toBe(0);
  });
});

describe('the quantization cursor', () => {
  it('is not placed until moved (the screen starts on the first variant that fits); a highlight places it', () => {
    const quant = at(createWizardState({ ...noFlags(), device: 'orin-nx-16gb', model: MODEL }, catalog), 'quant');
    expect(quant.cursor).toBeNull();
    expect(at(run(quant, { type: 'itemHighlighted', index: 2 }), 'quant').cursor).toBe(2);
    // Coming back from the budget the screen places it (on the variant chosen before).
    expect(at(run(budgetState(), { type: 'wentBack' }), 'quant').cursor).toBeNull();
  });
});

describe('the review actions', () => {
  it('copy ends the wizard with the command to print', () => {
    const s = run(reviewState(), { type: 'actionChosen', action: 'copy', command: 'vllm serve x' });
    expect(s.exit).toEqual({ code: 0, print: 'vllm serve x' });
  });

  it('save asks the shell to save, then shows where the recipe went (or why not)', () => {
    const pending = run(reviewState(), { type: 'actionChosen', action: 'save', command: 'c' });
    expect(pending.pendingSave).toBe(true);
    expect(pending.exit).toBeNull();
    const saved = run(pending, { type: 'recipeSaved', path: '/home/u/.config/jetson-vllm/recipes/r.json' });
    expect(saved.pendingSave).toBe(false);
    expect(saved.notice).toContain('/home/u/.config/jetson-vllm/recipes/r.json');
    const failed = run(pending, { type: 'recipeSaveFailed', reason: 'EACCES' });
    expect(failed.pendingSave).toBe(false);
    expect(failed.notice).toContain('EACCES');
    expect(at(failed, 'review').step).toBe('review');
  });

  it('launch opens the launch step and asks the shell to launch (test/core/wizard-launch.test.ts has the rest)', () => {
    const s = run(
      reviewState(),
      { type: 'detectionFinished', detection: ORIN_NX_HERE },
      { type: 'actionChosen', action: 'launch', command: 'c' },
    );
    expect(s.exit).toBeNull();
    expect(s.step).toBe('launch');
    expect(s.launchId).toBe(1);
  });

  it('r after a failure with a re-planned fix launches that plan whole (retryPlan), and going back drops it', () => {
    const launched = run(
      reviewState(),
      { type: 'detectionFinished', detection: ORIN_NX_HERE },
      { type: 'actionChosen', action: 'launch', command: 'c' },
    );
    // A fix whose flags do not follow from the knobs: another vLLM version (as an unknown argument's fix makes).
    const fixed = requestAndPlanFor({ device: 'orin-nx-16gb', model: MODEL, quant: QUANT, vllmVersion: '0.8.6' }).plan;
    const failed = createLaunchSession('c', 1);
    const outcome = buildOutcome('failed', 'failed', 1, 'unknown argument', null, null);
    const retry = {
      knobs: {},
      defaults: 'planner' as const,
      changedFlags: ['without --swap-space'],
      verdict: fixed.verdict,
      command: fixed.command,
      quant: fixed.quant.id,
      plan: fixed,
    };
    const ended = run(launched, {
      type: 'launchSessionChanged',
      session: { ...failed, status: 'ended', outcome: { ...outcome, retry } },
      launchId: launched.launchId,
    });
    expect(ended.retryPlan).toBeNull();
    const retried = at(run(ended, { type: 'launchRetried' }), 'launch');
    expect(retried.retryPlan).toBe(fixed);
    expect(retried.launch.command).toBe(fixed.command);
    expect(retried.launch.attempt).toBe(2);
    expect(retried.launchId).toBe(launched.launchId + 1);
    expect(retried.notice).toBe('Retrying with without --swap-space');
    // Once it has ended too, Esc goes back to the review: the next launch is planned from the knobs again.
    const again = run(retried, {
      type: 'launchSessionChanged',
      session: { ...createLaunchSession(fixed.command, 1), status: 'ended', outcome },
      launchId: retried.launchId,
    });
    const back = run(again, { type: 'wentBack' });
    expect(back.step).toBe('review');
    expect(back.retryPlan).toBeNull();
  });

  it('a plan for a preset that is not this machine is not launched here (planning for it stays fine)', () => {
    const review = reviewState();
    const elsewhere = run(
      review,
      { type: 'detectionFinished', detection: DONE },
      { type: 'actionChosen', action: 'launch', command: 'c' },
    );
    expect(elsewhere.step).toBe('review');
    expect(elsewhere.launchId).toBe(0);
    expect(elsewhere.notice).toBe(
      // No "This device" row exists for a machine without a GPU: it is not offered.
      'Not launched: this plan is for orin-nx-16gb, and this machine is no NVIDIA GPU. Copy the command or save the recipe to run it on that board.',
    );
    expect(launchElsewhere({ kind: 'preset', id: 'orin-nx-16gb' }, { status: 'loading' })).toMatch(
      /detection has not finished/,
    );
    expect(launchElsewhere({ kind: 'preset', id: 'orin-nx-16gb' }, { status: 'failed', reason: 'EACCES' })).toMatch(
      /could not be detected \(EACCES\)/,
    );
    expect(launchElsewhere({ kind: 'preset', id: 'orin-nx-16gb' }, ORIN_NX_HERE)).toBeNull();
    expect(launchElsewhere({ kind: 'detected' }, DONE)).toBeNull();
  });

  it('launch chosen while detection runs goes ahead once this machine is known (or is refused, or forgotten on Esc)', () => {
    const review = reviewState();
    expect(review.detection.status).toBe('loading');
    const waiting = run(review, { type: 'actionChosen', action: 'launch', command: 'c' });
    expect(waiting.step).toBe('review');
    expect(waiting.notice).toMatch(/once detection has finished/);
    const here = at(run(waiting, { type: 'detectionFinished', detection: ORIN_NX_HERE }), 'launch');
    expect(here.launchId).toBe(1);
    expect(here.pendingLaunch).toBeNull();
    const other = run(waiting, { type: 'detectionFinished', detection: DONE });
    expect(other.step).toBe('review');
    expect(other.notice).toMatch(/this machine is no NVIDIA GPU/);
    const backed = run(waiting, { type: 'wentBack' }, { type: 'reviewOpened' });
    expect(run(backed, { type: 'detectionFinished', detection: ORIN_NX_HERE }).step).toBe('review');
  });

  it('back returns to the budget', () => {
    const s = run(reviewState(), { type: 'actionChosen', action: 'back', command: 'c' });
    expect(at(s, 'budget').quant).toBe(QUANT);
  });

  it('quitting ends with code 0 and nothing to print, from any step', () => {
    for (const s of [createWizardState(noFlags(), catalog), budgetState(), reviewState()]) {
      expect(run(s, { type: 'quitRequested' }).exit).toEqual({ code: 0, print: null });
    }
  });
});

describe('going back', () => {
  it('from each step returns to the one before, keeping what was chosen', () => {
    const review = reviewState();
    const budget = at(run(review, { type: 'wentBack' }), 'budget');
    expect([budget.model, budget.quant]).toEqual([MODEL, QUANT]);
    const quant = at(run(budget, { type: 'wentBack' }), 'quant');
    expect(quant.quant).toBe(QUANT);
    const model = at(run(quant, { type: 'wentBack' }), 'model');
    expect(model.model).toBe(MODEL);
    expect(model.list).toEqual({ cursor: 0, filter: '', isFiltering: false });
    const device = at(run(model, { type: 'wentBack' }), 'device');
    expect(device.device).toEqual({ kind: 'preset', id: 'orin-nx-16gb' });
    expect(device.exit).toBeNull();
  });

  it('from the device step ends the wizard', () => {
    expect(run(createWizardState(noFlags(), catalog), { type: 'wentBack' }).exit).toEqual({ code: 0, print: null });
  });

  it('after going back, choosing the device again skips to the first step not yet answered', () => {
    const device = run(budgetState(), { type: 'wentBack' }, { type: 'wentBack' }, { type: 'wentBack' });
    const s = run(device, { type: 'deviceChosen', device: { kind: 'preset', id: 'agx-orin-64gb' } });
    const b = at(s, 'budget');
    expect(b.device).toEqual({ kind: 'preset', id: 'agx-orin-64gb' });
    expect([b.model, b.quant]).toEqual([MODEL, QUANT]);
  });

  it('closes the help before leaving the step', () => {
    const help = run(budgetState(), { type: 'helpToggled' });
    expect(help.isHelpShown).toBe(true);
    const closed = run(help, { type: 'wentBack' });
    expect(at(closed, 'budget').isHelpShown).toBe(false);
    expect(run(closed, { type: 'wentBack' }).step).toBe('quant');
  });

  it('clears a notice', () => {
    const refused = run(reviewState(), { type: 'actionChosen', action: 'launch', command: 'c', verdict: 'oom' });
    expect(refused.notice).not.toBeNull();
    const s = run(refused, { type: 'wentBack' });
    expect(s.step).toBe('budget');
    expect(s.notice).toBeNull();
  });
});

describe('filtering a list', () => {
  it('"/" starts a filter, typing adds to it and resets the cursor, erasing removes the last character', () => {
    let s: WizardState = run(createWizardState(noFlags(), catalog), { type: 'itemHighlighted', index: 4 });
    expect(at(s, 'device').list.cursor).toBe(4);
    s = run(s, { type: 'filterStarted' }, { type: 'filterTyped', text: 'or' }, { type: 'filterTyped', text: 'in' });
    expect(at(s, 'device').list).toEqual({ cursor: 0, filter: 'orin', isFiltering: true });
    s = run(s, { type: 'filterErased' });
    expect(at(s, 'device').list.filter).toBe('ori');
    s = run(s, { type: 'filterEnded' });
    expect(at(s, 'device').list).toEqual({ cursor: 0, filter: 'ori', isFiltering: false });
  });

  it('Esc while filtering clears the filter first and stays on the step', () => {
    const model = run(createWizardState({ ...noFlags(), device: 'orin-nx-16gb' }, catalog), {
      type: 'filterStarted',
    });
    const typed = run(model, { type: 'filterTyped', text: 'qwen' });
    const cleared = run(typed, { type: 'wentBack' });
    expect(at(cleared, 'model').list).toEqual({ cursor: 0, filter: '', isFiltering: false });
    // The next Esc goes back a step.
    expect(run(cleared, { type: 'wentBack' }).step).toBe('device');
    // On the device step the first Esc clears the filter instead of ending the wizard.
    const device = run(createWizardState(noFlags(), catalog), { type: 'filterStarted' }, { type: 'wentBack' });
    expect(device.exit).toBeNull();
    expect(at(device, 'device').list.isFiltering).toBe(false);
  });

  it('a kept filter (Enter) does not stop Esc from going back', () => {
    const s = run(
      createWizardState({ ...noFlags(), device: 'orin-nx-16gb' }, catalog),
      { type: 'filterStarted' },
      { type: 'filterTyped', text: 'llama' },
      { type: 'filterEnded' },
      { type: 'wentBack' },
    );
    expect(s.step).toBe('device');
  });

  it('moves the list cursor with wrapping, and ignores an empty list', () => {
    const s = createWizardState(noFlags(), catalog);
    expect(at(run(s, { type: 'cursorMoved', delta: -1, size: 3 }), 'device').list.cursor).toBe(2);
    expect(at(run(s, { type: 'cursorMoved', delta: 7, size: 3 }), 'device').list.cursor).toBe(1);
    expect(run(s, { type: 'cursorMoved', delta: 1, size: 0 })).toBe(s);
    expect(at(run(budgetState(), { type: 'itemHighlighted', index: 3 }), 'budget').focus).toBe(0);
  });
});

describe('flags pre-fill the first state', () => {
  it('--device opens at the model step', () => {
    const s = at(createWizardState({ ...noFlags(), device: 'orin-nano-8gb' }, catalog), 'model');
    expect(s.device).toEqual({ kind: 'preset', id: 'orin-nano-8gb' });
  });

  it('--model (with a device) opens at the quantization step', () => {
    const s = at(createWizardState({ ...noFlags(), device: 'orin-nx-16gb', model: MODEL }, catalog), 'quant');
    expect(s.model).toBe(MODEL);
  });

  it('--model and --quant (with a device) open at the budget', () => {
    const s = budgetState();
    expect([s.model, s.quant]).toEqual([MODEL, QUANT]);
  });

  it('without --device the device is asked first, then the wizard skips to the first step not answered', () => {
    const withModel = at(createWizardState({ ...noFlags(), model: MODEL }, catalog), 'device');
    expect(withModel.model).toBe(MODEL);
    expect(run(withModel, { type: 'deviceChosen', device: { kind: 'preset', id: 'orin-nx-16gb' } }).step).toBe('quant');
    const withQuant = at(createWizardState({ ...noFlags(), model: MODEL, quant: QUANT }, catalog), 'device');
    expect(run(withQuant, { type: 'deviceChosen', device: { kind: 'preset', id: 'orin-nx-16gb' } }).step).toBe(
      'budget',
    );
  });

  it('--model without --device opens at the quantization step once this board is detected (with --quant: the budget)', () => {
    const preset = catalog.devices.find((d) => d.id === 'orin-nx-16gb');
    if (preset === undefined) throw new Error('no orin-nx-16gb preset');
    const DONE_JETSON: Extract<Detection, { status: 'done' }> = {
      ...ORIN_NX_HERE,
      identification: { ...ORIN_NX_HERE.identification, device: toResolvedDevice(preset, 'detected') },
    };
    const withModel = createWizardState({ ...noFlags(), model: MODEL }, catalog);
    expect(withModel.step).toBe('device');
    const opened = run(withModel, { type: 'detectionFinished', detection: DONE_JETSON });
    expect(opened.step).toBe('quant');
    if (opened.step === 'quant') expect(opened.device).toEqual({ kind: 'detected' });
    const withQuant = createWizardState({ ...noFlags(), model: MODEL, quant: QUANT }, catalog);
    expect(run(withQuant, { type: 'detectionFinished', detection: DONE_JETSON }).step).toBe('budget');
    // Off-device (no device detected) or once the list was touched, the device is still asked.
    expect(run(withModel, { type: 'detectionFinished', detection: DONE }).step).toBe('device');
    const touched = run(withModel, { type: 'cursorMoved', delta: 1, size: 5 });
    expect(run(touched, { type: 'detectionFinished', detection: DONE_JETSON }).step).toBe('device');
  });

  it('ignores a model not in the catalog and a quantization the model does not have', () => {
    const unknownModel = createWizardState({ ...noFlags(), device: 'orin-nx-16gb', model: 'no-such-model' }, catalog);
    expect(unknownModel.step).toBe('model');
    const unknownQuant = createWizardState(
      { ...noFlags(), device: 'orin-nx-16gb', model: MODEL, quant: 'fp8' },
      catalog,
    );
    expect(at(unknownQuant, 'quant').quant).toBeNull();
  });

  it('carries the version, knobs and defaults mode', () => {
    const s = budgetState({ vllmVersion: '0.8.6', knobs: { maxModelLen: 1024 }, defaults: 'vllm' });
    expect([s.vllmVersion, s.knobs, s.defaults]).toEqual(['0.8.6', { maxModelLen: 1024 }, 'vllm']);
  });
});

describe('interpretKey', () => {
  const device = createWizardState(noFlags(), catalog);
  const model = createWizardState({ ...noFlags(), device: 'orin-nx-16gb' }, catalog);
  const quant = createWizardState({ ...noFlags(), device: 'orin-nx-16gb', model: MODEL }, catalog);
  const budget = budgetState();
  const review = reviewState();
  const filtering = run(model, { type: 'filterStarted' });
  const key = (input: string, extra: Omit<KeyPress, 'input'> = {}): KeyPress => ({ input, ...extra });

  it('leaves arrows, j/k and Enter to the list on the list screens', () => {
    for (const s of [device, model, quant, review]) {
      for (const k of [
        key('', { upArrow: true }),
        key('', { downArrow: true }),
        key('', { leftArrow: true }),
        key('', { rightArrow: true }),
        key('', { return: true }),
        key('j'),
        key('k'),
        key('3'),
      ]) {
        expect(interpretKey(s, k), `${s.step} ${JSON.stringify(k)}`).toEqual({ kind: 'none' });
      }
    }
  });

  it('"/" starts a filter on the device and model lists only', () => {
    expect(interpretKey(device, key('/'))).toEqual({ kind: 'filterStart' });
    expect(interpretKey(model, key('/'))).toEqual({ kind: 'filterStart' });
    expect(interpretKey(quant, key('/'))).toEqual({ kind: 'none' });
    expect(interpretKey(budget, key('/'))).toEqual({ kind: 'none' });
  });

  it('while filtering, printable keys are typed (q and j too); Enter keeps, Esc clears, ⌫ erases', () => {
    for (const text of ['q', 'j', 'k', '?', '/', 'Q', '7', ' ', 'orin']) {
      expect(interpretKey(filtering, key(text))).toEqual({ kind: 'filterType', text });
    }
    expect(interpretKey(filtering, key('', { return: true }))).toEqual({ kind: 'filterEnd' });
    expect(interpretKey(filtering, key('', { escape: true }))).toEqual({ kind: 'back' });
    expect(interpretKey(filtering, key('', { backspace: true }))).toEqual({ kind: 'filterErase' });
    expect(interpretKey(filtering, key('', { delete: true }))).toEqual({ kind: 'filterErase' });
    expect(interpretKey(filtering, key('', { upArrow: true }))).toEqual({ kind: 'none' });
    expect(interpretKey(filtering, key('\t', { tab: true }))).toEqual({ kind: 'none' });
  });

  it('on the budget: ↑↓/k j move, ←→/h l/- + adjust, Enter opens the review', () => {
    expect(interpretKey(budget, key('', { upArrow: true }))).toEqual({ kind: 'move', delta: -1 });
    expect(interpretKey(budget, key('k'))).toEqual({ kind: 'move', delta: -1 });
    expect(interpretKey(budget, key('', { downArrow: true }))).toEqual({ kind: 'move', delta: 1 });
    expect(interpretKey(budget, key('j'))).toEqual({ kind: 'move', delta: 1 });
    for (const k of [key('', { leftArrow: true }), key('h'), key('-')]) {
      expect(interpretKey(budget, k)).toEqual({ kind: 'adjust', direction: -1 });
    }
    for (const k of [key('', { rightArrow: true }), key('l'), key('+')]) {
      expect(interpretKey(budget, k)).toEqual({ kind: 'adjust', direction: 1 });
    }
    expect(interpretKey(budget, key('', { return: true }))).toEqual({ kind: 'choose' });
    expect(interpretKey(budget, key('x'))).toEqual({ kind: 'none' });
  });

  it('on the budget: 1–9 start typing a number, 0 resets the knob; while typing Enter sets, Esc cancels', () => {
    for (const d of ['1', '2', '9']) expect(interpretKey(budget, key(d))).toEqual({ kind: 'knobType', text: d });
    expect(interpretKey(budget, key('0'))).toEqual({ kind: 'knobReset' });
    const typing = run(budget, { type: 'knobDigitTyped', knob: 'maxModelLen', text: '2' });
    expect(interpretKey(typing, key('0'))).toEqual({ kind: 'knobType', text: '0' });
    expect(interpretKey(typing, key('', { return: true }))).toEqual({ kind: 'knobSubmit' });
    expect(interpretKey(typing, key('', { escape: true }))).toEqual({ kind: 'knobCancel' });
    expect(interpretKey(typing, key('', { backspace: true }))).toEqual({ kind: 'knobErase' });
    // Other keys wait while a number is typed (q does not quit half-way; Ctrl-C still does).
    for (const k of [key('q'), key('l'), key('', { upArrow: true }), key('?')])
      expect(interpretKey(typing, k)).toEqual({ kind: 'none' });
    expect(interpretKey(typing, key('c', { ctrl: true }))).toEqual({ kind: 'quit' });
  });

  it('q quits, ? shows help, Esc and ⌫ go back, on every screen when not filtering', () => {
    for (const s of [device, model, quant, budget, review]) {
      expect(interpretKey(s, key('q'))).toEqual({ kind: 'quit' });
      expect(interpretKey(s, key('?'))).toEqual({ kind: 'help' });
      expect(interpretKey(s, key('', { escape: true }))).toEqual({ kind: 'back' });
      expect(interpretKey(s, key('', { backspace: true }))).toEqual({ kind: 'back' });
    }
  });

  it('ctrl-c quits everywhere, even while filtering', () => {
    for (const s of [device, model, quant, budget, review, filtering]) {
      expect(interpretKey(s, key('c', { ctrl: true }))).toEqual({ kind: 'quit' });
    }
  });
});

describe('matchesFilter', () => {
  it('matches every word, in any order, ignoring case', () => {
    expect(matchesFilter('qwen2.5-7b-instruct Qwen2.5 7B Instruct qwen', '')).toBe(true);
    expect(matchesFilter('qwen2.5-7b-instruct', 'QWEN 7b')).toBe(true);
    expect(matchesFilter('qwen2.5-7b-instruct', '7b   qwen ')).toBe(true);
    expect(matchesFilter('orin-nx-16gb Jetson Orin NX 16GB', 'orin nano')).toBe(false);
    expect(matchesFilter('llama-3.2-1b-instruct', 'qwen')).toBe(false);
  });
});

describe('any sequence of events', () => {
  const deviceIds = catalog.devices.map((d) => d.id);
  const modelIds = catalog.models.map((m) => m.id);
  const quantIds = [...new Set(catalog.models.flatMap((m) => m.quants.map((q) => q.id)))];
  const releases = catalog.vllm.releases.map((r) => r.version);

  const flagsArb: fc.Arbitrary<WizardFlags> = fc.record({
    device: fc.option(fc.constantFrom(...deviceIds), { nil: undefined }),
    model: fc.option(fc.constantFrom(...modelIds, 'not-a-model'), { nil: undefined }),
    quant: fc.option(fc.constantFrom(...quantIds), { nil: undefined }),
    vllmVersion: fc.option(fc.constantFrom(...releases), { nil: undefined }),
    knobs: fc.record({ maxModelLen: fc.integer({ min: 1, max: 200_000 }) }, { requiredKeys: [] }),
    defaults: fc.constantFrom('planner' as const, 'vllm' as const),
  });

  const LAUNCH_SESSIONS = ((): LaunchSession[] => {
    const { request, plan } = requestAndPlanFor({ device: 'orin-nx-16gb', model: MODEL, quant: QUANT });
    const setup = buildTestSetup(plan, request, { memoryFloorBytes: 1000 });
    const at = (ms: number) => ({ elapsedMs: ms });
    const stopping: LaunchSessionEvent = { type: 'stopRequested', ...at(1) };
    const exit = (code: number | null, signal: string | null = null): LaunchSessionEvent => ({
      type: 'serverExited',
      code,
      signal,
      notStarted: null,
      ...at(9),
    });
    const starting: LaunchSessionEvent[] = [
      { type: 'logLineRead', line: 'INFO Starting to load model x...', ...at(2) },
    ];
    const ready: LaunchSessionEvent = { type: 'serverReady', url: 'http://127.0.0.1:8000', ...at(3) };
    const fired: LaunchSessionEvent[] = [
      { type: 'memorySampled', availableBytes: 1, ...at(0) },
      { type: 'memorySampled', availableBytes: 1, ...at(1000) },
    ];
    const scripts: LaunchSessionEvent[][] = [
      [],
      starting,
      [{ type: 'logLineRead', line: 'x', ...at(2) }],
      [...starting, ready],
      [stopping],
      [stopping, exit(null, 'SIGTERM')],
      [{ type: 'logLineRead', line: 'Killed', ...at(2) }, exit(137)],
      [exit(0)],
      [...fired, stopping, exit(null, 'SIGTERM')],
    ];
    return scripts.map((events) => replaySession(setup, events));
  })();

  const eventArb: fc.Arbitrary<WizardEvent> = fc.oneof(
    fc.constant<WizardEvent>({ type: 'detectionFinished', detection: DONE }),
    fc.string().map((reason): WizardEvent => ({ type: 'detectionFailed', reason })),
    fc
      .record({ delta: fc.integer({ min: -40, max: 40 }), size: fc.integer({ min: -1, max: 40 }) })
      .map((r): WizardEvent => ({ type: 'cursorMoved', ...r })),
    fc.nat(40).map((index): WizardEvent => ({ type: 'itemHighlighted', index })),
    fc.constant<WizardEvent>({ type: 'filterStarted' }),
    fc.string({ maxLength: 3 }).map((text): WizardEvent => ({ type: 'filterTyped', text })),
    fc.constant<WizardEvent>({ type: 'filterErased' }),
    fc.constant<WizardEvent>({ type: 'filterEnded' }),
    fc
      .oneof(
        fc.constant({ kind: 'detected' as const }),
        fc.constantFrom(...deviceIds, 'no-such-board').map((id) => ({ kind: 'preset' as const, id })),
      )
      .map((device): WizardEvent => ({ type: 'deviceChosen', device })),
    fc.constantFrom(...modelIds, 'not-a-model').map((id): WizardEvent => ({ type: 'modelChosen', id })),
    fc.constantFrom(...quantIds).map((id): WizardEvent => ({ type: 'quantChosen', id })),
    fc
      .record({
        knob: fc.constantFrom(...BUDGET_KNOBS),
        direction: fc.constantFrom(1 as const, -1 as const),
        modelMax: fc.constantFrom(256, 2048, 8192, 32768, 40960, 131072),
        versions: fc.subarray(releases),
      })
      .map((r): WizardEvent => ({ type: 'knobAdjusted', catalog, ...r })),
    fc
      .record({ knob: fc.constantFrom(...BUDGET_KNOBS), text: fc.constantFrom('0', '2', '9', 'x') })
      .map((r): WizardEvent => ({ type: 'knobDigitTyped', ...r })),
    fc.constantFrom(...BUDGET_KNOBS).map((k): WizardEvent => ({ type: 'knobReset', knob: k })),
    fc.constant<WizardEvent>({ type: 'knobDigitErased' }),
    fc.constant<WizardEvent>({ type: 'knobEntryCancelled' }),
    fc
      .record({ knob: fc.constantFrom(...BUDGET_KNOBS), modelMax: fc.constantFrom(256, 32768) })
      .map((r): WizardEvent => ({ type: 'knobEntrySubmitted', ...r })),
    fc.constant<WizardEvent>({ type: 'reviewOpened' }),
    fc
      .constantFrom(...REVIEW_ACTIONS)
      .map((action): WizardEvent => ({ type: 'actionChosen', action, command: 'vllm serve m' })),
    fc.constant<WizardEvent>({ type: 'recipeSaved', path: '/r.json' }),
    fc.constant<WizardEvent>({ type: 'recipeSaveFailed', reason: 'EROFS' }),
    fc.constant<WizardEvent>({ type: 'wentBack' }),
    fc.constant<WizardEvent>({ type: 'helpToggled' }),
    fc.constant<WizardEvent>({ type: 'quitRequested' }),
    // The launch sessions a runner hands on: starting, a line read, ready, stopping, and each way to end.
    fc.constantFrom(...LAUNCH_SESSIONS).map((session): WizardEvent => ({ type: 'launchSessionChanged', session })),
    fc.constant<WizardEvent>({ type: 'launchStopRequested' }),
    fc.constant<WizardEvent>({ type: 'launchRetried' }),
    fc.constant<WizardEvent>({ type: 'panelRequested' }),
  );

  it('never throws, never mutates the state, and keeps the state well-formed', () => {
    fc.assert(
      fc.property(flagsArb, fc.array(eventArb, { maxLength: 40 }), (flags, events) => {
        let state = createWizardState(flags, catalog);
        for (const event of events) {
          const before = JSON.stringify(state);
          const next = wizardReducer(state, event);
          expect(JSON.stringify(state)).toBe(before);
          state = next;
          expect(STEPS).toContain(state.step);
          if (state.step !== 'device') expect(state.device).not.toBeNull();
          if (state.step === 'quant' || state.step === 'budget' || state.step === 'review' || state.step === 'launch') {
            expect(typeof state.model).toBe('string');
          }
          if (state.step === 'launch') {
            expect(state.launch.attempt).toBeGreaterThanOrEqual(1);
            expect(state.launchId).toBeGreaterThanOrEqual(state.launch.attempt);
            expect(state.launch.tail.length).toBeLessThanOrEqual(LAUNCH_TAIL);
          }
          if (state.step === 'budget' || state.step === 'review') {
            expect(state.device).toMatchObject({ kind: expect.stringMatching(/^(detected|preset)$/) as unknown });
            expect(typeof state.quant).toBe('string');
          }
          if (state.step === 'budget') expect(state.focus).toBeGreaterThanOrEqual(0);
          // A number is typed only on the budget, and only digits.
          if (state.knobEntry !== null) {
            expect(state.step).toBe('budget');
            expect(state.knobEntry).toMatch(/^\d*$/);
          }
          if (state.step === 'device' || state.step === 'model') {
            expect(state.list.cursor).toBeGreaterThanOrEqual(0);
          }
          // Only quitting after a failed launch ends with 1; the panel opens only on a ready server.
          if (state.exit !== null) expect([0, 1]).toContain(state.exit.code);
          if (state.exit?.panel === true) expect(state.step === 'launch' && state.launch.status).toBe('ready');
          const len = state.knobs.maxModelLen;
          if (len !== undefined) expect(len).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('any other model ("m" on the model screen)', () => {
  const desc = {
    id: 'Qwen/Qwen2.5-0.5B-Instruct',
    name: 'Qwen/Qwen2.5-0.5B-Instruct',
    origin: 'hub' as const,
    tokenizerRepo: 'Qwen/Qwen2.5-0.5B-Instruct',
    arch: catalog.models.find((m) => m.id === 'qwen2.5-0.5b-instruct')?.arch ?? catalog.models[0]!.arch,
    quant: {
      id: 'bf16',
      method: null,
      scheme: 'bf16' as const,
      repo: 'Qwen/Qwen2.5-0.5B-Instruct',
      sizeBytes: 988_064_768,
      sizeSource: 'published' as const,
    },
    weightSource: 'tensor headers' as const,
    serveTarget: 'Qwen/Qwen2.5-0.5B-Instruct',
    revision: null,
    unsupportedTensorTypes: [],
    notes: [],
  };

  it('m starts typing a reference; every printable key (q and j too) goes into it; Enter asks the shell to read it', () => {
    let s: WizardState = createWizardState({ ...noFlags(), device: 'orin-nx-16gb' }, catalog);
    expect(interpretKey(s, { input: 'm' })).toEqual({ kind: 'entryStart' });
    s = run(s, { type: 'entryStarted' });
    expect(interpretKey(s, { input: 'q' })).toEqual({ kind: 'entryType', text: 'q' });
    for (const ch of 'Qwen/Qwen2.5-0.5B-Instruct') s = run(s, { type: 'entryTyped', text: ch });
    expect(s.entry).toBe('Qwen/Qwen2.5-0.5B-Instruct');
    expect(interpretKey(s, { input: '', return: true })).toEqual({ kind: 'entrySubmit' });
    s = run(s, { type: 'entrySubmitted' });
    expect([s.entry, s.pendingLookup, s.notice]).toEqual([
      null,
      'Qwen/Qwen2.5-0.5B-Instruct',
      'Reading Qwen/Qwen2.5-0.5B-Instruct…',
    ]);
    s = run(s, { type: 'modelDescribed', description: desc });
    const q = at(s, 'quant');
    expect(q.model).toBe('Qwen/Qwen2.5-0.5B-Instruct');
    expect(s.custom).toBe(desc);
  });

  it('a failed read says why and stays; Esc cancels typing', () => {
    let s: WizardState = createWizardState({ ...noFlags(), device: 'orin-nx-16gb' }, catalog);
    s = run(s, { type: 'entryStarted' });
    s = run(s, { type: 'entryTyped', text: 'x/y' });
    s = run(s, { type: 'entrySubmitted' });
    s = run(s, { type: 'modelLookupFailed', reason: 'x/y does not exist on https://huggingface.co (or is private)' });
    expect([s.step, s.pendingLookup, s.notice]).toEqual([
      'model',
      null,
      'x/y does not exist on https://huggingface.co (or is private)',
    ]);
    s = run(s, { type: 'entryStarted' });
    s = run(s, { type: 'wentBack' });
    expect([s.step, s.entry]).toEqual(['model', null]);
  });
});

describe('the quantization step for a model read from its metadata', () => {
  it('lists the checkpoint itself and, for an unquantized Hub model the presets know, its published variants', async () => {
    const { findModel } = await import('../../../src/wizard/core/wizard-view.js');
    const preset = catalog.models.find((m) => m.id === 'qwen2.5-0.5b-instruct');
    if (preset === undefined) throw new Error('preset missing');
    const s: WizardState = {
      ...createWizardState({ ...noFlags(), device: 'orin-nx-16gb' }, catalog),
      custom: {
        id: preset.repo,
        name: preset.repo,
        origin: 'hub',
        tokenizerRepo: preset.repo,
        arch: preset.arch,
        quant: {
          id: 'bf16',
          method: null,
          scheme: 'bf16',
          repo: preset.repo,
          sizeBytes: 988_064_768,
          sizeSource: 'published',
        },
        weightSource: 'tensor headers',
        serveTarget: preset.repo,
        revision: null,
        unsupportedTensorTypes: [],
        notes: [],
      },
    };
    const model = findModel(s, catalog, preset.repo);
    expect(model?.quants[0]).toMatchObject({ id: 'bf16', sizeBytes: 988_064_768 });
    expect(model?.quants.map((q) => q.id)).toEqual([
      'bf16',
      ...preset.quants.filter((q) => q.id !== 'bf16').map((q) => q.id),
    ]);
  });
});
