/**
 * Starts the wizard on a terminal: builds the real detector and recipe writer, renders the App, and
 * returns the exit code once it ends (printing the copied command after the screen is gone).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { render } from 'ink';
import type { Catalog } from '../core/presets-schema.js';
import type { Recipe } from '../core/recipe.js';
import type { WizardFlags } from '../core/wizard.js';
import { summarizeDetection } from '../core/wizard-view.js';
import { examineSystem } from '../commands/doctor.js';
import { createRealHost } from '../probe/real-host.js';
import { App } from './App.js';

export interface WizardOptions {
  catalog: Catalog;
  flags: WizardFlags;
  root: string | undefined;
  hfCacheDir: string;
  isColor: boolean;
  /** Where to save the recipe; default: $XDG_CONFIG_HOME/jetson-vllm/recipes/. */
  recipeDir: string | undefined;
}

/** The XDG config folder for recipes. */
export function defaultRecipeDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== ''
      ? env.XDG_CONFIG_HOME
      : path.join(os.homedir(), '.config');
  return path.join(base, 'jetson-vllm', 'recipes');
}

/** Writes the recipe atomically (a temporary file renamed over the target). */
export async function writeRecipeFile(dir: string, recipe: Recipe, fileName: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, fileName);
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(recipe, null, 2)}\n`, { mode: 0o644 });
  await rename(temp, target);
  return target;
}

export async function runWizard(options: WizardOptions): Promise<number> {
  const { catalog } = options;
  const detect = async (): Promise<ReturnType<typeof summarizeDetection>> => {
    const { facts, identification, checks } = await examineSystem(createRealHost(options.root), catalog);
    return summarizeDetection(facts, identification, checks);
  };
  const recipeDir = options.recipeDir ?? defaultRecipeDir();
  let result: { code: number; print: string | null } = { code: 0, print: null };
  // Raw key mode before the first frame: Ink turns it on a few ms after drawing, and a key typed in
  // that gap would arrive cooked ("\n" instead of Enter).
  if (process.stdin.isTTY === true) process.stdin.setRawMode(true);
  const instance = render(
    <App
      catalog={catalog}
      flags={options.flags}
      detect={detect}
      lookupModel={async (ref) => {
        const { describeModelRef } = await import('../models/resolve.js');
        return describeModelRef(ref, {}, catalog);
      }}
      writeRecipe={(recipe, fileName) => writeRecipeFile(recipeDir, recipe, fileName)}
      now={() => new Date()}
      hfCacheDir={options.hfCacheDir}
      workDir={process.cwd()}
      isColor={options.isColor}
      onExit={(exit) => {
        result = exit;
      }}
    />,
    { exitOnCtrlC: false },
  );
  await instance.waitUntilExit();
  if (result.print !== null) process.stdout.write(`${result.print}\n`);
  return result.code;
}
