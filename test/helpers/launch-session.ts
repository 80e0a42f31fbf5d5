/**
 * Launch sessions for tests: the setup a launch of a plan has, and a session built by the real reducer
 * from a list of the events the shell reports (as src/launch/launch-command.ts feeds them).
 */
import {
  createLaunchSession,
  type LaunchSession,
  type LaunchSessionEvent,
  type LaunchSetup,
} from '../../src/launch/core/session.js';
import { reduceLaunchSession } from '../../src/launch/core/session-reducer.js';
import type { Plan, PlanRequest } from '../../src/plan/core/plan.js';
import { loadTestCatalog } from './catalog.js';

/** The setup of a launch of `plan` on port 8000, no token, the watchdog off; `overrides` change any of it. */
export function buildTestSetup(plan: Plan, request: PlanRequest, overrides: Partial<LaunchSetup> = {}): LaunchSetup {
  return {
    plan,
    request,
    catalog: loadTestCatalog(),
    token: '',
    hasHfToken: false,
    name: `jetson-vllm-${plan.model.id}-8000`,
    url: 'http://127.0.0.1:8000',
    isDetached: false,
    stageTimeoutS: null,
    stopGraceMs: 10_000,
    readyTimeoutS: 1800,
    memoryFloorBytes: 0,
    ...overrides,
  };
}

/** The session after `events`, from a fresh one for `command` (or from `start`). */
export function replaySession(
  setup: LaunchSetup,
  events: LaunchSessionEvent[],
  start: LaunchSession = createLaunchSession(setup.plan.command, 1),
): LaunchSession {
  return events.reduce((session, event) => reduceLaunchSession(session, event, setup), start);
}
