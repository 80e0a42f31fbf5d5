/**
 * A recipe: what the wizard decided, saved so `jetson-vllm launch --recipe FILE` (a later issue) can run
 * it again over SSH without the wizard. Pure: the shell writes the file.
 */
import type { Plan } from './plan.js';
import type { Knobs, DefaultsMode } from './planner.js';

export interface Recipe {
  kind: 'jetson-vllm-recipe';
  version: 1;
  /** ISO-8601 time the recipe was saved (given by the shell). */
  savedAt: string;
  device: { id: string; source: string; memTotalBytes: number };
  model: string;
  quant: string;
  vllmVersion: string;
  knobs: Knobs;
  defaults: DefaultsMode;
  runtime: Plan['runtime'];
  image: string | null;
  verdict: Plan['verdict'];
  argv: string[];
  dockerArgv: string[] | null;
  command: string;
}

/** The recipe for a plan. */
export function buildRecipe(plan: Plan, knobs: Knobs, defaults: DefaultsMode, savedAt: string): Recipe {
  return {
    kind: 'jetson-vllm-recipe',
    version: 1,
    savedAt,
    device: { id: plan.device.id, source: plan.device.source, memTotalBytes: plan.device.memTotalBytes },
    model: plan.model.id,
    quant: plan.quant.id,
    vllmVersion: plan.vllm.version,
    knobs,
    defaults,
    runtime: plan.runtime,
    image: plan.image,
    verdict: plan.verdict,
    argv: plan.argv,
    dockerArgv: plan.dockerArgv,
    command: plan.command,
  };
}

/** A file name for a recipe: model, quantization and device ("qwen2-7b-instruct-gguf-q4_k_m-orin-nx-16gb.json"). */
export function recipeFileName(plan: Plan): string {
  return `${plan.model.id}-${plan.quant.id}-${plan.device.id}.json`.replace(/[^\w.-]+/g, '-');
}
