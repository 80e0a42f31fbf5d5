/**
 * What the wizard's screens show, derived from its state and the catalog during render (never
 * stored). Pure.
 */
import { computeParams } from '../../model/core/architecture.js';
import {
  toBudgetDevice,
  toResolvedModel,
  buildPlan,
  chooseDefaultVllmVersion,
  type PlanOutcome,
  type PlanRequest,
} from '../../plan/core/plan.js';
import { evaluate, solveMaxModelLen, type PlanContext } from '../../plan/core/planner.js';
import type { Catalog, ModelPreset, QuantVariant } from '../../catalog/core/presets-schema.js';
import { checkCapability, estimateWeightBytes, resolveScheme } from '../../model/core/quantization.js';
import { toResolvedDevice, type ResolvedDevice } from '../../device/core/resolved-device.js';
import { resolveVllmVersion } from '../../plan/core/vllm-version.js';
import { buildSupportRefusalMessage } from '../../plan/core/model-support.js';
import { matchesFilter, type Detection, type DeviceChoice, type WizardState } from './wizard.js';
import type { Check } from '../../doctor/core/checks.js';
import type { Identification } from '../../device/core/identify.js';
import type { SystemFacts } from '../../device/core/system-facts.js';

/** The device a choice stands for: the detected one (measured memory) or a preset. */
export function resolveChoice(
  choice: DeviceChoice,
  catalog: Catalog,
  detected: ResolvedDevice | null,
): ResolvedDevice | null {
  if (choice.kind === 'detected') return detected;
  const preset = catalog.devices.find((d) => d.id === choice.id);
  return preset === undefined ? null : toResolvedDevice(preset, 'preset');
}

/** The detected device, when detection finished with one. */
export function detectedDevice(state: WizardState): ResolvedDevice | null {
  return state.detection.status === 'done' ? state.detection.identification.device : null;
}

export interface DeviceRow {
  choice: DeviceChoice;
  /** The board's name (the detected row: what it is). */
  label: string;
  /** What identifies it, shown dimmed: the preset id, its memory, "no vLLM". */
  detail?: string;
}

/** The device list: the detected device first (when there is one), then the presets, filtered. */
export function listDevices(catalog: Catalog, state: WizardState, filter: string): DeviceRow[] {
  const rows: DeviceRow[] = [];
  const detected = detectedDevice(state);
  if (detected !== null && matchesFilter(`${detected.name} detected`, filter)) {
    rows.push({
      choice: { kind: 'detected' },
      label: `This device: ${detected.name} (${gib(detected.memTotalBytes)}, detected)`,
    });
  } else if (state.detection.status === 'loading' && matchesFilter('this device detecting', filter)) {
    // The first row stays "This device" from the first frame on, so rows do not shift under the
    // cursor when detection finishes (only a detection without a device removes it).
    rows.push({ choice: { kind: 'detected' }, label: 'This device (detecting…)' });
  }
  // Boards vLLM runs on first (in catalog order), then the others, marked.
  const presets = [...catalog.devices].sort((a, b) => Number(b.vllm.isSupported) - Number(a.vllm.isSupported));
  for (const d of presets) {
    if (!matchesFilter(`${d.id} ${d.name}`, filter)) continue;
    const note = d.vllm.isSupported ? '' : ' · no vLLM';
    rows.push({
      choice: { kind: 'preset', id: d.id },
      label: d.name,
      detail: `${d.id} · ${gib(d.memTotalBytes)}${note}`,
    });
  }
  return rows;
}

const gib = (b: number): string => `${(b / 1024 ** 3).toFixed(1)} GiB`;

/** A plan context for one variant on one device with the planner's choices. */
function contextFor(
  catalog: Catalog,
  device: ResolvedDevice,
  model: ModelPreset,
  quant: QuantVariant,
  version: string | null,
): PlanContext | null {
  const info = resolveVllmVersion(
    version ??
      chooseDefaultVllmVersion(catalog, device, {
        arch: model.arch,
        scheme: resolveScheme(quant),
        method: quant.method,
      }),
    catalog.vllm,
  );
  if (info === null) return null;
  return {
    arch: model.arch,
    weightBytes: estimateWeightBytes(model.arch, quant).weightBytes,
    info,
    vllm: catalog.vllm,
    device: toBudgetDevice(device),
    runtime: device.isUnified ? 'docker' : 'native',
    knobs: {},
    defaults: 'planner',
  };
}

export type FitClass = 'fits' | 'tight' | 'too-big' | 'unsupported';

export interface VariantRow {
  quant: QuantVariant;
  weightBytes: number;
  fit: FitClass;
  /** The longest context one sequence gets with the planner's choices. */
  maxContext: number | null;
  /** Why the GPU cannot run it. */
  reason: string | null;
}

/** One variant on the device: can it run at all, and how much context does it leave. */
export function assessVariant(
  catalog: Catalog,
  device: ResolvedDevice,
  model: ModelPreset,
  quant: QuantVariant,
  version: string | null,
  withContext: boolean,
): VariantRow {
  const weightBytes = estimateWeightBytes(model.arch, quant).weightBytes;
  const ctx = contextFor(catalog, device, model, quant, version);
  if (ctx === null) return { quant, weightBytes, fit: 'unsupported', maxContext: null, reason: 'unknown vLLM version' };
  const scheme = resolveScheme(quant);
  // A release that cannot load the model (model-support.ts) runs none of it, whatever the memory.
  const missing = buildSupportRefusalMessage(
    catalog.vllm,
    model.arch,
    scheme,
    ctx.info.label,
    device.isUnified ? device.soc : undefined,
    quant.method,
  );
  if (missing !== null) return { quant, weightBytes, fit: 'unsupported', maxContext: null, reason: missing };
  const cap = checkCapability(scheme, device.computeCapability, ctx.info.version);
  if (!cap.ok) return { quant, weightBytes, fit: 'unsupported', maxContext: null, reason: cap.reason };
  const small = Math.min(256, model.arch.maxPositionEmbeddings);
  const verdict = evaluate(ctx, small, 1).budget.verdict;
  const fit: FitClass = verdict === 'fits' ? 'fits' : verdict === 'tight' ? 'tight' : 'too-big';
  const maxContext =
    withContext && fit !== 'too-big' ? solveMaxModelLen(ctx, 1, model.arch.maxPositionEmbeddings) : null;
  return { quant, weightBytes, fit, maxContext, reason: null };
}

export interface ModelRow {
  model: ModelPreset;
  label: string;
  fit: FitClass;
}

/** Size class of a model: its parameter count ("7.6B", "0.5B"). */
export function sizeClass(model: ModelPreset): string {
  const b = computeParams(model.arch).total / 1e9;
  return b >= 10 ? `${Math.round(b)}B` : `${b.toFixed(1)}B`;
}

/** The model list with whether any variant fits the device at all. */
export function listModels(
  catalog: Catalog,
  device: ResolvedDevice | null,
  filter: string,
  version: string | null,
): ModelRow[] {
  const rows: ModelRow[] = [];
  for (const m of catalog.models) {
    if (!matchesFilter(`${m.id} ${m.name} ${m.family}`, filter)) continue;
    let fit: FitClass = 'unsupported';
    if (device !== null) {
      const order: FitClass[] = ['fits', 'tight', 'too-big', 'unsupported'];
      for (const q of m.quants) {
        const a = assessVariant(catalog, device, m, q, version, false);
        if (order.indexOf(a.fit) < order.indexOf(fit)) fit = a.fit;
        if (fit === 'fits') break;
      }
    }
    const mark = { fits: 'fits', tight: 'tight', 'too-big': 'too big', unsupported: 'no variant runs' }[fit];
    rows.push({ model: m, fit, label: `${m.id.padEnd(30)} ${sizeClass(m).padStart(5)}  ${mark}` });
  }
  return rows;
}

/** The variants of a model on a device. */
export function listQuants(
  catalog: Catalog,
  device: ResolvedDevice,
  model: ModelPreset,
  version: string | null,
): VariantRow[] {
  return model.quants.map((q) => assessVariant(catalog, device, model, q, version, true));
}

/**
 * Returns where the variants' list starts: the first variant that fits with room, else the first tight one, else the
 * first row (nothing fits: the list shows why each does not).
 */
export function findFirstFittingQuant(rows: readonly VariantRow[]): number {
  const fits = rows.findIndex((r) => r.fit === 'fits');
  if (fits >= 0) return fits;
  return Math.max(
    0,
    rows.findIndex((r) => r.fit === 'tight'),
  );
}

/**
 * The model the wizard's state names: a preset, or the model read from its own metadata, shaped like a
 * preset whose variants are what the checkpoint really is plus, for a base model the presets know,
 * its published quantized variants.
 */
export function findModel(state: WizardState, catalog: Catalog, id: string | null): ModelPreset | undefined {
  if (id === null) return undefined;
  const d = state.custom;
  if (d !== null && d.id === id) {
    const base = catalog.models.find((m) => m.repo === d.tokenizerRepo || m.repo === d.serveTarget);
    const own = { ...d.quant, id: d.quant.id };
    const others =
      d.origin === 'hub' && d.quant.method === null && base !== undefined
        ? base.quants.filter((q) => q.id !== own.id)
        : [];
    return {
      id: d.id,
      name: d.name,
      repo: d.tokenizerRepo ?? d.serveTarget,
      family: base?.family ?? 'custom',
      arch: d.arch,
      quants: [own, ...others],
    };
  }
  return catalog.models.find((m) => m.id === id);
}

/** The plan for the wizard's current choices (computed during render). */
export function planForState(
  state: WizardState,
  catalog: Catalog,
  hfCacheDir: string,
  workDir: string,
): PlanOutcome | null {
  const request = requestForState(state, catalog, hfCacheDir, workDir);
  return request === null ? null : buildPlan(request, catalog);
}

/** The plan request the wizard's choices make (null before a model and quantization are chosen). */
export function requestForState(
  state: WizardState,
  catalog: Catalog,
  hfCacheDir: string,
  workDir: string,
): PlanRequest | null {
  if (state.step === 'device' || state.step === 'model' || state.step === 'quant') return null;
  const device = resolveChoice(state.device, catalog, detectedDevice(state));
  const model = findModel(state, catalog, state.model);
  const quant = model?.quants.find((q) => q.id === state.quant);
  if (device === null || model === undefined || quant === undefined) return null;
  const d = state.custom;
  // The checkpoint's own variant is served from where it was read; a preset variant from its repository.
  const isOwn = d !== null && d.id === model.id && quant.id === d.quant.id;
  return {
    device,
    model: isOwn
      ? toResolvedModel(d)
      : { id: model.id, name: model.name, repo: model.repo, arch: model.arch, source: 'preset' },
    quant,
    vllmVersion: state.vllmVersion,
    knobs: state.knobs,
    defaults: state.defaults,
    runtime: state.runtime,
    image: null,
    port: state.port,
    hfCacheDir,
    workDir,
  };
}

export type FitSymbol = 'fits' | 'tight' | 'oom' | 'max-len' | 'startup-check' | 'unsupported';

/** What fits: verdicts for a few contexts × sequence counts, with the planner sizing the rest. */
export function buildFitsTable(
  state: WizardState,
  catalog: Catalog,
  contexts: number[],
  seqs: number[],
): { contexts: number[]; seqs: number[]; cells: FitSymbol[][] } | null {
  if (state.step !== 'budget' && state.step !== 'review') return null;
  const device = resolveChoice(state.device, catalog, detectedDevice(state));
  const model = findModel(state, catalog, state.model);
  const quant = model?.quants.find((q) => q.id === state.quant);
  if (device === null || model === undefined || quant === undefined) return null;
  const ctx = contextFor(catalog, device, model, quant, state.vllmVersion);
  if (ctx === null) return null;
  const { maxModelLen: _l, maxNumSeqs: _s, ...knobs } = state.knobs;
  const full: PlanContext = { ...ctx, knobs, defaults: state.defaults };
  const usable = contexts.filter((c) => c <= model.arch.maxPositionEmbeddings);
  const cells = usable.map((len) => seqs.map((n) => evaluate(full, len, n).budget.verdict));
  return { contexts: usable, seqs, cells };
}

/** The vLLM versions the budget screen cycles through: those with an image for the board, else all. */
export function listVersions(catalog: Catalog, device: ResolvedDevice | null): string[] {
  const soc = device?.soc;
  const withImage = catalog.vllm.images
    .filter((i) => soc !== undefined && i.socs.includes(soc))
    .map((i) => i.vllmVersion);
  const versions = withImage.length > 0 ? withImage : catalog.vllm.releases.map((r) => r.version);
  return [...new Set(versions)];
}

/** The detection summary the device screen shows: a few facts with their sources, and the warnings. */
export function summarizeDetection(
  facts: SystemFacts,
  identification: Identification,
  checks: Check[],
): Extract<Detection, { status: 'done' }> {
  const rows: { label: string; value: string; source: string }[] = [];
  const add = (label: string, value: string | null, source: string): void => {
    if (value !== null) rows.push({ label, value, source });
  };
  add(
    'memory',
    facts.memTotalBytes.value !== null
      ? `${gib(facts.memTotalBytes.value)}${facts.memAvailableBytes.value !== null ? `, ${gib(facts.memAvailableBytes.value)} available` : ''}`
      : null,
    facts.memTotalBytes.source,
  );
  if (facts.isJetson) {
    add(
      'L4T',
      facts.l4t.value !== null
        ? `${facts.l4t.value}${facts.jetpack.value !== null ? ` (JetPack ${facts.jetpack.value})` : ''}`
        : null,
      facts.l4t.source,
    );
    add('CUDA', facts.cuda.value, facts.cuda.source);
    add('power', facts.powerMode.value?.name ?? null, facts.powerMode.source);
  } else {
    const gpu = facts.gpus.value?.[0];
    add(
      'GPU',
      gpu !== undefined ? `${gpu.name}, cc ${gpu.computeCapability ?? '?'}, driver ${gpu.driverVersion ?? '?'}` : null,
      facts.gpus.source,
    );
  }
  const shown = new Set([
    'device',
    'jetpack',
    'desktop',
    'swap',
    'power-mode',
    'gpu-users',
    'docker',
    'docker-nvidia-runtime',
    'disk',
  ]);
  const warnings = checks.filter((c) => shown.has(c.id) && (c.status === 'warn' || c.status === 'fail'));
  return { status: 'done', identification, rows, warnings };
}
