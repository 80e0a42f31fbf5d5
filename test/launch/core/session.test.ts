/**
 * The wizard's launch step without rendering: the launch view's reducer fed the events a launch
 * reports, and the wizard's reducer around it — launch, stop, quit while running, the one-key retry
 * with the re-planned fix (a real diagnosis of the #795 Orin NX case), and the panel after ready.
 */
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/launch/core/diagnosis/diagnose.js';
import type { PlanOptions } from '../../../src/plan/core/request.js';
import {
  freshLaunch,
  LAUNCH_TAIL,
  launchViewReducer,
  toOutcome,
  type LaunchEvent,
} from '../../../src/launch/core/session.js';
import {
  createWizardState,
  interpretKey,
  wizardReducer,
  type WizardEvent,
  type WizardState,
} from '../../../src/wizard/core/wizard.js';
import { loadTestCatalog, loadVllmLogCases, requestAndPlanFor } from '../../helpers/catalog.js';

const catalog = loadTestCatalog();

/** The request and plan for CLI-style options, as `plan` builds them (no detection, no network). */
const setup = requestAndPlanFor;

// The #795 case: Orin NX 16 GB, Qwen2-7B Q4_K_M, vLLM 0.6.3 with its own defaults: killed.
const NX_795: PlanOptions = {
  device: 'orin-nx-16gb',
  model: 'qwen2-7b-instruct',
  quant: 'gguf-q4_k_m',
  vllmVersion: '0.6.3',
  maxModelLen: '200',
  maxNumSeqs: '1',
  vllmDefaults: true,
};
const killedLine = loadVllmLogCases()
  .find((c) => c.source_url.includes('jetson-containers/issues/795'))
  ?.log_lines.find((l) => /^Killed$/.test(l));

function killedEvent(): Extract<LaunchEvent, { type: 'launchEnded' }> {
  const { request, plan } = setup(NX_795);
  const diagnosis = diagnose({ kind: 'oom-killed', line: killedLine ?? 'Killed', figures: {} }, request, plan, catalog);
  return {
    type: 'launchEnded',
    outcome: 'failed',
    message: `vLLM failed: ${diagnosis.title}`,
    diagnosis,
    logLine: 'Killed',
    comparison: ['predicted vs actual:', '  GPU KV blocks    plan 10043        vLLM 11836 (+17.9 %)'],
  };
}

const run = (state: WizardState, ...events: WizardEvent[]): WizardState => events.reduce(wizardReducer, state);

function reviewState(): WizardState {
  const s = createWizardState(
    {
      device: 'orin-nx-16gb',
      model: 'qwen2-7b-instruct',
      quant: 'gguf-q4_k_m',
      vllmVersion: '0.6.3',
      knobs: { maxModelLen: 200, maxNumSeqs: 1 },
      defaults: 'vllm',
      runtime: 'native',
      port: 8123,
    },
    catalog,
  );
  // This machine is the Orin NX the plan is for (a launch runs here).
  return run(
    s,
    {
      type: 'detectionFinished',
      detection: {
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
      },
    },
    { type: 'reviewOpened' },
  );
}

function launchOf(state: WizardState): Extract<WizardState, { step: 'launch' }> {
  if (state.step !== 'launch') throw new Error(`expected the launch step, got ${state.step}`);
  return state;
}

describe('launchViewReducer', () => {
  it('collects the stages with their times, keeps the last LAUNCH_TAIL log lines, and turns ready into the checked URL', () => {
    let v = freshLaunch('vllm serve m', 1);
    v = launchViewReducer(v, { type: 'launchStage', text: 'loading weights', elapsedS: 1.5 });
    for (let i = 0; i < LAUNCH_TAIL + 5; i++) v = launchViewReducer(v, { type: 'launchLine', line: `line ${i}` });
    v = launchViewReducer(v, { type: 'launchStage', text: 'ready', elapsedS: 9 });
    v = launchViewReducer(v, {
      type: 'launchReady',
      url: 'http://127.0.0.1:8000',
      comparison: ['predicted vs actual:'],
      elapsedS: 9.5,
    });
    expect(v.status).toBe('ready');
    expect(v.tail).toHaveLength(LAUNCH_TAIL);
    expect(v.tail[0]).toBe('line 5');
    expect(v.tail.at(-1)).toBe(`line ${LAUNCH_TAIL + 4}`);
    expect(v.stages).toEqual([
      { text: 'loading weights', elapsedS: 1.5 },
      { text: 'ready: http://127.0.0.1:8000 (/health 200, /v1/models answers)', elapsedS: 9.5 },
    ]);
    expect(v.comparison).toEqual(['predicted vs actual:']);
  });

  it('an ended launch ignores what comes after (a late log line, a second end)', () => {
    const ended = launchViewReducer(freshLaunch('c', 1), killedEvent());
    expect(ended.status).toBe('ended');
    expect(launchViewReducer(ended, { type: 'launchLine', line: 'late' })).toBe(ended);
    expect(launchViewReducer(ended, { type: 'launchReady', url: 'x', comparison: [], elapsedS: 1 })).toBe(ended);
  });

  it('toOutcome turns the #795 diagnosis into the re-planned retry: swap space 0, eager, and it fits', () => {
    const o = toOutcome(killedEvent());
    expect(o.kind).toBe('failed');
    expect(o.title).toMatch(/killed/i);
    expect(o.cause).toMatch(/pinned CPU swap space 4\.00 GiB/);
    expect(o.retry).not.toBeNull();
    expect(o.retry?.changedFlags).toContain('--swap-space 0');
    expect(o.retry?.changedFlags).toContain('--enforce-eager');
    expect(o.retry?.verdict).toBe('fits');
    expect(o.retry?.knobs).toEqual({ maxModelLen: 200, maxNumSeqs: 1 });
    expect(o.retry?.defaults).toBe('planner');
    expect(o.retry?.command).toContain('--swap-space 0');
    expect(o.command).toBeNull();
  });

  it('toOutcome of a failure fixed by a command (unknown runtime nvidia) carries the command, no retry plan', () => {
    const { request, plan } = setup({ device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'awq' });
    const diagnosis = diagnose(
      {
        kind: 'unknown-runtime',
        line: 'docker: Error response from daemon: unknown or invalid runtime name: nvidia.',
        figures: {},
      },
      request,
      plan,
      catalog,
    );
    const o = toOutcome({ ...killedEvent(), diagnosis });
    expect(o.retry).toBeNull();
    expect(o.command).toContain('nvidia-ctk runtime configure');
  });
});

describe('the wizard’s launch step', () => {
  it('Launch on the review opens the launch step with the command and asks the shell for launch 1', () => {
    const s = launchOf(run(reviewState(), { type: 'actionChosen', action: 'launch', command: 'vllm serve x' }));
    expect(s.launchId).toBe(1);
    expect(s.launch).toEqual(freshLaunch('vllm serve x', 1));
    expect(s.exit).toBeNull();
  });

  it('a plan that will not fit is not launched', () => {
    for (const verdict of ['oom', 'max-len']) {
      const s = run(reviewState(), { type: 'actionChosen', action: 'launch', command: 'c', verdict });
      expect(s.step).toBe('review');
      expect(s.launchId).toBe(0);
      expect(s.notice).toMatch(/would not fit/);
    }
  });

  it('s asks for a stop once; Esc while the server runs stays; after the end Esc goes back to the review', () => {
    const started = run(reviewState(), { type: 'actionChosen', action: 'launch', command: 'c' });
    expect(interpretKey(started, { input: 's' })).toEqual({ kind: 'stopServer' });
    const stopping = run(started, { type: 'launchStopRequested' });
    expect(stopping.stopId).toBe(1);
    const again = run(stopping, { type: 'launchStopping' }, { type: 'launchStopRequested' });
    expect(again.stopId).toBe(1);
    const stay = run(started, { type: 'wentBack' });
    expect(stay.step).toBe('launch');
    expect(stay.notice).toMatch(/s stops it first/);
    const ended = run(again, { ...killedEvent(), outcome: 'stopped', diagnosis: null, logLine: null });
    expect(launchOf(ended).launch.outcome?.kind).toBe('stopped');
    expect(run(ended, { type: 'wentBack' }).step).toBe('review');
  });

  it('q while the server runs stops it first and quits when it has ended', () => {
    const started = run(reviewState(), { type: 'actionChosen', action: 'launch', command: 'c' });
    const quitting = run(started, { type: 'quitRequested' });
    expect(quitting.exit).toBeNull();
    expect(quitting.stopId).toBe(1);
    expect(quitting.isQuitting).toBe(true);
    expect(run(quitting, { type: 'quitRequested' }).stopId).toBe(1);
    const done = run(quitting, { ...killedEvent(), outcome: 'stopped', diagnosis: null });
    expect(done.exit).toEqual({ code: 0, print: null });
  });

  it('r after the kill retries with the fix: the fixed knobs and defaults, launch 2, the fixed command', () => {
    const failed = run(reviewState(), { type: 'actionChosen', action: 'launch', command: 'c' }, killedEvent());
    expect(interpretKey(failed, { input: 'r' })).toEqual({ kind: 'retry' });
    const retried = launchOf(run(failed, { type: 'launchRetried' }));
    expect(retried.launchId).toBe(2);
    expect(retried.launch.attempt).toBe(2);
    expect(retried.launch.status).toBe('starting');
    expect(retried.knobs).toEqual({ maxModelLen: 200, maxNumSeqs: 1 });
    expect(retried.defaults).toBe('planner');
    expect(retried.launch.command).toContain('--swap-space 0');
    expect(retried.notice).toContain('--swap-space 0');
    // r means nothing while a launch runs.
    expect(interpretKey(retried, { input: 'r' })).toEqual({ kind: 'none' });
  });

  it('Enter opens the live panel only once the server is ready', () => {
    const started = run(reviewState(), { type: 'actionChosen', action: 'launch', command: 'c' });
    expect(interpretKey(started, { input: '', return: true })).toEqual({ kind: 'none' });
    expect(run(started, { type: 'panelRequested' }).exit).toBeNull();
    const ready = run(started, { type: 'launchReady', url: 'http://127.0.0.1:8123', comparison: [], elapsedS: 3 });
    expect(interpretKey(ready, { input: '', return: true })).toEqual({ kind: 'openPanel' });
    expect(run(ready, { type: 'panelRequested' }).exit).toEqual({ code: 0, print: null, panel: true });
  });

  it('--detach: once ready the server is not the wizard’s: q quits at once, s means nothing, Esc goes back', () => {
    const started = run(reviewState(), { type: 'actionChosen', action: 'launch', command: 'c' });
    // While it starts, it is still the wizard's: q stops it first.
    expect(run(started, { type: 'quitRequested' }).stopId).toBe(1);
    const ready = run(started, {
      type: 'launchReady',
      url: 'http://127.0.0.1:8123',
      comparison: [],
      elapsedS: 3,
      detachedName: 'jetson-vllm-qwen2-7b-instruct-8123',
    });
    expect(launchOf(ready).launch.detachedName).toBe('jetson-vllm-qwen2-7b-instruct-8123');
    expect(interpretKey(ready, { input: 's' })).toEqual({ kind: 'none' });
    const quit = run(ready, { type: 'quitRequested' });
    expect(quit.stopId).toBe(0);
    expect(quit.exit).toEqual({ code: 0, print: null });
    expect(run(ready, { type: 'wentBack' }).step).toBe('review');
  });

  it('launch events outside the launch step change nothing', () => {
    const review = reviewState();
    expect(run(review, { type: 'launchLine', line: 'x' }, killedEvent(), { type: 'launchRetried' })).toEqual(review);
  });
});
