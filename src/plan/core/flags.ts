/**
 * The flag builder: turns effective settings into the `vllm serve` argv for the targeted version —
 * never a flag that version lacks — and the docker command around it. Pure.
 */
import type { Settings } from './budget.js';
import type { ContainerImage, VllmData } from '../../catalog/core/presets-schema.js';
import { defaultMaxNumBatchedTokens, defaultMaxNumSeqs, hasFlag, type VllmVersionInfo } from './vllm-version.js';
import { buildGraphOptionArgs, buildNoGraphOptions, computeModeDefaults, type GraphOptions } from './graph-terms.js';

export interface ServeTarget {
  /** What `vllm serve` is given: a Hugging Face id, a folder, or a .gguf path. */
  model: string;
  /** --tokenizer, for GGUF files (vLLM needs the base model's tokenizer). */
  tokenizer: string | null;
  /** --dtype: as the user gave it, or half where the checkpoint is bf16 and the GPU has no bf16 (cc < 8.0). */
  dtype: string | null;
  /** True when --dtype came from the user. */
  isDtypeGiven?: boolean;
  /** `--max-model-len auto` is passed as such (vLLM ≥ 0.14 fits it to the KV memory). */
  maxModelLenAuto?: boolean;
  port: number | null;
  /** --revision (a pinned Hugging Face revision). */
  revision: string | null;
  /** --speculative-config as planned (speculative.ts formatSpeculativeConfig); absent or null: none. */
  speculativeConfig?: string | null;
  /** -O level, capture sizes, --performance-mode as given (graph-terms.ts); absent or null: none. */
  graphOptions?: GraphOptions | null;
  /** --limit-mm-per-prompt in the version's form (multimodal/encoder-profile.ts formatMmLimits); absent or null: none. */
  limitMmPerPrompt?: string | null;
}

export interface BuiltFlags {
  argv: string[];
  /** One line per emitted non-default flag: "--flag value: reason". */
  notes: string[];
}

/**
 * Builds `vllm serve …`. A setting is emitted when it differs from vLLM's default for the version
 * or was given by the user; its reason (from the planner or "you set it") goes into notes.
 */
export function buildServeArgv(
  target: ServeTarget,
  settings: Settings,
  info: VllmVersionInfo,
  data: VllmData,
  memTotalBytes: number,
  reasons: Partial<Record<keyof Settings, string>>,
  userGiven: ReadonlySet<keyof Settings>,
): BuiltFlags {
  const argv = ['vllm', 'serve', target.model];
  const notes: string[] = [];
  const emit = (flag: string, value: string | null, key: keyof Settings | null, fallbackReason: string): void => {
    if (!hasFlag(data, info.version, flag)) {
      notes.push(`${flag} left out: vLLM ${info.label} does not have it`);
      return;
    }
    argv.push(flag);
    if (value !== null) argv.push(value);
    const reason =
      key !== null && userGiven.has(key)
        ? 'as you set it'
        : key !== null
          ? (reasons[key] ?? fallbackReason)
          : fallbackReason;
    notes.push(`${flag}${value === null ? '' : ` ${value}`}: ${reason}`);
  };
  const s = settings;
  if (target.tokenizer !== null)
    emit(
      '--tokenizer',
      target.tokenizer,
      null,
      "GGUF files need the base model's tokenizer (converting the embedded one is slow)",
    );
  if (target.revision !== null) emit('--revision', target.revision, null, 'the Hugging Face revision this plan read');
  if (target.dtype !== null)
    emit(
      '--dtype',
      target.dtype,
      null,
      target.isDtypeGiven === true
        ? 'as you set it'
        : 'the checkpoint is bfloat16 and this GPU has no bfloat16 (compute capability < 8.0)',
    );
  if (target.maxModelLenAuto === true)
    emit('--max-model-len', 'auto', null, `as you set it: vLLM fits the context to its KV memory (≈ ${s.maxModelLen})`);
  else emit('--max-model-len', String(s.maxModelLen), 'maxModelLen', 'the context this plan is sized for');
  // vLLM's defaults under --performance-mode (throughput doubles them, graph-terms.ts computeModeDefaults).
  const mode = target.graphOptions?.performanceMode ?? null;
  const modeDefaults = computeModeDefaults(info, memTotalBytes, s.maxModelLen, null, mode);
  const defaultSeqs = mode === null ? defaultMaxNumSeqs(info, memTotalBytes) : modeDefaults.maxNumSeqs;
  if (s.maxNumSeqs !== defaultSeqs || userGiven.has('maxNumSeqs')) {
    emit('--max-num-seqs', String(s.maxNumSeqs), 'maxNumSeqs', 'concurrent requests this plan is sized for');
  }
  const defaultBatched =
    mode === null
      ? defaultMaxNumBatchedTokens(info, memTotalBytes, s.maxModelLen, s.maxNumSeqs)
      : computeModeDefaults(info, memTotalBytes, s.maxModelLen, s.maxNumSeqs, mode).maxNumBatchedTokens;
  if (s.maxNumBatchedTokens !== defaultBatched || userGiven.has('maxNumBatchedTokens')) {
    emit('--max-num-batched-tokens', String(s.maxNumBatchedTokens), 'maxNumBatchedTokens', 'tokens per forward pass');
  }
  if (s.gpuMemoryUtilization !== info.defaultGpuMemoryUtilization || userGiven.has('gpuMemoryUtilization')) {
    emit(
      '--gpu-memory-utilization',
      String(s.gpuMemoryUtilization),
      'gpuMemoryUtilization',
      "vLLM's share of the memory",
    );
  }
  if (s.swapSpaceGiB !== null && (s.swapSpaceGiB !== 4 || userGiven.has('swapSpaceGiB'))) {
    emit('--swap-space', String(s.swapSpaceGiB), 'swapSpaceGiB', 'pinned CPU swap for KV blocks');
  }
  if (s.kvCacheDtype !== 'auto') emit('--kv-cache-dtype', s.kvCacheDtype, 'kvCacheDtype', 'KV cache element type');
  if (s.kvCacheMemoryBytes !== null)
    emit('--kv-cache-memory-bytes', String(s.kvCacheMemoryBytes), 'kvCacheMemoryBytes', 'KV cache size');
  if (s.numGpuBlocksOverride !== null)
    emit('--num-gpu-blocks-override', String(s.numGpuBlocksOverride), 'numGpuBlocksOverride', 'KV cache blocks');
  if (s.enforceEager) emit('--enforce-eager', null, 'enforceEager', 'no CUDA graphs');
  if (s.blockSize !== 16) emit('--block-size', String(s.blockSize), 'blockSize', 'tokens per KV block');
  for (const { flag, values } of buildGraphOptionArgs(target.graphOptions ?? buildNoGraphOptions())) {
    if (!hasFlag(data, info.version, flag)) {
      notes.push(`${flag} left out: vLLM ${info.label} does not have it`);
      continue;
    }
    argv.push(flag, ...values);
    notes.push(`${flag} ${values.join(' ')}: as you set it (the CUDA-graph term follows it)`);
  }
  if (target.speculativeConfig !== undefined && target.speculativeConfig !== null)
    emit(
      '--speculative-config',
      target.speculativeConfig,
      null,
      'as you set it: speculative decoding, sized in this plan',
    );
  if (target.limitMmPerPrompt !== undefined && target.limitMmPerPrompt !== null)
    emit(
      '--limit-mm-per-prompt',
      target.limitMmPerPrompt,
      null,
      "as you set it: the vision encoder's profiling term follows it",
    );
  if (target.port !== null) emit('--port', String(target.port), null, 'the port you chose');
  return { argv, notes };
}

/** The serve flags whose value is a count: a plain whole number, nothing else. */
const INTEGER_FLAGS = new Set([
  '--max-model-len',
  '--max-num-seqs',
  '--max-num-batched-tokens',
  '--kv-cache-memory-bytes',
  '--num-gpu-blocks-override',
  '--block-size',
  '--port',
]);
/** The serve flags whose value is a number with a fraction (vLLM reads them with float()). */
const FRACTION_FLAGS = new Set(['--gpu-memory-utilization', '--swap-space']);

/**
 * The last line of defence before a command is shown or run: the first numeric flag of a serve argv whose
 * value is not a finite number (a count: not a safe whole number), as one line; null when all are. The
 * inputs are checked where they come in, so a value caught here is a bug in the planner's arithmetic —
 * said as such, and never printed as "Infinity" or "NaN" in a command.
 */
export function findBadArgvNumber(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length - 1; i++) {
    const flag = argv[i] ?? '';
    const value = argv[i + 1] ?? '';
    const isCount = INTEGER_FLAGS.has(flag);
    if (!isCount && !FRACTION_FLAGS.has(flag)) continue;
    if (flag === '--max-model-len' && value === 'auto') continue;
    const n = Number(value);
    const isGood = isCount
      ? /^\d+$/.test(value) && Number.isSafeInteger(n)
      : /^\d+(?:\.\d+)?(?:e-\d+)?$/.test(value) && Number.isFinite(n);
    if (!isGood) {
      return `${flag} would be given a value that is not a ${isCount ? 'whole number' : 'finite number'}: this is a bug in jetson-vllm's planner (please report it with the model's config.json and the options given)`;
    }
  }
  return null;
}

/** Where the Hugging Face cache lives inside each image family. */
function containerCachePath(image: string): string {
  return image.startsWith('dustynv/') ? '/data/models/huggingface' : '/root/.cache/huggingface';
}

/** The port a serve argv listens on: its --port, else vLLM's default 8000. */
export function readServePort(argv: readonly string[]): number {
  const i = argv.lastIndexOf('--port');
  const port = i >= 0 ? Number(argv[i + 1]) : NaN;
  return Number.isInteger(port) && port >= 1 && port <= 65_535 ? port : 8000;
}

/**
 * Returns the known name of a server (its container, and a detached server's record):
 * `jetson-vllm-<model-slug>-<port>`, always a valid docker container name.
 */
export function buildServerName(modelId: string, port: number): string {
  const slug =
    String(modelId)
      .toLowerCase()
      .replace(/[^a-z0-9_.-]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^[-_.]+|[-_.]+$/g, '')
      .slice(0, 48)
      .replace(/[-_.]+$/g, '') || 'model';
  return `jetson-vllm-${slug}-${port}`;
}

/** A `docker run` split into what the plan decides (options, image, command) — the launch decides the rest. */
export interface DockerRunParts {
  options: string[];
  image: string;
  command: string[];
}

/**
 * Returns the one `docker run` argv both the plan (what `plan`, Copy and the Launch screen show) and the
 * launcher (what runs) use, so they cannot drift: the known `--name`, never `-t` (the launcher reads the
 * output through a pipe, and a command pasted into a script or cron has no terminal: "the input device is
 * not a TTY"), and either `--rm` (attached: the container goes with the launch) or `-d` (detached: it outlives
 * the launch and the SSH session). A detached container gets no restart policy until it is ready and let go
 * (`docker update --restart unless-stopped`, src/launch/runtime.ts release): docker must not restart a vLLM
 * the OOM killer ended while it loaded into the same kill, in a loop.
 */
export function buildDockerRunArgv(parts: DockerRunParts, o: { name: string; isDetached: boolean }): string[] {
  const own = o.isDetached ? ['-d', '--name', o.name] : ['--rm', '--name', o.name];
  return ['docker', 'run', ...own, ...parts.options, parts.image, ...parts.command];
}

/**
 * `docker run` around the serve argv, as jetson-containers runs it (reference jetson-platform.md
 * §D.3–D.4): NVIDIA runtime, host network, a large /dev/shm, the host's Hugging Face cache mounted,
 * HF_TOKEN passed by name only (its value is never written into the command). Exactly what an attached
 * launch runs (buildDockerRunArgv): named `name`, `--rm`, no `-it`.
 */
export function buildDockerArgv(
  image: string,
  serveArgv: string[],
  hfCacheDir: string,
  mount: { host: string; container: string } | null,
  name: string,
): string[] {
  const cache = containerCachePath(image);
  const options = [
    '--runtime',
    'nvidia',
    '--network',
    'host',
    '--shm-size',
    '8g',
    '-v',
    `${hfCacheDir}:${cache}`,
    '-e',
    `HF_HOME=${cache}`,
    '-e',
    'HF_TOKEN',
  ];
  if (mount !== null) options.push('-v', `${mount.host}:${mount.container}:ro`);
  return buildDockerRunArgv({ options, image, command: serveArgv }, { name, isDetached: false });
}

/** Chooses the image for a vLLM version and SoC: a preferred one first. */
export function chooseImage(
  images: ContainerImage[],
  vllmLabel: string,
  soc: string | undefined,
): ContainerImage | null {
  const matches = images.filter(
    (i) =>
      normalizeVersion(i.vllmVersion) === normalizeVersion(vllmLabel) && (soc === undefined || i.socs.includes(soc)),
  );
  return matches.find((i) => i.isPreferred) ?? matches[0] ?? null;
}

function normalizeVersion(v: string): string {
  const parts = v.split('.');
  while (parts.length < 3) parts.push('0');
  return parts.join('.');
}

/** Quotes one argument for a POSIX shell when it needs it. */
export function quoteShellArg(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Joins an argv into one copy-pasteable shell line. */
export function buildCommandLine(argv: string[]): string {
  return argv.map(quoteShellArg).join(' ');
}
