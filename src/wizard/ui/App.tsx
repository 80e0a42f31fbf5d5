/**
 * The wizard: one reducer, one place that maps keys, screens that only render. What a screen shows is
 * derived from the state during render (core/wizard-view.ts); I/O happens only in ui/hooks.
 */
import { useEffect, useMemo, useReducer, type ReactNode } from 'react';
import { useApp, useInput } from 'ink';
import { buildRecipe, recipeFileName, type Recipe } from '../../plan/core/recipe.js';
import type { Catalog } from '../../catalog/core/presets-schema.js';
import {
  buildFitsTable,
  detectedDevice,
  findFirstFittingQuant,
  findModel,
  listDevices,
  listModels,
  listQuants,
  listVersions,
  planForState,
  requestForState,
  resolveChoice,
  type VariantRow,
} from '../core/wizard-view.js';
import {
  BUDGET_KNOBS,
  createWizardState,
  interpretKey,
  wizardReducer,
  type WizardFlags,
  type WizardState,
} from '../core/wizard.js';
import { ColorContext, Styled } from './components/Styled.js';
import { Frame } from './components/Frame.js';
import { HelpOverlay } from './components/HelpOverlay.js';
import { useDetection, type Detector } from './hooks/useDetection.js';
import { useLauncher } from './hooks/useLauncher.js';
import type { LaunchSupervisor } from './launch-supervisor.js';
import { useModelLookup, type ModelLookup } from './hooks/useModelLookup.js';
import { useRecipeSaver, type RecipeWriter } from './hooks/useRecipeSaver.js';
import { useTerminalSize } from './hooks/useTerminalSize.js';
import { BudgetScreen } from './screens/BudgetScreen.js';
import { DeviceScreen } from './screens/DeviceScreen.js';
import { LaunchScreen } from './screens/LaunchScreen.js';
import { ModelScreen } from './screens/ModelScreen.js';
import { QuantScreen } from './screens/QuantScreen.js';
import { ReviewScreen } from './screens/ReviewScreen.js';

export interface AppProps {
  catalog: Catalog;
  flags: WizardFlags;
  detect: Detector;
  /** Reads a model reference (Hugging Face id, folder, .gguf) from its own metadata. */
  lookupModel?: ModelLookup;
  writeRecipe: RecipeWriter;
  /** The clock, for the recipe's time stamp. */
  now: () => Date;
  hfCacheDir: string;
  workDir: string;
  isColor: boolean;
  /** Called once when the wizard ends, with its exit code, text to print afterwards, and whether the
   * live panel takes over. */
  onExit: (exit: { code: number; print: string | null; panel?: boolean }) => void;
  /** Runs the server a launch starts (null: launching is not available, e.g. in a test). */
  supervisor?: LaunchSupervisor | null;
}

const NO_LOOKUP: ModelLookup = () => Promise.reject(new Error('reading a model by reference is not available here'));

const HINTS: Record<WizardState['step'], string> = {
  device: '↑↓/jk move  Enter choose  / filter  q quit  ? help',
  model: '↑↓/jk move  Enter choose  / filter  m other model  Esc back  q quit',
  quant: '↑↓/jk move  Enter choose  Esc back  q quit  ? help',
  budget: '↑↓ knob  ←→ change  1-9 type  0 reset  Enter review  Esc back  q quit  ? help',
  review: '↑↓ move  Enter choose  Esc back  q quit  ? help',
  launch: 's stop the server  q stop and quit',
};

/** The launch screen's keys depend on where the launch is. */
function launchHints(state: WizardState): string {
  if (state.isHelpShown) return '? or Esc close the help  q quit';
  if (state.step === 'budget' && state.knobEntry !== null)
    return 'digits type the number  Enter set it  ⌫ erase  Esc cancel';
  if (state.step !== 'launch') return HINTS[state.step];
  switch (state.launch.status) {
    case 'ready':
      return state.launch.detachedName !== null
        ? `Enter live panel  q quit (it keeps running: jetson-vllm launch --stop ${state.launch.detachedName})`
        : 'Enter live panel  s stop the server  q stop and quit';
    case 'ended':
      return 'r retry  Esc back to the review  q quit';
    case 'starting':
    case 'stopping':
      return HINTS.launch;
    default: {
      const unreachable: never = state.launch.status;
      throw new Error(`unknown launch status ${String(unreachable)}`);
    }
  }
}

/** Where the variants' list starts: on the variant chosen before (back from the budget), else the first that fits. */
function startOfQuants(rows: readonly VariantRow[], chosen: string | null): number {
  const at = chosen === null ? -1 : rows.findIndex((r) => r.quant.id === chosen);
  return at >= 0 ? at : findFirstFittingQuant(rows);
}

export function App(props: AppProps): ReactNode {
  const { catalog, flags } = props;
  const [state, dispatch] = useReducer(wizardReducer, undefined, () => createWizardState(flags, catalog));
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const width = Math.max(40, Math.min(columns, 120));
  useDetection(props.detect, dispatch);
  useModelLookup(state.pendingLookup, props.lookupModel ?? NO_LOOKUP, dispatch);

  const detected = detectedDevice(state);
  const device = state.step === 'device' ? null : resolveChoice(state.device, catalog, detected);
  const plan = useMemo(
    () => planForState(state, catalog, props.hfCacheDir, props.workDir),
    [state, catalog, props.hfCacheDir, props.workDir],
  );
  // The recipe is built once, when a save is asked for (not on every render).
  const getRecipe = (): { recipe: Recipe; fileName: string } | null =>
    plan?.ok === true
      ? {
          recipe: buildRecipe(plan.plan, state.knobs, state.defaults, props.now().toISOString()),
          fileName: recipeFileName(plan.plan),
        }
      : null;
  useRecipeSaver(state.pendingSave, getRecipe, props.writeRecipe, dispatch);
  // The plan a launch runs is the one on screen when it is asked for (a retry's knobs are in the state).
  useLauncher(
    state.launchId,
    state.stopId,
    state.killId,
    () => {
      const request = requestForState(state, catalog, props.hfCacheDir, props.workDir);
      if (request === null) return null;
      // A retry launches the diagnosis's fixed plan whole: its flags may not follow from the knobs (a measured
      // figure, another vLLM version); the request takes the plan's image and version for the launch's checks.
      const fixed = state.retryPlan;
      if (fixed !== null)
        return { plan: fixed, request: { ...request, image: fixed.image, vllmVersion: fixed.vllm.version } };
      return plan?.ok === true ? { plan: plan.plan, request } : null;
    },
    props.supervisor ?? null,
    dispatch,
  );

  useEffect(() => {
    if (state.exit !== null) {
      props.onExit(state.exit);
      exit();
    }
  }, [state.exit, exit, props]);

  const deviceRows = useMemo(
    () => (state.step === 'device' ? listDevices(catalog, state, state.list.filter) : []),
    [state, catalog],
  );
  const modelRows = useMemo(
    () => (state.step === 'model' ? listModels(catalog, device, state.list.filter, state.vllmVersion) : []),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- device is derived from state
    [state, catalog],
  );
  const model =
    state.step === 'quant' || state.step === 'budget' || state.step === 'review' || state.step === 'launch'
      ? findModel(state, catalog, state.model)
      : undefined;
  const quantModelId = state.step === 'quant' ? state.model : null;
  const quantRows = useMemo(
    () =>
      state.step === 'quant' && device !== null && model !== undefined
        ? listQuants(catalog, device, model, state.vllmVersion)
        : [],
    // eslint-disable-next-line react-hooks/exhaustive-deps -- device and model are derived from state
    [state.step, quantModelId, state.vllmVersion, catalog, device?.id, device?.memTotalBytes],
  );
  const table = useMemo(
    () =>
      state.step === 'budget'
        ? buildFitsTable(state, catalog, [2048, 4096, 8192, 16384, 32768], [1, 2, 4, 8, 16])
        : null,
    [state, catalog],
  );

  useInput((input, key) => {
    const intent = interpretKey(state, { ...key, input });
    switch (intent.kind) {
      case 'quit':
        dispatch({ type: 'quitRequested' });
        return;
      case 'help':
        dispatch({ type: 'helpToggled' });
        return;
      case 'back':
        dispatch({ type: 'wentBack' });
        return;
      case 'filterStart':
        dispatch({ type: 'filterStarted' });
        return;
      case 'filterType':
        dispatch({ type: 'filterTyped', text: intent.text });
        return;
      case 'filterErase':
        dispatch({ type: 'filterErased' });
        return;
      case 'filterEnd':
        dispatch({ type: 'filterEnded' });
        return;
      case 'entryStart':
        dispatch({ type: 'entryStarted' });
        return;
      case 'entryType':
        dispatch({ type: 'entryTyped', text: intent.text });
        return;
      case 'entryErase':
        dispatch({ type: 'entryErased' });
        return;
      case 'entrySubmit':
        dispatch({ type: 'entrySubmitted' });
        return;
      case 'move':
        dispatch({ type: 'cursorMoved', delta: intent.delta, size: BUDGET_KNOBS.length });
        return;
      case 'adjust':
        if (state.step === 'budget' && model !== undefined) {
          const knob = BUDGET_KNOBS[state.focus];
          if (knob !== undefined) {
            dispatch({
              type: 'knobAdjusted',
              knob,
              direction: intent.direction,
              catalog,
              modelMax: model.arch.maxPositionEmbeddings,
              versions: listVersions(catalog, device),
              current:
                plan?.ok === true
                  ? {
                      maxModelLen: plan.plan.settings.maxModelLen,
                      maxNumSeqs: plan.plan.settings.maxNumSeqs,
                      enforceEager: plan.plan.settings.enforceEager,
                      kvCacheDtype: plan.plan.settings.kvCacheDtype,
                      vllmVersion: plan.plan.vllm.version,
                    }
                  : null,
            });
          }
        }
        return;
      case 'choose':
        if (state.step === 'budget') dispatch({ type: 'reviewOpened' });
        return;
      case 'knobType': {
        const knob = state.step === 'budget' ? BUDGET_KNOBS[state.focus] : undefined;
        if (knob !== undefined) dispatch({ type: 'knobDigitTyped', knob, text: intent.text });
        return;
      }
      case 'knobErase':
        dispatch({ type: 'knobDigitErased' });
        return;
      case 'knobCancel':
        dispatch({ type: 'knobEntryCancelled' });
        return;
      case 'knobSubmit': {
        const knob = state.step === 'budget' ? BUDGET_KNOBS[state.focus] : undefined;
        if (knob !== undefined && model !== undefined)
          dispatch({ type: 'knobEntrySubmitted', knob, modelMax: model.arch.maxPositionEmbeddings });
        return;
      }
      case 'knobReset': {
        const knob = state.step === 'budget' ? BUDGET_KNOBS[state.focus] : undefined;
        if (knob !== undefined) dispatch({ type: 'knobReset', knob });
        return;
      }
      case 'stopServer':
        dispatch({ type: 'launchStopRequested' });
        return;
      case 'retry':
        dispatch({ type: 'launchRetried' });
        return;
      case 'openPanel':
        dispatch({ type: 'panelRequested' });
        return;
      case 'none':
        return;
      default: {
        const unreachable: never = intent;
        throw new Error(`unhandled intent ${String(unreachable)}`);
      }
    }
  });

  const listHeight =
    rows -
    8 -
    (state.step === 'device' && state.detection.status === 'done'
      ? state.detection.rows.length + 2 * state.detection.warnings.length + 1
      : 1);
  let body: ReactNode;
  if (state.isHelpShown) {
    body = <HelpOverlay step={state.step} />;
  } else {
    switch (state.step) {
      case 'device':
        body = (
          <DeviceScreen
            detection={state.detection}
            rows={deviceRows}
            list={state.list}
            listHeight={listHeight}
            onChoose={(row) => dispatch({ type: 'deviceChosen', device: row.choice })}
            onHighlight={(index) => dispatch({ type: 'itemHighlighted', index })}
          />
        );
        break;
      case 'model':
        body = (
          <ModelScreen
            deviceName={device?.name ?? 'unknown device'}
            rows={modelRows}
            entry={state.entry}
            list={state.list}
            listHeight={rows - 9}
            onChoose={(id) => dispatch({ type: 'modelChosen', id })}
            onHighlight={(index) => dispatch({ type: 'itemHighlighted', index })}
          />
        );
        break;
      case 'quant':
        body = (
          <QuantScreen
            modelName={model?.name ?? state.model}
            deviceName={device?.name ?? 'unknown device'}
            rows={quantRows}
            cursor={state.cursor ?? startOfQuants(quantRows, state.quant)}
            listHeight={rows - 9}
            onChoose={(id) => dispatch({ type: 'quantChosen', id })}
            onHighlight={(index) => dispatch({ type: 'itemHighlighted', index })}
          />
        );
        break;
      case 'budget': {
        const userKnobs = new Set<string>(Object.keys(state.knobs));
        if (state.vllmVersion !== null) userKnobs.add('vllmVersion');
        body = (
          <BudgetScreen
            plan={plan ?? { ok: false, message: 'the device or model is not known' }}
            focus={state.focus}
            defaults={state.defaults}
            userKnobs={userKnobs}
            entry={state.knobEntry}
            table={table}
            width={width}
          />
        );
        break;
      }
      case 'review':
        body =
          plan?.ok === true ? (
            <ReviewScreen
              plan={plan.plan}
              notesHeight={Math.max(2, rows - 15 - Math.ceil(plan.plan.command.length / width))}
              onAction={(action) =>
                dispatch({ type: 'actionChosen', action, command: plan.plan.command, verdict: plan.plan.verdict })
              }
            />
          ) : (
            <Styled tone="red">No plan: {plan?.ok === false ? plan.message : 'nothing chosen'}</Styled>
          );
        break;
      case 'launch':
        body = <LaunchScreen session={state.launch} height={rows - 6} width={width} />;
        break;
      default: {
        const unreachable: never = state;
        throw new Error(`unknown step ${String(unreachable)}`);
      }
    }
  }
  // Copy: the last frame is empty, so Ink erases the screen it drew and the command printed after the wizard
  // (run.tsx) stands alone on its lines, as the Copy label says, not glued under the key hints.
  if (state.exit !== null && state.exit.print !== null) return null;
  return (
    <ColorContext.Provider value={props.isColor}>
      <Frame step={state.step} hints={launchHints(state)} notice={state.notice} width={width}>
        {body}
      </Frame>
    </ColorContext.Provider>
  );
}
