/** Saves the recipe when the state asks for it, and reports back as a reducer event. */
import { useEffect, type Dispatch } from 'react';
import type { Recipe } from '../../core/recipe.js';
import type { WizardEvent } from '../../core/wizard.js';

export type RecipeWriter = (recipe: Recipe, fileName: string) => Promise<string>;

export function useRecipeSaver(
  pending: boolean,
  recipe: Recipe | null,
  fileName: string | null,
  write: RecipeWriter,
  dispatch: Dispatch<WizardEvent>,
): void {
  useEffect(() => {
    if (!pending) return;
    if (recipe === null || fileName === null) {
      dispatch({ type: 'recipeSaveFailed', reason: 'there is no plan to save' });
      return;
    }
    let isCurrent = true;
    write(recipe, fileName).then(
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
  }, [pending, recipe, fileName, write, dispatch]);
}
