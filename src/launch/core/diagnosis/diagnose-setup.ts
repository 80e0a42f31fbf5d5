/**
 * Diagnosers of the failures that are not about memory: capability (a quantization or bfloat16 this GPU lacks),
 * version (a flag this vLLM does not know) and environment (image, port, model, gated repository). Each returns
 * what the plan adds to the catalog's cause and a fix: a re-plan, a command, or advice.
 * Patterns and fixes: reference/vllm-memory.md §7, jetson-platform.md §C.5 and §D.4.
 */
import type { DefaultsMode } from '../../../plan/core/planner.js';
import type { Catalog, ContainerImage, QuantVariant } from '../../../catalog/core/presets-schema.js';
import { buildCommandLine, buildServerName } from '../../../plan/core/flags.js';
import { checkCapability, estimateWeightBytes, resolveScheme } from '../../../model/core/quantization.js';
import { QUANT_SCHEMES, type QuantScheme } from '../../../catalog/core/quant-schemes.js';
import { describeFlagRange, hasFlag, resolveVllmVersion } from '../../../plan/core/vllm-version.js';
import { compareVersions, formatGiB, parseVersion, type Version } from '../../../shared/units.js';
import { readNumber, readString } from './read-figures.js';
import { KNOB_FLAGS, isRunnable, listChangedFlags, omitKnobs, planVersion, tryPlan, type KnobKey } from './replan.js';
import type { DiagnosisContext, DiagnosisOutcome, FailureInput } from './types.js';

// ---------------------------------------------------------------------------------------------
// Capability failures.

const ALL_SCHEMES: readonly QuantScheme[] = QUANT_SCHEMES;

/** Returns the diagnosis of an unsupported quantization: another quantization of the model that runs here. */
export function diagnoseQuantization(ctx: DiagnosisContext): DiagnosisOutcome {
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

/** Returns the diagnosis of bfloat16 on a GPU without it: the same command with --dtype half. */
export function diagnoseBf16(ctx: DiagnosisContext): DiagnosisOutcome {
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

/** Returns the diagnosis of a flag this vLLM rejects: the plan for the version the image carries. */
export function diagnoseUnknownArgument(ctx: DiagnosisContext): DiagnosisOutcome {
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

/** Returns the diagnosis of an image too new for the driver: the plan for an image this board runs. */
export function diagnoseImage(ctx: DiagnosisContext): DiagnosisOutcome {
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

/** Returns the diagnosis of a port in use: the same command on the next port. */
export function diagnosePort(ctx: DiagnosisContext): DiagnosisOutcome {
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
  const onNext = withFlag(plan.dockerArgv ?? plan.argv, '--port', String(next));
  // The container's name carries the port: the command on the next port names its own container.
  const argv = plan.dockerArgv !== null ? withFlag(onNext, '--name', buildServerName(plan.model.id, next)) : onNext;
  return {
    detail: `Here port ${port}.`,
    fix: {
      kind: 'command',
      command: buildCommandLine(argv),
      explanation: `serves on port ${next} instead; or find what holds ${port} (sudo ss -ltnp 'sport = :${port}') and stop it — often a vLLM container still running (docker ps)`,
    },
  };
}

/** Returns the diagnosis of a missing model: the command that checks or downloads it. */
export function diagnoseModelNotFound(ctx: DiagnosisContext): DiagnosisOutcome {
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

/** Returns the diagnosis of a gated model: what to accept and the command that asks for a token. */
export function diagnoseGated(ctx: DiagnosisContext): DiagnosisOutcome {
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
