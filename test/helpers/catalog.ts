/** Loads the real preset files for tests (tests may read files; a core/ may not). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { recordedPath } from './recorded.js';
import { parsePresetFile, type Catalog, type PresetFileName } from '../../src/catalog/core/presets-schema.js';
import { buildPlan, type Plan, type PlanRequest } from '../../src/plan/core/plan.js';
import { resolvePlanRequest, type PlanOptions } from '../../src/plan/core/request.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function load(name: PresetFileName): unknown {
  const result = parsePresetFile(name, parse(readFileSync(path.join(ROOT, 'presets', `${name}.yaml`), 'utf8')));
  if (!result.ok) throw new Error(`presets/${name}.yaml: ${result.problem}`);
  return result.value;
}

let cached: Catalog | undefined;
/** The validated catalog from presets/. */
export function loadTestCatalog(): Catalog {
  cached ??= {
    devices: (load('devices') as { devices: Catalog['devices'] }).devices,
    models: (load('models') as { models: Catalog['models'] }).models,
    vllm: load('vllm') as Catalog['vllm'],
  };
  return cached;
}

/** The request and the plan from CLI-style options against the real catalog (no detection, no network,
 * HF cache /hf, working directory /work); throws on bad input. */
export function requestAndPlanFor(options: PlanOptions): { request: PlanRequest; plan: Plan } {
  const catalog = loadTestCatalog();
  const resolved = resolvePlanRequest(options, catalog, {
    detected: null,
    described: null,
    hfCacheDir: '/hf',
    workDir: '/work',
  });
  if (!resolved.ok) throw new Error(resolved.message);
  const outcome = buildPlan(resolved.request, catalog);
  if (!outcome.ok) throw new Error(outcome.message);
  return { request: resolved.request, plan: outcome.plan };
}

/** Plans from CLI-style options against the real catalog; throws on bad input. */
export function planFor(options: PlanOptions): Plan {
  return requestAndPlanFor(options).plan;
}

export interface VllmLogCase {
  source_url: string;
  device: string;
  total_memory_gib: number | null;
  vllm_version: string;
  model: string;
  flags: Record<string, unknown>;
  log_lines: string[];
  outcome: string;
}

/** The shared vLLM start-up cases recorded by others. */
export function loadVllmLogCases(): VllmLogCase[] {
  return JSON.parse(readFileSync(recordedPath('vllm-logs.json'), 'utf8')) as VllmLogCase[];
}

/** The first number a regex captures in any of the case's log lines. */
export function logged(c: VllmLogCase, re: RegExp, group = 1): number {
  for (const line of c.log_lines) {
    const m = re.exec(line);
    if (m?.[group] !== undefined) return Number(m[group].replace(/,/g, ''));
  }
  throw new Error(`no line of ${c.source_url} matches ${String(re)}`);
}

/**
 * The seed case as its user ran it (jetson-containers #795): Orin NX 16 GB, Qwen2-7B-Instruct Q4_K_M GGUF,
 * vLLM 0.6.3, 200 tokens, 1 sequence, the rest at vLLM's defaults.
 */
export const SEED_CASE_AS_RUN: PlanOptions = {
  device: 'orin-nx-16gb',
  model: 'qwen2-7b-instruct',
  quant: 'gguf-q4_k_m',
  vllmVersion: '0.6.3',
  maxModelLen: '200',
  maxNumSeqs: '1',
  vllmDefaults: true,
};

/** The recorded case whose source URL holds `fragment`; throws when none does. */
let logCases: VllmLogCase[] | null = null;
export function findLogCase(fragment: string): VllmLogCase {
  const c = (logCases ??= loadVllmLogCases()).find((x) => x.source_url.includes(fragment));
  if (c === undefined) throw new Error(`no recorded case ${fragment}`);
  return c;
}
