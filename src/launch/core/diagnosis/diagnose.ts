/**
 * The diagnosis of a failed vLLM start for the plan that ran: the catalog's title and cause, what this plan adds
 * to the cause, and a fix — for memory failures a re-plan down the ladder of replan.ts, for the others the
 * diagnosers of diagnose-setup.ts. Pure: data in, data out; never throws.
 * Patterns and fixes: reference/vllm-memory.md §7 and §9, jetson-platform.md §C.5 and §D.4,
 * anchors.md "Most common failure modes".
 */
import type { Knobs } from '../../../plan/core/planner.js';
import type { Plan, PlanRequest } from '../../../plan/core/plan.js';
import type { Catalog } from '../../../catalog/core/presets-schema.js';
import { hasFlag } from '../../../plan/core/vllm-version.js';
import { floorTo, formatGiB, GiB } from '../../../shared/units.js';
import { DIAGNOSES } from './catalog.js';
import {
  diagnoseBf16,
  diagnoseGated,
  diagnoseImage,
  diagnoseModelNotFound,
  diagnosePort,
  diagnoseQuantization,
  diagnoseUnknownArgument,
} from './diagnose-setup.js';
import { DROP_CACHES, diagnoseKill } from './kill.js';
import { readGiB, readNumber, readString } from './read-figures.js';
import {
  MEMORY_CULPRITS,
  buildRungs,
  dedupe,
  dropCulprits,
  fixOutOfMemory,
  omitKnobs,
  planVersion,
  solveMemory,
  tryPlan,
} from './replan.js';
import type { Diagnosis, DiagnosisContext, DiagnosisOutcome, FailureInput } from './types.js';

/** The cause of a watchdog stop: memory ran out while vLLM started. */
const WATCHDOG_CAUSE =
  'The watchdog stopped vLLM before the kernel killed it: the board was running out of RAM, which on a Jetson the GPU shares with the OS and every process.';
const UNKNOWN_RUNTIME_COMMAND = 'sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker';
/** Free memory kept back when a utilization is derived from vLLM's own free-memory figure. */
const FREE_SAFETY_GIB = 0.25;

/** The failure explained for the plan that ran: its title, its cause here and a fix (never throws). */
export function diagnose(failure: FailureInput, request: PlanRequest, plan: Plan, catalog: Catalog): Diagnosis {
  // A failed engine whose process was SIGKILLed (-9) was ended by the OOM killer (§7).
  if (failure.kind === 'engine-failed' && /:\s*-9\b|SIGKILL/.test(failure.line)) {
    return diagnose({ ...failure, kind: 'oom-killed' }, request, plan, catalog);
  }
  const entry = DIAGNOSES[failure.kind];
  const ctx: DiagnosisContext = { failure, request, plan, catalog };
  const { detail, fix } = diagnoseKind(ctx);
  // The watchdog stopped vLLM before the kernel could: said as such, not as the kernel's kill; a kill says
  // only what its evidence shows (a signal, an exit code, or the kernel's own report).
  const base =
    failure.kind !== 'oom-killed'
      ? entry.cause
      : failure.line.startsWith('watchdog:')
        ? WATCHDOG_CAUSE
        : describeKill(failure, entry.cause);
  return {
    kind: failure.kind,
    title: entry.title,
    cause: detail === '' ? base : `${base} ${detail}`,
    fix,
  };
}

/**
 * What the evidence of a kill shows, in one sentence: the kernel's report names the process it killed; an
 * engine's `-9`, a SIGKILL or an exit code 137 (128 + 9) show only that something sent SIGKILL.
 */
function describeKill(failure: FailureInput, usually: string): string {
  const pid = failure.figures['pid'];
  const process = failure.figures['process'];
  const named = typeof process === 'string' ? ` (${process})` : '';
  if (/Out of memory: Killed process/.test(failure.line)) {
    return `The kernel's OOM killer killed process ${typeof pid === 'number' ? String(pid) : '?'}${named}: the board ran out of RAM, which on a Jetson the GPU shares with the OS and every process.`;
  }
  const isSigkill = failure.figures['signal'] === 'SIGKILL';
  const shown = /Failed core proc/.test(failure.line)
    ? `vLLM's engine process${named} was killed (signal 9, SIGKILL).`
    : failure.figures['exitCode'] === 137
      ? 'vLLM ended with exit code 137 (128 + 9: killed by SIGKILL).'
      : isSigkill && /^\s*Killed\b/.test(failure.line)
        ? 'The log says "Killed" (a SIGKILL).'
        : isSigkill
          ? 'vLLM was killed by SIGKILL.'
          : 'vLLM was killed.';
  return `${shown} ${usually}`;
}

function diagnoseKind(ctx: DiagnosisContext): DiagnosisOutcome {
  const { failure } = ctx;
  switch (failure.kind) {
    case 'oom-killed':
      return diagnoseKill(ctx, describeBudget);
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

/** "M" → "m" unless the word is an acronym ("KV cache" stays). */
function lowerFirst(text: string): string {
  const second = text.charAt(1);
  return second !== '' && second === second.toLowerCase() ? text.charAt(0).toLowerCase() + text.slice(1) : text;
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

function diagnoseCudaOom(ctx: DiagnosisContext): DiagnosisOutcome {
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

function diagnoseMaxLen(ctx: DiagnosisContext): DiagnosisOutcome {
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
  // Under vLLM's defaults (256 sequences) the plan that ran fits a short context only; the fix is planner-made,
  // so the longest context is the planner's (still never more than the log says fit).
  const probe =
    request.defaults === 'vllm'
      ? tryPlan(request, ctx.catalog, { knobs: omitKnobs(request.knobs, ['maxModelLen']), defaults: 'planner' })
      : null;
  const fitsLen = Math.max(plan.fits.maxModelLen ?? 0, probe?.fits.maxModelLen ?? 0);
  const cap = floorTo(Math.min(requested, fitsLen > 0 ? fitsLen : Infinity, estimated ?? Infinity), block);
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

function diagnoseStartupFree(ctx: DiagnosisContext): DiagnosisOutcome {
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

function diagnoseProfiling(ctx: DiagnosisContext): DiagnosisOutcome {
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

function diagnoseSwap(ctx: DiagnosisContext): DiagnosisOutcome {
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
