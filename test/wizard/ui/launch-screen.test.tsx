/**
 * Render tests for the wizard's launch step (ink-testing-library): the launch screen in each state,
 * fed views built by the real reducer from real plans and diagnoses, and the App driven by keys with
 * a launch runner that replays a launch's events (the real runner is exercised in test/e2e).
 */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/launch/core/diagnosis/diagnose.js';
import type { Plan, PlanRequest } from '../../../src/plan/core/plan.js';
import { createLaunchSession, type LaunchSession, type LaunchSessionEvent } from '../../../src/launch/core/session.js';
import { reduceLaunchSession } from '../../../src/launch/core/session-reducer.js';
import type { WizardFlags } from '../../../src/wizard/core/wizard.js';
import { App } from '../../../src/wizard/ui/App.js';
import { ColorContext } from '../../../src/wizard/ui/components/Styled.js';
import { createLaunchSupervisor, type LaunchRunner } from '../../../src/wizard/ui/launch-supervisor.js';
import { LaunchScreen } from '../../../src/wizard/ui/screens/LaunchScreen.js';
import { loadTestCatalog, requestAndPlanFor, SEED_CASE_AS_RUN } from '../../helpers/catalog.js';
import { buildTestSetup, replaySession } from '../../helpers/launch-session.js';
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
  return requestAndPlanFor({ ...SEED_CASE_AS_RUN, vllmDefaults, runtime: 'native' });
}

/** The session of a #795 launch (vLLM's defaults) after `events`, as the launch shell reports them. */
const view = (...events: LaunchSessionEvent[]): LaunchSession => {
  const { request, plan } = setup795();
  return replaySession(
    buildTestSetup(plan, request),
    events,
    createLaunchSession('vllm serve Qwen/Qwen2-7B-Instruct-GGUF --swap-space 4', 1),
  );
};
const line = (text: string, elapsedMs = 0): LaunchSessionEvent => ({ type: 'logLineRead', line: text, elapsedMs });
const exited = (code: number | null, signal: string | null = null): LaunchSessionEvent => ({
  type: 'serverExited',
  code,
  signal,
  notStarted: null,
  elapsedMs: 0,
});

const screen = (v: LaunchSession, height = 18): string =>
  plain(
    render(
      <ColorContext.Provider value={false}>
        <LaunchScreen session={v} height={height} width={80} />
      </ColorContext.Provider>,
    ).lastFrame(),
  );

/** vLLM's KV cache figures, its "Killed" and exit 137: the #795 kill. */
function killed(): LaunchSessionEvent[] {
  return [line('INFO # GPU blocks: 11836, # CPU blocks: 4681'), line('Killed'), exited(137)];
}

describe('LaunchScreen', () => {
  it('starting: the command, a wait line before the first stage, then each stage with its time and the log tail', () => {
    expect(screen(view())).toContain("waiting for vLLM's first line");
    const f = screen(
      view(
        line('INFO Initializing an LLM engine (v0.6.3) with config: model=Qwen/Qwen2-7B-Instruct-GGUF', 400),
        // A line of the runtime's: in the tail, no stage.
        { type: 'runtimeLineRead', line: 'INFO Loading model weights took 4.38 GB' },
        line('INFO Starting to load model ./qwen2-7b-instruct-q4_k_m.gguf...', 2250),
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
        line('INFO Starting to load model ./qwen2-7b-instruct-q4_k_m.gguf...', 1000),
        line('INFO Loading model weights took 4.3825 GB', 20_000),
        { type: 'serverReady', url: 'http://127.0.0.1:8000', elapsedMs: 30_500 },
      ),
    );
    expect(f).toMatch(/^Ready: http:\/\/127\.0\.0\.1:8000$/m);
    expect(f).toMatch(/30\.5s ✓ ready: http:\/\/127\.0\.0\.1:8000 \(\/health 200/);
    expect(f).toContain('weights          plan 4.36 GiB     vLLM 4.38 GiB (+0.5 %)');
  });

  it('killed (#795): the title, the cause, the log line, the re-planned flags with their verdict and the retry key', () => {
    const f = screen(view(...killed()), 22);
    expect(f).toMatch(/^Failed: .*killed/im);
    expect(flat(f)).toMatch(/cause: .*pinned CPU swap space 4\.00 GiB/);
    expect(f).toContain('log: Killed');
    expect(flat(f)).toMatch(/fix: .*--swap-space 0.*--enforce-eager → FITS/);
    expect(f).toContain('r retries with the fix');
    // 10371 = (0.9 × 15.29 GiB − (weights + rotary + max(F, S) + workspace + non-torch increase)) / 917504 B (budget.ts).
    expect(f).toContain('GPU KV blocks    plan 10371        vLLM 11836 (+14.1 %)');
  });

  it('the failure wraps whole at every width: no row starts with a stray space, each follows under a 2-space indent', () => {
    const session = view(...killed());
    for (let width = 60; width <= 100; width++) {
      const rows = plain(
        render(
          <ColorContext.Provider value={false}>
            <LaunchScreen session={session} height={40} width={width} />
          </ColorContext.Provider>,
        ).lastFrame(),
      ).split('\n');
      const from = rows.findIndex((r) => r.startsWith('cause: '));
      const block = rows.slice(
        from,
        rows.findIndex((r, i) => i > from && r.trim() === ''),
      );
      expect(block.length).toBeGreaterThan(3);
      for (const row of block) {
        expect(row.length).toBeLessThanOrEqual(width);
        // Either a line's first row, or a continuation under exactly two spaces: Ink's own wrap left one
        // space at the start of a row when a word ended on the last column (issue 14 item 3).
        expect(row).toMatch(/^(\S| {2}\S)/);
      }
      expect(flat(block.join('\n'))).toMatch(/cause: .*pinned CPU swap space 4\.00 GiB/);
    }
  });

  it('a failure fixed by a command shows the command to run', () => {
    const f = screen(view(line('docker: unknown or invalid runtime name: nvidia'), exited(125)), 22);
    expect(f).toMatch(/run: sudo nvidia-ctk runtime configure --runtime=docker/);
    expect(f).not.toContain('r retries with the fix');
  });

  it('stopped, and stopping', () => {
    const stop: LaunchSessionEvent = { type: 'stopRequested', elapsedMs: 0 };
    expect(screen(view(stop))).toMatch(/^Stopping the server…$/m);
    const stopped = screen(view(stop, exited(null, 'SIGTERM')));
    expect(stopped).toMatch(/^Stopped: the server is not running$/m);
    expect(stopped).not.toContain('cause:');
  });

  it('a failure says where the full log is kept (after the fix, on screen at 80×24); a stop does not', () => {
    const LOG = '/s/jetson-vllm/logs/jetson-vllm-qwen2-7b-instruct-8000-20260101T000000.000Z.log';
    const opened: LaunchSessionEvent = { type: 'logFileOpened', path: LOG };
    const lines = Array.from({ length: 60 }, (_, i) => line(`log ${i}`));
    const f = screen(view(opened, ...lines, ...killed()), 18);
    expect(f.split('\n').length).toBeLessThanOrEqual(18);
    expect(f.replace(/\s+/g, '')).toContain(`fulllog:${LOG}`);
    expect(f).toContain('r retries with the fix');
    const exitedFirst = screen(view(opened, exited(1)), 22);
    expect(exitedFirst.replace(/\s+/g, '')).toContain(`fulllog:${LOG}`);
    const stopped = screen(view(opened, { type: 'stopRequested', elapsedMs: 0 }, exited(null, 'SIGTERM')));
    expect(stopped).not.toContain('full log');
    // No log file: nothing said.
    expect(screen(view(...killed()), 22)).not.toContain('full log');
  });

  it('the log tail gives way: at 80×24 (height 18) the headline, the figures and the fix stay on screen', () => {
    const lines = Array.from({ length: 60 }, (_, i) => line(`log ${i}`));
    const small = screen(view(...lines, ...killed()), 18);
    expect(small.split('\n').length).toBeLessThanOrEqual(18);
    expect(small).toMatch(/^Failed/m);
    expect(small).toContain('GPU KV blocks');
    expect(small).toContain('r retries with the fix');
    expect(small).not.toMatch(/log \d+/);
    // Taller: the newest lines of the tail fill what is left, never more than the height.
    const tall = screen(view(...lines, ...killed()), 30);
    expect(tall.split('\n').length).toBeLessThanOrEqual(30);
    expect(tall).toContain('log 59');
    expect(tall).not.toContain('log 40');
  });
});

describe('App: Review → Launch', () => {
  /** A runner that reports what a launch of `plan` reports, from a script of events per attempt, through the
   * real launch session (as runLaunch does). */
  function scriptedRunner(attempts: ((plan: Plan) => LaunchSessionEvent[])[]): {
    runner: LaunchRunner;
    plans: Plan[];
    stops: number[];
  } {
    const plans: Plan[] = [];
    const stops: number[] = [];
    const runner: LaunchRunner = async (plan, request, onEvent, stop) => {
      const n = plans.push(plan) - 1;
      const setup = buildTestSetup(plan, request);
      let session = createLaunchSession(plan.command, 1);
      const report = (event: LaunchSessionEvent): void => {
        session = reduceLaunchSession(session, event, setup);
        onEvent(event, session);
      };
      for (const e of attempts[n]?.(plan) ?? []) {
        await new Promise((r) => setTimeout(r, 5));
        report(e);
        if (session.outcome !== null) return session.outcome.code;
      }
      // Still running: wait for a stop.
      await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
      stops.push(n);
      report({ type: 'stopRequested', elapsedMs: 0 });
      report(exited(null, 'SIGTERM'));
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

  it('a launch killed with room to spare: the cause is elsewhere, doctor is named; r relaunches the plan, which gets ready; q stops it and quits', async () => {
    const { request, plan } = setup795(false);
    expect(plan.verdict).toBe('fits');
    const d = diagnose({ kind: 'oom-killed', line: 'Killed', figures: {} }, request, plan, catalog);
    // The planner's own plan predicted a large headroom: no smaller KV cache is offered, doctor is.
    if (d.fix.kind !== 'command') throw new Error(`expected a command, got ${d.fix.kind}`);
    expect(d.fix.command).toBe('jetson-vllm doctor');
    const { runner, plans, stops } = scriptedRunner([
      () => [line('INFO Starting to load model ./q.gguf...', 1000), line('Killed', 1500), exited(137)],
      () => [
        line('INFO # GPU blocks: 11836, # CPU blocks: 4681', 2000),
        { type: 'serverReady', url: 'http://127.0.0.1:8000', elapsedMs: 3000 },
      ],
    ]);
    const { app, exits } = start(runner);
    await waitForFrame(app.lastFrame, (f) => f.includes('Verdict:'));
    press(app.stdin, KEY.enter);
    await waitForFrame(app.lastFrame, (f) => f.includes('Launch') && f.includes('vllm serve'));
    press(app.stdin, KEY.enter);
    const failed = await waitForFrame(app.lastFrame, (f) => f.includes('r launches again once it is done'));
    expect(plans).toHaveLength(1);
    expect(plans[0]?.command).toBe(plan.command);
    expect(flat(failed)).toMatch(/the memory went elsewhere/);
    expect(flat(failed)).toContain('run: jetson-vllm doctor');
    expect(flat(failed)).not.toMatch(/vLLM's defaults|pinned swap|r retries with the fix/);
    press(app.stdin, 'r');
    const ready = await waitForFrame(app.lastFrame, (f) => f.includes('Ready (attempt 2)'));
    expect(plans).toHaveLength(2);
    // The same plan, once what took the memory is stopped.
    expect(plans[1]?.command).toBe(plan.command);
    // vLLM's figures next to the plan's.
    expect(ready).toContain('predicted vs actual:');
    expect(ready).toMatch(new RegExp(`GPU KV blocks +plan ${plan.kvCache.gpuBlocks} +vLLM 11836`));
    expect(ready).toContain('Enter live panel');
    press(app.stdin, 'q');
    await waitUntil(() => exits.length > 0, 4000, 'onExit');
    expect(stops).toEqual([1]);
    expect(exits).toEqual([{ code: 0, print: null }]);
  });

  it('r at once after a failure whose run is still finishing: the retry waits for it, and its late reports do not touch attempt 2', async () => {
    const base = scriptedRunner([
      () => [line('Killed', 500), exited(137)],
      () => [{ type: 'serverReady', url: 'http://127.0.0.1:8000', elapsedMs: 3000 }],
    ]).runner;
    const plans: Plan[] = [];
    let late: (() => void) | null = null;
    // Attempt 1 ends, then keeps its run open (as runLaunch does while it reads the last output and writes
    // its history) and reports its ended session once more after the retry began.
    const runner: LaunchRunner = async (p, r, onEvent, stop, onPrepared, kill) => {
      plans.push(p);
      if (plans.length > 1) return base(p, r, onEvent, stop, onPrepared, kill);
      let last: LaunchSession | null = null;
      const code = await base(p, r, (e, s) => ((last = s), onEvent(e, s)), stop, onPrepared, kill);
      await new Promise<void>((resolve) => (late = resolve));
      if (last !== null) onEvent(exited(137), { ...(last as LaunchSession), command: 'vllm serve attempt-1' });
      return code;
    };
    const { app } = start(runner);
    expect(setup795(false).plan.verdict).toBe('fits');
    await waitForFrame(app.lastFrame, (f) => f.includes('Verdict:'));
    press(app.stdin, KEY.enter);
    await waitForFrame(app.lastFrame, (f) => f.includes('vllm serve'));
    press(app.stdin, KEY.enter);
    await waitForFrame(app.lastFrame, (f) => /^r retry/m.test(f));
    press(app.stdin, 'r');
    await waitForFrame(app.lastFrame, (f) => f.includes('attempt 2'));
    // Run 1 has not finished: the retry waits for it instead of being dropped.
    expect(plans).toHaveLength(1);
    (late as (() => void) | null)?.();
    const ready = await waitForFrame(app.lastFrame, (f) => f.includes('Ready (attempt 2)'));
    expect(plans).toHaveLength(2);
    expect(ready).not.toContain('attempt-1');
    expect(flat(ready)).toContain(plans[1]?.command ?? '?');
  });

  it('Enter on a ready server ends the wizard asking for the live panel; the server keeps running', async () => {
    const { runner, stops } = scriptedRunner([
      () => [{ type: 'serverReady', url: 'http://127.0.0.1:8000', elapsedMs: 1000 }],
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
