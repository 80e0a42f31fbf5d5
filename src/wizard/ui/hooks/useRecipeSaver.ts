/** Saves the recipe when the state asks for it, once per request, and reports back as a reducer event. */
import { useEffect, useRef, type Dispatch } from 'react';
import type { Recipe } from '../../../plan/core/recipe.js';
import type { WizardEvent } from '../../core/wizard.js';

export type RecipeWriter = (recipe: Recipe, fileName: string) => Promise<string>;

export function useRecipeSaver(
  pending: boolean,
  getRecipe: () => { recipe: Recipe; fileName: string } | null,
  write: RecipeWriter,
  dispatch: Dispatch<WizardEvent>,
): void {
  // The latest getter and writer, read when a save starts; the effect runs only when `pending` changes.
  const latest = useRef({ getRecipe, write });
  useEffect(() => {
    latest.current = { getRecipe, write };
  });
  useEffect(() => {
    if (!pending) return;
    const snapshot = latest.current.getRecipe();
    if (snapshot === null) {
      dispatch({ type: 'recipeSaveFailed', reason: 'there is no plan to save' });
      return;
    }
    let isCurrent = true;
    latest.current.write(snapshot.recipe, snapshot.fileName).then(
      (path) => {
        if (isCurrent) dispatch({ type: 'recipeSaved', path });
      },
      (error: unknown) => {
        if (isCurrent)
          dispatch({ type: 'recipeSaveFailed', reason: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => {
      isCurrent = false;
    };
  }, [pending, dispatch]);
}
