/**
 * `launch --recipe FILE`: the options a wizard recipe was saved with, turned back into plan options so
 * the plan (and any fix) is computed afresh for the same device, model, quantization, version and knobs.
 */
import { readFile, stat } from 'node:fs/promises';
import type { PlanOptions } from './core/request.js';
import type { Recipe } from './core/recipe.js';
import { UserError } from '../shared/errors.js';

/** Reads and checks a recipe file; bad files are one-line UserErrors. */
export async function readRecipe(file: string): Promise<Recipe> {
  let text: string;
  // A FIFO or a device would be waited on forever: only a regular file is read.
  const info = await stat(file).catch(() => null);
  if (info !== null && !info.isFile()) throw new UserError(`--recipe: ${file} is not a regular file`);
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UserError(`--recipe: ${file} cannot be read`);
  }
  let recipe: Partial<Recipe>;
  try {
    recipe = JSON.parse(text) as Partial<Recipe>;
  } catch {
    throw new UserError(`--recipe: ${file} is not JSON (a recipe is what the wizard's "Save the recipe" writes)`);
  }
  if (recipe.kind !== 'jetson-vllm-recipe' || recipe.version !== 1) {
    throw new UserError(`--recipe: ${file} is not a jetson-vllm recipe (version 1)`);
  }
  if (typeof recipe.model !== 'string' || typeof recipe.quant !== 'string' || typeof recipe.device?.id !== 'string') {
    throw new UserError(`--recipe: ${file} has no model, quantization or device`);
  }
  return recipe as Recipe;
}

/** The plan options a recipe stands for; options given on the command line win. */
export function recipeToOptions(recipe: Recipe, given: PlanOptions): PlanOptions {
  const k = recipe.knobs;
  const text = (v: number | null | undefined): string | undefined =>
    v === undefined || v === null ? undefined : String(v);
  const fromRecipe: PlanOptions = {
    // A recipe saved on the board itself re-detects it; one made for a preset names it.
    ...(recipe.device.source === 'detected' ? {} : { device: recipe.device.id }),
    model: recipe.model,
    quant: recipe.quant,
    vllmVersion: recipe.vllmVersion,
    runtime: recipe.runtime,
    ...(recipe.image !== null ? { image: recipe.image } : {}),
    ...(recipe.defaults === 'vllm' ? { vllmDefaults: true } : {}),
  };
  const knobs: [keyof PlanOptions, string | undefined][] = [
    ['maxModelLen', text(k.maxModelLen)],
    ['maxNumSeqs', text(k.maxNumSeqs)],
    ['maxNumBatchedTokens', text(k.maxNumBatchedTokens)],
    ['gpuMemoryUtilization', text(k.gpuMemoryUtilization)],
    ['swapSpace', text(k.swapSpaceGiB)],
    ['kvCacheMemoryBytes', text(k.kvCacheMemoryBytes)],
    ['numGpuBlocksOverride', text(k.numGpuBlocksOverride)],
    ['blockSize', text(k.blockSize)],
    ['kvCacheDtype', k.kvCacheDtype],
  ];
  for (const [key, value] of knobs) if (value !== undefined) (fromRecipe as Record<string, unknown>)[key] = value;
  if (k.enforceEager === true) fromRecipe.enforceEager = true;
  if (k.enforceEager === false) fromRecipe.noEnforceEager = true;
  return { ...fromRecipe, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
}
