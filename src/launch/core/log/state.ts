/**
 * What the vLLM start-up log reducer (reducer.ts) reports: the launch stages in order, every memory figure vLLM
 * prints on the way, the failure kinds, and the state that holds them. Sizes are bytes, times seconds.
 */

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

/** Each stage's place in {@link LAUNCH_STAGES}: a stage only ever gives way to a higher one. */
export const STAGE_RANK: Readonly<Record<LaunchStage, number>> = {
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

/** Every figure a start-up log prints; sizes in bytes, times in seconds, null until a line gives it. */
export interface LogFigures {
  /** `vLLM API server version 0.6.3.post1`, or the `(v0.8.0)` of the engine config line. */
  vllmVersion: string | null;
  /** From `Initializing an LLM engine` / `a V0 LLM engine` (v0), `a V1 LLM engine` (v1), else engine-only lines. */
  engine: 'v0' | 'v1' | null;
  /** Torch bytes of the loaded weights (`Loading model weights took 4.3752 GB`, `Model loading took …`). */
  weightsBytes: number | null;
  /** Seconds to load the model (`Model loading took 2.5521 GiB [memory] and 6.006044 seconds`, else the loader's). */
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

/** The figures of a failure line, by name: sizes in bytes, names as printed. */
export type FailureFigures = Record<string, number | string>;

/** A fatal error: its kind, the line that said so, and the figures in it (sizes in bytes, names as printed). */
export interface LogFailure {
  kind: LogFailureKind;
  line: string;
  /** E.g. `{ maxModelLen: 221000, neededKvBytes: …, availableKvBytes: …, estimatedMaxModelLen: 122080 }`. */
  figures: FailureFigures;
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
