/**
 * `jetson-vllm plan`: reads the catalog (and a local model folder), builds the plan, prints it.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildPlan, type Plan, type ResolvedDevice } from '../core/plan.js';
import type { Catalog } from '../core/presets-schema.js';
import { resolvePlanRequest, type LocalModel, type PlanOptions } from '../core/request.js';
import { UserError } from '../cli/errors.js';

/** True when the --model value names a path rather than a preset id. */
export function looksLikePath(ref: string): boolean {
  return ref.startsWith('.') || ref.startsWith('/') || ref.startsWith('~') || ref.includes(path.sep);
}

/** Reads config.json and the safetensors sizes of a local model folder. */
export async function readLocalModel(ref: string): Promise<LocalModel> {
  const dir = path.resolve(ref.startsWith('~') ? path.join(os.homedir(), ref.slice(1)) : ref);
  let entries: string[];
  try {
    if (!(await stat(dir)).isDirectory())
      throw new UserError(`--model: ${ref} is not a folder (a model folder holds config.json and *.safetensors)`);
    entries = await readdir(dir);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(
      `--model: ${ref} does not exist (give a preset id or a model folder)`,
      'jetson-vllm models lists the presets',
    );
  }
  let config: unknown = null;
  if (entries.includes('config.json')) {
    try {
      config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'));
    } catch {
      throw new UserError(`--model: ${path.join(ref, 'config.json')} is not valid JSON`);
    }
  }
  const shards = entries.filter((e) => e.endsWith('.safetensors'));
  let safetensorsBytes: number | null = null;
  if (shards.length > 0) {
    const sizes = await Promise.all(shards.map(async (s) => (await stat(path.join(dir, s))).size));
    safetensorsBytes = sizes.reduce((a, b) => a + b, 0);
  }
  return { path: ref, config, safetensorsBytes };
}

/** Where the host keeps the Hugging Face cache. */
export function findHfCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE !== undefined && env.HF_HUB_CACHE !== '') return path.dirname(env.HF_HUB_CACHE);
  if (env.HF_HOME !== undefined && env.HF_HOME !== '') return env.HF_HOME;
  return path.join(os.homedir(), '.cache', 'huggingface');
}

/** Builds a plan from options; bad input throws a UserError. */
export async function computePlan(options: PlanOptions, catalog: Catalog, root?: string): Promise<Plan> {
  const localModel =
    options.model !== undefined && looksLikePath(options.model) ? await readLocalModel(options.model) : null;
  let detected: ResolvedDevice | null = null;
  if (options.device === undefined) {
    // No --device: plan for this machine, with its measured memory (device detection).
    const { detectSystem } = await import('../probe/detect.js');
    const { createRealHost } = await import('../probe/real-host.js');
    const { identifyDevice } = await import('../core/identify.js');
    const identification = identifyDevice(await detectSystem(createRealHost(root)), catalog);
    if (identification.device === null) {
      const ids = catalog.devices.filter((d) => d.vllm.isSupported && d.kind === 'jetson').map((d) => d.id);
      const what =
        identification.kind === 'none' ? 'no NVIDIA GPU here' : `${identification.name} (${identification.source})`;
      throw new UserError(
        `--device is needed: ${what}; plan for a device with --device ${ids.slice(0, 4).join('|')}|… (jetson-vllm devices lists all)`,
      );
    }
    detected = identification.device;
  }
  const resolved = resolvePlanRequest(options, catalog, {
    detected,
    localModel,
    hfCacheDir: findHfCacheDir(),
    workDir: process.cwd(),
  });
  if (!resolved.ok) throw new UserError(resolved.message);
  const outcome = buildPlan(resolved.request, catalog);
  if (!outcome.ok) throw new UserError(outcome.message);
  return outcome.plan;
}

/** Exit code of a plan (DESIGN.md §1): 0 fits or tight, 3 would not fit or be refused. */
export function planExitCode(plan: Plan): number {
  return plan.verdict === 'fits' || plan.verdict === 'tight' ? 0 : 3;
}
