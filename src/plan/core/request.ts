/**
 * Turns command-line option strings into a plan request, checking every value against the catalog.
 * Bad input becomes one line naming the value and what is accepted. Pure.
 */
import type { Knobs, DefaultsMode } from './planner.js';
import { toResolvedModel, type PlanRequest, type ResolvedModel } from './plan.js';
import { toResolvedDevice, type ResolvedDevice } from '../../device/core/resolved-device.js';
import type { Catalog, Device, QuantVariant } from '../../catalog/core/presets-schema.js';
import { findReleaseMemTotal, parseReleaseRef } from '../../catalog/core/release-memory.js';
import type { ModelDescription } from '../../model/core/model-source.js';
import { GiB, parseByteSize, parseDecimal } from '../../shared/units.js';
import { DTYPE_CHOICES, isDtypeChoice } from './dtype.js';
import { parseSpeculativeConfig, type SpeculativeRequest } from './speculative.js';
import { parseGraphOptions } from './graph-terms.js';
import { parseMmLimits, type MmLimits } from './multimodal/encoder-profile.js';

/** The planning options as the command line gives them (strings, unparsed). */
export interface PlanOptions {
  device?: string;
  deviceMemory?: string;
  /** --jetpack: the JetPack (6.2) or L4T (r36.4.3) release a preset device runs, for its MemTotal. */
  jetpack?: string;
  model?: string;
  quant?: string;
  vllmVersion?: string;
  maxModelLen?: string;
  maxNumSeqs?: string;
  maxNumBatchedTokens?: string;
  gpuMemoryUtilization?: string;
  swapSpace?: string;
  kvCacheDtype?: string;
  kvCacheMemoryBytes?: string;
  /** --dtype: auto, half, float16, bfloat16, float, float32. */
  dtype?: string;
  /** --speculative-config: vLLM's JSON (method "mtp" or "ngram" are planned). */
  speculativeConfig?: string;
  /** --limit-mm-per-prompt: items per prompt per modality, JSON or image=0,video=0 (0: text only). */
  limitMmPerPrompt?: string;
  /** --optimization-level 0–3 (-O0: no CUDA graphs). */
  optimizationLevel?: string;
  /** --max-cudagraph-capture-size: the largest captured batch. */
  maxCudagraphCaptureSize?: string;
  /** --cudagraph-capture-sizes: the captured batch sizes (1,2,4,8). */
  cudagraphCaptureSizes?: string;
  /** --performance-mode balanced|interactivity|throughput. */
  performanceMode?: string;
  enforceEager?: boolean;
  noEnforceEager?: boolean;
  blockSize?: string;
  numGpuBlocksOverride?: string;
  runtime?: string;
  image?: string;
  port?: string;
  vllmDefaults?: boolean;
  /** A GGUF file inside the Hugging Face repository named by --model. */
  gguf?: string;
  /** The tokenizer repository for a GGUF file. */
  tokenizer?: string;
}

export interface RequestEnv {
  /** The device detected on this machine, if any. */
  detected: ResolvedDevice | null;
  /** A model read from its own metadata (folder, .gguf, Hugging Face id); null for a preset id. */
  described: ModelDescription | null;
  hfCacheDir: string;
  /** The current folder (where a GGUF file is downloaded to). */
  workDir: string;
}

export type RequestOutcome = { ok: true; request: PlanRequest } | { ok: false; message: string };

const KV_DTYPES = ['auto', 'fp8', 'fp8_e4m3', 'fp8_e5m2', 'nvfp4'];
const BLOCK_SIZES = [8, 16, 32, 64, 128];
/** --device-memory in GiB: from a 512 MiB board to far past any Jetson or GPU (4 TiB). */
const DEVICE_MEMORY_GIB = { min: 0.5, max: 4096 } as const;
/** --kv-cache-memory-bytes: at most 4 TiB, the most --device-memory allows. */
const KV_CACHE_MAX_BYTES = 4096 * GiB;

/** Parses a whole number, accepting vLLM's "32k" form; null when invalid. */
export function parseCount(text: string): number | null {
  const match = /^(\d+)([kK])?$/.exec(text.trim());
  if (match === null) return null;
  const value = Number(match[1]) * (match[2] !== undefined ? 1024 : 1);
  return Number.isSafeInteger(value) ? value : null;
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}

/** The known ids closest to a mistyped one. */
export function suggestIds(wrong: string, ids: string[], count = 3): string[] {
  return [...ids]
    .map((id) => ({ id, d: id.includes(wrong) || wrong.includes(id) ? 0 : distance(wrong, id) }))
    .sort((a, b) => a.d - b.d || a.id.localeCompare(b.id))
    .slice(0, count)
    .map((x) => x.id);
}

/** --runtime and --port, checked. */
export function parseLaunchTarget(
  options: Pick<PlanOptions, 'runtime' | 'port'>,
): { ok: true; runtime: PlanRequest['runtime']; port: number | null } | { ok: false; message: string } {
  let runtime: PlanRequest['runtime'] = null;
  if (options.runtime !== undefined) {
    if (options.runtime !== 'docker' && options.runtime !== 'native') {
      return { ok: false, message: `--runtime: "${options.runtime}" is not one of docker, native` };
    }
    runtime = options.runtime;
  }
  let port: number | null = null;
  if (options.port !== undefined) {
    const p = parseCount(options.port);
    if (p === null || p < 1 || p > 65535)
      return { ok: false, message: `--port: "${options.port}" is not a port from 1 to 65535` };
    port = p;
  }
  return { ok: true, runtime, port };
}

/** Resolves options into a plan request, or one line of what is wrong. */
export function resolvePlanRequest(options: PlanOptions, catalog: Catalog, env: RequestEnv): RequestOutcome {
  // Device
  let device: ResolvedDevice;
  let devicePreset: Device | null = null;
  if (options.device !== undefined) {
    const preset = catalog.devices.find((d) => d.id === options.device);
    if (preset === undefined) {
      return {
        ok: false,
        message: `--device: "${options.device}" is not a device id; did you mean ${suggestIds(
          options.device,
          catalog.devices.map((d) => d.id),
        ).join(', ')}? (jetson-vllm devices lists all)`,
      };
    }
    device = toResolvedDevice(preset, 'preset');
    devicePreset = preset;
  } else if (env.detected !== null) {
    device = env.detected;
  } else {
    return {
      ok: false,
      message: `--device is needed: no device was detected here; give one of ${catalog.devices
        .filter((d) => d.vllm.isSupported)
        .map((d) => d.id)
        .join(', ')} (jetson-vllm devices lists all)`,
    };
  }
  const deviceNotes: string[] = [];
  if (options.jetpack !== undefined) {
    const release = applyJetpackRelease(device, devicePreset, options.jetpack);
    if (!release.ok) return release;
    device = release.device;
    deviceNotes.push(release.note);
  }
  if (options.deviceMemory !== undefined) {
    const gib = parseDecimal(options.deviceMemory);
    if (gib === null || gib < DEVICE_MEMORY_GIB.min || gib > DEVICE_MEMORY_GIB.max) {
      return {
        ok: false,
        message: `--device-memory: "${options.deviceMemory}" is not a size in GiB from ${DEVICE_MEMORY_GIB.min} to ${DEVICE_MEMORY_GIB.max} (e.g. 15.3)`,
      };
    }
    // Another total is a what-if: the MemFree read on this board does not belong to it.
    const { memFreeBytes: _measuredFree, ...rest } = device;
    device = { ...rest, memTotalBytes: Math.round(gib * GiB), source: 'override' };
  }

  // Model and quantization
  if (options.model === undefined) {
    return {
      ok: false,
      message: `--model is needed: a preset id (e.g. ${catalog.models
        .slice(0, 3)
        .map((m) => m.id)
        .join(', ')}; jetson-vllm models lists all) or a local model folder`,
    };
  }
  let model: ResolvedModel;
  let quant: QuantVariant;
  if (env.described !== null) {
    const d = env.described;
    model = toResolvedModel(d);
    quant = d.quant;
    if (options.quant !== undefined && options.quant !== quant.id) {
      return {
        ok: false,
        message: `--quant: "${options.quant}" does not match ${d.id}'s own quantization (${quant.id}); leave --quant out for a model read from its files`,
      };
    }
  } else {
    const preset = catalog.models.find((m) => m.id === options.model);
    if (preset === undefined) {
      return {
        ok: false,
        message: `--model: "${options.model}" is not a model id or a folder; did you mean ${suggestIds(
          options.model,
          catalog.models.map((m) => m.id),
        ).join(', ')}? (jetson-vllm models lists all)`,
      };
    }
    model = { id: preset.id, name: preset.name, repo: preset.repo, arch: preset.arch, source: 'preset' };
    const quantId = options.quant ?? preset.quants[0]?.id;
    const found = preset.quants.find((q) => q.id === quantId);
    if (found === undefined) {
      return {
        ok: false,
        message: `--quant: "${options.quant ?? ''}" is not a quantization of ${preset.id}; it has ${preset.quants.map((q) => q.id).join(', ')}`,
      };
    }
    quant = found;
  }

  const parsedKnobs = parseKnobs(options);
  if (!parsedKnobs.ok) return parsedKnobs;
  const knobs = parsedKnobs.knobs;

  const target = parseLaunchTarget(options);
  if (!target.ok) return target;
  const { runtime, port } = target;
  const defaults: DefaultsMode = options.vllmDefaults === true ? 'vllm' : 'planner';
  if (options.dtype !== undefined && !isDtypeChoice(options.dtype))
    return { ok: false, message: `--dtype: "${options.dtype}" is not one of ${DTYPE_CHOICES.join(', ')}` };
  let speculative: SpeculativeRequest | null = null;
  if (options.speculativeConfig !== undefined) {
    const parsed = parseSpeculativeConfig(options.speculativeConfig);
    if (!parsed.ok) return parsed;
    speculative = parsed.value;
  }
  const graph = parseGraphOptions(options);
  if (!graph.ok) return graph;
  let mmLimits: MmLimits | null = null;
  if (options.limitMmPerPrompt !== undefined) {
    const parsed = parseMmLimits(options.limitMmPerPrompt);
    if (!parsed.ok) return parsed;
    mmLimits = parsed.value;
  }
  return {
    ok: true,
    request: {
      device,
      model,
      quant,
      vllmVersion: options.vllmVersion ?? null,
      knobs,
      defaults,
      ...(isAutoMaxModelLen(options.maxModelLen) ? { maxModelLenAuto: true } : {}),
      ...(options.dtype !== undefined && isDtypeChoice(options.dtype) ? { dtype: options.dtype } : {}),
      runtime,
      image: options.image ?? null,
      port,
      hfCacheDir: env.hfCacheDir,
      workDir: env.workDir,
      ...(deviceNotes.length > 0 ? { deviceNotes } : {}),
      ...(speculative !== null ? { speculative } : {}),
      ...(graph.value !== null ? { graphOptions: graph.value } : {}),
      ...(mmLimits !== null ? { mmLimits } : {}),
    },
  };
}

/**
 * --jetpack on a preset Jetson: its MemTotal becomes the one that release reports (catalog memTotalByRelease), with a
 * note naming the figure's source, or the preset's figure with a note when none is recorded. A detected board keeps
 * its measured MemTotal; a discrete GPU has no JetPack.
 */
export function applyJetpackRelease(
  device: ResolvedDevice,
  preset: Device | null,
  text: string,
): { ok: true; device: ResolvedDevice; note: string } | { ok: false; message: string } {
  const ref = parseReleaseRef(text);
  if (ref === null)
    return {
      ok: false,
      message: `--jetpack: "${text}" is not a JetPack release (e.g. 6.2, 7.2) or an L4T one (r36.4.3)`,
    };
  const mib = (bytes: number): string => `${Math.round(bytes / 1048576)} MiB`;
  const named = ref.kind === 'jetpack' ? `JetPack ${ref.version}` : `L4T r${ref.version}`;
  if (preset === null) {
    return {
      ok: true,
      device,
      note: `--jetpack ${text}: this board's MemTotal is measured (${mib(device.memTotalBytes)}); the release's figure is not needed`,
    };
  }
  if (preset.kind !== 'jetson') return { ok: false, message: `--jetpack: ${preset.id} is not a Jetson` };
  const entry = findReleaseMemTotal(preset, ref);
  if (entry === null) {
    const known = preset.memTotalByRelease.map((e) => e.jetpack).join(', ');
    return {
      ok: true,
      device,
      note: `no MemTotal is recorded for ${preset.name} on ${named}: the preset's ${mib(preset.memTotalBytes)} is used${known === '' ? '' : ` (recorded: JetPack ${known})`}; run on the board to measure it`,
    };
  }
  return {
    ok: true,
    device: { ...device, memTotalBytes: entry.memTotalBytes },
    note: `MemTotal ${mib(entry.memTotalBytes)} as JetPack ${entry.jetpack} (L4T r${entry.l4t}) reports it on ${preset.name} (${entry.source})`,
  };
}

/** True when --max-model-len asks vLLM to fit the context to the KV memory (`auto` or `-1`). */
export function isAutoMaxModelLen(text: string | undefined): boolean {
  return text !== undefined && (text.trim().toLowerCase() === 'auto' || text.trim() === '-1');
}

/** Parses vLLM's knobs from their option strings; one line naming the bad value when one is wrong. */
export function parseKnobs(options: PlanOptions): { ok: true; knobs: Knobs } | { ok: false; message: string } {
  const knobs: Knobs = {};
  // --max-model-len auto / -1 (vLLM ≥ 0.14, PR #29431) is a request-level choice, resolved by buildPlan.
  if (isAutoMaxModelLen(options.maxModelLen)) options = { ...options, maxModelLen: undefined };
  const counts: [keyof PlanOptions, keyof Knobs, string, number, number][] = [
    ['maxModelLen', 'maxModelLen', '--max-model-len', 16, 10_000_000],
    ['maxNumSeqs', 'maxNumSeqs', '--max-num-seqs', 1, 65536],
    ['maxNumBatchedTokens', 'maxNumBatchedTokens', '--max-num-batched-tokens', 1, 10_000_000],
    ['numGpuBlocksOverride', 'numGpuBlocksOverride', '--num-gpu-blocks-override', 1, 100_000_000],
  ];
  for (const [opt, key, flag, min, max] of counts) {
    const raw = options[opt];
    if (typeof raw !== 'string') continue;
    const value = parseCount(raw);
    if (value === null || value < min || value > max) {
      return { ok: false, message: `${flag}: "${raw}" is not a whole number from ${min} to ${max} (e.g. 4096 or 4k)` };
    }
    (knobs as Record<string, number>)[key] = value;
  }
  if (options.gpuMemoryUtilization !== undefined) {
    // vLLM's own range, (0, 1] (CacheConfig: "GPU memory utilization must be less than 1.0" is about > 1).
    // A value the user gives is taken as given up to 1; only the planner's own choice stops at 0.99.
    const u = parseDecimal(options.gpuMemoryUtilization);
    if (u === null || u <= 0 || u > 1) {
      return {
        ok: false,
        message: `--gpu-memory-utilization: "${options.gpuMemoryUtilization}" is not a fraction between 0 and 1 (more than 0, at most 1; e.g. 0.5)`,
      };
    }
    knobs.gpuMemoryUtilization = u;
  }
  if (options.swapSpace !== undefined) {
    const g = parseDecimal(options.swapSpace);
    if (g === null || g < 0 || g > 1024) {
      return {
        ok: false,
        message: `--swap-space: "${options.swapSpace}" is not a size in GiB from 0 to 1024 (e.g. 0)`,
      };
    }
    knobs.swapSpaceGiB = g;
  }
  if (options.kvCacheDtype !== undefined) {
    if (!KV_DTYPES.includes(options.kvCacheDtype)) {
      return {
        ok: false,
        message: `--kv-cache-dtype: "${options.kvCacheDtype}" is not one of ${KV_DTYPES.join(', ')}`,
      };
    }
    knobs.kvCacheDtype = options.kvCacheDtype;
  }
  if (options.kvCacheMemoryBytes !== undefined) {
    const b = parseByteSize(options.kvCacheMemoryBytes);
    if (b === null || b <= 0 || b > KV_CACHE_MAX_BYTES) {
      return {
        ok: false,
        message: `--kv-cache-memory-bytes: "${options.kvCacheMemoryBytes}" is not a byte size from 1 to 4T (e.g. 2G = 2 GiB, 512M, or 2147483648)`,
      };
    }
    knobs.kvCacheMemoryBytes = b;
  }
  if (options.blockSize !== undefined) {
    const b = parseCount(options.blockSize);
    if (b === null || !BLOCK_SIZES.includes(b)) {
      return { ok: false, message: `--block-size: "${options.blockSize}" is not one of ${BLOCK_SIZES.join(', ')}` };
    }
    knobs.blockSize = b;
  }
  if (options.enforceEager === true && options.noEnforceEager === true) {
    return { ok: false, message: '--enforce-eager and --no-enforce-eager: give one of them' };
  }
  if (options.enforceEager === true) knobs.enforceEager = true;
  if (options.noEnforceEager === true) knobs.enforceEager = false;

  return { ok: true, knobs };
}
