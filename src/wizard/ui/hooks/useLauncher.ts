/** Starts a launch when the state asks for one (a new launchId), stops it on a new stopId (kills it on a
 * new killId), and hands
 * each change of the launch session to the reducer. The server outlives the screen (see launch-supervisor). */
import { useEffect, useRef, type Dispatch } from 'react';
import { createLaunchSession, endLaunchSession } from '../../../launch/core/session.js';
import type { Plan, PlanRequest } from '../../../plan/core/plan.js';
import type { WizardEvent } from '../../core/wizard.js';
import type { LaunchSupervisor } from '../launch-supervisor.js';

export function useLauncher(
  launchId: number,
  stopId: number,
  killId: number,
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
      const why =
        supervisor === null ? 'launching is not available here' : 'there is no plan to launch (go back and choose)';
      // The wizard keeps its own attempt and command: the session only says it ended, and why.
      dispatch({ type: 'launchSessionChanged', session: endLaunchSession(createLaunchSession('', 1), why) });
      return;
    }
    supervisor.start(target.plan, target.request, (session) =>
      dispatch({ type: 'launchSessionChanged', session, launchId }),
    );
  }, [launchId, supervisor, dispatch]);
  useEffect(() => {
    if (stopId === 0 || supervisor === null) return;
    void supervisor.stop();
  }, [stopId, supervisor]);
  useEffect(() => {
    if (killId === 0 || supervisor === null) return;
    supervisor.kill();
  }, [killId, supervisor]);
}
