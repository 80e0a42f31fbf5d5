/**
 * The failure diagnosis catalog: for each way a vLLM start fails (as the log parser classifies it),
 * the cause in plain words and a fix — the planner's new flags for the same device, model and
 * version, or a command to run outside vLLM. Pure: data in, data out; never throws.
 * Patterns and fixes: reference/vllm-memory.md §7 and §9, jetson-platform.md §C.5 and §D.4,
 * anchors.md "Most common failure modes".
 */
import type { DefaultsMode, Knobs } from '../../plan/core/planner.js';
import { buildPlan, type Plan, type PlanRequest } from '../../plan/core/plan.js';
import type { Catalog, ContainerImage, QuantVariant } from '../../catalog/core/presets-schema.js';
import { buildCommandLine } from '../../plan/core/flags.js';
import type { LogFailureKind } from './log/state.js';
import { checkCapability, estimateWeightBytes, resolveScheme } from '../../model/core/quantization.js';
import { QUANT_SCHEMES, type QuantScheme } from '../../catalog/core/quant-schemes.js';
import { describeFlagRange, hasFlag, resolveVllmVersion } from '../../plan/core/vllm-version.js';
import { compareVersions, floorTo, formatGiB, GiB, parseVersion, type Version } from '../../shared/units.js';

/** The failures the vLLM log parser recognises. */
export type FailureKind = LogFailureKind;

/** One recognised failure: its kind, the line it was read from and the figures the line gave. */
export interface FailureInput {
  kind: FailureKind;
  line: string;
  /**
   * What the line said, as vllm-log.ts reports it (sizes in bytes: neededKvBytes, availableKvBytes,
   * freeBytes, totalBytes) or in GiB (neededGiB, availableGiB, freeGiB, totalGiB). Read when present:
   * during; maxModelLen, kvTokens, estimatedMaxModelLen; gpuMemoryUtilization; method, minCapability,
   * currentCapability; arguments, version; port; model.
   */
  figures: Record<string, number | string>;
  /** Whether the server had a Hugging Face token (HF_TOKEN set): the launcher knows, the log does not. */
  hasHfToken?: boolean;
}

/** How a failure is fixed: new flags from the planner, a command outside vLLM, or nothing automatic. */
export type FixKind = 'replan' | 'command' | 'none';

/** A catalog entry: what a failure is called, why it happens, and what fixes it. */
export interface DiagnosisEntry {
  title: string;
  /** The cause in one or two sentences a Jetson user understands. */
  cause: string;
  fixKind: FixKind;
  /** The fix in words (diagnose() makes it concrete for a plan). */
  remedy: string;
  /** Issues and pull requests where users hit it and the fix was found. */
  references: string[];
}

/** The catalog: one entry per failure kind. */
export const DIAGNOSES: Readonly<Record<FailureKind, DiagnosisEntry>> = {
  'oom-killed': {
    title: 'Killed: the board ran out of memory',
    cause:
      'The kernel killed vLLM (exit 137, "Killed"): the board ran out of RAM. On a Jetson the GPU uses the same RAM, and vLLM\'s defaults take 90 % of all of it for vLLM alone, plus 4 GiB of pinned swap (V0), with the OS and vLLM\'s own processes still to fit on top.',
    fixKind: 'replan',
    remedy:
      'Let the planner size --gpu-memory-utilization (or the KV cache) for the context you need, with --swap-space 0 and, on small boards, --enforce-eager.',
    references: [
      'https://github.com/dusty-nv/jetson-containers/issues/795',
      'https://github.com/vllm-project/vllm/issues/12346',
    ],
  },
  'cuda-oom': {
    title: 'CUDA out of memory',
    cause:
      'A CUDA allocation failed: vLLM asked for memory that was not free. The KV cache takes its share first; what comes after it — the sampler warm-up with max-num-seqs dummy requests, CUDA-graph capture — needs memory outside that share, and on a Jetson that is the RAM the OS also uses.',
    fixKind: 'replan',
    remedy:
      'Fewer --max-num-seqs for the sampler warm-up, --enforce-eager for CUDA-graph capture, a KV cache sized to the context otherwise.',
    references: [
      'https://github.com/vllm-project/vllm/issues/15598',
      'https://github.com/vllm-project/vllm/issues/18679',
    ],
  },
  'max-len': {
    title: 'Context longer than the KV cache holds',
    cause:
      "vLLM refuses to start when one request of --max-model-len tokens does not fit in the KV cache it could allocate. Without --max-model-len it takes the model's full context (often 32k–128k tokens), far more than the memory left after the weights.",
    fixKind: 'replan',
    remedy: '--max-model-len no longer than what fits (vLLM prints its own estimate).',
    references: [],
  },
  'no-cache-blocks': {
    title: 'No memory left for the KV cache',
    cause:
      "After the weights and the profile run, vLLM's share of the memory (--gpu-memory-utilization × total) had nothing left for the KV cache: the share is too small for this model, or the model too large for the device.",
    fixKind: 'replan',
    remedy: 'A share sized to the weights, the activations and the KV cache — or a smaller quantization.',
    references: ['https://github.com/dusty-nv/jetson-containers/issues/1568'],
  },
  'startup-free-memory': {
    title: 'Not enough free memory at start-up',
    cause:
      'vLLM (V1, from 0.9.1) checks at start that --gpu-memory-utilization × total memory is free. On a Jetson the OS, the desktop and the page cache hold part of the same RAM, so the default 0.9 is never free; before 0.21 the check also counts reclaimable page cache as used.',
    fixKind: 'replan',
    remedy:
      'A lower --gpu-memory-utilization (from 0.11 the KV cache is set by --kv-cache-memory-bytes, so it does not shrink), after dropping the page cache: sync && echo 3 | sudo tee /proc/sys/vm/drop_caches',
    references: [
      'https://github.com/vllm-project/vllm/issues/48140',
      'https://github.com/vllm-project/vllm/issues/27934',
    ],
  },
  'profiling-error': {
    title: 'Memory changed while vLLM measured it',
    cause:
      'vLLM measures free memory before and after a dummy forward pass and stops when it grew meanwhile (page cache released, another process ended). On a Jetson the page cache lives in the same RAM as the GPU memory, so this happens there often.',
    fixKind: 'replan',
    remedy:
      'Drop the page cache and start nothing else while vLLM starts; --enforce-eager and a lower --gpu-memory-utilization make the start shorter and calmer.',
    references: [
      'https://github.com/vllm-project/vllm/issues/13131',
      'https://github.com/vllm-project/vllm/issues/35920',
    ],
  },
  'swap-too-large': {
    title: 'Swap space larger than the RAM allows',
    cause:
      "--swap-space (pinned RAM for KV blocks swapped out of the GPU, V0; 4 GiB by default) is over 70 % of the board's RAM, so vLLM refuses. On a Jetson it is the same RAM the GPU uses: 0 is the right size.",
    fixKind: 'replan',
    remedy: '--swap-space 0',
    references: [],
  },
  'unsupported-quantization': {
    title: 'Quantization not supported on this GPU',
    cause:
      "The checkpoint's quantization needs kernels that this GPU's compute capability (or this vLLM version) does not have.",
    fixKind: 'replan',
    remedy: 'Another quantization of the same model that this GPU runs.',
    references: [],
  },
  'bf16-unsupported': {
    title: 'No bfloat16 on this GPU',
    cause:
      'The checkpoint is bfloat16 and this GPU (compute capability below 8.0: Xavier, Turing) has no bfloat16 arithmetic.',
    fixKind: 'command',
    remedy: '--dtype half: vLLM converts the weights to float16 while loading them.',
    references: [],
  },
  'unknown-argument': {
    title: 'Flag unknown to this vLLM',
    cause:
      "vLLM's argument parser rejected a flag: the vLLM that ran is not the version the command was made for (--swap-space was removed in 0.18.0, --kv-cache-memory-bytes arrived in 0.11.0).",
    fixKind: 'replan',
    remedy: 'Plan for the vLLM version the image carries; the flag is left out.',
    references: [
      'https://github.com/vllm-project/vllm/pull/36216',
      'https://github.com/unslothai/unsloth-zoo/issues/1210',
    ],
  },
  'image-driver-mismatch': {
    title: "Container image too new for the board's driver",
    cause:
      "The image is built for a newer CUDA than the board's driver runs: CUDA 13 images (cu130, NGC 25.xx, current vllm/vllm-openai) need JetPack 7; JetPack 6 (L4T r36, driver 540) runs CUDA 12 images only.",
    fixKind: 'command',
    remedy:
      'A JetPack 6 image: ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin, or the pinned dustynv/vllm:0.8.6-r36.4-cu128-24.04.',
    references: [],
  },
  'unknown-runtime': {
    title: 'Docker has no NVIDIA runtime',
    cause:
      'docker was asked for --runtime nvidia and does not know it: the NVIDIA Container Toolkit is not installed, or not registered with docker (common after a minimal flash).',
    fixKind: 'command',
    remedy:
      'sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker (install nvidia-container-toolkit first if nvidia-ctk is missing).',
    references: [
      'https://github.com/NVIDIA/nvidia-container-toolkit/issues/231',
      'https://github.com/Seeed-Projects/jetson-examples/issues/1',
    ],
  },
  'port-in-use': {
    title: 'Port already in use',
    cause: 'Another process — often a vLLM still running from an earlier start — listens on the port vLLM wanted.',
    fixKind: 'command',
    remedy: 'Stop that process, or start vLLM with --port <free port>.',
    references: [],
  },
  'model-not-found': {
    title: 'Model not found',
    cause:
      'vLLM could not find the model: the Hugging Face id is misspelt or does not exist, or the local folder or GGUF file is not where the command points (inside a container only the mounted folders exist).',
    fixKind: 'command',
    remedy: 'Check the id, or download the file, and start again.',
    references: [],
  },
  'gated-model': {
    title: 'Gated model: licence and token needed',
    cause:
      "The model's repository is gated: Hugging Face serves it only with a token (HF_TOKEN) of an account that accepted its licence.",
    fixKind: 'command',
    remedy:
      "Accept the licence on the model's page, create a read token, and start with HF_TOKEN set (the command passes it to the container by name).",
    references: [],
  },
  'engine-failed': {
    title: 'vLLM engine failed to start',
    cause:
      "vLLM's engine process ended during start-up. This line only reports it: the cause is printed above it, or nowhere when the kernel killed the process.",
    fixKind: 'none',
    remedy: "Read the lines above it; `sudo dmesg | grep -i 'killed process'` shows whether the OOM killer ended it.",
    references: [],
  },
};

/** What fixes a failure: a new plan (and the flags that changed), a command, or advice only. */
export type Fix =
  | {
      kind: 'replan';
      /** The knobs of the fixed request (what the user set, minus what caused the failure). */
      knobs: Knobs;
      defaults: DefaultsMode;
      /** "--flag value" for each flag added or changed, "without --flag" for each one dropped. */
      changedFlags: string[];
      plan: Plan;
      explanation: string;
    }
  | { kind: 'command'; command: string; explanation: string }
  | { kind: 'none'; explanation: string };

/** A failure explained for one plan: its title, its cause here, and the fix. */
export interface Diagnosis {
  kind: FailureKind;
  title: string;
  cause: string;
  fix: Fix;
}

/** The advice for memory the page cache holds on a Jetson (reference anchors.md, failure modes 2–4). */
const DROP_CACHES = 'sync && echo 3 | sudo tee /proc/sys/vm/drop_caches';
const UNKNOWN_RUNTIME_COMMAND = 'sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker';
/** Free memory kept back when a utilization is derived from vLLM's own free-memory figure. */
const FREE_SAFETY_GIB = 0.25;

const KNOB_FLAGS: Record<keyof Knobs, string> = {
  maxModelLen: '--max-model-len',
  maxNumSeqs: '--max-num-seqs',
  maxNumBatchedTokens: '--max-num-batched-tokens',
  gpuMemoryUtilization: '--gpu-memory-utilization',
  swapSpaceGiB: '--swap-space',
  kvCacheDtype: '--kv-cache-dtype',
  kvCacheMemoryBytes: '--kv-cache-memory-bytes',
  enforceEager: '--enforce-eager',
  blockSize: '--block-size',
  numGpuBlocksOverride: '--num-gpu-blocks-override',
};

/** The failure explained for the plan that ran: its title, its cause here and a fix (never throws). */
export function diagnose(failure: FailureInput, request: PlanRequest, plan: Plan, catalog: Catalog): Diagnosis {
  // A failed engine whose process was SIGKILLed (-9) was ended by the OOM killer (§7).
  if (failure.kind === 'engine-failed' && /:\s*-9\b|SIGKILL/.test(failure.line)) {
    return diagnose({ ...failure, kind: 'oom-killed' }, request, plan, catalog);
  }
  const entry = DIAGNOSES[failure.kind];
  const ctx: Ctx = { failure, request, plan, catalog };
  const { detail, fix } = diagnoseKind(ctx);
  return {
    kind: failure.kind,
    title: entry.title,
    cause: detail === '' ? entry.cause : `${entry.cause} ${detail}`,
    fix,
  };
}

interface Ctx {
  failure: FailureInput;
  request: PlanRequest;
  plan: Plan;
  catalog: Catalog;
}

interface Outcome {
  /** What this plan adds to the catalog's cause ("" when nothing). */
  detail: string;
  fix: Fix;
}

function diagnoseKind(ctx: Ctx): Outcome {
  const { failure } = ctx;
  switch (failure.kind) {
    case 'oom-killed':
      return { detail: describeBudget(ctx.plan), fix: fixOutOfMemory(ctx, true) };
    case 'cuda-oom':
      return diagnoseCudaOom(ctx);
    case 'max-len':
      return diagnoseMaxLen(ctx);
    case 'no-cache-blocks':
      return {
        detail: `Here ${ctx.plan.settings.gpuMemoryUtilization} × ${formatGiB(ctx.plan.device.memTotalBytes)} against ${formatGiB(ctx.plan.quant.weightBytes)} of weights.`,
        fix: fixOutOfMemory(ctx, false),
      };
    case 'startup-free-memory':
      return diagnoseStartupFree(ctx);
    case 'profiling-error':
      return diagnoseProfiling(ctx);
    case 'swap-too-large':
      return diagnoseSwap(ctx);
    case 'unsupported-quantization':
      return diagnoseQuantization(ctx);
    case 'bf16-unsupported':
      return diagnoseBf16(ctx);
    case 'unknown-argument':
      return diagnoseUnknownArgument(ctx);
    case 'image-driver-mismatch':
      return diagnoseImage(ctx);
    case 'unknown-runtime':
      return {
        detail: '',
        fix: {
          kind: 'command',
          command: UNKNOWN_RUNTIME_COMMAND,
          explanation:
            'registers the NVIDIA runtime in /etc/docker/daemon.json and restarts docker; then start again. If nvidia-ctk is missing, install the toolkit first: sudo apt-get install -y nvidia-container-toolkit',
        },
      };
    case 'port-in-use':
      return diagnosePort(ctx);
    case 'model-not-found':
      return diagnoseModelNotFound(ctx);
    case 'gated-model':
      return diagnoseGated(ctx);
    case 'engine-failed':
      return {
        detail: '',
        fix: {
          kind: 'none',
          explanation:
            "the error that stopped the engine is in the lines above this one. If there is none, run `sudo dmesg | grep -i 'killed process'`: a vLLM process there means the OOM killer ended it, and the fix is the one for a kill (a plan that fits).",
        },
      };
    default: {
      const unreachable: never = failure.kind;
      return { detail: '', fix: { kind: 'none', explanation: `unknown failure ${String(unreachable)}` } };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Memory failures: re-plan with the user's knobs minus the culprits, lighter rungs, then quants.

type KnobKey = keyof Knobs;

/** A copy of the knobs without the given keys. */
function omitKnobs(knobs: Knobs, keys: readonly KnobKey[]): Knobs {
  const out: Knobs = { ...knobs };
  for (const k of keys) delete out[k];
  return out;
}

const isRunnable = (p: Plan): boolean => p.verdict === 'fits' || p.verdict === 'tight';

function tryPlan(request: PlanRequest, catalog: Catalog, patch: Partial<PlanRequest>): Plan | null {
  const outcome = buildPlan({ ...request, ...patch }, catalog);
  return outcome.ok ? outcome.plan : null;
}

/**
 * The user's knobs minus those that made this run heavier than the planner would: the listed
 * culprits always, --max-num-seqs and --max-num-batched-tokens when the planner picks fewer, and
 * --enforce-eager false when the planner turns CUDA graphs off.
 */
function dropCulprits(ctx: Ctx, culprits: readonly KnobKey[]): Knobs {
  const { request, catalog } = ctx;
  let knobs = omitKnobs(request.knobs, culprits);
  const weighable: KnobKey[] = ['maxNumSeqs', 'maxNumBatchedTokens', 'enforceEager'];
  const given = weighable.filter((k) => knobs[k] !== undefined);
  if (given.length === 0) return knobs;
  const probe = tryPlan(request, catalog, { knobs: omitKnobs(knobs, given), defaults: 'planner' });
  if (probe === null) return knobs;
  const lighter: KnobKey[] = [];
  if (knobs.maxNumSeqs !== undefined && probe.settings.maxNumSeqs < knobs.maxNumSeqs) lighter.push('maxNumSeqs');
  if (knobs.maxNumBatchedTokens !== undefined && probe.settings.maxNumBatchedTokens < knobs.maxNumBatchedTokens)
    lighter.push('maxNumBatchedTokens');
  if (knobs.enforceEager === false && probe.settings.enforceEager) lighter.push('enforceEager');
  knobs = omitKnobs(knobs, lighter);
  return knobs;
}

/** The next rungs when a re-plan still does not run: fewer sequences and no graphs, then a shorter context. */
function buildRungs(first: Knobs, canShorten: boolean): Knobs[] {
  const lighter: Knobs = { ...omitKnobs(first, ['maxNumSeqs', 'maxNumBatchedTokens']), enforceEager: true };
  const rungs = [first, lighter];
  if (canShorten) rungs.push(omitKnobs(lighter, ['maxModelLen']));
  return dedupe(rungs);
}

/** The model's other preset quantizations the GPU runs, smaller than the current one, largest first. */
function findSmallerQuants(ctx: Ctx): QuantVariant[] {
  const { request, catalog } = ctx;
  if (request.model.source !== 'preset') return [];
  const preset = catalog.models.find((m) => m.id === request.model.id);
  const version = planVersion(ctx);
  if (preset === undefined || version === null) return [];
  const current = estimateWeightBytes(request.model.arch, request.quant).weightBytes;
  return preset.quants
    .filter((q) => q.id !== request.quant.id)
    .filter((q) => checkCapability(resolveScheme(q), request.device.computeCapability, version).ok)
    .map((q) => ({ q, bytes: estimateWeightBytes(request.model.arch, q).weightBytes }))
    .filter((x) => x.bytes < current)
    .sort((a, b) => b.bytes - a.bytes)
    .map((x) => x.q);
}

function planVersion(ctx: Ctx): Version | null {
  return resolveVllmVersion(ctx.plan.vllm.version, ctx.catalog.vllm)?.version ?? null;
}

/** Bytes vLLM itself takes in a plan: everything but the OS and other processes. */
function computeVllmBytes(plan: Plan): number {
  return plan.budget.items.filter((i) => i.key !== 'os').reduce((sum, i) => sum + i.bytes, 0);
}

interface SolveOptions {
  /** A condition the fixed plan must meet besides running (e.g. fewer sequences). */
  accept?: (p: Plan) => boolean;
  /** The fix must take less memory than the failing plan (a kill or an OOM). */
  mustShrink?: boolean;
}

/**
 * Re-plans through the rungs in planner mode and takes the first plan that runs and differs from the
 * one that failed. When the failing plan was the planner's own (it predicted a fit), the next rungs
 * halve the sequences, then the context. Then it tries smaller quantizations. The fix is a runnable
 * plan, or "none" with what the nearest attempt needed.
 */
function solveMemory(ctx: Ctx, rungs: Knobs[], advice: string[], options: SolveOptions = {}): Fix {
  const { request, catalog, plan } = ctx;
  const failingBytes = computeVllmBytes(plan);
  const ok = (p: Plan): boolean =>
    isRunnable(p) &&
    listChangedFlags(plan.argv, p.argv).length > 0 &&
    (options.mustShrink !== true || computeVllmBytes(p) < failingBytes) &&
    (options.accept === undefined || options.accept(p));
  const seen: { nearest: Plan | null } = { nearest: null };
  const attempt = (knobs: Knobs, quant?: QuantVariant): Plan | null => {
    const patch: Partial<PlanRequest> = quant === undefined ? {} : { quant };
    const fixed = tryPlan(request, catalog, { ...patch, knobs, defaults: 'planner' });
    if (fixed === null) return null;
    if (ok(fixed)) return fixed;
    if (!isRunnable(fixed)) seen.nearest ??= fixed;
    return null;
  };
  for (const knobs of rungs) {
    const fixed = attempt(knobs);
    if (fixed !== null) return makeReplan(ctx, knobs, fixed, advice);
  }
  for (const { knobs, why } of buildSmallerRungs(ctx, rungs[0] ?? request.knobs)) {
    const fixed = attempt(knobs);
    if (fixed !== null) return makeReplan(ctx, knobs, fixed, [why, ...advice]);
  }
  const failed = seen.nearest;
  const stillNeeds =
    failed === null ? '' : ` (${formatGiB(failed.budget.totalBytes)} needed of ${formatGiB(failed.budget.limitBytes)})`;
  const what = `${plan.model.name} ${plan.quant.id}`;
  for (const quant of findSmallerQuants(ctx)) {
    for (const knobs of rungs) {
      const fixed = attempt(knobs, quant);
      if (fixed !== null) {
        return makeReplan(ctx, knobs, fixed, [
          `no setting makes ${what} fit on ${plan.device.name}${stillNeeds}; the smaller --quant ${quant.id} does`,
          ...advice,
        ]);
      }
    }
  }
  return {
    kind: 'none',
    explanation: [
      `no setting makes ${what} fit on ${plan.device.name}${stillNeeds}, and no smaller quantization of it in the catalog does: choose a smaller model`,
      ...advice,
    ].join('; '),
  };
}

/**
 * Rungs below the planner's own choice, for when its prediction was what failed (anchors.md, the
 * safe-launch ladder): on a Jetson half the sequences, then half the context too; on a discrete GPU,
 * where the KV cache fills vLLM's share, a share 0.05 smaller.
 */
function buildSmallerRungs(ctx: Ctx, first: Knobs): { knobs: Knobs; why: string }[] {
  const s = ctx.plan.settings;
  if (!ctx.plan.device.isUnified) {
    const util = Math.round((s.gpuMemoryUtilization - 0.05) * 100) / 100;
    if (util < 0.05) return [];
    return [
      {
        knobs: { ...first, gpuMemoryUtilization: util },
        why: `the GPU had less memory free than this plan counted on: a share 0.05 smaller (${util})`,
      },
    ];
  }
  const why =
    'the board had less memory free than this plan counted on (a desktop or another process?): a smaller KV cache';
  const seqs = Math.max(1, Math.floor(s.maxNumSeqs / 2));
  const len = Math.max(s.blockSize, floorTo(Math.floor(s.maxModelLen / 2), s.blockSize));
  const eager: Knobs = { ...first, enforceEager: true };
  return dedupe([
    { ...eager, maxNumSeqs: seqs },
    { ...eager, maxNumSeqs: seqs, maxModelLen: len },
    { ...eager, maxNumSeqs: 1, maxModelLen: len },
  ]).map((knobs) => ({ knobs, why }));
}

/** "M" → "m" unless the word is an acronym ("KV cache" stays). */
function lowerFirst(text: string): string {
  const second = text.charAt(1);
  return second !== '' && second === second.toLowerCase() ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

function makeReplan(ctx: Ctx, knobs: Knobs, fixed: Plan, advice: string[]): Fix {
  const userKnobs = ctx.request.knobs;
  const show = (k: KnobKey, v: Knobs[KnobKey]): string =>
    k === 'enforceEager' ? (v === true ? '--enforce-eager' : '--no-enforce-eager') : `${KNOB_FLAGS[k]} ${String(v)}`;
  const userKeys = Object.keys(userKnobs) as KnobKey[];
  const fixKeys = Object.keys(knobs) as KnobKey[];
  const dropped = userKeys.filter((k) => knobs[k] === undefined).map((k) => show(k, userKnobs[k]));
  const changed = userKeys
    .filter((k) => knobs[k] !== undefined && knobs[k] !== userKnobs[k])
    .map((k) => `${show(k, userKnobs[k])} → ${String(knobs[k])}`);
  const added = fixKeys.filter((k) => userKnobs[k] === undefined).map((k) => show(k, knobs[k]));
  const kept = userKeys.filter((k) => knobs[k] === userKnobs[k]).map((k) => show(k, userKnobs[k]));
  const parts: string[] = [];
  if (dropped.length > 0) parts.push(`left to the planner what caused it (${dropped.join(', ')})`);
  if (changed.length > 0) parts.push(`changed ${changed.join(', ')}`);
  if (added.length > 0) parts.push(`set ${added.join(', ')}`);
  if (kept.length > 0) parts.push(`kept what you set (${kept.join(', ')})`);
  const verdict = fixed.verdict === 'fits' ? 'fits' : 'is tight';
  parts.push(
    `the planner chose ${userKeys.length + added.length > 0 ? 'the rest' : 'every setting'}: the new plan ${verdict}, ${formatGiB(fixed.budget.totalBytes)} of ${formatGiB(fixed.budget.limitBytes)} with ${formatGiB(fixed.budget.headroomBytes)} to spare`,
  );
  return {
    kind: 'replan',
    knobs,
    defaults: 'planner',
    changedFlags: listChangedFlags(ctx.plan.argv, fixed.argv),
    plan: fixed,
    explanation: [...advice, ...parts].join('; '),
  };
}

/** The knobs that make a memory failure of this kind: always left to the planner. */
const MEMORY_CULPRITS: readonly KnobKey[] = [
  'gpuMemoryUtilization',
  'swapSpaceGiB',
  'kvCacheMemoryBytes',
  'numGpuBlocksOverride',
];

function fixOutOfMemory(ctx: Ctx, mustShrink: boolean): Fix {
  const base = dropCulprits(ctx, MEMORY_CULPRITS);
  return solveMemory(ctx, buildRungs(base, true), [], { mustShrink });
}

/** The biggest items of the plan that was killed, as one sentence. */
function describeBudget(plan: Plan): string {
  const items = plan.budget.items
    .filter((i) => i.key !== 'os' && i.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 3)
    .map((i) => `${lowerFirst(i.label)} ${formatGiB(i.bytes)}`);
  if (plan.budget.totalBytes <= plan.budget.limitBytes)
    return `This plan predicted ${formatGiB(plan.budget.totalBytes)} of ${formatGiB(plan.budget.limitBytes)} (${items.join(', ')}); what else ran on the board took the rest.`;
  return `Here ${formatGiB(plan.budget.totalBytes)} was needed of ${formatGiB(plan.budget.limitBytes)}: ${items.join(', ')}.`;
}

type Phase = 'sampler' | 'graphs' | 'loading' | 'profiling' | 'other';

/** The start-up phase of a CUDA OOM: the parser's `during` figure when it names one, else the line. */
function readPhase(failure: FailureInput): Phase {
  const fromText = (text: string): Phase => {
    if (/sampler/i.test(text)) return 'sampler';
    if (/graph|captur/i.test(text)) return 'graphs';
    if (/load|weight/i.test(text)) return 'loading';
    if (/profil|dummy|warm/i.test(text)) return 'profiling';
    return 'other';
  };
  const during = fromText(readString(failure.figures, 'during') ?? '');
  return during !== 'other' ? during : fromText(failure.line);
}

function diagnoseCudaOom(ctx: Ctx): Outcome {
  const { plan, request } = ctx;
  const phase = readPhase(ctx.failure);
  switch (phase) {
    case 'sampler': {
      // The V1 sampler warm-up holds fp32 logits for max_num_seqs rows after the KV cache took its share.
      const failingSeqs = plan.settings.maxNumSeqs;
      let base = omitKnobs(request.knobs, [...MEMORY_CULPRITS, 'maxNumSeqs']);
      const probe = tryPlan(request, ctx.catalog, { knobs: base, defaults: 'planner' });
      if (probe === null || probe.settings.maxNumSeqs >= failingSeqs)
        base = { ...base, maxNumSeqs: Math.max(1, Math.floor(failingSeqs / 2)) };
      return {
        detail: `It failed warming up the sampler for ${failingSeqs} dummy requests (--max-num-seqs).`,
        fix: solveMemory(ctx, buildRungs(base, true), [], {
          accept: (p) => p.settings.maxNumSeqs < failingSeqs || failingSeqs === 1,
        }),
      };
    }
    case 'graphs': {
      const base: Knobs = { ...omitKnobs(request.knobs, ['gpuMemoryUtilization']), enforceEager: true };
      return {
        detail: 'It failed capturing CUDA graphs, whose memory comes on top of the KV cache.',
        fix: solveMemory(ctx, buildRungs(base, true), [], { accept: (p) => p.settings.enforceEager }),
      };
    }
    case 'loading':
      return {
        detail: `It failed loading ${formatGiB(plan.quant.weightBytes)} of weights.`,
        fix: fixOutOfMemory(ctx, true),
      };
    case 'profiling':
      return { detail: 'It failed in the profile run.', fix: fixOutOfMemory(ctx, true) };
    case 'other':
      return { detail: '', fix: fixOutOfMemory(ctx, true) };
    default: {
      const unreachable: never = phase;
      return { detail: '', fix: { kind: 'none', explanation: `unknown phase ${String(unreachable)}` } };
    }
  }
}

function diagnoseMaxLen(ctx: Ctx): Outcome {
  const { plan, request, failure } = ctx;
  const f = failure.figures;
  const requested = Math.min(plan.settings.maxModelLen, readNumber(f, 'maxModelLen') ?? Infinity);
  let estimated =
    readNumber(f, 'estimatedMaxModelLen') ?? readNumber(f, 'estimatedMaxLen') ?? readNumber(f, 'kvTokens');
  const needed = readGiB(f, 'neededKvBytes', 'neededGiB');
  const available = readGiB(f, 'availableKvBytes', 'availableGiB');
  if (estimated === null && needed !== null && available !== null && needed > 0)
    estimated = Math.floor((requested * Math.max(0, available)) / needed);
  const block = plan.settings.blockSize;
  const cap = floorTo(Math.min(requested, plan.fits.maxModelLen ?? Infinity, estimated ?? Infinity), block);
  const asked = readNumber(f, 'maxModelLen') ?? plan.settings.maxModelLen;
  const detail =
    estimated !== null
      ? `Here ${asked} tokens were asked for; about ${estimated} fit in the KV cache vLLM could allocate.`
      : `Here ${asked} tokens were asked for.`;
  if (cap < block) return { detail, fix: fixOutOfMemory(ctx, true) };
  const base: Knobs = { ...omitKnobs(request.knobs, ['numGpuBlocksOverride']), maxModelLen: cap };
  return {
    detail,
    fix: solveMemory(ctx, buildRungs(base, false), [
      `${cap} tokens: the longest context that fits, never more than you asked`,
    ]),
  };
}

function diagnoseStartupFree(ctx: Ctx): Outcome {
  const { plan, request, failure } = ctx;
  const f = failure.figures;
  const failingUtil =
    readNumber(f, 'gpuMemoryUtilization') ?? readNumber(f, 'utilization') ?? plan.settings.gpuMemoryUtilization;
  const freeGiB = readGiB(f, 'freeBytes', 'freeGiB');
  const totalGiB = readGiB(f, 'totalBytes', 'totalGiB') ?? plan.device.memTotalBytes / GiB;
  // vLLM wants util × total free; derive the highest utilization the measured free memory allows.
  const ceiling =
    freeGiB !== null && totalGiB > 0
      ? Math.floor(((freeGiB - FREE_SAFETY_GIB) / totalGiB) * 100 + 1e-9) / 100
      : Math.round((failingUtil - 0.05) * 100) / 100;
  const limit = Math.min(ceiling, Math.round((failingUtil - 0.01) * 100) / 100);
  const base = dropCulprits(ctx, ['gpuMemoryUtilization']);
  const probe = tryPlan(request, ctx.catalog, { knobs: base, defaults: 'planner' });
  const first =
    probe !== null && probe.settings.gpuMemoryUtilization <= limit
      ? base
      : { ...base, gpuMemoryUtilization: Math.max(0.05, limit) };
  const rungs = [...buildRungs(first, true), ...buildRungs(base, true)];
  const advice = plan.device.isUnified
    ? [`free the page cache first (${DROP_CACHES}) and close what else uses memory`]
    : ['close the other processes that use the GPU'];
  const detail =
    freeGiB !== null
      ? `Here ${freeGiB.toFixed(2)} of ${totalGiB.toFixed(2)} GiB were free and vLLM wanted ${failingUtil} × ${totalGiB.toFixed(2)} = ${(failingUtil * totalGiB).toFixed(2)} GiB.`
      : '';
  return {
    detail,
    fix: solveMemory(ctx, dedupe(rungs), advice, { accept: (p) => p.settings.gpuMemoryUtilization < failingUtil }),
  };
}

function diagnoseProfiling(ctx: Ctx): Outcome {
  const { plan, request } = ctx;
  const failingUtil = plan.settings.gpuMemoryUtilization;
  const base: Knobs = { ...dropCulprits(ctx, ['gpuMemoryUtilization']), enforceEager: true };
  const probe = tryPlan(request, ctx.catalog, { knobs: base, defaults: 'planner' });
  const first =
    probe === null || probe.settings.gpuMemoryUtilization < failingUtil
      ? base
      : { ...base, gpuMemoryUtilization: Math.max(0.05, Math.round((failingUtil - 0.05) * 100) / 100) };
  const advice = [
    `before starting, free the page cache (${DROP_CACHES}) and start no other model or container until vLLM is up`,
  ];
  return {
    detail: '',
    fix: solveMemory(ctx, dedupe([...buildRungs(first, true), ...buildRungs(base, true)]), advice, {
      accept: (p) => p.settings.enforceEager,
    }),
  };
}

function diagnoseSwap(ctx: Ctx): Outcome {
  const { plan, request, catalog } = ctx;
  const version = planVersion(ctx);
  const hasSwap = version !== null && hasFlag(catalog.vllm, version, '--swap-space');
  const base: Knobs = hasSwap
    ? { ...omitKnobs(request.knobs, ['swapSpaceGiB']), swapSpaceGiB: 0 }
    : omitKnobs(request.knobs, ['swapSpaceGiB']);
  const swap = plan.settings.swapSpaceGiB;
  return {
    detail: swap === null ? '' : `Here --swap-space ${swap} of ${formatGiB(plan.device.memTotalBytes)}.`,
    fix: solveMemory(ctx, buildRungs(base, true), [], { accept: (p) => (p.settings.swapSpaceGiB ?? 0) === 0 }),
  };
}

// ---------------------------------------------------------------------------------------------
// Capability failures.

const ALL_SCHEMES: readonly QuantScheme[] = QUANT_SCHEMES;

function diagnoseQuantization(ctx: Ctx): Outcome {
  const { plan, request, catalog, failure } = ctx;
  const method = readString(failure.figures, 'method') ?? plan.quant.scheme;
  const minimum = readNumber(failure.figures, 'minCapability') ?? readNumber(failure.figures, 'minimum');
  const current = readNumber(failure.figures, 'currentCapability') ?? readNumber(failure.figures, 'current');
  const detail =
    minimum !== null && current !== null
      ? `Here ${method} needs compute capability ${formatCapability(minimum)}; this GPU is ${formatCapability(current)}.`
      : '';
  const version = planVersion(ctx);
  if (version === null) return { detail, fix: { kind: 'none', explanation: 'the vLLM version is not readable' } };
  const cc = request.device.computeCapability;
  const failedScheme = resolveScheme(request.quant);
  const isSame = (q: QuantVariant): boolean =>
    resolveScheme(q) === failedScheme || (q.method ?? '') === method || q.id === method;
  const preset = request.model.source === 'preset' ? catalog.models.find((m) => m.id === request.model.id) : undefined;
  const candidates = (preset?.quants ?? [])
    .filter((q) => q.id !== request.quant.id && !isSame(q) && checkCapability(resolveScheme(q), cc, version).ok)
    .map((q) => ({ q, bytes: estimateWeightBytes(request.model.arch, q).weightBytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .map((x) => x.q);
  for (const quant of candidates) {
    for (const defaults of dedupeDefaults([request.defaults, 'planner'])) {
      const fixed = tryPlan(request, catalog, { quant, defaults });
      if (fixed !== null && isRunnable(fixed)) {
        return {
          detail,
          fix: {
            kind: 'replan',
            knobs: request.knobs,
            defaults,
            changedFlags: listChangedFlags(plan.argv, fixed.argv),
            plan: fixed,
            explanation: `--quant ${quant.id} (${resolveScheme(quant)}) runs on compute capability ${cc} and fits: ${formatGiB(fixed.budget.totalBytes)} of ${formatGiB(fixed.budget.limitBytes)}`,
          },
        };
      }
    }
  }
  const runnable = ALL_SCHEMES.filter((s) => s !== failedScheme && checkCapability(s, cc, version).ok);
  return {
    detail,
    fix: {
      kind: 'none',
      explanation: `no other quantization of ${plan.model.name} in the catalog runs and fits here; use a checkpoint in a format compute capability ${cc} runs: ${runnable.join(', ')}`,
    },
  };
}

/** Formats vLLM's capability number (87) as "8.7". */
function formatCapability(n: number): string {
  return `${Math.floor(n / 10)}.${n % 10}`;
}

function dedupeDefaults(list: DefaultsMode[]): DefaultsMode[] {
  return list.filter((d, i) => list.indexOf(d) === i);
}

function diagnoseBf16(ctx: Ctx): Outcome {
  const { plan } = ctx;
  const argv = withFlag(plan.dockerArgv ?? plan.argv, '--dtype', 'half');
  return {
    detail: `This GPU is compute capability ${plan.device.computeCapability}.`,
    fix: {
      kind: 'command',
      command: buildCommandLine(argv),
      explanation:
        'the same command with --dtype half: vLLM computes in float16, which this GPU has (the bfloat16 weights are converted while loading)',
    },
  };
}

/** The argv with `flag value` set: replaced where present, appended otherwise (serve flags end the argv). */
function withFlag(argv: string[], flag: string, value: string): string[] {
  const i = argv.indexOf(flag);
  if (i >= 0 && i + 1 < argv.length) return [...argv.slice(0, i + 1), value, ...argv.slice(i + 2)];
  return [...argv, flag, value];
}

// ---------------------------------------------------------------------------------------------
// Version and environment failures.

function diagnoseUnknownArgument(ctx: Ctx): Outcome {
  const { plan, request, catalog, failure } = ctx;
  const flag = readArgument(failure);
  if (flag === null)
    return {
      detail: '',
      fix: {
        kind: 'none',
        explanation: 'the rejected flag is not in the line; plan for the vLLM version the image carries',
      },
    };
  const planned = planVersion(ctx);
  const given = readString(failure.figures, 'version') ?? readString(failure.figures, 'vllmVersion');
  const running = given !== null ? resolveVllmVersion(given, catalog.vllm) : null;
  let target: string | null = running?.label ?? null;
  let guessed = false;
  if (target === null && planned !== null) {
    if (!hasFlag(catalog.vllm, planned, flag)) target = plan.vllm.version;
    else {
      target = guessVersionWithout(catalog, flag);
      guessed = true;
    }
  }
  const range = describeFlagRange(catalog.vllm, flag);
  const detail = `Here ${flag}, which ${range}.`;
  if (target === null) {
    return {
      detail,
      fix: {
        kind: 'none',
        explanation: `${flag} ${range}; plan again with --vllm-version set to the version the image carries (vllm --version inside it)`,
      },
    };
  }
  const knobKey = (Object.keys(KNOB_FLAGS) as KnobKey[]).find((k) => KNOB_FLAGS[k] === flag);
  const knobs = knobKey === undefined ? request.knobs : omitKnobs(request.knobs, [knobKey]);
  const fixed = tryPlan(request, catalog, {
    knobs,
    vllmVersion: target,
    image: request.image ?? plan.image,
  });
  if (fixed === null || fixed.argv.includes(flag)) {
    return {
      detail,
      fix: {
        kind: 'none',
        explanation: `${flag} ${range}; plan again with --vllm-version set to the version the image carries`,
      },
    };
  }
  if (listChangedFlags(plan.argv, fixed.argv).length === 0) {
    return {
      detail,
      fix: {
        kind: 'none',
        explanation: `this plan never passes ${flag}: the command that ran was not this plan's; start the plan's own command`,
      },
    };
  }
  const why = guessed
    ? `vLLM ${plan.vllm.version} has ${flag}, so the image carries another vLLM (its tag moves); planned for ${target}, the newest known version without it — give --vllm-version if the image's version is known`
    : `vLLM ${target} has no ${flag} (it ${range}): the plan for ${target} leaves it out`;
  return {
    detail,
    fix: {
      kind: 'replan',
      knobs,
      defaults: request.defaults,
      changedFlags: listChangedFlags(plan.argv, fixed.argv),
      plan: fixed,
      explanation: `${why}; the new plan ${fixed.verdict === 'fits' || fixed.verdict === 'tight' ? fixed.verdict : `is ${fixed.verdict}`}`,
    },
  };
}

/** The flag argparse rejected: the first --flag of the `arguments` figure, else of the line. */
function readArgument(failure: FailureInput): string | null {
  const fig = readString(failure.figures, 'arguments') ?? readString(failure.figures, 'argument');
  const fromFig = fig === null ? null : (/--[\w-]+/.exec(fig)?.[0] ?? null);
  if (fromFig !== null) return fromFig;
  const m = /unrecognized arguments?:?\s*(--[\w-]+)/i.exec(failure.line) ?? /(--[\w-]+)/.exec(failure.line);
  return m?.[1] ?? null;
}

/**
 * The newest known release that lacks the flag: past its removal when it was removed, else before
 * it arrived (the plan's version has it, so the running one is on the other side of its range).
 */
function guessVersionWithout(catalog: Catalog, flag: string): string | null {
  const entry = catalog.vllm.flags.find((f) => f.name === flag);
  if (entry === undefined) return null;
  const releases = catalog.vllm.releases
    .map((r) => ({ label: r.version, v: parseVersion(r.version) }))
    .filter((r): r is { label: string; v: Version } => r.v !== null)
    .filter((r) => !hasFlag(catalog.vllm, r.v, flag))
    .sort((a, b) => compareVersions(a.v, b.v));
  return releases.at(-1)?.label ?? null;
}

function diagnoseImage(ctx: Ctx): Outcome {
  const { plan, request, catalog } = ctx;
  const soc = request.device.soc;
  const failing = plan.image ?? request.image;
  if (!request.device.isUnified || soc === undefined) {
    return {
      detail: '',
      fix: {
        kind: 'none',
        explanation: `${failing ?? 'the image'} needs a newer NVIDIA driver than this machine has: update the driver, or use an image built for an older CUDA`,
      },
    };
  }
  const failingCuda = catalog.vllm.images.find((i) => i.image === failing)?.cuda;
  const failingMajor = failingCuda === undefined ? 13 : (parseVersion(failingCuda)?.[0] ?? 13);
  const cudaMajor = (i: ContainerImage): number => parseVersion(i.cuda)?.[0] ?? 0;
  const candidates = catalog.vllm.images
    .filter((i) => i.image !== failing && i.socs.includes(soc) && cudaMajor(i) < failingMajor)
    .sort(
      (a, b) =>
        Number(b.isPreferred) - Number(a.isPreferred) ||
        compareVersions(parseVersion(b.vllmVersion) ?? [0, 0, 0], parseVersion(a.vllmVersion) ?? [0, 0, 0]),
    );
  const chosen = candidates[0];
  if (chosen === undefined) {
    return {
      detail: '',
      fix: {
        kind: 'none',
        explanation: `no image in the catalog runs on this board's driver for ${soc}; upgrade JetPack or build one with jetson-containers`,
      },
    };
  }
  const pinned = candidates.find((i) => !i.isPreferred && i !== chosen);
  const fixed = tryPlan(request, catalog, { vllmVersion: chosen.vllmVersion, image: chosen.image });
  const also = pinned === undefined ? '' : `; a pinned alternative is ${pinned.image} (vLLM ${pinned.vllmVersion})`;
  if (fixed === null || fixed.dockerArgv === null) {
    return {
      detail: '',
      fix: {
        kind: 'command',
        command: `docker pull ${chosen.image}`,
        explanation: `${chosen.image} carries vLLM ${chosen.vllmVersion} on CUDA ${chosen.cuda}, which this driver runs; plan again with --vllm-version ${chosen.vllmVersion} --image ${chosen.image}${also}`,
      },
    };
  }
  return {
    detail: '',
    fix: {
      kind: 'command',
      command: fixed.command,
      explanation: `the plan for ${chosen.image} (vLLM ${chosen.vllmVersion} on CUDA ${chosen.cuda}, which this driver runs)${also}`,
    },
  };
}

function diagnosePort(ctx: Ctx): Outcome {
  const { plan, request, failure } = ctx;
  // "error while attempting to bind on address ('0.0.0.0', 8000): address already in use"
  const m = /\(\s*'[^']*',\s*(\d+)\s*\)|\bport\s+(\d+)|:(\d{2,5})\b/i.exec(failure.line);
  const fromLine = m?.[1] ?? m?.[2] ?? m?.[3];
  const isPort = (n: number | null): n is number => n !== null && Number.isInteger(n) && n >= 1 && n <= 65535;
  const candidates = [
    readNumber(failure.figures, 'port'),
    request.port,
    fromLine === undefined ? null : Number(fromLine),
  ];
  const port = candidates.find(isPort) ?? 8000;
  const next = port >= 65535 ? 8001 : port + 1;
  const argv = withFlag(plan.dockerArgv ?? plan.argv, '--port', String(next));
  return {
    detail: `Here port ${port}.`,
    fix: {
      kind: 'command',
      command: buildCommandLine(argv),
      explanation: `serves on port ${next} instead; or find what holds ${port} (sudo ss -ltnp 'sport = :${port}') and stop it — often a vLLM container still running (docker ps)`,
    },
  };
}

function diagnoseModelNotFound(ctx: Ctx): Outcome {
  const { plan, request } = ctx;
  const model = request.model;
  if ((model.source === 'folder' || model.source === 'gguf') && model.path !== undefined) {
    return {
      detail: `Here ${model.path}.`,
      fix: {
        kind: 'command',
        command: `ls -l ${buildCommandLine([model.path])}`,
        explanation:
          'shows whether the model is at that path on this machine; the container sees it only through the mount',
      },
    };
  }
  if (plan.quant.file !== null && (model.source === 'preset' || model.source === 'hub-gguf')) {
    const command = buildCommandLine([
      'huggingface-cli',
      'download',
      plan.quant.repo,
      plan.quant.file,
      '--local-dir',
      request.workDir,
    ]);
    return {
      detail: `Here the GGUF file ${plan.quant.file}.`,
      fix: {
        kind: 'command',
        command,
        explanation: `downloads ${plan.quant.file} to ${request.workDir}, the folder the container mounts at /models; then start again`,
      },
    };
  }
  const repo = model.path ?? plan.quant.repo;
  return {
    detail: `Here ${repo}.`,
    fix: {
      kind: 'command',
      command: `curl -s -o /dev/null -w '%{http_code}\\n' https://huggingface.co/api/models/${repo}`,
      explanation: `checks the id on Hugging Face: 200 it exists (check the revision and the network), 401 it is private or gated (set HF_TOKEN), 404 there is no such repository — check the spelling (jetson-vllm models lists the presets)`,
    },
  };
}

function diagnoseGated(ctx: Ctx): Outcome {
  const { plan, failure } = ctx;
  const repo =
    /Access to model ([\w.-]+\/[\w.-]+)/.exec(failure.line)?.[1] ??
    /huggingface\.co\/([\w.-]+\/[\w.-]+?)(?:\/resolve|\/|\s|$)/.exec(failure.line)?.[1] ??
    readString(failure.figures, 'model') ??
    plan.quant.repo;
  const command = `read -rsp 'Hugging Face token: ' HF_TOKEN && export HF_TOKEN && ${plan.command}`;
  if (failure.hasHfToken === true) {
    return {
      detail: `Here ${repo}, and a token was set: its account has not accepted the licence yet (or is still waiting for approval), or the token cannot read this repository.`,
      fix: {
        kind: 'command',
        command,
        explanation: `accept the licence at https://huggingface.co/${repo} with the account the token belongs to (some repositories approve by hand); a fine-grained token needs "read access to contents of all public gated repos". The command asks for a token without echoing it and passes it to vLLM by name`,
      },
    };
  }
  return {
    detail: `Here ${repo}, and vLLM had no token (HF_TOKEN was not set).`,
    fix: {
      kind: 'command',
      command,
      explanation: `first accept the licence at https://huggingface.co/${repo} (signed in), and create a read token at https://huggingface.co/settings/tokens; the command asks for it without echoing it and passes it to vLLM by name`,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/** The flags that differ between two serve argvs: "--flag value", "without --flag", "vllm serve <model>". */
export function listChangedFlags(before: string[], after: string[]): string[] {
  const a = readServeArgv(before);
  const b = readServeArgv(after);
  const changes: string[] = [];
  if (a.target !== b.target && b.target !== null) changes.push(`vllm serve ${b.target}`);
  for (const [flag, value] of b.flags) {
    if (!a.flags.has(flag) || a.flags.get(flag) !== value) changes.push(value === null ? flag : `${flag} ${value}`);
  }
  for (const flag of a.flags.keys()) if (!b.flags.has(flag)) changes.push(`without ${flag}`);
  return changes;
}

function readServeArgv(argv: string[]): { target: string | null; flags: Map<string, string | null> } {
  const serve = argv.findIndex((t, i) => t === 'serve' && argv[i - 1] === 'vllm');
  const start = serve >= 0 ? serve + 1 : 0;
  const first = argv[start];
  const target = first !== undefined && !first.startsWith('--') ? first : null;
  const flags = new Map<string, string | null>();
  for (let i = target === null ? start : start + 1; i < argv.length; i++) {
    const token = argv[i];
    if (token === undefined || !token.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      flags.set(token, next);
      i++;
    } else flags.set(token, null);
  }
  return { target, flags };
}

function dedupe(rungs: Knobs[]): Knobs[] {
  const seen = rungs.map((r) => JSON.stringify(r));
  return rungs.filter((_, i) => seen.indexOf(seen[i] ?? '') === i);
}

function readNumber(figures: Record<string, number | string>, key: string): number | null {
  const v = figures[key];
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.replace(/,/g, ''));
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** A size figure in GiB, from its bytes key or its GiB key. */
function readGiB(figures: Record<string, number | string>, bytesKey: string, gibKey: string): number | null {
  const bytes = readNumber(figures, bytesKey);
  return bytes !== null ? bytes / GiB : readNumber(figures, gibKey);
}

function readString(figures: Record<string, number | string>, key: string): string | null {
  const v = figures[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return null;
}
