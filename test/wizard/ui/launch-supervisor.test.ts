/**
 * The wizard's launch supervisor: a burst of log lines reaches the screen as a few sessions (the latest one
 * always), any other event at once; the log listeners hear every line; after releaseScreen the screen hears
 * nothing more while the launch goes on.
 */
import { describe, expect, it } from 'vitest';
import { createLaunchSupervisor, type LaunchRunner } from '../../../src/wizard/ui/launch-supervisor.js';
import { createLaunchSession, type LaunchSession, type LaunchSessionEvent } from '../../../src/launch/core/session.js';
import { reduceLaunchSession } from '../../../src/launch/core/session-reducer.js';
import { buildTestSetup } from '../../helpers/launch-session.js';
import { requestAndPlanFor } from '../../helpers/catalog.js';

const { request, plan } = requestAndPlanFor({
  device: 'orin-nx-16gb',
  model: 'qwen2.5-0.5b-instruct',
  quant: 'bf16',
  runtime: 'native',
});
const setup = buildTestSetup(plan, request);

/** A runner that reports `events` (through the real reducer) after `gate` resolves, then ends with code 0. */
function scripted(events: LaunchSessionEvent[], gate: Promise<void> = Promise.resolve()): LaunchRunner {
  return async (p, _request, onEvent) => {
    await gate;
    let session: LaunchSession | null = null;
    for (const event of events) {
      session = reduceLaunchSession(session ?? createLaunchSession(p.command, 1), event, setup);
      onEvent(event, session);
    }
    return 0;
  };
}

const lines = (n: number): LaunchSessionEvent[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'logLineRead', line: `INFO line ${i}`, elapsedMs: i }));

describe('createLaunchSupervisor', () => {
  it('hands a burst of lines as few sessions, the last one whole, and every other event at once', async () => {
    const seen: LaunchSession[] = [];
    const heard: string[] = [];
    const supervisor = createLaunchSupervisor(
      scripted([...lines(50), { type: 'serverReady', url: 'http://127.0.0.1:8000', elapsedMs: 60 }]),
    );
    supervisor.subscribeLog((line) => heard.push(line));
    supervisor.start(plan, request, (session) => seen.push(session));
    await supervisor.ended();
    expect(heard).toHaveLength(50);
    expect(seen.length).toBeLessThan(5);
    const last = seen.at(-1);
    expect(last?.isReady).toBe(true);
    expect(last?.tail.at(-1)).toBe('INFO line 49');
  });

  it('hands nothing to a released screen', async () => {
    const seen: LaunchSession[] = [];
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const supervisor = createLaunchSupervisor(scripted(lines(3), gate));
    supervisor.start(plan, request, (session) => seen.push(session));
    supervisor.releaseScreen?.();
    open();
    await supervisor.ended();
    expect(seen).toEqual([]);
  });

  it('leave: a ready server is let go of (the runner hears the leave signal) and how it runs is said', async () => {
    let heardLeave = false;
    const runner: LaunchRunner = async (p, _request, onEvent, _stop, _onPrepared, _kill, leave) => {
      let session = createLaunchSession(p.command, 1);
      const report = (event: LaunchSessionEvent): void => {
        session = reduceLaunchSession(session, event, setup);
        onEvent(event, session);
      };
      report({ type: 'serverReady', url: 'http://127.0.0.1:8000', elapsedMs: 10 });
      await new Promise<void>((resolve) => leave?.addEventListener('abort', () => resolve(), { once: true }));
      heardLeave = true;
      report({ type: 'released', isLeftRunning: true, how: 'pid 4242', elapsedMs: 20 });
      return 0;
    };
    const supervisor = createLaunchSupervisor(runner);
    supervisor.start(plan, request, () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await supervisor.leave()).toBe('pid 4242');
    expect(heardLeave).toBe(true);
    expect(supervisor.isRunning()).toBe(false);
  });

  it('leave: nothing running, or a launch that ends without being left running, says null', async () => {
    const idle = createLaunchSupervisor(scripted([]));
    expect(await idle.leave()).toBeNull();
    const supervisor = createLaunchSupervisor(scripted(lines(2)));
    supervisor.start(plan, request, () => undefined);
    expect(await supervisor.leave()).toBeNull();
  });
});
