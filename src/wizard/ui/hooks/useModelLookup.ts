/** Reads a typed model reference from its own metadata and turns the answer into a reducer event. */
import { useEffect, type Dispatch } from 'react';
import type { ModelDescription } from '../../../model/core/model-source.js';
import type { WizardEvent } from '../../core/wizard.js';

/** Resolves to the description, or null when the reference is a preset id (not a model to read). */
export type ModelLookup = (ref: string) => Promise<ModelDescription | null>;

export function useModelLookup(pending: string | null, lookup: ModelLookup, dispatch: Dispatch<WizardEvent>): void {
  useEffect(() => {
    if (pending === null) return;
    let isCurrent = true;
    lookup(pending).then(
      (description) => {
        if (!isCurrent) return;
        if (description === null)
          dispatch({ type: 'modelLookupFailed', reason: `${pending} is a preset id: pick it from the list` });
        else dispatch({ type: 'modelDescribed', description });
      },
      (error: unknown) => {
        if (isCurrent)
          dispatch({ type: 'modelLookupFailed', reason: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => {
      isCurrent = false;
    };
  }, [pending, lookup, dispatch]);
}
