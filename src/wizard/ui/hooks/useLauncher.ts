/** Starts a launch when the state asks for one (a new launchId), stops it on a new stopId, and reports
 * the launch's progress back as reducer events. The server outlives the screen (see launch-supervisor). */
import { useEffect, useRef, type Dispatch } from 'react';
import type { LaunchEvent } from '../../../launch/launch-command.js';
import type { Plan, PlanRequest } from '../../../plan/core/plan.js';
import type { WizardEvent } from '../../core/wizard.js';
import type { LaunchSupervisor } from '../launch-supervisor.js';

/** The wizard's event for a launch's event. */
export function toWizardEvent(event: LaunchEvent): WizardEvent {
  switch (event.type) {
    case 'stage':
      return { type: 'launchStage', text: event.text, elapsedS: event.elapsedS };
    case 'line':
      return { type: 'launchLine', line: event.line };
    case 'ready':
      return {
        type: 'launchReady',
        url: event.url,
        comparison: event.comparison,
        elapsedS: event.elapsedS,
        detachedName: event.detachedName,
      };
    case 'watchdog':
      return { type: 'launchWatchdog', why: event.why };
    case 'stopping':
      return { type: 'launchStopping' };
    case 'ended':
      return {
        type: 'launchEnded',
        outcome: event.outcome,
        message: event.message,
        diagnosis: event.diagnosis,
        logLine: event.logLine,
        comparison: event.comparison,
      };
    default: {
      const unreachable: never = event;
      throw new Error(`unknown launch event ${String(unreachable)}`);
    }
  }
}

export function useLauncher(
  launchId: number,
  stopId: number,
  getTarget: () => { plan: Plan; request: PlanRequest } | null,
  supervisor: LaunchSupervisor | null,
  dispatch: Dispatch<WizardEvent>,
): void {
  const latest = useRef(getTarget);
  useEffect(() => {
    latest.current = getTarget;
  });
  useEffect(() => {
    if (launchId === 0) return;
    const target = latest.current();
    if (supervisor === null || target === null) {
      dispatch({
        type: 'launchEnded',
        outcome: 'exited',
        message:
          supervisor === null ? 'launching is not available here' : 'there is no plan to launch (go back and choose)',
        diagnosis: null,
        logLine: null,
        comparison: [],
      });
      return;
    }
    supervisor.start(target.plan, target.request, (event) => dispatch(toWizardEvent(event)));
  }, [launchId, supervisor, dispatch]);
  useEffect(() => {
    if (stopId === 0 || supervisor === null) return;
    void supervisor.stop();
  }, [stopId, supervisor]);
}
