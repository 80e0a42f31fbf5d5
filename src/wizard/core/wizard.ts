/**
 * The wizard's state machine: one state (a union on `step`), events that are past-tense facts, and
 * the key map. Pure: App.tsx feeds it key presses and probe results; screens render its state.
 */
import type { Check } from '../../doctor/core/checks.js';
import type { Identification } from '../../device/core/identify.js';
import type { DefaultsMode, Knobs } from '../../plan/core/planner.js';
import type { Plan } from '../../plan/core/plan.js';
import type { Catalog } from '../../catalog/core/presets-schema.js';
import type { ModelDescription } from '../../model/core/model-source.js';
import { createLaunchSession, isServerOwned, type LaunchSession } from '../../launch/core/session.js';
import { NUMBER_KNOBS, resetKnob, setTypedKnob, stepKnob, type BudgetKnob, type ShownKnobs } from './budget-knobs.js';

export { BUDGET_KNOBS, CONTEXT_STEPS, SEQ_STEPS, type BudgetKnob } from './budget-knobs.js';

export type Step = 'device' | 'model' | 'quant' | 'budget' | 'review' | 'launch';

export type Detection =
  | { status: 'loading' }
  | {
      status: 'done';
      identification: Identification;
      warnings: Check[];
      rows: { label: string; value: string; source: string }[];
    }
  | { status: 'failed'; reason: string };

/** A list with a cursor and a filter typed after "/". */
export interface ListState {
  cursor: number;
  filter: string;
  isFiltering: boolean;
}

export const REVIEW_ACTIONS = ['launch', 'copy', 'save', 'back'] as const;
export type ReviewAction = (typeof REVIEW_ACTIONS)[number];

/** Where the device comes from: the detected one, or a preset picked from the list. */
export type DeviceChoice = { kind: 'detected' } | { kind: 'preset'; id: string };

interface Base {
  detection: Detection;
  knobs: Knobs;
  vllmVersion: string | null;
  defaults: DefaultsMode;
  isHelpShown: boolean;
  /** A one-line message shown under the screen (saved recipe, launch not available, …). */
  notice: string | null;
  /** Set when the wizard should end: exit code, text to print after the screen is gone, and whether
   * the live panel takes over (after a launch is ready). */
  exit: { code: number; print: string | null; panel?: boolean } | null;
  /** Counts launch requests: a new value asks the shell to launch the plan the state gives. */
  launchId: number;
  /** Counts stop requests for the running launch. */
  stopId: number;
  /** Bumped by a second stop or quit while the server is stopping: no more grace, the tree is killed now. */
  killId: number;
  /** Quit once the server has stopped (q or Ctrl-C while it runs). */
  isQuitting: boolean;
  /** The fixed plan a retry launches (the diagnosis's own, see LaunchRetry.plan); dropped when the launch is left. */
  retryPlan: Plan | null;
  /** Launch was chosen while detection still ran: it goes ahead (or is refused) once detection ends. */
  pendingLaunch: { command: string; verdict?: string } | null;
  /** --runtime from the command line, or null for the plan's default. */
  runtime: 'docker' | 'native' | null;
  /** --port from the command line, or null for vLLM's default. */
  port: number | null;
  /** A request for the shell to carry out (save the recipe); cleared when it reports back. */
  pendingSave: boolean;
  /** A model read from its own metadata (Hugging Face id, folder, .gguf), once the shell described it. */
  custom: ModelDescription | null;
  /** The model reference being typed on the model screen ("m"), or null. */
  entry: string | null;
  /** A model reference the shell is reading now. */
  pendingLookup: string | null;
  /** The digits being typed on the focused budget knob (Enter sets them, Esc cancels), or null. */
  knobEntry: string | null;
}

export type WizardState =
  | (Base & {
      step: 'device';
      list: ListState;
      device: DeviceChoice | null;
      model: string | null;
      quant: string | null;
    })
  | (Base & { step: 'model'; list: ListState; device: DeviceChoice; model: string | null; quant: string | null })
  /** `cursor` null: not moved yet, the list starts on the variant chosen before, else the first that fits (the screen
   * knows which). */
  | (Base & { step: 'quant'; cursor: number | null; device: DeviceChoice; model: string; quant: string | null })
  | (Base & { step: 'budget'; focus: number; device: DeviceChoice; model: string; quant: string })
  | (Base & { step: 'review'; cursor: number; device: DeviceChoice; model: string; quant: string })
  | (Base & { step: 'launch'; device: DeviceChoice; model: string; quant: string; launch: LaunchSession });

export type WizardEvent =
  | { type: 'detectionFinished'; detection: Extract<Detection, { status: 'done' }> }
  | { type: 'detectionFailed'; reason: string }
  | { type: 'cursorMoved'; delta: number; size: number }
  | { type: 'itemHighlighted'; index: number }
  | { type: 'filterStarted' }
  | { type: 'filterTyped'; text: string }
  | { type: 'filterErased' }
  | { type: 'filterEnded' }
  | { type: 'deviceChosen'; device: DeviceChoice }
  | { type: 'modelChosen'; id: string }
  | { type: 'quantChosen'; id: string }
  | {
      type: 'knobAdjusted';
      knob: BudgetKnob;
      direction: 1 | -1;
      catalog: Catalog;
      modelMax: number;
      versions: string[];
      /** The values the budget screen shows now (the plan's), which a change steps from. */
      current?: ShownKnobs | null;
    }
  /** The focused knob goes back to the planner's choice. */
  | { type: 'knobReset'; knob: BudgetKnob }
  /** A digit typed on the focused number knob (the first one starts the entry). */
  | { type: 'knobDigitTyped'; knob: BudgetKnob; text: string }
  | { type: 'knobDigitErased' }
  | { type: 'knobEntryCancelled' }
  /** Enter on a typed number: set when it is within the knob's range (`modelMax` for max-model-len). */
  | { type: 'knobEntrySubmitted'; knob: BudgetKnob; modelMax: number }
  | { type: 'reviewOpened' }
  | {
      type: 'actionChosen';
      action: ReviewAction;
      command: string;
      /** The plan's verdict: a plan that will not fit is not launched. */
      verdict?: string;
    }
  /** The launch's session changed (the shell runs it: src/launch/launch-command.ts). */
  /** `launchId`: the launch the session belongs to; a late report of an earlier launch (a retry's) is ignored. */
  | { type: 'launchSessionChanged'; session: LaunchSession; launchId?: number }
  | { type: 'launchStopRequested' }
  | { type: 'launchRetried' }
  | { type: 'panelRequested' }
  | { type: 'recipeSaved'; path: string }
  | { type: 'recipeSaveFailed'; reason: string }
  | { type: 'wentBack' }
  | { type: 'entryStarted' }
  | { type: 'entryTyped'; text: string }
  | { type: 'entryErased' }
  | { type: 'entrySubmitted' }
  | { type: 'modelDescribed'; description: ModelDescription }
  | { type: 'modelLookupFailed'; reason: string }
  | { type: 'helpToggled' }
  | { type: 'quitRequested' };

/** What the command line pre-fills. */
export interface WizardFlags {
  device?: string;
  model?: string;
  quant?: string;
  vllmVersion?: string;
  knobs: Knobs;
  defaults: DefaultsMode;
  /** How a launch runs vLLM (default: docker on a Jetson, native elsewhere). */
  runtime?: 'docker' | 'native';
  /** The port the server listens on (default vLLM's 8000). */
  port?: number;
}

const freshList = (): ListState => ({ cursor: 0, filter: '', isFiltering: false });

/** The first state: flags skip the steps they answer (`--model` opens at the quantization step). */
export function createWizardState(flags: WizardFlags, catalog: Catalog): WizardState {
  const base: Base = {
    detection: { status: 'loading' },
    knobs: flags.knobs,
    vllmVersion: flags.vllmVersion ?? null,
    defaults: flags.defaults,
    isHelpShown: false,
    notice: null,
    exit: null,
    pendingSave: false,
    custom: null,
    entry: null,
    pendingLookup: null,
    knobEntry: null,
    launchId: 0,
    retryPlan: null,
    stopId: 0,
    killId: 0,
    isQuitting: false,
    pendingLaunch: null,
    runtime: flags.runtime ?? null,
    port: flags.port ?? null,
  };
  const device: DeviceChoice | null = flags.device !== undefined ? { kind: 'preset', id: flags.device } : null;
  const model = flags.model !== undefined && catalog.models.some((m) => m.id === flags.model) ? flags.model : null;
  const quant =
    model !== null &&
    flags.quant !== undefined &&
    catalog.models.find((m) => m.id === model)?.quants.some((q) => q.id === flags.quant) === true
      ? flags.quant
      : null;
  if (device === null) return { ...base, step: 'device', list: freshList(), device: null, model, quant };
  if (model === null) return { ...base, step: 'model', list: freshList(), device, model: null, quant: null };
  if (quant === null) return { ...base, step: 'quant', cursor: null, device, model, quant: null };
  return { ...base, step: 'budget', focus: 0, device, model, quant };
}

function adjust(
  state: Extract<WizardState, { step: 'budget' }>,
  e: Extract<WizardEvent, { type: 'knobAdjusted' }>,
): WizardState {
  const next = stepKnob(state, e);
  return next === null ? state : { ...state, ...next, knobEntry: null, notice: null };
}

function back(state: WizardState): WizardState {
  switch (state.step) {
    case 'device':
      return { ...state, exit: { code: 0, print: null } };
    case 'model':
      return {
        ...state,
        step: 'device',
        list: freshList(),
        device: state.device,
        model: state.model,
        quant: state.quant,
      };
    case 'quant':
      return {
        ...state,
        step: 'model',
        list: freshList(),
        device: state.device,
        model: state.model,
        quant: state.quant,
      };
    case 'budget':
      return {
        ...state,
        knobEntry: null,
        step: 'quant',
        cursor: null,
        device: state.device,
        model: state.model,
        quant: state.quant,
      };
    case 'review':
      return { ...state, step: 'budget', focus: 0, device: state.device, model: state.model, quant: state.quant };
    case 'launch':
      if (isServerOwned(state.launch)) return { ...state, notice: 'The server is running: s stops it first.' };
      return { ...state, step: 'review', cursor: 0, device: state.device, model: state.model, quant: state.quant };
    default: {
      const unreachable: never = state;
      throw new Error(`unknown step ${String(unreachable)}`);
    }
  }
}

/**
 * Why a plan is not for this machine (a launch runs here): a device picked from the presets that is not
 * the one detected. Planning for another board is fine; starting its plan here is not (an AGX Orin's
 * plan on an Orin Nano is exactly the kill this tool prevents). Null when it is this machine.
 */
export function launchElsewhere(device: DeviceChoice, detection: Detection): string | null {
  if (device.kind === 'detected') return null;
  if (detection.status === 'loading')
    return 'Not launched yet: detection has not finished, so this machine is not known.';
  if (detection.status === 'failed')
    return `Not launched: this plan is for ${device.id}, and this machine could not be detected (${detection.reason}). Copy the command or save the recipe to run it on that board.`;
  if (detection.identification.presetId === device.id) return null;
  // "This device" is offered only where the device list has that row (a machine that could be planned for).
  const orHere = detection.identification.device !== null ? ', or choose "This device"' : '';
  return `Not launched: this plan is for ${device.id}, and this machine is ${detection.identification.name}. Copy the command or save the recipe to run it on that board${orHere}.`;
}

/** A launch chosen while detection ran goes ahead now (or is refused), if the review is still open. */
function resumeLaunch(state: WizardState): WizardState {
  const pending = state.pendingLaunch;
  if (pending === null) return state;
  const cleared = { ...state, pendingLaunch: null };
  if (cleared.step !== 'review') return cleared;
  return wizardReducer(cleared, { type: 'actionChosen', action: 'launch', ...pending });
}

/** The reducer. */
export function wizardReducer(state: WizardState, event: WizardEvent): WizardState {
  switch (event.type) {
    case 'detectionFinished': {
      const detected = resumeLaunch({ ...state, detection: event.detection });
      // --model without --device: once this board is known (and nothing was touched), it is the device and the
      // wizard opens at the step after the flags, as README says; off-device the device is still asked.
      const isUntouched =
        detected.step === 'device' &&
        detected.list.cursor === 0 &&
        detected.list.filter === '' &&
        !detected.list.isFiltering;
      if (isUntouched && detected.model !== null && event.detection.identification.device !== null)
        return wizardReducer(detected, { type: 'deviceChosen', device: { kind: 'detected' } });
      return detected;
    }
    case 'detectionFailed':
      return resumeLaunch({ ...state, detection: { status: 'failed', reason: event.reason } });
    case 'cursorMoved': {
      if (event.size <= 0) return state;
      const wrap = (c: number): number => (((c + event.delta) % event.size) + event.size) % event.size;
      if (state.step === 'device' || state.step === 'model')
        return { ...state, list: { ...state.list, cursor: wrap(state.list.cursor) } };
      if (state.step === 'quant' || state.step === 'review') return { ...state, cursor: wrap(state.cursor ?? 0) };
      if (state.step === 'launch') return state;
      return { ...state, focus: wrap(state.focus) };
    }
    case 'itemHighlighted':
      if (state.step === 'device' || state.step === 'model')
        return { ...state, list: { ...state.list, cursor: event.index } };
      if (state.step === 'quant' || state.step === 'review') return { ...state, cursor: event.index };
      return state;
    case 'filterStarted':
      if (state.step !== 'device' && state.step !== 'model') return state;
      return { ...state, list: { ...state.list, isFiltering: true } };
    case 'filterTyped':
      if (state.step !== 'device' && state.step !== 'model') return state;
      return { ...state, list: { cursor: 0, filter: state.list.filter + event.text, isFiltering: true } };
    case 'filterErased':
      if (state.step !== 'device' && state.step !== 'model') return state;
      return { ...state, list: { ...state.list, cursor: 0, filter: state.list.filter.slice(0, -1) } };
    case 'filterEnded':
      if (state.step !== 'device' && state.step !== 'model') return state;
      return { ...state, list: { ...state.list, isFiltering: false } };
    case 'deviceChosen':
      if (state.step !== 'device') return state;
      if (
        event.device.kind === 'detected' &&
        (state.detection.status !== 'done' || state.detection.identification.device === null)
      ) {
        return {
          ...state,
          notice:
            state.detection.status === 'loading'
              ? 'Still detecting this device: a moment, or pick a preset.'
              : 'This device could not be planned for: pick a preset.',
        };
      }
      if (state.model !== null && state.quant !== null)
        return {
          ...state,
          step: 'budget',
          focus: 0,
          device: event.device,
          model: state.model,
          quant: state.quant,
          notice: null,
        };
      if (state.model !== null)
        return {
          ...state,
          step: 'quant',
          cursor: null,
          device: event.device,
          model: state.model,
          quant: null,
          notice: null,
        };
      return {
        ...state,
        step: 'model',
        list: freshList(),
        device: event.device,
        model: null,
        quant: null,
        notice: null,
      };
    case 'modelChosen':
      if (state.step !== 'model') return state;
      return {
        ...state,
        step: 'quant',
        cursor: null,
        device: state.device,
        model: event.id,
        quant: state.model === event.id ? state.quant : null,
        notice: null,
      };
    case 'quantChosen':
      if (state.step !== 'quant') return state;
      return {
        ...state,
        step: 'budget',
        focus: 0,
        device: state.device,
        model: state.model,
        quant: event.id,
        notice: null,
      };
    case 'knobAdjusted':
      if (state.step !== 'budget') return state;
      return adjust(state, event);
    case 'knobReset':
      if (state.step !== 'budget') return state;
      return { ...state, ...resetKnob(state, event.knob), knobEntry: null, notice: null };
    case 'knobDigitTyped':
      if (state.step !== 'budget' || !NUMBER_KNOBS.includes(event.knob) || !/^\d+$/.test(event.text)) return state;
      // Seven digits are more than any knob takes: more is a stuck key, not a number.
      return { ...state, knobEntry: ((state.knobEntry ?? '') + event.text).slice(0, 7), notice: null };
    case 'knobDigitErased':
      if (state.knobEntry === null) return state;
      return { ...state, knobEntry: state.knobEntry.slice(0, -1) };
    case 'knobEntryCancelled':
      return state.knobEntry === null ? state : { ...state, knobEntry: null };
    case 'knobEntrySubmitted': {
      if (state.step !== 'budget' || state.knobEntry === null) return state;
      const typed = setTypedKnob(state, event.knob, state.knobEntry, event.modelMax);
      if (!typed.ok) return { ...state, knobEntry: null, notice: typed.notice };
      return { ...state, ...typed.values, knobEntry: null, notice: null };
    }
    case 'reviewOpened':
      if (state.step !== 'budget') return state;
      return {
        ...state,
        knobEntry: null,
        step: 'review',
        cursor: 0,
        device: state.device,
        model: state.model,
        quant: state.quant,
        notice: null,
      };
    case 'actionChosen':
      if (state.step !== 'review') return state;
      switch (event.action) {
        case 'launch': {
          if (
            event.verdict === 'oom' ||
            event.verdict === 'max-len' ||
            event.verdict === 'startup-check' ||
            event.verdict === 'unsupported'
          )
            return {
              ...state,
              notice: 'Not launched: this plan would not fit. Go back (Esc) and change the knobs.',
            };
          if (state.detection.status === 'loading' && state.device.kind === 'preset')
            return {
              ...state,
              pendingLaunch: {
                command: event.command,
                ...(event.verdict !== undefined ? { verdict: event.verdict } : {}),
              },
              notice: 'Launching once detection has finished (to check this machine is the one planned for)…',
            };
          const elsewhere = launchElsewhere(state.device, state.detection);
          if (elsewhere !== null) return { ...state, notice: elsewhere };
          return {
            ...state,
            step: 'launch',
            device: state.device,
            model: state.model,
            quant: state.quant,
            launch: createLaunchSession(event.command, 1),
            launchId: state.launchId + 1,
            notice: null,
          };
        }
        case 'copy':
          return { ...state, exit: { code: 0, print: event.command } };
        case 'save':
          return { ...state, pendingSave: true, notice: 'Saving the recipe…' };
        case 'back':
          return back(state);
        default: {
          const unreachable: never = event.action;
          throw new Error(`unknown action ${String(unreachable)}`);
        }
      }
    case 'recipeSaved':
      return { ...state, pendingSave: false, notice: `Recipe saved to ${event.path}` };
    case 'recipeSaveFailed':
      return { ...state, pendingSave: false, notice: `The recipe was not saved: ${event.reason}` };
    case 'wentBack':
      if (state.entry !== null) return { ...state, entry: null };
      if (state.knobEntry !== null) return { ...state, knobEntry: null };
      if ((state.step === 'device' || state.step === 'model') && state.list.isFiltering) {
        return { ...state, list: { ...state.list, isFiltering: false, filter: '' } };
      }
      if (state.isHelpShown) return { ...state, isHelpShown: false };
      if (state.step === 'launch' && isServerOwned(state.launch)) return back(state);
      return { ...back(state), notice: null, pendingLaunch: null, retryPlan: null };
    case 'entryStarted':
      if (state.step !== 'model') return state;
      return { ...state, entry: '', notice: null };
    case 'entryTyped':
      if (state.entry === null) return state;
      return { ...state, entry: state.entry + event.text };
    case 'entryErased':
      if (state.entry === null) return state;
      return { ...state, entry: state.entry.slice(0, -1) };
    case 'entrySubmitted': {
      if (state.entry === null) return state;
      const ref = state.entry.trim();
      if (ref === '') return { ...state, entry: null };
      return { ...state, entry: null, pendingLookup: ref, notice: `Reading ${ref}…` };
    }
    case 'modelDescribed':
      if (state.step !== 'model' || state.pendingLookup === null) return state;
      return {
        ...state,
        pendingLookup: null,
        custom: event.description,
        notice: null,
        step: 'quant',
        cursor: null,
        device: state.device,
        model: event.description.id,
        quant: null,
      };
    case 'modelLookupFailed':
      if (state.pendingLookup === null) return state;
      return { ...state, pendingLookup: null, notice: event.reason };
    case 'helpToggled':
      return { ...state, isHelpShown: !state.isHelpShown };
    case 'quitRequested':
      if (state.step === 'launch' && isServerOwned(state.launch)) {
        // A second quit (Ctrl-C) while the server is still stopping: kill it now, as the CLI does.
        if (state.isQuitting)
          return state.launch.status === 'stopping'
            ? { ...state, killId: state.killId + 1, notice: 'Killing the server now (SIGKILL), then quitting…' }
            : state;
        return {
          ...state,
          isQuitting: true,
          stopId: state.stopId + 1,
          notice: 'Stopping the server, then quitting…',
        };
      }
      return { ...state, exit: { code: 0, print: null } };
    case 'launchSessionChanged': {
      // An ended launch changes no more, and a late report of the run before a retry is not this one's.
      if (state.step !== 'launch' || state.launch.status === 'ended') return state;
      if (event.launchId !== undefined && event.launchId !== state.launchId) return state;
      // The attempt is the wizard's (the runner starts each attempt afresh). The command is the one that runs
      // when the report says which launch it is (preparing may take an image already here instead of the
      // plan's); an untagged report keeps the wizard's.
      const command =
        event.launchId !== undefined && event.session.command !== '' ? event.session.command : state.launch.command;
      const launch = { ...event.session, attempt: state.launch.attempt, command };
      if (launch.status !== 'ended') return { ...state, launch };
      if (state.isQuitting)
        return { ...state, launch, exit: { code: launch.outcome?.kind === 'failed' ? 1 : 0, print: null } };
      return { ...state, launch, notice: null };
    }
    case 'launchStopRequested':
      if (state.step !== 'launch' || state.launch.status === 'ended') return state;
      // Asked again while it stops: no more grace.
      if (state.launch.status === 'stopping')
        return { ...state, killId: state.killId + 1, notice: 'Killing the server now (SIGKILL)…' };
      return { ...state, stopId: state.stopId + 1, notice: 'Stopping the server…' };
    case 'launchRetried': {
      if (state.step !== 'launch' || state.launch.status !== 'ended') return state;
      // The re-planned fix when the failure has one; otherwise the same plan again.
      const retry = state.launch.outcome?.retry ?? null;
      return {
        ...state,
        knobs: retry?.knobs ?? state.knobs,
        defaults: retry?.defaults ?? state.defaults,
        // A fix may change the quantization too (an unsupported one): the retry launches the fixed plan whole.
        quant: retry?.quant ?? state.quant,
        launch: createLaunchSession(retry?.command ?? state.launch.command, state.launch.attempt + 1),
        launchId: state.launchId + 1,
        retryPlan: retry?.plan ?? state.retryPlan,
        notice: retry !== null ? `Retrying with ${retry.changedFlags.join(' ')}` : 'Launching again',
      };
    }
    case 'panelRequested':
      if (state.step !== 'launch' || state.launch.status !== 'ready') return state;
      return { ...state, exit: { code: 0, print: null, panel: true } };
    default: {
      const unreachable: never = event;
      throw new Error(`unknown event ${String(unreachable)}`);
    }
  }
}

/** A key press as the shell reports it (a subset of Ink's Key, so the core does not import Ink). */
export interface KeyPress {
  input: string;
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  tab?: boolean;
}

export type KeyIntent =
  | { kind: 'move'; delta: number }
  | { kind: 'adjust'; direction: 1 | -1 }
  | { kind: 'choose' }
  | { kind: 'back' }
  | { kind: 'quit' }
  | { kind: 'help' }
  | { kind: 'filterStart' }
  | { kind: 'filterType'; text: string }
  | { kind: 'filterErase' }
  | { kind: 'filterEnd' }
  | { kind: 'entryStart' }
  | { kind: 'entryType'; text: string }
  | { kind: 'entryErase' }
  | { kind: 'entrySubmit' }
  | { kind: 'knobType'; text: string }
  | { kind: 'knobErase' }
  | { kind: 'knobCancel' }
  | { kind: 'knobSubmit' }
  | { kind: 'knobReset' }
  | { kind: 'stopServer' }
  | { kind: 'retry' }
  | { kind: 'openPanel' }
  | { kind: 'none' };

/**
 * What a key means in this state (the one place that maps keys). On the list screens (device, model,
 * quantization, review) the list itself (ink-select-input) owns arrows, j/k, digits and Enter, so
 * those mean nothing here; "/" starts a filter, where every printable key is typed into it.
 */
export function interpretKey(state: WizardState, key: KeyPress): KeyIntent {
  const isList = state.step !== 'budget';
  const filtering = (state.step === 'device' || state.step === 'model') && state.list.isFiltering;
  if (key.ctrl === true && key.input === 'c') return { kind: 'quit' };
  if (state.entry !== null) {
    // Typing a model reference: every printable key goes into it.
    if (key.return === true) return { kind: 'entrySubmit' };
    if (key.escape === true) return { kind: 'back' };
    if (key.backspace === true || key.delete === true) return { kind: 'entryErase' };
    if (key.input.length > 0 && key.ctrl !== true && /^[\x20-\x7e]+$/.test(key.input))
      return { kind: 'entryType', text: key.input };
    return { kind: 'none' };
  }
  if (state.knobEntry !== null) {
    // Typing a number on a knob: digits go into it, Enter sets it, Esc cancels; other keys wait.
    if (key.return === true) return { kind: 'knobSubmit' };
    if (key.escape === true) return { kind: 'knobCancel' };
    if (key.backspace === true || key.delete === true) return { kind: 'knobErase' };
    if (/^\d+$/.test(key.input)) return { kind: 'knobType', text: key.input };
    return { kind: 'none' };
  }
  if (filtering) {
    if (key.return === true) return { kind: 'filterEnd' };
    if (key.escape === true) return { kind: 'back' };
    if (key.backspace === true || key.delete === true) return { kind: 'filterErase' };
    if (key.input.length > 0 && key.ctrl !== true && /^[\x20-\x7e]+$/.test(key.input))
      return { kind: 'filterType', text: key.input };
    return { kind: 'none' };
  }
  if (key.escape === true || key.backspace === true || key.delete === true) return { kind: 'back' };
  if (key.input === 'q') return { kind: 'quit' };
  if (key.input === '?') return { kind: 'help' };
  // While the help is shown, nothing behind it changes.
  if (state.isHelpShown) return { kind: 'none' };
  if (state.step === 'launch') {
    // A detached server that is ready is not the wizard's to stop (jetson-vllm launch --stop <name>).
    if (key.input === 's') return isServerOwned(state.launch) ? { kind: 'stopServer' } : { kind: 'none' };
    if (key.input === 'r' && state.launch.status === 'ended') return { kind: 'retry' };
    if (key.return === true && state.launch.status === 'ready') return { kind: 'openPanel' };
    return { kind: 'none' };
  }
  if (key.input === '/' && (state.step === 'device' || state.step === 'model')) return { kind: 'filterStart' };
  if (key.input === 'm' && state.step === 'model') return { kind: 'entryStart' };
  if (isList) return { kind: 'none' };
  if (key.upArrow === true || key.input === 'k') return { kind: 'move', delta: -1 };
  if (key.downArrow === true || key.input === 'j') return { kind: 'move', delta: 1 };
  if (key.leftArrow === true || key.input === 'h' || key.input === '-') return { kind: 'adjust', direction: -1 };
  if (key.rightArrow === true || key.input === 'l' || key.input === '+') return { kind: 'adjust', direction: 1 };
  if (key.return === true) return { kind: 'choose' };
  // 0 starts no number: it puts the focused knob back to the planner's choice; 1–9 start typing a number.
  if (key.input === '0') return { kind: 'knobReset' };
  if (/^[1-9]\d*$/.test(key.input)) return { kind: 'knobType', text: key.input };
  return { kind: 'none' };
}

/** Case-insensitive match of every word of the filter. */
export function matchesFilter(text: string, filter: string): boolean {
  const words = filter
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w.length > 0);
  const hay = text.toLowerCase();
  return words.every((w) => hay.includes(w));
}
