/**
 * Render tests for the wizard's launch step (ink-testing-library): the launch screen in each state,
 * fed views built by the real reducer from real plans and diagnoses, and the App driven by keys with
 * a launch runner that replays a launch's events (the real runner is exercised in test/e2e).
 */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { LaunchEvent as RunnerEvent } from '../../../src/launch/launch-command.js';
import { diagnose } from '../../../src/launch/core/diagnosis/diagnose.js';
import type { Plan, PlanRequest } from '../../../src/plan/core/plan.js';
import { freshLaunch, launchViewReducer, type LaunchEvent, type LaunchView } from '../../../src/launch/core/session.js';
import type { WizardFlags } from '../../../src/wizard/core/wizard.js';
import { App } from '../../../src/wizard/ui/App.js';
import { ColorContext } from '../../../src/wizard/ui/components/Styled.js';
import { createLaunchSupervisor, type LaunchRunner } from '../../../src/wizard/ui/launch-supervisor.js';
import { LaunchScreen } from '../../../src/wizard/ui/screens/LaunchScreen.js';
import { loadTestCatalog, requestAndPlanFor } from '../../helpers/catalog.js';
import { flat, KEY, plain, press, waitForFrame, waitUntil } from '../../helpers/ink.js';

const catalog = loadTestCatalog();
afterEach(() => cleanup());

// The #795 board and model with the planner's choices (a plan that fits; vLLM's defaults would not).
const FLAGS_NX: WizardFlags = {
  device: 'orin-nx-16gb',
  model: 'qwen2-7b-instruct',
  quant: 'gguf-q4_k_m',
  vllmVersion: '0.6.3',
  knobs: { maxModelLen: 200, maxNumSeqs: 1 },
  defaults: 'planner',
  runtime: 'native',
};

function setup795(vllmDefaults = true): { request: PlanRequest; plan: Plan } {
  return requestAndPlanFor({
    device: 'orin-nx-16gb',
    model: 'qwen2-7b-instruct',
    quant: 'gguf-q4_k_m',
    vllmVersion: '0.6.3',
    maxModelLen: '200',
    maxNumSeqs: '1',
    vllmDefaults,
    runtime: 'native',
  });
}

const view = (...events: LaunchEvent[]): LaunchView =>
  events.reduce(launchViewReducer, freshLaunch('vllm serve Qwen/Qwen2-7B-Instruct-GGUF --swap-space 4', 1));

const screen = (v: LaunchView, height = 18): string =>
  plain(
    render(
      <ColorContext.Provider value={false}>
        <LaunchScreen view={v} height={height} width={80} />
      </ColorContext.Provider>,
    ).lastFrame(),
  );

function killed(): Extract<LaunchEvent, { type: 'launchEnded' }> {
  const { request, plan } = setup795();
  return {
    type: 'launchEnded',
    outcome: 'failed',
    message: 'vLLM failed',
    diagnosis: diagnose({ kind: 'oom-killed', line: 'Killed', figures: {} }, request, plan, catalog),
    logLine: 'Killed',
    comparison: ['predicted vs actual:', '  GPU KV blocks    plan 10043        vLLM 11836 (+17.9 %)'],
  };
}

describe('LaunchScreen', () => {
  it('starting: the command, a wait line before the first stage, then each stage with its time and the log tail', () => {
    expect(screen(view())).toContain("waiting for vLLM's first line");
    const f = screen(
      view(
        { type: 'launchStage', text: 'engine configured', elapsedS: 0.4 },
        { type: 'launchLine', line: 'INFO Loading model weights took 4.38 GB' },
        { type: 'launchStage', text: 'loading weights', elapsedS: 2.25 },
      ),
    );
    expect(f).toMatch(/^Starting vLLM…$/m);
    expect(f).toContain('$ vllm serve Qwen/Qwen2-7B-Instruct-GGUF --swap-space 4');
    expect(f).toMatch(/^\s+0\.4s ✓ engine configured$/m);
    expect(f).toMatch(/^\s+2\.3s … loading weights$/m);
    expect(f).toContain('INFO Loading model weights took 4.38 GB');
  });

  it('ready: the URL and vLLM’s figures next to the plan’s', () => {
    const f = screen(
      view(
        { type: 'launchStage', text: 'loading weights', elapsedS: 1 },
        {
          type: 'launchReady',
          url: 'http://127.0.0.1:8000',
          comparison: ['predicted vs actual:', '  weights          plan 4.36 GiB     vLLM 4.38 GiB (+0.5 %)'],
          elapsedS: 30.5,
        },
      ),
    );
    expect(f).toMatch(/^Ready: http:\/\/127\.0\.0\.1:8000$/m);
    expect(f).toMatch(/30\.5s ✓ ready: http:\/\/127\.0\.0\.1:8000 \(\/health 200/);
    expect(f).toContain('weights          plan 4.36 GiB     vLLM 4.38 GiB (+0.5 %)');
  });

  it('killed (#795): the title, the cause, the log line, the re-planned flags with their verdict and the retry key', () => {
    const f = screen(view({ type: 'launchLine', line: 'INFO # GPU blocks: 11836, # CPU blocks: 4681' }, killed()), 22);
    expect(f).toMatch(/^Failed: .*killed/im);
    expect(flat(f)).toMatch(/cause: .*pinned CPU swap space 4\.00 GiB/);
    expect(f).toContain('log: Killed');
    expect(flat(f)).toMatch(/fix: .*--swap-space 0.*--enforce-eager → FITS/);
    expect(f).toContain('r retries with the fix');
    expect(f).toContain('GPU KV blocks    plan 10043        vLLM 11836 (+17.9 %)');
  });

  it('a failure fixed by a command shows the command to run', () => {
    const { request, plan } = setup795();
    const d = diagnose(
      { kind: 'unknown-runtime', line: 'docker: unknown or invalid runtime name: nvidia', figures: {} },
      request,
      plan,
      catalog,
    );
    const f = screen(
      view({ ...killed(), diagnosis: d, logLine: 'docker: unknown or invalid runtime name: nvidia' }),
      22,
    );
    expect(f).toMatch(/run: sudo nvidia-ctk runtime configure --runtime=docker/);
    expect(f).not.toContain('r retries with the fix');
  });

  it('stopped, and stopping', () => {
    expect(screen(view({ type: 'launchStopping' }))).toMatch(/^Stopping the server…$/m);
    const stopped = screen(
      view({ ...killed(), outcome: 'stopped', message: 'the server was stopped', diagnosis: null, logLine: null }),
    );
    expect(stopped).toMatch(/^Stopped: the server is not running$/m);
    expect(stopped).not.toContain('cause:');
  });

  it('the log tail gives way: at 80×24 (height 18) the headline, the figures and the fix stay on screen', () => {
    const lines: LaunchEvent[] = Array.from({ length: 60 }, (_, i) => ({ type: 'launchLine', line: `log ${i}` }));
    const small = screen(view(...lines, killed()), 18);
    expect(small.split('\n').length).toBeLessThanOrEqual(18);
    expect(small).toMatch(/^Failed/m);
    expect(small).toContain('GPU KV blocks');
    expect(small).toContain('r retries with the fix');
    expect(small).not.toMatch(/log \d+/);
    // Taller: the newest lines of the tail fill what is left, never more than the height.
    const tall = screen(view(...lines, killed()), 30);
    expect(tall.split('\n').length).toBeLessThanOrEqual(30);
    expect(tall).toContain('log 59');
    expect(tall).not.toContain('log 40');
  });
});

describe('App: Review → Launch', () => {
  /** A runner that reports what a launch of `plan` reports, from a script of events per attempt. */
  function scriptedRunner(attempts: ((plan: Plan) => RunnerEvent[])[]): {
    runner: LaunchRunner;
    plans: Plan[];
    stops: number[];
  } {
    const plans: Plan[] = [];
    const stops: number[] = [];
    const runner: LaunchRunner = async (plan, _request, onEvent, stop) => {
      const n = plans.push(plan) - 1;
      const events = attempts[n]?.(plan) ?? [];
      for (const e of events) {
        await new Promise((r) => setTimeout(r, 5));
        if (e.type === 'ended') {
          onEvent(e);
          return e.code ?? 1;
        }
        onEvent(e);
      }
      // Still running: wait for a stop.
      await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
      stops.push(n);
      onEvent({ type: 'stopping' });
      onEvent({
        type: 'ended',
        outcome: 'stopped',
        code: null,
        diagnosis: null,
        logLine: null,
        comparison: [],
        message: 'the server was stopped',
      });
      return 0;
    };
    return { runner, plans, stops };
  }

  function start(runner: LaunchRunner): { app: ReturnType<typeof render>; exits: unknown[] } {
    const exits: unknown[] = [];
    const app = render(
      <App
        catalog={catalog}
        flags={FLAGS_NX}
        detect={() =>
          Promise.resolve({
            status: 'done' as const,
            // This machine is the Orin NX the plan is for (a launch runs here).
            identification: {
              kind: 'jetson' as const,
              presetId: 'orin-nx-16gb',
              name: 'Jetson Orin NX 16GB',
              source: 'test',
              isFamilyOnly: false,
              device: null,
            },
            warnings: [],
            rows: [],
          })
        }
        writeRecipe={() => Promise.resolve('/r')}
        now={() => new Date(0)}
        hfCacheDir="/hf"
        workDir="/work"
        isColor={false}
        supervisor={createLaunchSupervisor(runner)}
        onExit={(e) => exits.push(e)}
      />,
    );
    return { app, exits };
  }

  it('a launch killed anyway: r relaunches the re-planned plan, which gets ready; q stops it and quits', async () => {
    const { request, plan } = setup795(false);
    expect(plan.verdict).toBe('fits');
    const d = diagnose({ kind: 'oom-killed', line: 'Killed', figures: {} }, request, plan, catalog);
    const { runner, plans, stops } = scriptedRunner([
      () => [
        { type: 'stage', stage: 'weights-loading', text: 'loading weights', elapsedS: 1 },
        { type: 'line', line: 'Killed' },
        {
          type: 'ended',
          outcome: 'failed',
          code: 137,
          diagnosis: d,
          logLine: 'Killed',
          comparison: [],
          message: 'vLLM failed',
        },
      ],
      (p) => [
        { type: 'stage', stage: 'kv-cache', text: 'allocating the KV cache', elapsedS: 2 },
        {
          type: 'ready',
          url: 'http://127.0.0.1:8000',
          comparison: [`predicted vs actual: ${p.kvCache.gpuBlocks}`],
          elapsedS: 3,
          detachedName: null,
        },
      ],
    ]);
    const { app, exits } = start(runner);
    await waitForFrame(app.lastFrame, (f) => f.includes('Verdict:'));
    press(app.stdin, KEY.enter);
    await waitForFrame(app.lastFrame, (f) => f.includes('Launch') && f.includes('vllm serve'));
    press(app.stdin, KEY.enter);
    const failed = await waitForFrame(app.lastFrame, (f) => f.includes('r retries with the fix'));
    expect(plans).toHaveLength(1);
    expect(plans[0]?.command).toBe(plan.command);
    if (d.fix.kind !== 'replan') throw new Error('expected a re-plan');
    expect(flat(failed)).toContain(`fix: ${d.fix.changedFlags.join(' ')} → FITS`);
    press(app.stdin, 'r');
    const ready = await waitForFrame(app.lastFrame, (f) => f.includes('Ready (attempt 2)'));
    expect(plans).toHaveLength(2);
    expect(plans[1]?.command).toBe(d.fix.plan.command);
    expect(plans[1]?.command).not.toBe(plan.command);
    expect(ready).toContain(`predicted vs actual: ${d.fix.plan.kvCache.gpuBlocks}`);
    expect(ready).toContain('Enter live panel');
    press(app.stdin, 'q');
    await waitUntil(() => exits.length > 0, 4000, 'onExit');
    expect(stops).toEqual([1]);
    expect(exits).toEqual([{ code: 0, print: null }]);
  });

  it('Enter on a ready server ends the wizard asking for the live panel; the server keeps running', async () => {
    const { runner, stops } = scriptedRunner([
      () => [{ type: 'ready', url: 'http://127.0.0.1:8000', comparison: [], elapsedS: 1, detachedName: null }],
    ]);
    const { app, exits } = start(runner);
    await waitForFrame(app.lastFrame, (f) => f.includes('Verdict:'));
    press(app.stdin, KEY.enter);
    await waitForFrame(app.lastFrame, (f) => f.includes('vllm serve'));
    press(app.stdin, KEY.enter);
    await waitForFrame(app.lastFrame, (f) => f.includes('Ready:'));
    press(app.stdin, KEY.enter);
    await waitUntil(() => exits.length > 0, 4000, 'onExit');
    expect(exits).toEqual([{ code: 0, print: null, panel: true }]);
    expect(stops).toEqual([]);
  });
});
