/**
 * `jetson-vllm plan`: reads the catalog (and a local model folder), builds the plan, prints it.
 */
import os from 'node:os';
import { buildPlan, type Plan, type PlanRequest } from './core/plan.js';
import type { ResolvedDevice } from '../device/core/resolved-device.js';
import type { SystemFacts } from '../device/core/system-facts.js';
import type { MemoryHolders } from './core/holders.js';
import type { Catalog } from '../catalog/core/presets-schema.js';
import { resolvePlanRequest, type PlanOptions } from './core/request.js';
import { describeModelRef } from '../model/resolve.js';
import { UserError } from '../shared/errors.js';
import { resolveHfHome } from '../shared/xdg.js';

/** Where the host keeps the Hugging Face cache (huggingface_hub's order, as the doctor reads it). */
export function findHfCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolveHfHome(env, os.homedir()).path;
}

/** Builds a plan from options; bad input throws a UserError. */
export async function computePlan(options: PlanOptions, catalog: Catalog, root?: string): Promise<Plan> {
  return (await computePlanAndRequest(options, catalog, root)).plan;
}

/** The plan and the request it was built from (the launcher re-plans fixes from the request). */
export async function computePlanAndRequest(
  options: PlanOptions,
  catalog: Catalog,
  root?: string,
): Promise<{ plan: Plan; request: PlanRequest; holders: MemoryHolders | null }> {
  const described =
    options.model !== undefined
      ? await describeModelRef(
          options.model,
          {
            ...(options.gguf !== undefined ? { gguf: options.gguf } : {}),
            ...(options.tokenizer !== undefined ? { tokenizer: options.tokenizer } : {}),
          },
          catalog,
        )
      : null;
  let detected: ResolvedDevice | null = null;
  let holders: MemoryHolders | null = null;
  if (options.device === undefined) {
    // No --device: plan for this machine, with its measured memory (device detection).
    const { detectSystem } = await import('../device/detect.js');
    const { createRealHost } = await import('../device/real-host.js');
    const { identifyDevice } = await import('../device/core/identify.js');
    const facts = await detectSystem(createRealHost(root));
    const identification = identifyDevice(facts, catalog);
    holders = readMemoryHolders(facts);
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
    described,
    hfCacheDir: findHfCacheDir(),
    workDir: process.cwd(),
  });
  if (!resolved.ok) throw new UserError(resolved.message);
  // This board's logged launches calibrate the estimated terms (calibration.ts).
  const { readLaunchRecords } = await import('./launch-records.js');
  const launchRecords = await readLaunchRecords();
  const request: PlanRequest = launchRecords.length > 0 ? { ...resolved.request, launchRecords } : resolved.request;
  const outcome = buildPlan(request, catalog);
  if (!outcome.ok) throw new UserError(outcome.message);
  return { plan: outcome.plan, request, holders };
}

/** What the detection saw holding memory: the processes by name (largest first) and NvMapMemUsed. */
function readMemoryHolders(facts: SystemFacts): MemoryHolders {
  const byName = new Map<string, number>();
  for (const p of facts.processes.value ?? []) byName.set(p.comm, (byName.get(p.comm) ?? 0) + p.rssBytes);
  const processes = [...byName].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
  return { processes, nvmapBytes: facts.nvmapBytes.value };
}

/** Exit code of a plan (DESIGN.md §1): 0 fits or tight, 3 would not fit or be refused. */
export function planExitCode(plan: Plan): number {
  return plan.verdict === 'fits' || plan.verdict === 'tight' ? 0 : 3;
}
