/**
 * `jetson-vllm diagnose <log file | ->`: the launcher's diagnosis for a vLLM log from anywhere (a run outside this
 * tool, `docker logs`, a pasted issue). Reads the failure, the version, model, knobs and figures the log shows
 * (and the kernel's oom-kill lines when pasted with it), re-plans for this board (or --device) with those knobs,
 * and prints the cause and the command that fits. Exit 0: a failure recognised; 1: the log shows none; 2: bad input.
 */
import { readFile } from 'node:fs/promises';
import type { Catalog } from '../catalog/core/presets-schema.js';
import type { PlanOptions } from '../plan/core/request.js';
import type { Plan, PlanRequest } from '../plan/core/plan.js';
import { UserError } from '../shared/errors.js';
import { diagnose } from './core/diagnosis/diagnose.js';
import { DIAGNOSES } from './core/diagnosis/catalog.js';
import { parseKernelOom } from './core/diagnosis/kernel-oom.js';
import { matchPreset, readLogSetup, type LogSetup } from './core/diagnosis/log-setup.js';
import type { Diagnosis, FailureInput } from './core/diagnosis/types.js';
import { parseLog } from './core/log/reducer.js';
import type { LogState } from './core/log/state.js';

/** What `diagnose` found: the failure, what the log said about its run, the plan re-built and the diagnosis. */
export interface DiagnoseReport {
  source: string;
  failure: FailureInput | null;
  /** The stage vLLM reached before it stopped (or the last one seen). */
  stage: string;
  setup: LogSetup & { preset: { model: string; quant: string | null } | null };
  /** The options the plan that ran was rebuilt with (null: the model could not be planned). */
  options: PlanOptions | null;
  /** Why the run could not be re-planned (null when it was). */
  unplanned: string | null;
  plan: { device: string; verdict: string; command: string } | null;
  diagnosis: Diagnosis | null;
}

/** Reads the log's text: a file, or stdin for "-". */
async function readInput(source: string, stdin: NodeJS.ReadableStream): Promise<string> {
  if (source !== '-') {
    try {
      return await readFile(source, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new UserError(`diagnose: cannot read ${source} (${code})`, 'give a vLLM log file, or - for stdin');
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** A vLLM version as the planner takes it: "0.6.3.post1" → "0.6.3", "v0.8.6" → "0.8.6". */
function cleanVersion(text: string | null): string | undefined {
  return /(\d+\.\d+\.\d+)/.exec(text ?? '')?.[1];
}

/** The options of the plan that ran: the log's model and knobs, vLLM's defaults for the rest; flags win. */
export function buildRunOptions(
  setup: LogSetup,
  log: LogState,
  preset: { model: string; quant: string | null } | null,
  given: PlanOptions,
): PlanOptions | null {
  const model = given.model ?? preset?.model ?? setup.model ?? undefined;
  if (model === undefined) return null;
  const quant = given.quant ?? (given.model === undefined ? (preset?.quant ?? undefined) : undefined);
  const version = given.vllmVersion ?? cleanVersion(setup.vllmVersion) ?? cleanVersion(log.figures.vllmVersion);
  const k = setup.knobs;
  const utilization =
    k.gpuMemoryUtilization ??
    (log.figures.gpuMemoryUtilization !== null ? String(log.figures.gpuMemoryUtilization) : undefined);
  const options: PlanOptions = {
    ...given,
    model,
    // A run outside this tool: what the log does not show was vLLM's default.
    vllmDefaults: true,
  };
  if (quant !== undefined) options.quant = quant;
  if (version !== undefined) options.vllmVersion = version;
  const knobs: [keyof PlanOptions, string | undefined][] = [
    ['maxModelLen', k.maxModelLen],
    ['maxNumSeqs', k.maxNumSeqs],
    ['maxNumBatchedTokens', k.maxNumBatchedTokens],
    ['gpuMemoryUtilization', utilization],
    ['swapSpace', k.swapSpace],
    ['kvCacheDtype', k.kvCacheDtype],
    ['kvCacheMemoryBytes', k.kvCacheMemoryBytes],
    ['blockSize', k.blockSize],
    ['numGpuBlocksOverride', k.numGpuBlocksOverride],
  ];
  for (const [key, value] of knobs) {
    if (value !== undefined && given[key] === undefined) (options as Record<string, string>)[key] = value;
  }
  if (k.enforceEager === true && given.noEnforceEager !== true) options.enforceEager = true;
  return options;
}

/** Returns the report of one log: the failure, the run it describes, and its diagnosis on this board. */
export async function computeDiagnoseReport(
  source: string,
  text: string,
  given: PlanOptions,
  catalog: Catalog,
  planRun: (options: PlanOptions) => Promise<{ plan: Plan; request: PlanRequest }>,
): Promise<DiagnoseReport> {
  const lines = text.split(/\r?\n/);
  const log = parseLog(lines);
  const setup = readLogSetup(lines);
  const preset = setup.model === null ? null : matchPreset(setup.model, catalog);
  const kernel = parseKernelOom(lines);
  const reached = log.stages.filter((s) => s.stage !== 'failed').at(-1)?.stage ?? null;
  const base: DiagnoseReport = {
    source,
    failure: null,
    stage: reached ?? 'none',
    setup: { ...setup, preset },
    options: null,
    unplanned: null,
    plan: null,
    diagnosis: null,
  };
  if (log.failure === null) return base;
  const failure: FailureInput = {
    ...log.failure,
    evidence: { measured: log.figures, stage: reached, kernel },
  };
  const options = buildRunOptions(setup, log, preset, given);
  if (options === null)
    return { ...base, failure, unplanned: 'the log names no model: give --model (a preset id, an HF id, a folder)' };
  try {
    const { plan, request } = await planRun(options);
    return {
      ...base,
      failure,
      options,
      plan: { device: plan.device.id, verdict: plan.verdict, command: plan.command },
      diagnosis: diagnose(failure, request, plan, catalog),
    };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { ...base, failure, options, unplanned: error.message };
  }
}

/** The report as text: the failure, the run, the cause and the fix (with the command that fits). */
export function formatDiagnoseReport(r: DiagnoseReport): string {
  const out: string[] = [];
  if (r.failure === null) {
    out.push(`No failure in ${r.source === '-' ? 'the log' : r.source}: vLLM's last stage there is ${r.stage}.`);
    return out.join('\n');
  }
  const d = r.diagnosis;
  const entry = DIAGNOSES[d?.kind ?? r.failure.kind];
  out.push(`Failure: ${entry.title}`);
  out.push(`  log: ${r.failure.line.trim()}`);
  const run: string[] = [];
  if (r.setup.vllmVersion !== null) run.push(`vLLM ${r.setup.vllmVersion}`);
  if (r.setup.model !== null) run.push(`model ${r.setup.model}`);
  if (r.setup.preset !== null)
    run.push(`preset ${r.setup.preset.model}${r.setup.preset.quant !== null ? ` ${r.setup.preset.quant}` : ''}`);
  const knobs = Object.entries(r.setup.knobs).map(([k, v]) =>
    v === true ? '--enforce-eager' : `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${String(v)}`,
  );
  if (knobs.length > 0) run.push(knobs.join(' '));
  if (run.length > 0) out.push(`  ran: ${run.join(', ')}`);
  if (d === null) {
    out.push(`  cause: ${entry.cause}`);
    out.push(`  fix: ${entry.remedy}`);
    if (r.unplanned !== null) out.push(`  not re-planned: ${r.unplanned}`);
    return out.join('\n');
  }
  if (r.plan !== null) out.push(`  planned for: ${r.plan.device} (${r.plan.verdict} as it ran)`);
  out.push(`  cause: ${d.cause}`);
  switch (d.fix.kind) {
    case 'replan':
      out.push(`  fix: ${d.fix.changedFlags.join(' ')} → ${d.fix.plan.verdict.toUpperCase()}`);
      out.push(`  ${d.fix.explanation}`);
      out.push(`  command: ${d.fix.plan.command}`);
      break;
    case 'command':
      out.push(`  fix: ${d.fix.explanation}`);
      out.push(`  run: ${d.fix.command}`);
      break;
    case 'none':
      out.push(`  ${d.fix.explanation}`);
      break;
    default: {
      const unreachable: never = d.fix;
      throw new Error(`unknown fix ${String(unreachable)}`);
    }
  }
  return out.join('\n');
}

/** Runs `diagnose`: prints the report (text or JSON) and returns the exit code (0 recognised, 1 none). */
export async function runDiagnose(input: {
  source: string | undefined;
  options: PlanOptions;
  catalog: Catalog;
  json: boolean;
  root: string | undefined;
  write: (text: string) => void;
  stdin: NodeJS.ReadableStream;
}): Promise<number> {
  if (input.source === undefined)
    throw new UserError('diagnose needs a log: jetson-vllm diagnose <log file | ->', 'jetson-vllm diagnose --help');
  const text = await readInput(input.source, input.stdin);
  const { computePlanAndRequest } = await import('../plan/plan-command.js');
  const report = await computeDiagnoseReport(input.source, text, input.options, input.catalog, (options) =>
    computePlanAndRequest(options, input.catalog, input.root),
  );
  input.write(input.json ? JSON.stringify(report, null, 2) : formatDiagnoseReport(report));
  return report.failure === null ? 1 : 0;
}
