/**
 * Reducer over vLLM start-up logs, 0.6.3 (V0) to the newest V1: which launch stage has been reached and when,
 * every memory figure vLLM prints on the way, and the most specific fatal error.
 * Format: reference/vllm-memory.md §7 (log lines, suggested regexes, fatal patterns), §1.1 / §2.1 (stage order).
 * Pure and total: any string in, a new state out, never a throw. Every pattern is searched anywhere in the line,
 * so the prefixes `INFO 01-23 07:32:01 model_runner.py:1060] ` (V0), `INFO 03-18 12:34:56 [core.py:53] ` (V1),
 * `(EngineCore_0 pid=107) `, `(Worker_TP1 pid=448) `, uvicorn's `INFO:     ` and a mangled `NFO 12-17 …` (a lost
 * leading I, jetson-containers#1568) all pass. Sizes are bytes: vLLM's GiB (and its "GB", which is GiB) × 2^30.
 */
import { GiB } from '../../shared/units.js';

/** A step of a launch, in the order of {@link LAUNCH_STAGES}; 'failed' ends any launch. */
export type LaunchStage =
  | 'image-pull'
  | 'container-start'
  | 'engine-config'
  | 'weights-loading'
  | 'memory-profiling'
  | 'kv-cache'
  | 'cuda-graphs'
  | 'api-server'
  | 'ready'
  | 'failed';

/** The stages in the order a launch normally passes them (§1.1 V0, §2.1 V1), 'failed' last. */
export const LAUNCH_STAGES: readonly LaunchStage[] = [
  'image-pull',
  'container-start',
  'engine-config',
  'weights-loading',
  'memory-profiling',
  'kv-cache',
  'cuda-graphs',
  'api-server',
  'ready',
  'failed',
];

/** Every figure a start-up log prints; sizes in bytes, times in seconds, null until a line gives it. */
export interface LogFigures {
  /** `vLLM API server version 0.6.3.post1`, or the `(v0.8.0)` of the engine config line. */
  vllmVersion: string | null;
  /** From `Initializing an LLM engine` (v0) / `Initializing a V1 LLM engine` (v1), else from engine-only lines. */
  engine: 'v0' | 'v1' | null;
  /** Torch bytes of the loaded weights (`Loading model weights took 4.3752 GB`, `Model loading took …`). */
  weightsBytes: number | null;
  /** Seconds to load the model (`Model loading took 2.5521 GiB and 6.006044 seconds`, else the loader's time). */
  weightsSeconds: number | null;
  /** The device total the budget is a fraction of (`total_gpu_memory=15.29GiB`); on Jetson, the SoC RAM. */
  totalGpuMemoryBytes: number | null;
  /** --gpu-memory-utilization as a fraction (0.9). */
  gpuMemoryUtilization: number | null;
  /** Non-torch bytes of the profile (`non_torch_memory …GiB`, V1 debug `non-torch forward increase memory`). */
  nonTorchBytes: number | null;
  /** Activation peak of the profile run (`PyTorch activation peak memory …`, V1 debug `torch peak memory increase`). */
  activationPeakBytes: number | null;
  /** KV cache budget (`kv_cache_size=`, `available_kv_cache_memory`, `Available KV cache memory: 5.98 GiB`, …). */
  availableKvBytes: number | null;
  /** V0 `# GPU blocks: 11836` (0.7: `# CUDA blocks:` / `# cuda blocks:`; early V1 printed it alone). */
  gpuBlocks: number | null;
  /** V0 `# CPU blocks: 4681` (the pinned swap space). */
  cpuBlocks: number | null;
  /** V1 `GPU KV cache size: 567,978 tokens`. */
  kvTokens: number | null;
  /** `Maximum concurrency for 200 tokens per request: 946.88x` → 946.88. */
  maxConcurrency: number | null;
  /** The request length of that concurrency line → 200 (vLLM prints max_model_len there). */
  concurrencyForTokens: number | null;
  /** Bytes the CUDA graph capture took (`Graph capturing finished in 9 secs, took 0.42 GiB`). */
  cudaGraphBytes: number | null;
  /** Seconds the capture took (`Graph capturing finished in 9 secs`). */
  cudaGraphSeconds: number | null;
  /** v0.21+ estimate inside the budget (`Estimated CUDA graph memory: 0.36 GiB total`). */
  cudaGraphEstimateBytes: number | null;
  /** `max_seq_len=200` of the engine config, `max_model_len=` of the args, `Using max model len N`. */
  maxModelLen: number | null;
  /** `Uvicorn running on http://0.0.0.0:8000`, `Starting vLLM API server on http://…`. */
  serverUrl: string | null;
}

/** Why a launch failed, most specific first in spirit; 'engine-failed' is the weakest, 'oom-killed' next. */
export type LogFailureKind =
  | 'oom-killed'
  | 'cuda-oom'
  | 'max-len'
  | 'no-cache-blocks'
  | 'startup-free-memory'
  | 'profiling-error'
  | 'swap-too-large'
  | 'unsupported-quantization'
  | 'bf16-unsupported'
  | 'unknown-argument'
  | 'image-driver-mismatch'
  | 'unknown-runtime'
  | 'port-in-use'
  | 'model-not-found'
  | 'gated-model'
  | 'engine-failed';

/** What a CUDA OOM interrupted: said by the message (sampler warm-up) or the stage it happened in. */
export type OomDuring = 'sampler warm-up' | 'profiling' | 'kv-cache' | 'cuda-graphs';

/** A fatal error: its kind, the line that said so, and the figures in it (sizes in bytes, names as printed). */
export interface LogFailure {
  kind: LogFailureKind;
  line: string;
  /** E.g. `{ maxModelLen: 221000, neededKvBytes: …, availableKvBytes: …, estimatedMaxModelLen: 122080 }`. */
  figures: Record<string, number | string>;
}

/** Where a launch stands after the lines seen so far; `stage` never goes backwards. */
export interface LogState {
  /** The latest stage reached ('image-pull' until a marker says otherwise). */
  stage: LaunchStage;
  /** Each stage seen, in order, with the time (ms, as passed in) of its first marker line. */
  stages: { stage: LaunchStage; atMs: number }[];
  figures: LogFigures;
  /** The most specific failure seen; set exactly when `stage` is 'failed'. */
  failure: LogFailure | null;
  /** How many lines were fed. */
  lines: number;
}

/** Returns the state before any line: stage 'image-pull' (nothing seen yet), no figures, no failure. */
export function initialLogState(): LogState {
  return {
    stage: 'image-pull',
    stages: [],
    figures: {
      vllmVersion: null,
      engine: null,
      weightsBytes: null,
      weightsSeconds: null,
      totalGpuMemoryBytes: null,
      gpuMemoryUtilization: null,
      nonTorchBytes: null,
      activationPeakBytes: null,
      availableKvBytes: null,
      gpuBlocks: null,
      cpuBlocks: null,
      kvTokens: null,
      maxConcurrency: null,
      concurrencyForTokens: null,
      cudaGraphBytes: null,
      cudaGraphSeconds: null,
      cudaGraphEstimateBytes: null,
      maxModelLen: null,
      serverUrl: null,
    },
    failure: null,
    lines: 0,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------------------------

/** An unsigned decimal as vLLM prints it ("4.3752", "9"). */
const N = String.raw`\d+(?:\.\d+)?`;
/** A signed decimal: a budget or a capture delta can be negative (`available_kv_cache_memory -1.44GiB`). */
const SN = String.raw`-?\d+(?:\.\d+)?`;
/** A count with optional thousands separators (`567,978`, `131,072`; 0.8.x printed `4096`). */
const COUNT = String.raw`(?<![\d,])(\d{1,3}(?:,\d{3})+|\d+)`;

/** Longer lines are cut before matching, so a runaway line cannot make the regexes slow. */
const MAX_LINE_CHARS = 65_536;
const STAGE_RANK: Readonly<Record<LaunchStage, number>> = {
  'image-pull': 0,
  'container-start': 1,
  'engine-config': 2,
  'weights-loading': 3,
  'memory-profiling': 4,
  'kv-cache': 5,
  'cuda-graphs': 6,
  'api-server': 7,
  ready: 8,
  failed: 9,
};
/** A later failure replaces the current one only when it ranks higher: the first of equals is the root cause. */
const FAILURE_RANK: Readonly<Record<LogFailureKind, number>> = {
  'engine-failed': 0,
  'oom-killed': 1,
  'cuda-oom': 2,
  'max-len': 2,
  'no-cache-blocks': 2,
  'startup-free-memory': 2,
  'profiling-error': 2,
  'swap-too-large': 2,
  'unsupported-quantization': 2,
  'bf16-unsupported': 2,
  'unknown-argument': 2,
  'image-driver-mismatch': 2,
  'unknown-runtime': 2,
  'port-in-use': 2,
  'model-not-found': 2,
  'gated-model': 2,
};
/** The stage a CUDA OOM is attributed to when the message does not say. */
const OOM_DURING_STAGE: Partial<Record<LaunchStage, OomDuring>> = {
  'memory-profiling': 'profiling',
  'kv-cache': 'kv-cache',
  'cuda-graphs': 'cuda-graphs',
};
const BYTES_PER_UNIT: Readonly<Record<string, number>> = {
  B: 1,
  bytes: 1,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: GiB,
  // vLLM's "GB" is GiB: 0.8.x `ValueError: … (3.50 GB KV cache is needed …` divides by 1024^3.
  GB: GiB,
  TiB: 2 ** 40,
};

/** A decimal or comma-grouped count as a finite number, or null. */
function toNumber(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  const value = Number(text.replace(/,/g, ''));
  return Number.isFinite(value) ? value : null;
}

/** A GiB figure as whole bytes (× 2^30, rounded), or null. */
function gibToBytes(text: string | undefined): number | null {
  const gib = toNumber(text);
  if (gib === null) return null;
  const bytes = Math.round(gib * GiB);
  return Number.isFinite(bytes) ? bytes : null;
}

/** A size with a unit (`20.00 MiB`, `1.02 GiB`, `512 bytes`) as whole bytes, or null. */
function sizeToBytes(text: string | undefined, unit: string | undefined): number | null {
  const value = toNumber(text);
  const factor = BYTES_PER_UNIT[unit ?? ''];
  if (value === null || factor === undefined) return null;
  const bytes = Math.round(value * factor);
  return Number.isFinite(bytes) ? bytes : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------------------------

type NumberKey = {
  [K in keyof LogFigures]: LogFigures[K] extends number | null ? K : never;
}[keyof LogFigures];

/** How one capture group becomes a figure: as GiB, as a plain number / count, or only when still unknown. */
interface FigureRule {
  re: RegExp;
  /** Figure per capture group (index 1 first); undefined skips a group. */
  keys: (NumberKey | undefined)[];
  /** Convert the groups from GiB to bytes. */
  isGiB?: boolean;
  /** Fill only figures still null (a less precise repeat of a figure already known). */
  isFallback?: boolean;
}

const FIGURE_RULES: readonly FigureRule[] = [
  // V0, every version: `Loading model weights took 4.3752 GB` — the "GB" is GiB (value / 2^30).
  { re: new RegExp(`Loading model weights took (${N}) GB`), keys: ['weightsBytes'], isGiB: true },
  // V1 `Model loading took 2.5521 GiB and 6.006044 seconds`; 0.8.x V1 and 0.7.x V0 print "GB" (still GiB):
  // `Model loading took 2.3840 GB and 9.881751 seconds` (jetson-containers#989, dustynv/vllm:0.7.4).
  { re: new RegExp(`Model loading took (${N}) Gi?B`), keys: ['weightsBytes'], isGiB: true },
  { re: new RegExp(`Model loading took ${N} Gi?B and (${N}) seconds`), keys: ['weightsSeconds'] },
  // The loader's own time comes first and counts only the weights: `Loading weights took 3.44 seconds`.
  { re: new RegExp(`Loading weights took (${N}) seconds`), keys: ['weightsSeconds'], isFallback: true },
  // 0.6.4 one line: `Memory profiling results: total_gpu_memory=15.29GiB … non_torch_memory=0.60GiB
  // kv_cache_size=7.76GiB gpu_memory_utilization=0.90`; 0.6.5 sentence: `total_gpu_memory (23.55GiB) x
  // gpu_memory_utilization (0.90) = 21.19GiB`; PR #10511 table: `total_gpu_memory     79.22GiB`.
  { re: new RegExp(`total_gpu_memory(?:=|\\s+\\(|\\s+)(${N})\\s*GiB`), keys: ['totalGpuMemoryBytes'], isGiB: true },
  // The same three forms, plus `args: Namespace(… gpu_memory_utilization=0.9 …)` (0.6.3) and
  // `non-default args: {… 'gpu_memory_utilization': 0.75 …}` (0.9+).
  {
    re: new RegExp(`(?<![\\w-])gpu_memory_utilization'?(?:=|:\\s*|\\s+\\(|\\s+)(${N})`),
    keys: ['gpuMemoryUtilization'],
  },
  // v0.21+: `The current --gpu-memory-utilization=0.9200 is equivalent to --gpu-memory-utilization=0.9129 without
  // CUDA graph memory profiling.` — the first value is the one in force.
  { re: new RegExp(`--gpu-memory-utilization=(${N}) is equivalent to`), keys: ['gpuMemoryUtilization'] },
  // 0.6.5–0.7 sentence: `model weights take 7.51GiB; non_torch_memory takes 0.39GiB; PyTorch activation peak
  // memory takes 2.53GiB; the rest of the memory reserved for KV Cache is 4.55GiB.`; table: `model weights take
  // 14.96GiB`. Two decimals: the 4-decimal load line wins when both are seen.
  { re: new RegExp(`model weights take\\s+(${N})\\s*GiB`), keys: ['weightsBytes'], isGiB: true, isFallback: true },
  { re: new RegExp(`non_torch_memory(?:=|\\s+takes\\s+|\\s+)(${SN})\\s*GiB`), keys: ['nonTorchBytes'], isGiB: true },
  {
    re: new RegExp(`PyTorch activation peak memory(?:\\s+takes)?\\s+(${SN})\\s*GiB`),
    keys: ['activationPeakBytes'],
    isGiB: true,
  },
  { re: new RegExp(`reserved for KV Cache is (${SN})\\s*GiB`), keys: ['availableKvBytes'], isGiB: true },
  { re: new RegExp(`available_kv_cache_memory\\s+(${SN})\\s*GiB`), keys: ['availableKvBytes'], isGiB: true },
  { re: new RegExp(`kv_cache_size=(${SN})\\s*GiB`), keys: ['availableKvBytes'], isGiB: true },
  // 0.9.1+: `Available KV cache memory: 5.98 GiB`.
  { re: new RegExp(`Available KV cache memory: (${SN}) ?GiB`), keys: ['availableKvBytes'], isGiB: true },
  // 0.11+ with --kv-cache-memory-bytes: `Initial free memory 12.34 GiB, reserved 4.00 GiB memory for KV Cache as
  // specified by kv_cache_memory_bytes config and skipped memory profiling.`
  {
    re: new RegExp(`reserved (${N}) ?GiB memory for KV Cache as specified by kv_cache_memory_bytes`),
    keys: ['availableKvBytes'],
    isGiB: true,
  },
  // V1 debug summary: `Memory profiling takes 2.1 seconds. Total non KV cache memory: 9.5GiB; torch peak memory
  // increase: 1.2GiB; non-torch forward increase memory: 0.1GiB; weights memory: 8.2GiB.`
  { re: new RegExp(`torch peak memory increase: (${SN}) ?GiB`), keys: ['activationPeakBytes'], isGiB: true },
  { re: new RegExp(`non-torch forward increase memory: (${SN}) ?GiB`), keys: ['nonTorchBytes'], isGiB: true },
  { re: new RegExp(`weights memory: (${N}) ?GiB`), keys: ['weightsBytes'], isGiB: true, isFallback: true },
  // `# GPU blocks: 11836, # CPU blocks: 4681`; 0.7: `# CUDA blocks: 6001, # CPU blocks: 1638` / `# cuda blocks:`;
  // early V1 (0.7.x) printed `# GPU blocks: 1234` alone.
  { re: /# (?:GPU|CUDA) blocks: (\d+)(?:, # CPU blocks: (\d+))?/i, keys: ['gpuBlocks', 'cpuBlocks'] },
  // V1 `GPU KV cache size: 567,978 tokens` (thousands separators).
  { re: new RegExp(`GPU KV cache size: ${COUNT} tokens`), keys: ['kvTokens'] },
  // `Maximum concurrency for 131,072 tokens per request: 4.33x` (0.8.x: `for 4096 tokens`).
  {
    re: new RegExp(`Maximum concurrency for ${COUNT} tokens per request: (${N})x`),
    keys: ['concurrencyForTokens', 'maxConcurrency'],
  },
  // V0 0.6.3 `Graph capturing finished in 9 secs.`; V1 (and V0 0.6.5+) `… in 9 secs, took 0.42 GiB`.
  { re: new RegExp(`Graph capturing finished in (${N}) secs?`), keys: ['cudaGraphSeconds'] },
  {
    re: new RegExp(`Graph capturing finished in ${N} secs?, took (${SN}) ?GiB`),
    keys: ['cudaGraphBytes'],
    isGiB: true,
  },
  // v0.21+: `Estimated CUDA graph memory: 0.36 GiB total`.
  { re: new RegExp(`Estimated CUDA graph memory: (${SN}) ?GiB`), keys: ['cudaGraphEstimateBytes'], isGiB: true },
  // Engine config `…, max_seq_len=200, …` (not `max_seq_len_to_capture=8192`), args `max_model_len=200`,
  // 0.9+ `non-default args: {… 'max_model_len': 8192 …}` and `Using max model len 8192`.
  { re: /(?<!\w)max_seq_len=(\d+)/, keys: ['maxModelLen'] },
  { re: /(?<!\w)max_model_len=(\d+)/, keys: ['maxModelLen'] },
  { re: /'max_model_len': (\d+)/, keys: ['maxModelLen'] },
  { re: /Using max model len (\d+)/, keys: ['maxModelLen'] },
];

// V0 `Initializing an LLM engine (v0.6.3.post1) with config: …`, V1 `Initializing a V1 LLM engine (v0.8.0) with …`.
const ENGINE_CONFIG_RE = /Initializing an? (V1 )?LLM engine \(v([^)\s]+)\)/;
const SERVER_VERSION_RE = /vLLM API server version (\S+)/;
// Lines only one engine prints: V1's EngineCore process, KV lines, max-len and sampler messages (vllm/v1/…);
// V0's block pair (early V1 printed `# GPU blocks: N` alone) and its weights line.
const V1_ONLY_RE =
  /EngineCore|GPU KV cache size:|Available KV cache memory:|To serve at least one request with the models?'s|warming up sampler/;
const V0_ONLY_RE = /# (?:GPU|CUDA) blocks: \d+, # CPU blocks:|Loading model weights took/i;
// `Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)`; `Starting vLLM API server on http://…` (0.8),
// `Starting vLLM API server 0 on http://…` (0.10/0.11), `Starting vLLM server on http://…` (newest).
const SERVER_URL_RES = [
  /Uvicorn running on (https?:\/\/[^\s)]+)/,
  /Starting vLLM (?:API )?server(?: \d+)? on (https?:\/\/[^\s)]+)/,
];

/** The figures after one line; the same object when the line holds none. */
function readFigures(text: string, figures: LogFigures): LogFigures {
  const next: LogFigures = { ...figures };
  let isChanged = false;
  const put = <K extends keyof LogFigures>(key: K, value: LogFigures[K]): void => {
    if (value === null || next[key] === value) return;
    next[key] = value;
    isChanged = true;
  };
  for (const rule of FIGURE_RULES) {
    const match = rule.re.exec(text);
    if (match === null) continue;
    rule.keys.forEach((key, i) => {
      if (key === undefined || (rule.isFallback === true && next[key] !== null)) return;
      const group = match[i + 1];
      put(key, rule.isGiB === true ? gibToBytes(group) : toNumber(group));
    });
  }
  const config = ENGINE_CONFIG_RE.exec(text);
  if (config !== null) {
    put('engine', config[1] === undefined ? 'v0' : 'v1');
    put('vllmVersion', config[2] ?? null);
  } else if (next.engine === null) {
    if (V1_ONLY_RE.test(text)) put('engine', 'v1');
    else if (V0_ONLY_RE.test(text)) put('engine', 'v0');
  }
  put('vllmVersion', SERVER_VERSION_RE.exec(text)?.[1] ?? null);
  for (const re of SERVER_URL_RES) put('serverUrl', re.exec(text)?.[1] ?? null);
  return isChanged ? next : figures;
}

// ---------------------------------------------------------------------------------------------------------------
// Stages
// ---------------------------------------------------------------------------------------------------------------

/** Marker lines per stage (§7 table); a line that matches several counts for the latest stage. */
const STAGE_MARKERS: readonly (readonly [LaunchStage, RegExp])[] = [
  // docker: `Unable to find image 'dustynv/vllm:0.6.3-r36.4.0' locally`, `0.6.3-r36.4.0: Pulling from dustynv/vllm`,
  // `a1b2c3d4e5f6: Pulling fs layer` … `a1b2c3d4e5f6: Pull complete`.
  ['image-pull', /Unable to find image '[^']*' locally/],
  ['image-pull', /: Pulling from \S/],
  [
    'image-pull',
    /(?:^|\s)[0-9a-f]{12}: (?:Pulling fs layer|Waiting|Downloading|Verifying Checksum|Download complete|Extracting|Pull complete|Already exists)/,
  ],
  // docker: `Status: Downloaded newer image for dustynv/vllm:…`; `docker run -d` prints the 64-hex container id.
  ['container-start', /Status: (?:Downloaded newer image|Image is up to date) for \S/],
  ['container-start', /^\s*[0-9a-f]{64}\s*$/],
  // The first lines of the vLLM process: `Automatically detected platform cuda.`, `vLLM API server version 0.8.0`,
  // `args: Namespace(…)` (0.6.3), `non-default args: {…}` (0.9+).
  ['container-start', /Automatically detected platform \w/],
  ['container-start', /vLLM API server version \S/],
  ['container-start', /args: (?:Namespace\(|\{)/],
  ['engine-config', ENGINE_CONFIG_RE],
  ['engine-config', /Using max model len \d|Resolved architecture: \S/],
  // `Starting to load model ./Qwen2-7B-Instruct.Q4_K_M.gguf...`; safetensors progress; the loader's own time.
  ['weights-loading', /Starting to load model \S/],
  ['weights-loading', /Loading \w+ checkpoint shards|Loading weights took \d/],
  // Weights loaded: the profile run follows (§1.1.3, §2.1.3); with torch.compile V1 compiles during it.
  ['memory-profiling', /Loading model weights took \d|Model loading took \d/],
  [
    'memory-profiling',
    /Memory profiling (?:results|takes)|model weights take|available_kv_cache_memory|kv_cache_size=|Available KV cache memory:|as specified by kv_cache_memory_bytes/,
  ],
  [
    'memory-profiling',
    /Profiling CUDA graph memory|Estimated CUDA graph memory|CUDA graph memory profiling is|torch\.compile takes|Compiling a graph for dynamic shape/,
  ],
  ['kv-cache', /# (?:GPU|CUDA) blocks: \d/i],
  ['kv-cache', /GPU KV cache size: \d|Maximum concurrency for \d|Overriding num_gpu_blocks=/],
  // V0 0.6.3 `Capturing the model for CUDA graphs. …`, 0.6.5–0.7 `Capturing cudagraphs for decoding. …`, V1 tqdm
  // `Capturing CUDA graph shapes: 100%|…| 67/67`, newest `Capturing CUDA graphs (mixed prefill-decode, PIECEWISE)`;
  // 0.8 prints only the end line. With --enforce-eager none of these come: kv-cache is followed by api-server.
  [
    'cuda-graphs',
    /Capturing (?:the model for )?CUDA graph|Capturing cudagraphs|CUDA graphs can take additional|Graph capturing finished/,
  ],
  ['api-server', /Starting vLLM (?:API )?server(?: \d+)? on|Available routes are|Started server process/],
  ['api-server', /Waiting for application startup/],
  ['ready', /Application startup complete|Uvicorn running on/],
];

/** The latest stage a line marks, or null. */
function markedStage(text: string): LaunchStage | null {
  let best: LaunchStage | null = null;
  for (const [stage, re] of STAGE_MARKERS) {
    if ((best === null || STAGE_RANK[stage] > STAGE_RANK[best]) && re.test(text)) best = stage;
  }
  return best;
}

/** The stages with `stage` appended at `atMs` when it is later than the last one; the same array otherwise. */
function advanceStages(stages: LogState['stages'], stage: LaunchStage, atMs: number): LogState['stages'] {
  const last = stages.at(-1);
  if (last !== undefined && STAGE_RANK[stage] <= STAGE_RANK[last.stage]) return stages;
  return [...stages, { stage, atMs }];
}

// ---------------------------------------------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------------------------------------------

type Figures = Record<string, number | string>;

/** `Based on the available memory, the estimated maximum model length is 122080.` (mid-2025 V1 onwards). */
const ESTIMATED_MAX_LEN_RE = /the estimated maximum model length is (\d+)/;

/** Sets `figures[key]` unless the value is missing (a group the line did not have); returns `figures`. */
function pick(figures: Figures, key: string, value: number | string | null | undefined): Figures {
  if (value !== null && value !== undefined) figures[key] = value;
  return figures;
}

/** A URL printed by huggingface_hub (`… for url: https://huggingface.co/api/models/x/y/revision/main.`). */
function hubUrl(text: string): string | null {
  const url = /for url:? (https?:\/\/\S+)/.exec(text)?.[1];
  return url === undefined ? null : url.replace(/[.,;:]+$/, '');
}

/** A capability `8.0` / `7.2` as vLLM's integer form (80 / 72). */
function capability(major: string | undefined, minor: string | undefined): number | null {
  const m = toNumber(major);
  const n = toNumber(minor);
  return m === null || n === null ? null : m * 10 + n;
}

/** One fatal pattern: the kind, a loose trigger, and the figures read from the line (and the state). */
interface FailureRule {
  kind: LogFailureKind;
  re: RegExp;
  figures: (text: string, before: LaunchStage | null) => Figures;
}

const none = (): Figures => ({});

/** Checked in order, first match wins: specific kinds first, then 'oom-killed', then 'engine-failed'. */
const FAILURE_RULES: readonly FailureRule[] = [
  {
    // `torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; …)`, `CUDA error: out of
    // memory`, Jetson's allocator `NVML_SUCCESS == r INTERNAL ASSERT FAILED`, and V1's `RuntimeError: CUDA out of
    // memory occurred when warming up sampler with 256 dummy requests.` (vllm#18679).
    kind: 'cuda-oom',
    re: /(?:CUDA|cuda) (?:error: )?out of memory|OutOfMemoryError|NVML_SUCCESS == r INTERNAL ASSERT FAILED/,
    figures: (text, before) => {
      const figures: Figures = {};
      const isSampler = /warming up sampler|sampler warm-?up/.test(text);
      pick(figures, 'during', isSampler ? 'sampler warm-up' : before === null ? null : OOM_DURING_STAGE[before]);
      pick(figures, 'dummyRequests', toNumber(/with (\d+) dummy requests/.exec(text)?.[1]));
      const tried = new RegExp(`Tried to allocate (${N}) ?(bytes|B|KiB|MiB|GiB|TiB)`).exec(text);
      return pick(figures, 'triedBytes', sizeToBytes(tried?.[1], tried?.[2]));
    },
  },
  {
    // V0: `ValueError: The model's max seq len (4096) is larger than the maximum number of tokens that can be
    // stored in KV cache (2032). …`
    kind: 'max-len',
    re: /The model's max seq len \(\d+\) is larger than the maximum number of tokens/,
    figures: (text) => {
      const m =
        /max seq len \((\d+)\) is larger than the maximum number of tokens that can be stored in KV cache \((\d+)\)/.exec(
          text,
        );
      return pick(pick({}, 'maxModelLen', toNumber(m?.[1])), 'kvTokens', toNumber(m?.[2]));
    },
  },
  {
    // V1: `To serve at least one request with the models's max seq len (221000), (10.12 GiB KV cache is needed,
    // which is larger than the available KV cache memory (5.59 GiB). Based on the available memory, the estimated
    // maximum model length is 122080. …` (vllm#25350; "models's" is vLLM's typo, 0.8.x says "GB", meaning GiB).
    kind: 'max-len',
    re: /To serve at least one request with the models?'s max seq len/,
    figures: (text) => {
      const m = new RegExp(
        `max seq len \\((\\d+)\\), \\((${N}) (Gi?B) KV cache is needed, which is larger than the available KV cache memory \\((${SN}) (Gi?B)\\)`,
      ).exec(text);
      const figures = pick({}, 'maxModelLen', toNumber(m?.[1]));
      pick(figures, 'neededKvBytes', sizeToBytes(m?.[2], m?.[3]));
      pick(figures, 'availableKvBytes', sizeToBytes(m?.[4], m?.[5]));
      return pick(figures, 'estimatedMaxModelLen', toNumber(ESTIMATED_MAX_LEN_RE.exec(text)?.[1]));
    },
  },
  // Both engines: `ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` …`.
  { kind: 'no-cache-blocks', re: /No available memory for the cache blocks/, figures: none },
  {
    // V1 0.9.1+: `ValueError: Free memory on device (12.873291015625/15.29 GiB) on startup is less than desired GPU
    // memory utilization (0.9, 13.76 GiB).` (0.9–0.11: unrounded, no device); from Dec 2025 `on device cuda:0
    // (12.18/23.56 GiB) … (0.92, 21.67 GiB)`.
    kind: 'startup-free-memory',
    re: /on startup is less than desired GPU memory utilization/,
    figures: (text) => {
      const m = new RegExp(
        `Free memory on device (?:(\\S+) )?\\((${N})/(${N}) GiB\\) on startup is less than desired GPU memory utilization \\((${N}), (${N}) GiB\\)`,
      ).exec(text);
      const figures = pick({}, 'device', m?.[1]);
      pick(figures, 'freeBytes', gibToBytes(m?.[2]));
      pick(figures, 'totalBytes', gibToBytes(m?.[3]));
      pick(figures, 'gpuMemoryUtilization', toNumber(m?.[4]));
      return pick(figures, 'requestedBytes', gibToBytes(m?.[5]));
    },
  },
  {
    // V0 0.6.4 / V1 0.8: `Error in memory profiling. Initial free memory 13125599232, current free memory
    // 13325599232. …` (bytes); 0.9.1+: `Initial free memory 12.22 GiB, current free memory 12.41 GiB.`
    kind: 'profiling-error',
    re: /Error in memory profiling/,
    figures: (text) => {
      const m = new RegExp(`Initial free memory (${N})( GiB)?, current free memory (${N})( GiB)?`).exec(text);
      const figures = pick({}, 'initialFreeBytes', sizeToBytes(m?.[1], m?.[2] === undefined ? 'B' : 'GiB'));
      return pick(figures, 'currentFreeBytes', sizeToBytes(m?.[3], m?.[4] === undefined ? 'B' : 'GiB'));
    },
  },
  {
    // V0: `ValueError: Too large swap space. 12.00 GiB out of the 15.29 GiB total CPU memory is allocated for the
    // swap space.` (the 40 % warning says "Possibly too large swap space" and is not fatal).
    kind: 'swap-too-large',
    re: /Too large swap space/,
    figures: (text) => {
      const m = new RegExp(`(${N}) GiB out of the (${N}) GiB total CPU memory`).exec(text);
      return pick(pick({}, 'swapBytes', gibToBytes(m?.[1])), 'cpuMemoryBytes', gibToBytes(m?.[2]));
    },
  },
  {
    // `The quantization method fp8 is not supported for the current GPU. Minimum capability: 80. Current
    // capability: 72.`
    kind: 'unsupported-quantization',
    re: /The quantization method \S+ is not supported for the current GPU/,
    figures: (text) => {
      const figures = pick({}, 'method', /The quantization method (\S+) is not supported/.exec(text)?.[1]);
      pick(figures, 'minCapability', toNumber(/Minimum capability: (\d+)/.exec(text)?.[1]));
      return pick(figures, 'currentCapability', toNumber(/Current capability: (\d+)/.exec(text)?.[1]));
    },
  },
  {
    // `Bfloat16 is only supported on GPUs with compute capability of at least 8.0. Your Xavier GPU has compute
    // capability 7.2. …` — capabilities kept in vLLM's integer form (80, 72) like the quantization message.
    kind: 'bf16-unsupported',
    re: /Bfloat16 is only supported on GPUs with compute capability/,
    figures: (text) => {
      const min = /at least (\d+)\.(\d)/.exec(text);
      const current = /has compute capability (\d+)\.(\d)/.exec(text);
      const figures = pick({}, 'minCapability', capability(min?.[1], min?.[2]));
      return pick(figures, 'currentCapability', capability(current?.[1], current?.[2]));
    },
  },
  {
    // argparse: `api_server.py: error: unrecognized arguments: --swap-space 0` (the flag is gone from 0.18).
    kind: 'unknown-argument',
    re: /unrecognized arguments/,
    figures: (text) => pick({}, 'arguments', /unrecognized arguments: (.*\S)/.exec(text)?.[1]),
  },
  {
    // nvidia-container-cli: `requirement error: unsatisfied condition: cuda>=13.0, please update your driver to a
    // newer version, or use an earlier cuda container: unknown.` (image built for a newer JetPack than the board).
    kind: 'image-driver-mismatch',
    re: /nvidia-container-cli: requirement error|(?<![\w-])cuda>=\d/,
    figures: (text) => pick({}, 'requiredCuda', /cuda>=(\d+(?:\.\d+)*)/.exec(text)?.[1]),
  },
  {
    // docker: `Error response from daemon: unknown or invalid runtime name: nvidia`; older dockerd: `Unknown
    // runtime specified nvidia` (nvidia-container-toolkit not installed or not configured).
    kind: 'unknown-runtime',
    re: /unknown or invalid runtime name|Unknown runtime specified/,
    figures: (text) => {
      const m = /(?:unknown or invalid runtime name:|Unknown runtime specified) ?(\S+)/.exec(text);
      return pick({}, 'runtime', m?.[1]?.replace(/[.,;:]+$/, ''));
    },
  },
  {
    // uvicorn: `[Errno 98] error while attempting to bind on address ('0.0.0.0', 8000): address already in use`;
    // Python `OSError: [Errno 98] Address already in use`; docker `Bind for 0.0.0.0:8000 failed: port is already
    // allocated`.
    kind: 'port-in-use',
    re: /address already in use|port is already allocated/i,
    figures: (text) => {
      const m =
        /\('[^']*', (\d{1,5})\)/.exec(text) ??
        /(?:\d{1,3}(?:\.\d{1,3}){3}|localhost|\[[0-9a-fA-F:]*\]):(\d{1,5})\b/.exec(text);
      const port = toNumber(m?.[1]);
      return pick({}, 'port', port !== null && port >= 1 && port <= 65_535 ? port : null);
    },
  },
  {
    // huggingface_hub: `RepositoryNotFoundError: 401 Client Error. … Repository Not Found for url: https://…` —
    // unauthenticated requests for a missing repo answer 401 and mention "gated repo", so this comes first.
    kind: 'model-not-found',
    re: /Repository ?Not ?Found/i,
    figures: (text) => pick({}, 'url', hubUrl(text)),
  },
  {
    // `GatedRepoError: 401 Client Error. … Cannot access gated repo for url https://huggingface.co/…/config.json.
    // Access to model meta-llama/Llama-3.2-1B is restricted. …`; 403 when access was requested but not granted.
    kind: 'gated-model',
    re: /\b40[13] Client Error|gated repo|GatedRepoError|Access to model \S+ is restricted/,
    figures: (text) => {
      const figures = pick({}, 'url', hubUrl(text));
      return pick(figures, 'model', /Access to model (\S+) is restricted/.exec(text)?.[1]);
    },
  },
  {
    // `404 Client Error: Not Found for url: https://huggingface.co/…`; transformers: `OSError: Qwen/Qwen9-7B is not
    // a local folder and is not a valid model identifier listed on 'https://huggingface.co/models'`.
    kind: 'model-not-found',
    re: /\b404 Client Error|is not a local folder and is not a valid model identifier/,
    figures: (text) => {
      const figures = pick({}, 'url', hubUrl(text));
      return pick(figures, 'model', /(\S+) is not a local folder/.exec(text)?.[1]);
    },
  },
  {
    // V1 API server when the engine process was SIGKILLed: `RuntimeError: Engine core initialization failed. See
    // root cause above. Failed core proc(s): {'EngineCore_0': -9}`.
    kind: 'oom-killed',
    re: /Failed core proc\(s\): \{[^}]*': -9\b/,
    figures: (text) =>
      pick({ signal: 'SIGKILL' }, 'process', /Failed core proc\(s\): \{[^}]*?'([^']+)': -9\b/.exec(text)?.[1]),
  },
  {
    // Kernel: `Out of memory: Killed process 4242 (python3) total-vm:…` (also `pt_main_thread`, `VLLM::EngineCor`).
    kind: 'oom-killed',
    re: /Out of memory: Killed process \d+/,
    figures: (text) => {
      const m = /Killed process (\d+) \(([^)]*)\)/.exec(text);
      return pick(pick({ signal: 'SIGKILL' }, 'pid', toNumber(m?.[1])), 'process', m?.[2]);
    },
  },
  // docker / compose: `vllm exited with code 137` (128 + SIGKILL).
  { kind: 'oom-killed', re: /(?:exit(?:ed)?(?: with)? code|exit status) 137\b/i, figures: () => ({ exitCode: 137 }) },
  // The shell's report of a SIGKILLed child: `Killed` (jetson-containers#795).
  { kind: 'oom-killed', re: /\bKilled\b/, figures: () => ({ signal: 'SIGKILL' }) },
  {
    // The weakest: says the engine died, not why. V1 `EngineCore failed to start.`, `Engine core initialization
    // failed. … Failed core proc(s): {'EngineCore_0': 1}`, V0 `Engine process failed to start`, runtime
    // `EngineDeadError`, `Engine core proc EngineCore_0 died unexpectedly`.
    kind: 'engine-failed',
    re: /EngineCore failed to start|Engine core initialization failed|Engine process failed to start|EngineDeadError|died unexpectedly/,
    figures: (text) => {
      const m = /Failed core proc\(s\): \{'([^']+)': (-?\d+)/.exec(text);
      return pick(pick({}, 'process', m?.[1]), 'returnCode', toNumber(m?.[2]));
    },
  },
];

/** The failure a line reports, or null. */
function detectFailure(text: string, before: LaunchStage | null): LogFailure | null {
  for (const rule of FAILURE_RULES) {
    if (rule.re.test(text)) return { kind: rule.kind, line: text, figures: rule.figures(text, before) };
  }
  return null;
}

/** The last stage reached before any failure, or null when none was seen. */
function progressStage(stages: LogState['stages']): LaunchStage | null {
  for (let i = stages.length - 1; i >= 0; i--) {
    const entry = stages[i];
    if (entry !== undefined && entry.stage !== 'failed') return entry.stage;
  }
  return null;
}

/** The state with `failure` recorded when it outranks the current one (stage 'failed' from `atMs`). */
function recordFailure(state: LogState, failure: LogFailure, atMs: number): LogState {
  if (state.failure !== null && FAILURE_RANK[failure.kind] <= FAILURE_RANK[state.failure.kind]) return state;
  return { ...state, stage: 'failed', stages: advanceStages(state.stages, 'failed', atMs), failure };
}

/** Figures a failure line gives that the log has not printed otherwise (filled only while unknown). */
function fillFromFailure(figures: LogFigures, failure: LogFailure): LogFigures {
  const f = failure.figures;
  const num = (key: string): number | null => {
    const value = f[key];
    return typeof value === 'number' ? value : null;
  };
  const fills: Partial<Record<NumberKey, number | null>> =
    failure.kind === 'max-len'
      ? { maxModelLen: num('maxModelLen'), availableKvBytes: num('availableKvBytes'), kvTokens: num('kvTokens') }
      : failure.kind === 'startup-free-memory'
        ? { totalGpuMemoryBytes: num('totalBytes'), gpuMemoryUtilization: num('gpuMemoryUtilization') }
        : {};
  let next = figures;
  for (const [key, value] of Object.entries(fills) as [NumberKey, number | null][]) {
    if (value !== null && next[key] === null) next = { ...next, [key]: value };
  }
  return next;
}

// ---------------------------------------------------------------------------------------------------------------
// Reducer
// ---------------------------------------------------------------------------------------------------------------

/** ANSI colour codes (`VLLM_LOGGING_COLOR`, tqdm) are removed before matching. */
const ANSI_RE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[ -/]*[@-~]`, 'g');

/** Returns the state after one log line seen at `atMs` (ms, any clock): stage, figures and failure updated. */
export function parseLogLine(state: LogState, line: string, atMs: number): LogState {
  const raw = typeof line === 'string' ? line : '';
  const text = raw.slice(0, MAX_LINE_CHARS).replace(ANSI_RE, '').trim();
  let next: LogState = { ...state, lines: state.lines + 1, figures: readFigures(text, state.figures) };
  const stage = markedStage(text);
  if (stage !== null && next.stage !== 'failed') {
    const stages = advanceStages(next.stages, stage, atMs);
    if (stages !== next.stages) next = { ...next, stage, stages };
  }
  const failure = detectFailure(text, progressStage(next.stages));
  if (failure !== null) {
    next = recordFailure(next, failure, atMs);
    next = { ...next, figures: fillFromFailure(next.figures, failure) };
  } else if (next.failure?.kind === 'max-len' && next.failure.figures.estimatedMaxModelLen === undefined) {
    // The estimate sometimes ends up on a line of its own after the ValueError (a wrapped message).
    const estimate = toNumber(ESTIMATED_MAX_LEN_RE.exec(text)?.[1]);
    if (estimate !== null) {
      const figures = { ...next.failure.figures, estimatedMaxModelLen: estimate };
      next = { ...next, failure: { ...next.failure, figures } };
    }
  }
  return next;
}

/** Exits that are a user's stop, not a failure: SIGINT / SIGTERM and their shell codes 130 / 143. */
const STOP_SIGNALS = new Set(['SIGINT', 'SIGTERM']);
const STOP_EXIT_CODES = new Set([0, 130, 143]);

/**
 * Returns the state after the process ended: exit 137 or SIGKILL → 'oom-killed' (the Jetson OOM killer) unless a
 * more specific failure is known; any other non-zero exit or crash signal with no failure known → 'engine-failed'.
 * A SIGKILL the launcher sent itself (quit escalation) is a stop: pass `signal` null for it.
 */
export function markExited(state: LogState, exitCode: number | null, signal: string | null, atMs: number): LogState {
  const code = typeof exitCode === 'number' && Number.isFinite(exitCode) ? exitCode : null;
  const sig = typeof signal === 'string' && signal !== '' ? signal : null;
  const figures: Figures = {};
  if (code !== null) figures.exitCode = code;
  if (sig !== null) figures.signal = sig;
  const what = [code === null ? null : `exit code ${code}`, sig === null ? null : `signal ${sig}`]
    .filter((part) => part !== null)
    .join(', ');
  if (code === 137 || sig === 'SIGKILL') {
    return recordFailure(state, { kind: 'oom-killed', line: what, figures }, atMs);
  }
  const isCrash = (code !== null && !STOP_EXIT_CODES.has(code)) || (sig !== null && !STOP_SIGNALS.has(sig));
  if (!isCrash) return state;
  return recordFailure(state, { kind: 'engine-failed', line: what, figures }, atMs);
}

/** Returns the state after all `lines`, the i-th seen at atMs = i (a list carries no clock). */
export function parseLog(lines: string[]): LogState {
  return lines.reduce<LogState>((state, line, i) => parseLogLine(state, line, i), initialLogState());
}
