/**
 * The launch session without a server: the reducer fed the events the launch shell reports (log lines,
 * readiness, memory samples, stops, the exit), the status lines it prints for each change, and the
 * wizard's reducer around it — launch, stop, quit while running, the one-key retry with the re-planned
 * fix (a real diagnosis of the #795 Orin NX case), and the panel after ready.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PlanOptions } from '../../../src/plan/core/request.js';
import {
  createLaunchSession,
  FAILURE_TAIL,
  LAUNCH_TAIL,
  type LaunchSession,
  type LaunchSessionEvent,
} from '../../../src/launch/core/session.js';
import { reduceLaunchSession } from '../../../src/launch/core/session-reducer.js';
import { formatLaunchLines } from '../../../src/launch/core/session-format.js';
import { formatPredictedVsActual } from '../../../src/launch/core/predicted-vs-actual.js';
import {
  createWizardState,
  interpretKey,
  wizardReducer,
  type WizardEvent,
  type WizardState,
} from '../../../src/wizard/core/wizard.js';
import { loadTestCatalog, loadVllmLogCases, requestAndPlanFor, SEED_CASE_AS_RUN } from '../../helpers/catalog.js';
import { buildTestSetup, replaySession } from '../../helpers/launch-session.js';

const catalog = loadTestCatalog();

/** The request and plan for CLI-style options, as `plan` builds them (no detection, no network). */
const setup = requestAndPlanFor;

// The #795 case: Orin NX 16 GB, Qwen2-7B Q4_K_M, vLLM 0.6.3 with its own defaults: killed.
const NX_795: PlanOptions = SEED_CASE_AS_RUN;
const killedLine = loadVllmLogCases()
  .find((c) => c.source_url.includes('jetson-containers/issues/795'))
  ?.log_lines.find((l) => /^Killed$/.test(l));

const SETUP = ((): ReturnType<typeof buildTestSetup> => {
  const { request, plan } = setup(NX_795);
  return buildTestSetup(plan, request, { name: 'jetson-vllm-qwen2-7b-instruct-8123', url: 'http://127.0.0.1:8123' });
})();
const session = (...events: LaunchSessionEvent[]): LaunchSession => replaySession(SETUP, events);
const line = (text: string, elapsedMs = 0): LaunchSessionEvent => ({ type: 'logLineRead', line: text, elapsedMs });
const exited = (code: number | null, signal: string | null = null, elapsedMs = 0): LaunchSessionEvent => ({
  type: 'serverExited',
  code,
  signal,
  notStarted: null,
  elapsedMs,
});
const ready = (elapsedMs = 0): LaunchSessionEvent => ({ type: 'serverReady', url: SETUP.url, elapsedMs });

/** The #795 launch killed: vLLM's "Killed", then exit 137. */
const killedSession = (): LaunchSession => session(line(killedLine ?? 'Killed', 1000), exited(137, null, 1200));
/** A launch stopped by the user. */
const stoppedSession = (): LaunchSession =>
  session({ type: 'stopRequested', elapsedMs: 10 }, exited(null, 'SIGTERM', 20));
const ready3 = (): LaunchSessionEvent => ready(3000);
const changed = (s: LaunchSession): WizardEvent => ({ type: 'launchSessionChanged', session: s });

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

describe('reduceLaunchSession', () => {
  it('collects the stages with their times, keeps the last LAUNCH_TAIL log lines, and turns ready into the checked URL', () => {
    const lines = Array.from({ length: LAUNCH_TAIL + 5 }, (_, i) => line(`line ${i}`, 8000));
    const v = session(
      line('INFO Starting to load model ./Qwen2-7B-Instruct.Q4_K_M.gguf...', 1500),
      line('INFO # GPU blocks: 11836, # CPU blocks: 4681', 6000),
      line('INFO:     Application startup complete.', 9000),
      ...lines,
      ready(9500),
    );
    expect(v.status).toBe('ready');
    expect(v.tail).toHaveLength(LAUNCH_TAIL);
    expect(v.tail[0]).toBe('line 5');
    expect(v.tail.at(-1)).toBe(`line ${LAUNCH_TAIL + 4}`);
    expect(v.stages).toEqual([
      { text: 'loading weights', elapsedS: 1.5 },
      { text: 'allocating the KV cache', elapsedS: 6 },
      { text: 'ready: http://127.0.0.1:8123 (/health 200, /v1/models answers)', elapsedS: 9.5 },
    ]);
    expect(v.comparison[0]).toBe('predicted vs actual:');
    expect(v.comparison).toEqual(formatPredictedVsActual(SETUP.plan, v.log));
    expect(v.comparison.join('\n')).toMatch(/GPU KV blocks +plan \d+ +vLLM 11836/);
  });

  it('the tail at its bound keeps every line; one past drops the oldest (the failure tail likewise, blank lines apart)', () => {
    const atBound = session(...Array.from({ length: LAUNCH_TAIL }, (_, i) => line(`l${i}`)));
    expect(atBound.tail).toHaveLength(LAUNCH_TAIL);
    expect(atBound.tail[0]).toBe('l0');
    const onePast = replaySession(SETUP, [line('new')], atBound);
    expect(onePast.tail).toHaveLength(LAUNCH_TAIL);
    expect(onePast.tail[0]).toBe('l1');
    expect(onePast.tail.at(-1)).toBe('new');
    expect(atBound.lastLines).toHaveLength(FAILURE_TAIL);
    expect(atBound.lastLines[0]).toBe(`l${LAUNCH_TAIL - FAILURE_TAIL}`);
    const blank = replaySession(SETUP, [line('  ')], atBound);
    expect(blank.lastLines).toBe(atBound.lastLines);
    expect(blank.tail.at(-1)).toBe('  ');
    expect(session(line('x'.repeat(500))).lastLines[0]).toBe(`${'x'.repeat(400)}…`);
  });

  it('an ended launch ignores what comes after (a late log line, a ready, a second exit)', () => {
    const ended = killedSession();
    expect(ended.status).toBe('ended');
    expect(reduceLaunchSession(ended, line('late'), SETUP)).toBe(ended);
    expect(reduceLaunchSession(ended, ready(), SETUP)).toBe(ended);
    expect(reduceLaunchSession(ended, exited(0), SETUP)).toBe(ended);
  });

  it('ready while stopping stays stopping (and is ready: a stop asked for first goes on)', () => {
    const v = session({ type: 'stopRequested', elapsedMs: 1 }, ready(2));
    expect(v.status).toBe('stopping');
    expect(v.isReady).toBe(true);
    expect(v.url).toBe(SETUP.url);
  });

  it('a failure line then the exit → the #795 diagnosis, turned into the re-planned retry: swap space 0, eager, and it fits', () => {
    const o = killedSession().outcome;
    expect(o?.kind).toBe('failed');
    expect(o?.code).toBe(1);
    expect(o?.logLine).toBe('Killed');
    expect(o?.title).toMatch(/killed/i);
    expect(o?.cause).toMatch(/pinned CPU swap space 4\.00 GiB/);
    expect(o?.retry).not.toBeNull();
    expect(o?.retry?.changedFlags).toContain('--swap-space 0');
    expect(o?.retry?.changedFlags).toContain('--enforce-eager');
    expect(o?.retry?.verdict).toBe('fits');
    expect(o?.retry?.knobs).toEqual({ maxModelLen: 200, maxNumSeqs: 1 });
    expect(o?.retry?.defaults).toBe('planner');
    expect(o?.retry?.command).toContain('--swap-space 0');
    expect(o?.command).toBeNull();
  });

  it('a failure fixed by a command (unknown runtime nvidia) carries the command, no retry plan', () => {
    const { request, plan } = setup({ device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'awq' });
    const o = replaySession(buildTestSetup(plan, request), [
      line('docker: Error response from daemon: unknown or invalid runtime name: nvidia.'),
      exited(125),
    ]).outcome;
    expect(o?.kind).toBe('failed');
    expect(o?.retry).toBeNull();
    expect(o?.command).toContain('nvidia-ctk runtime configure');
  });

  it('a plan re-made before the start (a pulled moving tag) replaces the command, silently; a refused start ends with 3', () => {
    const replaced = session({ type: 'planReplaced', command: 'docker run … vllm serve x' });
    expect(replaced.command).toBe('docker run … vllm serve x');
    expect(formatLaunchLines(session(), replaced, { type: 'planReplaced', command: 'x' }, SETUP)).toEqual([]);
    const message = 'not launched: the plan for vLLM 0.9.2 would not fit (OOM: 16.77 GiB needed, 15.29 GiB there)';
    const refused = session({
      type: 'serverExited',
      code: 3,
      signal: null,
      notStarted: message,
      isRefused: true,
      elapsedMs: 5,
    });
    expect(refused.outcome).toMatchObject({ kind: 'exited', ending: 'not-started', code: 3, message });
    expect(
      formatLaunchLines(
        session(),
        refused,
        { type: 'serverExited', code: 3, signal: null, notStarted: message, isRefused: true, elapsedMs: 5 },
        SETUP,
      ),
    ).toEqual([`[   0.0s] ${message}`]);
  });

  it('how a launch ends: stopped, exited before ready, not started, died after ready, by the watchdog', () => {
    expect(stoppedSession().outcome).toMatchObject({ kind: 'stopped', code: 0, message: 'the server was stopped' });
    expect(session(exited(0)).outcome).toMatchObject({
      kind: 'exited',
      code: 1,
      message: 'vLLM exited (code 0) before it was ready',
    });
    expect(session(ready(), exited(0)).outcome).toMatchObject({ kind: 'exited', code: 0 });
    expect(
      session({ type: 'serverExited', code: null, signal: null, notStarted: 'docker is not installed', elapsedMs: 0 })
        .outcome,
    ).toMatchObject({
      kind: 'exited',
      ending: 'not-started',
      code: 1,
      message: 'not started: docker is not installed',
    });
    expect(session(ready(), exited(1)).outcome).toMatchObject({ kind: 'exited', ending: 'died-after-ready', code: 1 });
    const watched = replaySession({ ...SETUP, memoryFloorBytes: 1000 }, [
      { type: 'memorySampled', availableBytes: 10, elapsedMs: 0 },
      { type: 'memorySampled', availableBytes: 10, elapsedMs: 1000 },
      { type: 'stopRequested', elapsedMs: 1001 },
      exited(null, 'SIGTERM', 1100),
    ]);
    expect(watched.watchdog).toMatch(/stayed under the/);
    expect(watched.outcome).toMatchObject({ kind: 'watchdog', code: 1 });
    expect(watched.outcome?.retry?.changedFlags.length).toBeGreaterThan(0);
  });

  it('a stage past its time is said to look stuck once, in the tail too; not once the server is ready', () => {
    const s = replaySession({ ...SETUP, stageTimeoutS: 5 }, [
      { type: 'phaseEntered', stage: 'container-start', elapsedMs: 0 },
      { type: 'tick', elapsedMs: 4000 },
    ]);
    expect(s.stuck).toBeNull();
    const stuck = replaySession({ ...SETUP, stageTimeoutS: 5 }, [{ type: 'tick', elapsedMs: 6000 }], s);
    expect(stuck.stuck).toMatch(/^starting the container has taken 6\.0 s \(more than the 5\.0 s/);
    expect(stuck.tail.at(-1)).toBe(`jetson-vllm: ${stuck.stuck ?? ''}`);
    expect(replaySession({ ...SETUP, stageTimeoutS: 5 }, [{ type: 'tick', elapsedMs: 9000 }], stuck)).toBe(stuck);
    const up = replaySession({ ...SETUP, stageTimeoutS: 5 }, [ready(1), { type: 'tick', elapsedMs: 9000 }], s);
    expect(up.stuck).toBeNull();
  });

  it('the token never reaches the tail nor the failure report', () => {
    const withToken = { ...SETUP, token: 'hf_secret123' };
    const s = replaySession(withToken, [
      { type: 'runtimeLineRead', line: 'HF_TOKEN=hf_secret123' },
      line('ERROR bad token hf_secret123'),
    ]);
    expect(s.tail).toEqual(['HF_TOKEN=<HF_TOKEN>', 'ERROR bad token <HF_TOKEN>']);
    const died = replaySession(withToken, [ready(), exited(1)], s);
    const report = formatLaunchLines(s, died, exited(1), withToken).join('\n');
    expect(report).toContain('    ERROR bad token <HF_TOKEN>');
    expect(report).not.toContain('hf_secret123');
  });

  it('any sequence of events keeps the tails within their bounds and never leaves ended', () => {
    const { request, plan } = setup({ device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'gguf-q4_k_m' });
    const quick = buildTestSetup(plan, request, { memoryFloorBytes: 1000, stageTimeoutS: 1 });
    const ms = fc.nat(100_000);
    const eventArb: fc.Arbitrary<LaunchSessionEvent> = fc.oneof(
      fc.string({ maxLength: 30 }).map((l): LaunchSessionEvent => ({ type: 'runtimeLineRead', line: l })),
      fc
        .record({ stage: fc.constantFrom('image-pull' as const, 'container-start' as const), elapsedMs: ms })
        .map((e): LaunchSessionEvent => ({ type: 'phaseEntered', ...e })),
      fc
        .record({
          line: fc.oneof(
            fc.string({ maxLength: 30 }),
            fc.constantFrom(
              'INFO Starting to load model x...',
              'INFO # GPU blocks: 100, # CPU blocks: 10',
              'INFO:     Application startup complete.',
              'Killed',
            ),
          ),
          elapsedMs: ms,
        })
        .map((e): LaunchSessionEvent => ({ type: 'logLineRead', ...e })),
      ms.map((elapsedMs): LaunchSessionEvent => ({ type: 'tick', elapsedMs })),
      fc
        .record({ availableBytes: fc.nat(2000), elapsedMs: ms })
        .map((e): LaunchSessionEvent => ({ type: 'memorySampled', ...e })),
      ms.map((elapsedMs): LaunchSessionEvent => ({ type: 'serverReady', url: 'http://127.0.0.1:8000', elapsedMs })),
      ms.map((elapsedMs): LaunchSessionEvent => ({ type: 'readyTimedOut', elapsedMs })),
      ms.map((elapsedMs): LaunchSessionEvent => ({ type: 'stopRequested', elapsedMs })),
      ms.map((elapsedMs): LaunchSessionEvent => ({ type: 'releaseRequested', elapsedMs })),
      fc
        .record({ isLeftRunning: fc.boolean(), elapsedMs: ms })
        .map((e): LaunchSessionEvent => ({ type: 'released', how: 'pid 1', ...e })),
      fc
        .record({
          code: fc.option(fc.constantFrom(0, 1, 137, 143), { nil: null }),
          signal: fc.option(fc.constantFrom('SIGTERM', 'SIGKILL'), { nil: null }),
          notStarted: fc.option(fc.constant('no docker'), { nil: null }),
          elapsedMs: ms,
        })
        .map((e): LaunchSessionEvent => ({ type: 'serverExited', ...e })),
    );
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 80 }), (events) => {
        let s = createLaunchSession('vllm serve x', 1);
        for (const event of events) {
          const next = reduceLaunchSession(s, event, quick);
          const lines = formatLaunchLines(s, next, event, quick);
          expect(Array.isArray(lines)).toBe(true);
          if (s.status === 'ended') {
            expect(next).toBe(s);
            expect(lines).toEqual(event.type === 'runtimeLineRead' ? [event.line] : []);
          }
          s = next;
          expect(s.tail.length).toBeLessThanOrEqual(LAUNCH_TAIL);
          expect(s.lastLines.length).toBeLessThanOrEqual(FAILURE_TAIL);
          expect(s.status === 'ended').toBe(s.outcome !== null);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("the screen's tail while the runtime pulls the image", () => {
  it("shows the compact pull progress, not docker's per-layer lines beside it (they still reach the log state)", () => {
    const pulling = session(
      { type: 'phaseEntered', stage: 'image-pull', elapsedMs: 0 },
      { type: 'runtimeLineRead', line: 'jetson-vllm: running docker pull dustynv/vllm:0.8.6-r36.4-cu128-24.04' },
      line('a1b2c3d4e5f6: Pulling fs layer', 100),
      line('a1b2c3d4e5f6: Downloading [=====>                                            ]  12.35MB/1.234GB', 200),
      line('\rb2c3d4e5f6a1: Downloading [==>  ]  1MB/2MB', 250),
      { type: 'runtimeLineRead', line: '  pull: 1/3 layers, 0.41 GB of 5.70 GB' },
      line('a1b2c3d4e5f6: Pull complete', 300),
      line('Digest: sha256:0123', 400),
    );
    expect(pulling.tail).toEqual([
      'jetson-vllm: running docker pull dustynv/vllm:0.8.6-r36.4-cu128-24.04',
      '  pull: 1/3 layers, 0.41 GB of 5.70 GB',
      'Digest: sha256:0123',
    ]);
    expect(pulling.log.stage).toBe('image-pull');
    // Outside the runtime's pull (a log replayed, a `docker run` that pulls itself) every line is shown.
    expect(session(line('a1b2c3d4e5f6: Downloading [==>  ]  1MB/2MB')).tail).toEqual([
      'a1b2c3d4e5f6: Downloading [==>  ]  1MB/2MB',
    ]);
  });
});

describe('formatLaunchLines: the status lines `jetson-vllm launch` prints', () => {
  const say = (before: LaunchSession, event: LaunchSessionEvent, setup = SETUP): string[] =>
    formatLaunchLines(before, reduceLaunchSession(before, event, setup), event, setup);
  const fresh = createLaunchSession('c', 1);

  it('a stage the log marks, a docker phase, a runtime line as it came; a line that changes nothing says nothing', () => {
    expect(say(fresh, line('INFO Starting to load model x.gguf...', 12_345))).toEqual(['[  12.3s] loading weights']);
    expect(say(fresh, { type: 'phaseEntered', stage: 'image-pull', elapsedMs: 100 })).toEqual([
      '[   0.1s] pulling the image',
    ]);
    // The log's own container stage is the runtime's to say.
    expect(say(fresh, line('INFO Automatically detected platform cuda.'))).toEqual([]);
    expect(say(fresh, { type: 'runtimeLineRead', line: '$ vllm serve x' })).toEqual(['$ vllm serve x']);
    expect(say(fresh, line('INFO nothing'))).toEqual([]);
    expect(say(fresh, line('Killed', 2000))).toEqual(['[   2.0s] failed']);
  });

  it('ready with the figures, stopping once, the watchdog, a stuck stage', () => {
    const loaded = session(line('INFO Loading model weights took 4.38 GB'));
    const lines = say(loaded, ready(30_500));
    expect(lines[0]).toBe('[  30.5s] ready: http://127.0.0.1:8123 (/health 200, /v1/models answers)');
    expect(lines.slice(1)).toEqual(formatPredictedVsActual(SETUP.plan, loaded.log));
    expect(lines[1]).toBe('predicted vs actual:');
    expect(say(fresh, { type: 'stopRequested', elapsedMs: 1000 })).toEqual(['[   1.0s] stopping the server']);
    expect(say(session({ type: 'stopRequested', elapsedMs: 0 }), { type: 'stopRequested', elapsedMs: 1 })).toEqual([]);
    const floor = { ...SETUP, memoryFloorBytes: 1000 };
    const under = replaySession(floor, [{ type: 'memorySampled', availableBytes: 1, elapsedMs: 0 }]);
    expect(say(under, { type: 'memorySampled', availableBytes: 1, elapsedMs: 1000 }, floor)).toEqual([
      expect.stringMatching(/^\[ {3}1\.0s\] watchdog: available memory stayed under the 0 MiB floor for 750 ms/),
    ]);
    const slow = { ...SETUP, stageTimeoutS: 5 };
    const pulling = replaySession(slow, [{ type: 'phaseEntered', stage: 'image-pull', elapsedMs: 0 }]);
    expect(say(pulling, { type: 'tick', elapsedMs: 6000 }, slow)).toEqual([
      expect.stringMatching(/^\[ {3}6\.0s\] pulling the image has taken 6\.0 s/),
    ]);
  });

  it('detached: not ready in time, let go of a running server or of nothing', () => {
    expect(say(fresh, { type: 'readyTimedOut', elapsedMs: 1000 })).toEqual([
      '[   1.0s] not ready after 1800 s: stopping it',
    ]);
    expect(say(fresh, { type: 'released', isLeftRunning: false, how: 'pid 1', elapsedMs: 1000 })).toEqual([
      '[   1.0s] stopped (nothing had been started yet)',
    ]);
    const left = say(session(ready()), { type: 'released', isLeftRunning: true, how: 'pid 42', elapsedMs: 0 });
    expect(left.join('\n')).toContain('jetson-vllm-qwen2-7b-instruct-8123');
    expect(left.join('\n')).toContain('pid 42');
  });

  it('the end: stopped (killed after the grace), the #795 failure with its fix and retry', () => {
    const stopping = session({ type: 'stopRequested', elapsedMs: 0 });
    expect(say(stopping, exited(null, 'SIGKILL', 11_000))).toEqual([
      '[  11.0s] vLLM did not exit within 10 s of SIGTERM: killed it (SIGKILL)',
      '[  11.0s] stopped',
    ]);
    const killed = session(line('Killed', 1000));
    const report = say(killed, exited(137, null, 1200));
    expect(report[0]).toMatch(/^\[ {3}1\.2s\] vLLM failed: Killed: the board ran out of memory$/);
    expect(report[1]).toBe('  log: Killed');
    expect(report[2]).toMatch(/^ {2}cause: /);
    expect(report.at(-2)).toMatch(/^ {2}fix: .*--swap-space 0.* → FITS$/);
    expect(report.at(-1)).toMatch(/^ {2}retry: .*--swap-space 0/);
  });
});

describe('the wizard’s launch step', () => {
  it('Launch on the review opens the launch step with the command and asks the shell for launch 1', () => {
    const s = launchOf(run(reviewState(), { type: 'actionChosen', action: 'launch', command: 'vllm serve x' }));
    expect(s.launchId).toBe(1);
    expect(s.launch).toEqual(createLaunchSession('vllm serve x', 1));
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
    const again = run(stopping, changed(session({ type: 'stopRequested', elapsedMs: 5 })), {
      type: 'launchStopRequested',
    });
    expect(again.stopId).toBe(1);
    // …and asked again while it stops, it is killed: no more grace (as a second Ctrl-C in the CLI).
    expect(again.killId).toBe(1);
    expect(again.notice).toBe('Killing the server now (SIGKILL)…');
    expect(stopping.killId).toBe(0);
    const stay = run(started, { type: 'wentBack' });
    expect(stay.step).toBe('launch');
    expect(stay.notice).toMatch(/s stops it first/);
    const ended = run(again, changed(stoppedSession()));
    expect(launchOf(ended).launch.outcome?.kind).toBe('stopped');
    expect(run(ended, { type: 'wentBack' }).step).toBe('review');
  });

  it('q while the server runs stops it first and quits when it has ended', () => {
    const started = run(reviewState(), { type: 'actionChosen', action: 'launch', command: 'c' });
    const quitting = run(started, { type: 'quitRequested' });
    expect(quitting.exit).toBeNull();
    expect(quitting.stopId).toBe(1);
    expect(quitting.isQuitting).toBe(true);
    // A second q (Ctrl-C) before the server says it is stopping: nothing more yet.
    expect(run(quitting, { type: 'quitRequested' }).stopId).toBe(1);
    expect(run(quitting, { type: 'quitRequested' }).killId).toBe(0);
    // Once it is stopping: the second one kills it now, and the wizard still quits when it has ended.
    const stoppingThenQuit = run(quitting, changed(session({ type: 'stopRequested', elapsedMs: 5 })), {
      type: 'quitRequested',
    });
    expect(stoppingThenQuit.killId).toBe(1);
    expect(stoppingThenQuit.stopId).toBe(1);
    expect(stoppingThenQuit.notice).toBe('Killing the server now (SIGKILL), then quitting…');
    expect(run(stoppingThenQuit, changed(stoppedSession())).exit).toEqual({ code: 0, print: null });
    const done = run(quitting, changed(stoppedSession()));
    expect(done.exit).toEqual({ code: 0, print: null });
  });

  it('r after the kill retries with the fix: the fixed knobs and defaults, launch 2, the fixed command', () => {
    const failed = run(
      reviewState(),
      { type: 'actionChosen', action: 'launch', command: 'c' },
      changed(killedSession()),
    );
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

  it('r after a fix that changes the quantization (an unsupported one) launches the fixed variant, not the old one', () => {
    const failed = launchOf(
      run(reviewState(), { type: 'actionChosen', action: 'launch', command: 'c' }, changed(killedSession())),
    );
    const outcome = failed.launch.outcome;
    if (outcome?.retry == null) throw new Error('the kill has a re-planned fix');
    // The kill's own fix keeps the variant…
    expect(outcome.retry.quant).toBe(failed.quant);
    expect(launchOf(run(failed, { type: 'launchRetried' })).quant).toBe(failed.quant);
    // …a fix that moves to another variant takes it with the knobs.
    const other = {
      ...failed,
      launch: { ...failed.launch, outcome: { ...outcome, retry: { ...outcome.retry, quant: 'awq-int4' } } },
    };
    const retried = launchOf(run(other, { type: 'launchRetried' }));
    expect(retried.quant).toBe('awq-int4');
    expect(retried.model).toBe(failed.model);
  });

  it('Enter opens the live panel only once the server is ready', () => {
    const started = run(reviewState(), { type: 'actionChosen', action: 'launch', command: 'c' });
    expect(interpretKey(started, { input: '', return: true })).toEqual({ kind: 'none' });
    expect(run(started, { type: 'panelRequested' }).exit).toBeNull();
    const ready = run(started, changed(session(ready3())));
    expect(interpretKey(ready, { input: '', return: true })).toEqual({ kind: 'openPanel' });
    expect(run(ready, { type: 'panelRequested' }).exit).toEqual({ code: 0, print: null, panel: true });
  });

  it('--detach: once ready the server is not the wizard’s: q quits at once, s means nothing, Esc goes back', () => {
    const started = run(reviewState(), { type: 'actionChosen', action: 'launch', command: 'c' });
    // While it starts, it is still the wizard's: q stops it first.
    expect(run(started, { type: 'quitRequested' }).stopId).toBe(1);
    const ready = run(started, changed(replaySession({ ...SETUP, isDetached: true }, [ready3()])));
    expect(launchOf(ready).launch.detachedName).toBe('jetson-vllm-qwen2-7b-instruct-8123');
    expect(interpretKey(ready, { input: 's' })).toEqual({ kind: 'none' });
    const quit = run(ready, { type: 'quitRequested' });
    expect(quit.stopId).toBe(0);
    expect(quit.exit).toEqual({ code: 0, print: null });
    expect(run(ready, { type: 'wentBack' }).step).toBe('review');
  });

  it('launch events outside the launch step change nothing', () => {
    const review = reviewState();
    expect(run(review, changed(session(line('x'))), changed(killedSession()), { type: 'launchRetried' })).toEqual(
      review,
    );
  });
});

describe('the launch log: its path in the session and with every ending but a stop', () => {
  const LOG = '/state/jetson-vllm/logs/jetson-vllm-qwen2-7b-instruct-8123-20260101T000000.000Z.log';
  const opened: LaunchSessionEvent = { type: 'logFileOpened', path: LOG };
  const endLines = (...events: LaunchSessionEvent[]): string[] => {
    const before = session(opened, ...events.slice(0, -1));
    const last = events[events.length - 1];
    if (last === undefined) throw new Error('no event');
    return formatLaunchLines(before, reduceLaunchSession(before, last, SETUP), last, SETUP);
  };

  it('opening the log keeps its path and prints nothing; the same path again changes nothing', () => {
    const s = session(opened);
    expect(s.logPath).toBe(LOG);
    expect(createLaunchSession('x', 1).logPath).toBeNull();
    expect(reduceLaunchSession(s, opened, SETUP)).toBe(s);
    expect(formatLaunchLines(createLaunchSession('x', 1), s, opened, SETUP)).toEqual([]);
  });

  it.each<[string, LaunchSessionEvent[]]>([
    ['killed (a diagnosed failure)', [line(killedLine ?? 'Killed', 1000), exited(137, null, 1200)]],
    ['exited before ready', [exited(1, null, 100)]],
    ['not started', [{ type: 'serverExited', code: 127, signal: null, notStarted: 'no docker', elapsedMs: 1 }]],
    ['died after ready', [ready(10), exited(1, null, 20)]],
  ])('%s: the last line says where the full log is', (_, events) => {
    const lines = endLines(...events);
    expect(lines[lines.length - 1]).toBe(`  full log: ${LOG}`);
    expect(lines.filter((l) => l.includes('full log:'))).toHaveLength(1);
  });

  it('a stop does not say it; nor does a launch without a log file', () => {
    expect(endLines({ type: 'stopRequested', elapsedMs: 10 }, exited(null, 'SIGTERM', 20)).join('\n')).not.toContain(
      'full log',
    );
    const before = session(line(killedLine ?? 'Killed', 1000));
    const after = reduceLaunchSession(before, exited(137, null, 1200), SETUP);
    expect(formatLaunchLines(before, after, exited(137, null, 1200), SETUP).join('\n')).not.toContain('full log');
  });
});
