/** Starts device detection once and turns its result into a reducer event. */
import { useEffect, type Dispatch } from 'react';
import type { Detection, WizardEvent } from '../../core/wizard.js';

export type Detector = (signal: AbortSignal) => Promise<Extract<Detection, { status: 'done' }>>;

export function useDetection(detect: Detector, dispatch: Dispatch<WizardEvent>): void {
  useEffect(() => {
    const controller = new AbortController();
    detect(controller.signal).then(
      (detection) => {
        if (!controller.signal.aborted) dispatch({ type: 'detectionFinished', detection });
      },
      (error: unknown) => {
        if (!controller.signal.aborted)
          dispatch({ type: 'detectionFailed', reason: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => controller.abort();
  }, [detect, dispatch]);
}
