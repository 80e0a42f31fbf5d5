/**
 * A whole plan (the `plan --json` contract of DESIGN.md §2) from a resolved request. Pure.
 */
import {
  computeBudget,
  estimateMaxModelLen,
  type Budget,
  type BudgetInput,
  type BudgetItem,
  type KvCacheFigures,
  type Refusal,
  type Settings,
  type Verdict,
} from './budget.js';
import {
  buildCommandLine,
  buildDockerArgv,
  buildServeArgv,
  buildServerName,
  chooseImage,
  findBadArgvNumber,
  readServePort,
} from './flags.js';
import { computeParams } from '../../model/core/architecture.js';
import {
  ASSUMED_OS_BYTES,
  chooseShape,
  evaluate,
  solveMaxModelLen,
  solveMaxNumSeqs,
  type DefaultsMode,
  type Knobs,
  type PlanContext,
} from './planner.js';
import type { Architecture, Catalog, QuantVariant } from '../../catalog/core/presets-schema.js';
import type { ModelDescription, ModelOrigin } from '../../model/core/model-source.js';
import { checkCapability, estimateWeightBytes, resolveScheme } from '../../model/core/quantization.js';
import { formatGiB, GiB, isAtLeast, parseVersion } from '../../shared/units.js';
import { defaultMaxNumSeqs, describeFlagRange, hasFlag, resolveVllmVersion } from './vllm-version.js';
import type { ResolvedDevice } from '../../device/core/resolved-device.js';
import { computeDtypeBytes, findDtypeRefusal, resolveModelDtype, type DtypeChoice } from './dtype.js';
import { computeCalibration, describeMeasured, type LaunchRecord } from './calibration.js';
import {
  formatSpeculativeConfig,
  isHybridPrefixCaching,
  planSpeculative,
  type SpeculativeRequest,
} from './speculative.js';
import { planGraphOptions, type GraphOptions } from './graph-terms.js';
import { buildSupportRefusalMessage, findSupportMinimum, findSupportingImage } from './model-support.js';
import type { QuantScheme } from '../../catalog/core/quant-schemes.js';
import {
  computeEncoderProfile,
  computeSkippedTowerBytes,
  formatMmLimits,
  type MmLimits,
} from './multimodal/encoder-profile.js';

export interface ResolvedModel {
  id: string;
  name: string;
  /** Hugging Face repo of the base model (tokenizer for GGUF). */
  repo: string;
  arch: Architecture;
  source: ModelOrigin;
  /** What `vllm serve` is given for a model read from its files (folder, .gguf path, HF id). */
  path?: string;
  /** --tokenizer for a GGUF file (the base model's repository). */
  tokenizerRepo?: string | null;
  /** --revision for a pinned Hugging Face revision. */
  revision?: string | null;
  /** What reading the model's metadata noticed. */
  notes?: string[];
}

export interface PlanRequest {
  device: ResolvedDevice;
  model: ResolvedModel;
  quant: QuantVariant;
  /** The vLLM version targeted; null: the default for the device. */
  vllmVersion: string | null;
  knobs: Knobs;
  defaults: DefaultsMode;
  /** --dtype as given; absent: auto (the planner passes half where vLLM would refuse bfloat16). */
  dtype?: DtypeChoice;
  /** --max-model-len auto / -1 (vLLM ≥ 0.14): vLLM fits the context to the KV memory. */
  maxModelLenAuto?: boolean;
  /** --speculative-config as given (speculative.ts); absent: none. */
  speculative?: SpeculativeRequest;
  /** -O level, capture sizes and --performance-mode as given (graph-terms.ts); absent: none. */
  graphOptions?: GraphOptions;
  /** --limit-mm-per-prompt as given (multimodal/encoder-profile.ts); absent: vLLM's defaults. */
  mmLimits?: MmLimits;
  /** Notes on the device's figures (--jetpack: whose MemTotal is used). */
  deviceNotes?: string[];
  /** This board's recorded launches (the launch history), for calibration; absent: none read. */
  launchRecords?: readonly LaunchRecord[];
  runtime: 'docker' | 'native' | null;
  image: string | null;
  port: number | null;
  /** The host's Hugging Face cache, mounted into the container. */
  hfCacheDir: string;
  /** The folder a GGUF file is downloaded to (mounted at /models in the container). */
  workDir: string;
}

/** The plan object (`plan --json`). */
export interface Plan {
  verdict: Verdict;
  refusal: Refusal | null;
  device: {
    id: string;
    name: string;
    memTotalBytes: number;
    source: ResolvedDevice['source'];
    isUnified: boolean;
    computeCapability: string;
  };
  model: {
    id: string;
    name: string;
    repo: string;
    params: number;
    layers: number;
    kvHeads: number;
    headDim: number;
    hiddenSize: number;
    vocabSize: number;
    maxPositionEmbeddings: number;
    source: ResolvedModel['source'];
  };
  quant: {
    id: string;
    scheme: string;
    repo: string;
    file: string | null;
    weightBytes: number;
    weightSource: 'published' | 'computed';
  };
  vllm: { version: string; engine: 'v0' | 'v1'; algorithm: string; isKnownRelease: boolean };
  runtime: 'docker' | 'native';
  image: string | null;
  settings: Settings;
  budget: { limitBytes: number; totalBytes: number; headroomBytes: number; marginBytes: number; items: BudgetItem[] };
  kvCache: KvCacheFigures;
  argv: string[];
  dockerArgv: string[] | null;
  command: string;
  /**
   * The longest context at the planned sequences and the most sequences at the planned context that run with the
   * other knobs as planned: chosen by the planner, or vLLM's defaults (`knobs`) under --vllm-defaults.
   */
  fits: { maxModelLen: number | null; maxNumSeqs: number | null; knobs: DefaultsMode };
  notes: string[];
}

export type PlanOutcome = { ok: true; plan: Plan } | { ok: false; message: string };

/** The planner's model for one read from its own metadata (folder, .gguf, Hugging Face id). */
export function toResolvedModel(d: ModelDescription): ResolvedModel {
  const unsupported =
    d.unsupportedTensorTypes.length > 0
      ? [`GGUF tensor types vLLM cannot run: ${d.unsupportedTensorTypes.join(', ')}`]
      : [];
  return {
    id: d.id,
    name: d.name,
    repo: d.tokenizerRepo ?? d.serveTarget,
    arch: d.arch,
    source: d.origin,
    path: d.serveTarget,
    tokenizerRepo: d.tokenizerRepo,
    revision: d.revision,
    notes: [...d.notes, ...unsupported],
  };
}

/** The device as the budget sees it: measured OS use when detection measured it, else the assumption. */
export function toBudgetDevice(device: ResolvedDevice): PlanContext['device'] {
  return {
    memTotalBytes: device.memTotalBytes,
    isUnified: device.isUnified,
    osUsedBytes: device.osUsedBytes ?? ASSUMED_OS_BYTES,
    osSource: device.osUsedBytes !== undefined ? 'measured' : 'assumed',
    // MemFree is read on the detected board only: a preset (or a --device-memory what-if) has no page cache to read.
    ...(device.isUnified && device.memFreeBytes !== undefined ? { memFreeBytes: device.memFreeBytes } : {}),
  };
}

/**
 * The vLLM version a device runs by default: its preferred image's, else the newest release. Given the model, one
 * that loads it (model-support.ts): when the preferred image's vLLM predates the architecture or the quantization,
 * the oldest image for the SoC that has them, else the newest release.
 */
export function chooseDefaultVllmVersion(
  catalog: Catalog,
  device: ResolvedDevice,
  model?: { arch: Architecture; scheme: QuantScheme; method?: string | null },
): string {
  const newest = catalog.vllm.releases.at(-1)?.version ?? '0.11.0';
  let preferred = newest;
  if (device.isUnified && device.soc !== undefined) {
    const soc = device.soc;
    const image = catalog.vllm.images.find((i) => i.isPreferred && i.socs.includes(soc));
    if (image !== undefined) preferred = image.vllmVersion;
  }
  if (model === undefined) return preferred;
  const need = findSupportMinimum(catalog.vllm, model.arch, model.scheme, model.method ?? null);
  const preferredVersion = parseVersion(preferred);
  if (need === null || preferredVersion === null || isAtLeast(preferredVersion, need.since)) return preferred;
  if (!device.isUnified || device.soc === undefined) return newest;
  return findSupportingImage(catalog.vllm.images, need.since, device.soc)?.vllmVersion ?? newest;
}

/** Builds the plan; bad input (a knob this version lacks, an unrunnable quantization) is a message. */
export function buildPlan(request: PlanRequest, catalog: Catalog): PlanOutcome {
  const { device, model, quant } = request;
  const scheme = resolveScheme(quant);
  const versionText =
    request.vllmVersion ??
    chooseDefaultVllmVersion(catalog, device, { arch: model.arch, scheme, method: quant.method });
  const info = resolveVllmVersion(versionText, catalog.vllm);
  if (info === null)
    return { ok: false, message: `--vllm-version: "${versionText}" is not a version (e.g. 0.6.3, 0.11.2)` };
  // A release without the architecture or the quantization refuses the model at start-up (model-support.ts); the
  // plan says so with the release that has them, and the GPU check below is made at that release.
  const unsupported = buildSupportRefusalMessage(
    catalog.vllm,
    model.arch,
    scheme,
    info.label,
    device.isUnified ? device.soc : undefined,
    quant.method,
  );
  const needed = unsupported === null ? null : findSupportMinimum(catalog.vllm, model.arch, scheme, quant.method);
  const capabilityVersion = needed === null ? info.version : (parseVersion(needed.since) ?? info.version);

  const knobFlags: [keyof Knobs, string][] = [
    ['swapSpaceGiB', '--swap-space'],
    ['kvCacheMemoryBytes', '--kv-cache-memory-bytes'],
    ['numGpuBlocksOverride', '--num-gpu-blocks-override'],
  ];
  for (const [key, flag] of knobFlags) {
    if (request.knobs[key] !== undefined && !hasFlag(catalog.vllm, info.version, flag)) {
      return {
        ok: false,
        message: `${flag}: vLLM ${info.label} has no such flag (it ${describeFlagRange(catalog.vllm, flag)})`,
      };
    }
  }
  if (request.knobs.maxModelLen !== undefined && request.knobs.maxModelLen > model.arch.maxPositionEmbeddings) {
    return {
      ok: false,
      message: `--max-model-len: ${request.knobs.maxModelLen} is more than ${model.id} allows (${model.arch.maxPositionEmbeddings})`,
    };
  }

  if (request.knobs.kvCacheDtype === 'nvfp4' && !isAtLeast(info.version, '0.21.0'))
    return { ok: false, message: `--kv-cache-dtype nvfp4: vLLM ${info.label} has no nvfp4 KV cache (from 0.21.0)` };
  // --dtype as vLLM resolves it (config.py _get_and_verify_dtype); a resolved bfloat16 below cc 8.0 is refused.
  const modelDtype = resolveModelDtype(request.dtype ?? 'auto', model.arch.torchDtype);
  if (request.dtype !== undefined) {
    const dtypeRefusal = findDtypeRefusal(modelDtype, device.computeCapability);
    if (dtypeRefusal !== null) return { ok: false, message: `--dtype ${request.dtype}: ${dtypeRefusal}` };
  }
  let capability = checkCapability(scheme, device.computeCapability, capabilityVersion);
  const notes: string[] = [];
  // An unquantized bf16 checkpoint below cc 8.0: only a resolved bfloat16 is refused (worker.py
  // _check_if_gpu_supports_dtype). With --dtype half/float16/float32, or --dtype left open for the planner (it
  // passes --dtype half), it runs; with --vllm-defaults and no --dtype, vLLM's auto resolves to bfloat16.
  if (!capability.ok && scheme === 'bf16') {
    const servedAs = request.dtype === undefined && request.defaults === 'planner' ? 'float16' : modelDtype;
    const dtypeRefusal = findDtypeRefusal(servedAs, device.computeCapability);
    if (dtypeRefusal !== null) return { ok: false, message: `--quant ${quant.id}: ${dtypeRefusal}` };
    // Served as float16 (or float32): the GPU must still run unquantized half-precision weights.
    const asHalf = checkCapability('fp16', device.computeCapability, capabilityVersion);
    if (asHalf.ok) capability = { ok: true };
  }
  if (!capability.ok) {
    const alternatives = findRunnableQuants(catalog, model, device.computeCapability, info.version, quant.id);
    return {
      ok: false,
      message: `--quant ${quant.id}: ${capability.reason}${alternatives.length > 0 ? `; try --quant ${alternatives.join(' or ')}` : ''}`,
    };
  }
  if (capability.note !== undefined) notes.push(capability.note);
  if (request.deviceNotes !== undefined) notes.push(...request.deviceNotes);
  if (!device.isVllmSupported)
    notes.push(`vLLM does not run on ${device.name}: ${device.vllmReason}. This plan is for reference.`);

  const estimated = estimateWeightBytes(model.arch, quant);
  // An unquantized checkpoint served in float32 holds 4 bytes per parameter (the estimate is for 2).
  const weight =
    scheme === 'bf16' && modelDtype === 'float32'
      ? { ...estimated, weightBytes: estimated.weightBytes * 2 }
      : estimated;
  const runtime = request.runtime ?? (device.isUnified ? 'docker' : 'native');
  // A GGUF file holds the text model only (the config vLLM serves is the one transformers reads from it): no tower
  // to load or to profile.
  const arch = scheme === 'gguf' ? { ...model.arch, vision: null, audio: null } : model.arch;
  // Every modality limited to 0: from 0.10.1 vLLM does not build the vision tower (multimodal/encoder-profile.ts).
  const mmLimits = request.mmLimits ?? null;
  if (mmLimits !== null && !arch.vision && !arch.audio)
    return {
      ok: false,
      message: `--limit-mm-per-prompt: ${model.name} takes text only, and vLLM refuses the flag for it ("limit_mm_per_prompt is only supported for multimodal models", vllm/config ModelConfig)`,
    };
  const towerBytes = computeSkippedTowerBytes(arch, info, mmLimits, computeDtypeBytes(modelDtype));
  if (towerBytes > 0)
    notes.push(`text only: vLLM ${info.label} does not build the vision tower (${formatGiB(towerBytes)} less weights)`);
  const ctx: PlanContext = {
    arch,
    weightBytes: weight.weightBytes - towerBytes,
    mmLimits,
    info,
    vllm: catalog.vllm,
    device: toBudgetDevice(device),
    runtime,
    knobs: request.knobs,
    defaults: request.defaults,
    modelDtypeBytes: computeDtypeBytes(modelDtype),
    // Only for the board detection identified: the records are this board's measurements, not a preset's.
    calibration:
      request.launchRecords === undefined || device.source !== 'detected'
        ? null
        : computeCalibration(request.launchRecords, device.id, info.label, catalog.vllm),
  };

  if (request.speculative !== undefined) {
    const spec = planSpeculative(request.speculative, model.arch, info, catalog.vllm);
    if (!spec.ok) return spec;
    ctx.speculative = spec.settings;
    notes.push(spec.note);
  }
  if (request.graphOptions !== undefined) {
    const graph = planGraphOptions(request.graphOptions, ctx, catalog.vllm, model.arch.maxPositionEmbeddings);
    if (!graph.ok) return graph;
    ctx.graphOptions = request.graphOptions;
    ctx.knobs = graph.knobs;
  }
  const specInput = {
    ...(ctx.speculative !== undefined ? { speculative: ctx.speculative } : {}),
    ...(ctx.graphOptions !== undefined ? { graphOptions: ctx.graphOptions } : {}),
    ...(mmLimits !== null ? { mmLimits } : {}),
  };

  const modelMax = model.arch.maxPositionEmbeddings;
  if (request.maxModelLenAuto === true) {
    if (!isAtLeast(info.version, '0.14.0'))
      return { ok: false, message: `--max-model-len auto: vLLM ${info.label} has no auto context (from 0.14.0)` };
    if (request.defaults === 'vllm') {
      // vLLM's auto (PR #29431): the longest context whose one request fits the KV memory its profile leaves,
      // at most the model's (kv_cache_utils.py estimate_max_model_len over the available memory).
      const full = evaluate(ctx, modelMax, ctx.knobs.maxNumSeqs ?? defaultMaxNumSeqs(info, device.memTotalBytes));
      const input = {
        device: ctx.device,
        arch: ctx.arch,
        weightBytes: ctx.weightBytes,
        info,
        runtime,
        settings: full.choice.settings,
        ...(ctx.modelDtypeBytes !== undefined ? { modelDtypeBytes: ctx.modelDtypeBytes } : {}),
        ...specInput,
      };
      const auto = Math.min(modelMax, estimateMaxModelLen(input, full.budget.kvCache.availableBytes));
      ctx.knobs = { ...ctx.knobs, maxModelLen: Math.max(auto, ctx.knobs.blockSize ?? 16) };
    } else {
      notes.push('--max-model-len auto: the planner chose the context (a number), sized with its other choices');
    }
  }
  const shape = chooseShape(ctx, modelMax);
  // The context as planned: the fits figures below are solved with the same rules, so they re-plan as they say.
  const planCtx: PlanContext = shape.fallbackEager ? { ...ctx, fallbackEager: true } : ctx;
  const { choice, budget } = evaluate(planCtx, shape.maxModelLen, shape.maxNumSeqs);
  const reasons = { ...choice.reasons, ...shape.reasons };
  const userGiven = new Set(Object.keys(request.knobs) as (keyof Settings)[]);

  const isGguf = scheme === 'gguf';
  const file = quant.file ?? null;
  const inDocker = runtime === 'docker';
  // What vLLM is given, and what the container must mount to see it.
  let serveModel = quant.repo;
  let mount: { host: string; container: string } | null = null;
  const baseName = (p: string): string =>
    p
      .split('/')
      .filter((x) => x !== '')
      .at(-1) ?? p;
  const dirName = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) || '/' : '.');
  if ((model.source === 'folder' || model.source === 'gguf') && model.path !== undefined) {
    serveModel = model.path;
    if (inDocker) {
      const isFile = model.source === 'gguf';
      mount = {
        host: isFile ? dirName(model.path) : model.path,
        container: isFile ? '/models' : `/models/${baseName(model.path)}`,
      };
      serveModel = isFile ? `/models/${baseName(model.path)}` : mount.container;
    }
  } else if (model.source === 'hub' && model.path !== undefined) {
    serveModel = model.path;
  } else if (isGguf && file !== null) {
    serveModel = inDocker ? `/models/${file}` : `./${file}`;
    if (inDocker) mount = { host: request.workDir, container: '/models' };
  }
  const tokenizer = isGguf ? (model.tokenizerRepo !== undefined ? model.tokenizerRepo : model.repo) : null;
  if (isGguf && tokenizer === null)
    notes.push(
      "vLLM needs the base model's tokenizer for a GGUF file: add --tokenizer <org/name> (the file does not name its base model)",
    );
  if (model.revision !== undefined && model.revision !== null)
    notes.push(`pinned revision ${model.revision}: vLLM is given --revision`);
  if (model.notes !== undefined) notes.push(...model.notes);
  const needsHalf =
    request.dtype === undefined &&
    modelDtype === 'bfloat16' &&
    Number(device.computeCapability) < 8 &&
    (scheme === 'bf16' || scheme === 'gguf');
  const flags = buildServeArgv(
    {
      model: serveModel,
      tokenizer,
      dtype: request.dtype !== undefined ? request.dtype : needsHalf ? 'half' : null,
      isDtypeGiven: request.dtype !== undefined,
      port: request.port,
      revision: model.revision ?? null,
      maxModelLenAuto: request.maxModelLenAuto === true && request.defaults === 'vllm',
      speculativeConfig:
        ctx.speculative !== undefined && ctx.speculative !== null ? formatSpeculativeConfig(ctx.speculative) : null,
      graphOptions: ctx.graphOptions ?? null,
      limitMmPerPrompt: mmLimits === null ? null : formatMmLimits(mmLimits, info),
    },
    choice.settings,
    info,
    catalog.vllm,
    device.memTotalBytes,
    reasons,
    userGiven,
  );
  const badNumber = findBadArgvNumber(flags.argv);
  if (badNumber !== null) return { ok: false, message: badNumber };

  let image: string | null = null;
  let dockerArgv: string[] | null = null;
  if (inDocker) {
    image = request.image ?? chooseImage(catalog.vllm.images, info.label, device.soc)?.image ?? null;
    if (image === null) {
      notes.push(
        `no published container image carries vLLM ${info.label} for this device: give --image, or --runtime native`,
      );
    } else {
      // Named as the launcher names it (the same port rule): the command shown is the command run.
      const name = buildServerName(model.id, readServePort(flags.argv));
      dockerArgv = buildDockerArgv(image, flags.argv, request.hfCacheDir, mount, name);
    }
  }
  if (isGguf && file !== null && (model.source === 'preset' || model.source === 'hub-gguf')) {
    notes.push(`download the GGUF first: huggingface-cli download ${quant.repo} ${file} --local-dir .`);
  }

  notes.push(...flags.notes);
  if (ctx.calibration !== null && ctx.calibration !== undefined) {
    // The same settings judged with the estimates alone: what the measurements changed.
    const estimated = computeBudget({
      device: ctx.device,
      arch: ctx.arch,
      weightBytes: ctx.weightBytes,
      info,
      runtime,
      settings: choice.settings,
      ...(ctx.modelDtypeBytes !== undefined ? { modelDtypeBytes: ctx.modelDtypeBytes } : {}),
      ...specInput,
    });
    const cal = ctx.calibration;
    const terms = [
      cal.nonTorchBytes !== null ? `non-torch ${formatGiB(cal.nonTorchBytes)}` : null,
      cal.activationBytesPerToken !== null
        ? `activation peak ${(cal.activationBytesPerToken / 1024).toFixed(1)} KiB per batched token`
        : null,
      cal.graphScale !== null ? `CUDA graphs ×${cal.graphScale.toFixed(2)} the estimate` : null,
    ].filter((t): t is string => t !== null);
    notes.push(
      `${describeMeasured(cal)} of the vLLM ${info.label} family (${cal.family}): ${terms.join(', ')} replace the estimates; ${
        estimated.verdict === budget.verdict
          ? `the verdict is the same (${budget.verdict})`
          : `the verdict changed from ${estimated.verdict} (estimates) to ${budget.verdict}`
      }, KV cache ${estimated.kvCache.gpuBlocks} → ${budget.kvCache.gpuBlocks} blocks`,
    );
  }
  notes.push(...explainBudget(budget, ctx));
  if (isHybridPrefixCaching(info, model.arch))
    notes.push(
      `vLLM ${info.label} turns prefix caching on for hybrid models (PR #50991, from 0.28.0): mamba_cache_mode "align" holds 2 state pages per request instead of 1 (kv_cache_interface.py MambaSpec.max_memory_usage_bytes)`,
    );
  if (info.isNewerThanKnown)
    notes.push(
      `vLLM ${info.label} is newer than the newest release this tool knows (${info.newestKnown}): planned with the ${info.newestKnown} family's rules`,
    );
  else if (!info.isKnownRelease)
    notes.push(
      `vLLM ${info.label} is not a release this tool lists; its rules were taken from the nearest known versions`,
    );
  if (weight.source === 'computed') notes.push(`weights are an estimate: ${weight.why}`);

  // What could fit with the other knobs as planned (the user's kept, the rest chosen the same way: by the planner,
  // or vLLM's defaults with --vllm-defaults), so re-planning with a fits figure runs.
  const fitsLen = solveMaxModelLen(planCtx, choice.settings.maxNumSeqs, modelMax);
  const fitsSeqs = solveMaxNumSeqs(planCtx, choice.settings.maxModelLen);
  if (unsupported === null && request.defaults === 'vllm' && budget.verdict !== 'fits' && budget.verdict !== 'tight') {
    const plannerCtx: PlanContext = { ...ctx, defaults: 'planner' };
    const plannerShape = chooseShape(plannerCtx, modelMax);
    const planned = evaluate(
      plannerShape.fallbackEager ? { ...plannerCtx, fallbackEager: true } : plannerCtx,
      plannerShape.maxModelLen,
      plannerShape.maxNumSeqs,
    );
    if (planned.budget.verdict === 'fits' || planned.budget.verdict === 'tight')
      notes.push(
        `with the planner choosing the knobs you left open (without --vllm-defaults) it runs: ${plannerShape.maxNumSeqs} sequence(s) of ${plannerShape.maxModelLen} tokens`,
      );
  }
  const textOnly = proposeTextOnly(ctx, choice.settings, budget.verdict, mmLimits, specInput);
  if (textOnly !== null) notes.push(textOnly);
  const params = computeParams(model.arch);
  if (request.vllmVersion === null && versionText !== chooseDefaultVllmVersion(catalog, device)) {
    const need = findSupportMinimum(catalog.vllm, model.arch, scheme, quant.method);
    const carrier = catalog.vllm.images.find((i) => i.image === image);
    // The image that has it may need a newer L4T than the board runs (upstream CUDA 13 images: JetPack 7).
    const l4t = carrier === undefined ? '' : ` (image ${carrier.image}: L4T ≥ ${carrier.l4tMin})`;
    if (need !== null)
      notes.push(
        `vLLM ${versionText}${l4t}: ${need.what} needs vLLM ≥ ${need.since}, which the device's default (${chooseDefaultVllmVersion(catalog, device)}) predates`,
      );
  }
  // Nothing fits on a release that cannot load the model: vLLM stops before the memory matters.
  const refused = unsupported !== null;

  return {
    ok: true,
    plan: {
      verdict: refused ? 'unsupported' : budget.verdict,
      refusal: refused ? { reason: 'unsupported-model', message: unsupported } : budget.refusal,
      device: {
        id: device.id,
        name: device.name,
        memTotalBytes: device.memTotalBytes,
        source: device.source,
        isUnified: device.isUnified,
        computeCapability: device.computeCapability,
      },
      model: {
        id: model.id,
        name: model.name,
        repo: model.repo,
        params: params.total,
        layers: model.arch.layers,
        kvHeads: model.arch.kvHeads,
        headDim: model.arch.headDim,
        hiddenSize: model.arch.hiddenSize,
        vocabSize: model.arch.vocabSize,
        maxPositionEmbeddings: modelMax,
        source: model.source,
      },
      quant: {
        id: quant.id,
        scheme,
        repo: quant.repo,
        file,
        weightBytes: weight.weightBytes,
        weightSource: weight.source,
      },
      vllm: {
        version: info.label,
        engine: info.engine,
        algorithm: info.algorithm,
        isKnownRelease: info.isKnownRelease,
      },
      runtime,
      image,
      settings: choice.settings,
      budget: {
        limitBytes: budget.limitBytes,
        totalBytes: budget.totalBytes,
        headroomBytes: budget.headroomBytes,
        marginBytes: budget.marginBytes,
        items: budget.items,
      },
      kvCache: budget.kvCache,
      argv: flags.argv,
      dockerArgv,
      command: buildCommandLine(dockerArgv ?? flags.argv),
      fits: {
        maxModelLen: refused ? null : fitsLen,
        maxNumSeqs: refused ? null : fitsSeqs,
        knobs: request.defaults,
      },
      notes,
    },
  };
}

/** The model's other variants that this GPU can run. */
export function findRunnableQuants(
  catalog: Catalog,
  model: ResolvedModel,
  cc: string,
  version: readonly [number, number, number],
  except: string,
): string[] {
  const preset = catalog.models.find((m) => m.id === model.id);
  if (preset === undefined) return [];
  return preset.quants
    .filter((q) => q.id !== except && checkCapability(resolveScheme(q), cc, version).ok)
    .map((q) => q.id)
    .slice(0, 3);
}

/** Plain-language lines on why the verdict is what it is. */
function explainBudget(budget: Budget, ctx: PlanContext): string[] {
  const lines: string[] = [];
  if (budget.refusal !== null) lines.push(`vLLM would refuse to start: ${budget.refusal.message}`);
  if (budget.verdict === 'oom') {
    const over = budget.totalBytes - budget.limitBytes;
    const biggest = [...budget.items]
      .filter((i) => i.key !== 'weights' && i.key !== 'os')
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 2);
    lines.push(
      `${formatGiB(budget.totalBytes)} needed, ${formatGiB(budget.limitBytes)} there: ${formatGiB(over)} over${ctx.device.isUnified ? '; the kernel OOM killer ends vLLM (exit 137, "Killed")' : '; CUDA out of memory'}. Largest items besides the weights: ${biggest.map((i) => `${i.label} ${formatGiB(i.bytes)}`).join(', ')}`,
    );
  }
  if (budget.verdict === 'tight')
    lines.push(
      `only ${formatGiB(budget.headroomBytes)} left, under the ${formatGiB(budget.marginBytes)} margin: page cache and a second process may push it over`,
    );
  if (ctx.device.isUnified && ctx.device.osSource === 'assumed')
    lines.push(
      `OS and other processes assumed at ${formatGiB(ctx.device.osUsedBytes)}; on the board the measured figure is used`,
    );
  if (ctx.device.isUnified && ctx.info.algorithm === 'v0-free-delta') {
    const memFree = ctx.device.memFreeBytes;
    // A fixed block count or KV size (planner-chosen or given) replaces the profiled delta altogether.
    const kvWhy = budget.items.find((i) => i.key === 'kvCache')?.why ?? '';
    const isKvFixed = /^\d+ blocks × \d+ B = \d+ tokens; --(num-gpu-blocks-override|kv-cache-memory-bytes)/.test(kvWhy);
    lines.push(
      memFree === undefined
        ? `vLLM ${ctx.info.label} sizes the KV cache from a free-memory delta (worker.py determine_num_available_blocks) that saturates near MemFree on a Jetson (the page cache is evicted as it grows): the KV figure above is the no-reclaim bound, since a plan for a preset cannot read the board's MemFree; vLLM usually allocates more blocks (11836 logged against ≈ 10,370 predicted in jetson-containers #795), which only makes an oversized cache worse; plan on the board (without --device) to predict them`
        : `vLLM ${ctx.info.label} sizes the KV cache from a free-memory delta (worker.py determine_num_available_blocks) that saturates near MemFree on a Jetson (the page cache is evicted as it grows): MemFree ${formatGiB(memFree)} measured on the board (/proc/meminfo)${isKvFixed ? `, but the ${budget.kvCache.gpuBlocks} blocks above are fixed by the command and do not depend on it` : `, so the KV figure above is the ${budget.kvCache.gpuBlocks} blocks vLLM will allocate; dropping the page cache first (\`sync && echo 3 | sudo tee /proc/sys/vm/drop_caches\`) changes MemFree and so the blocks`}`,
    );
  }
  if (ctx.device.isUnified && ctx.info.hasStartupFreeCheck && !ctx.info.isFreeMemAvailable)
    lines.push(
      "before v0.11.1 vLLM's start-up check reads cudaMemGetInfo free, which excludes page cache: if it refuses, run `sync && echo 3 | sudo tee /proc/sys/vm/drop_caches`",
    );
  else if (ctx.device.isUnified && budget.verdict === 'startup-check')
    lines.push(
      'memory held by a crashed run or other services counts as used at the check even from v0.11.1 (MemAvailable): `sync && echo 3 | sudo tee /proc/sys/vm/drop_caches` and stopping them frees it; or lower --gpu-memory-utilization',
    );
  if (budget.limitBytes < 4 * GiB) lines.push('under 4 GiB of memory: only the smallest models have room');
  return lines;
}

/**
 * A vision model that does not run with its encoder's profiling peak but would as text only: the note proposing
 * --limit-mm-per-prompt with every modality at 0 (null otherwise). Proposed, never emitted on its own: the server
 * would then refuse every image, which only the user can choose.
 */
function proposeTextOnly(
  ctx: PlanContext,
  settings: Settings,
  verdict: Verdict,
  mmLimits: MmLimits | null,
  specInput: Pick<BudgetInput, 'speculative' | 'graphOptions'>,
): string | null {
  if (mmLimits !== null || verdict === 'fits' || verdict === 'tight') return null;
  if (computeEncoderProfile(ctx.arch, ctx.info, settings, null) === null) return null;
  const off: MmLimits = { image: 0, video: 0 };
  const tower = computeSkippedTowerBytes(ctx.arch, ctx.info, off, ctx.modelDtypeBytes ?? 2);
  const textOnly = computeBudget({
    device: ctx.device,
    arch: ctx.arch,
    weightBytes: ctx.weightBytes - tower,
    info: ctx.info,
    runtime: ctx.runtime,
    settings,
    ...(ctx.modelDtypeBytes !== undefined ? { modelDtypeBytes: ctx.modelDtypeBytes } : {}),
    calibration: ctx.calibration ?? null,
    ...specInput,
    mmLimits: off,
  });
  if (textOnly.verdict !== 'fits' && textOnly.verdict !== 'tight') return null;
  return `text only? --limit-mm-per-prompt '${formatMmLimits(off, ctx.info)}' makes this plan run (${textOnly.verdict}): no dummy images or videos in vLLM's profile run${tower > 0 ? `, and no vision tower (${formatGiB(tower)})` : ''}; not added for you, as the server would then refuse images`;
}
