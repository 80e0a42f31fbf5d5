/**
 * The vLLM start-up log reducer on real logs: every case of test/fixtures/recorded/vllm-logs.json with exact stages,
 * figures and failure; one synthetic full start-up per version family of reference/vllm-memory.md §7 (0.6.3 V0,
 * 0.6.4, 0.6.5–0.7, 0.8 V1, 0.9–0.11 V1, newest with the CUDA-graph estimate) walking every stage to 'ready';
 * every figure format and stage marker on its own; every fatal pattern with its kind and figures.
 */
import { readFileSync } from 'node:fs';
import { recordedPath } from '../../../helpers/recorded.js';
import { describe, expect, it } from 'vitest';
import { markExited, parseLog, parseLogLine } from '../../../../src/launch/core/log/reducer.js';
import {
  LAUNCH_STAGES,
  initialLogState,
  type LaunchStage,
  type LogFailureKind,
  type LogFigures,
  type LogState,
} from '../../../../src/launch/core/log/state.js';

interface VllmLogFixture {
  source_url: string;
  vllm_version: string;
  log_lines: string[];
  outcome: string;
}

const fixtures = JSON.parse(readFileSync(recordedPath('vllm-logs.json'), 'utf8')) as VllmLogFixture[];

/** GiB as printed → bytes (× 2^30, rounded), as the parser stores them. */
const gib = (value: number): number => Math.round(value * 2 ** 30);
const mib = (value: number): number => Math.round(value * 2 ** 20);

/** All figures null except `partial`. */
const figures = (partial: Partial<LogFigures>): LogFigures => ({ ...initialLogState().figures, ...partial });

/** The expected `stages`: each stage at the index of the first line containing its marker text (parseLog's atMs). */
function stagesAt(lines: string[], markers: [LaunchStage, string][]): LogState['stages'] {
  return markers.map(([stage, marker]) => {
    const atMs = lines.findIndex((line) => line.includes(marker));
    if (atMs < 0) throw new Error(`no line contains ${marker}`);
    return { stage, atMs };
  });
}

/** Deep-freezes a state so a reducer that mutates its input throws. */
function freeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) freeze(item);
    Object.freeze(value);
  }
  return value;
}

describe('LAUNCH_STAGES and initialLogState', () => {
  it('lists the stages in launch order with failed last', () => {
    expect(LAUNCH_STAGES).toEqual([
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
    ]);
  });

  it('starts at image-pull with nothing seen', () => {
    expect(initialLogState()).toEqual({
      stage: 'image-pull',
      stages: [],
      figures: figures({}),
      failure: null,
      lines: 0,
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Real logs
// ---------------------------------------------------------------------------------------------------------------

/** What each fixture case must give, by source URL (stages by line index, as parseLog times them). */
const FIXTURE_EXPECTED: Record<string, Omit<LogState, 'lines'>> = {
  // Orin NX 16 GB, dustynv/vllm:0.6.3-r36.4.0, Qwen2-7B Q4_K_M GGUF, max_model_len 200, then the OOM killer.
  'https://github.com/dusty-nv/jetson-containers/issues/795': {
    stage: 'failed',
    stages: [
      { stage: 'weights-loading', atMs: 0 },
      { stage: 'memory-profiling', atMs: 1 },
      { stage: 'kv-cache', atMs: 2 },
      { stage: 'failed', atMs: 4 },
    ],
    figures: figures({
      engine: 'v0',
      weightsBytes: gib(4.3752),
      gpuBlocks: 11836,
      cpuBlocks: 4681,
      maxConcurrency: 946.88,
      concurrencyForTokens: 200,
    }),
    failure: { kind: 'oom-killed', line: 'Killed', figures: { signal: 'SIGKILL' } },
  },
  // Orin Nano, 0.8.6 V1: the leading "I" of the first line is lost ("NFO"); the engine dies after loading.
  'https://github.com/dusty-nv/jetson-containers/issues/1568': {
    stage: 'failed',
    stages: [
      { stage: 'weights-loading', atMs: 0 },
      { stage: 'memory-profiling', atMs: 1 },
      { stage: 'failed', atMs: 2 },
    ],
    figures: figures({ engine: 'v1', weightsBytes: gib(2.5521), weightsSeconds: 6.006044 }),
    failure: {
      kind: 'engine-failed',
      line: 'ERROR 12-17 10:47:07 [core.py:396] EngineCore failed to start.',
      figures: {},
    },
  },
  // V1 sampler warm-up OOM with 256 dummy requests.
  'https://github.com/vllm-project/vllm/issues/18679': {
    stage: 'failed',
    stages: [{ stage: 'failed', atMs: 1 }],
    figures: figures({ engine: 'v1' }),
    failure: {
      kind: 'cuda-oom',
      line: 'ERROR 05-25 18:32:52 [core.py:343] RuntimeError: CUDA out of memory occurred when warming up sampler with 256 dummy requests. Please try lowering `max_num_seqs` or `gpu_memory_utilization` when initializing the engine.',
      figures: { during: 'sampler warm-up', dummyRequests: 256 },
    },
  },
  // dustynv/vllm:0.7.4 V0: `Model loading took 2.3840 GB and 9.881751 seconds` ("GB" = GiB); warnings only.
  'https://github.com/dusty-nv/jetson-containers/issues/989': {
    stage: 'memory-profiling',
    stages: [{ stage: 'memory-profiling', atMs: 0 }],
    figures: figures({ weightsBytes: gib(2.384), weightsSeconds: 9.881751 }),
    failure: null,
  },
  // PR #10511 table (~0.6.5), Llama-3-8B on an 80 GB GPU.
  'https://github.com/vllm-project/vllm/pull/10511': {
    stage: 'memory-profiling',
    stages: [{ stage: 'memory-profiling', atMs: 0 }],
    figures: figures({
      totalGpuMemoryBytes: gib(79.22),
      gpuMemoryUtilization: 0.9,
      weightsBytes: gib(14.96),
      nonTorchBytes: gib(1.79),
      activationPeakBytes: gib(1.26),
      availableKvBytes: gib(53.29),
    }),
    failure: null,
  },
  // v0.24.0 V1 with `(EngineCore pid=107)` prefixes and thousands separators.
  'https://github.com/noonghunna/club-3090/issues/612': {
    stage: 'kv-cache',
    stages: [
      { stage: 'memory-profiling', atMs: 0 },
      { stage: 'kv-cache', atMs: 1 },
    ],
    figures: figures({
      engine: 'v1',
      availableKvBytes: gib(5.98),
      kvTokens: 567978,
      maxConcurrency: 4.33,
      concurrencyForTokens: 131072,
    }),
    failure: null,
  },
  // V1 max-len error with the estimated maximum model length.
  'https://github.com/vllm-project/vllm/issues/25350': {
    stage: 'failed',
    stages: [{ stage: 'failed', atMs: 0 }],
    figures: figures({ engine: 'v1', maxModelLen: 221000, availableKvBytes: gib(5.59) }),
    failure: {
      kind: 'max-len',
      line: fixtures.find((f) => f.source_url.endsWith('/25350'))?.log_lines[0] ?? '',
      figures: {
        maxModelLen: 221000,
        neededKvBytes: gib(10.12),
        availableKvBytes: gib(5.59),
        estimatedMaxModelLen: 122080,
      },
    },
  },
  // ≥ v0.21, TP=4: the CUDA-graph estimate and the equivalent-utilization line.
  'https://github.com/noonghunna/club-3090/issues/127': {
    stage: 'memory-profiling',
    stages: [{ stage: 'memory-profiling', atMs: 0 }],
    figures: figures({
      engine: 'v1',
      cudaGraphEstimateBytes: gib(0.17),
      availableKvBytes: gib(15.72),
      gpuMemoryUtilization: 0.92,
    }),
    failure: null,
  },
  // 0.27.1, TP=2: `Profiling CUDA graph memory: PIECEWISE=16`, estimate 0.36 GiB, utilization 0.82.
  'https://github.com/gpustack/runner/pull/251': {
    stage: 'memory-profiling',
    stages: [{ stage: 'memory-profiling', atMs: 0 }],
    figures: figures({
      engine: 'v1',
      cudaGraphEstimateBytes: gib(0.36),
      availableKvBytes: gib(6.87),
      gpuMemoryUtilization: 0.82,
    }),
    failure: null,
  },
};

describe('the real logs of test/fixtures/recorded/vllm-logs.json', () => {
  it('has an expectation for every case and nothing more', () => {
    expect(fixtures).toHaveLength(9);
    expect(fixtures.map((f) => f.source_url).sort()).toEqual(Object.keys(FIXTURE_EXPECTED).sort());
  });

  it.each(fixtures.map((f) => [f.source_url, f] as const))('%s', (url, fixture) => {
    const expected = FIXTURE_EXPECTED[url];
    expect(parseLog(fixture.log_lines)).toEqual({ ...expected, lines: fixture.log_lines.length });
  });

  it('matches the recorded outcome of each case', () => {
    const kindOf = (f: VllmLogFixture): LogFailureKind | null => parseLog(f.log_lines).failure?.kind ?? null;
    const byOutcome: Record<string, LogFailureKind | null> = {
      oom_killed: 'oom-killed',
      cuda_oom: 'cuda-oom',
      max_len_error: 'max-len',
      ready: null,
    };
    for (const fixture of fixtures) {
      if (fixture.outcome in byOutcome) expect(kindOf(fixture), fixture.source_url).toBe(byOutcome[fixture.outcome]);
    }
  });

  it('times each stage by the atMs given to parseLogLine', () => {
    const lines = fixtures[0]?.log_lines ?? [];
    const state = lines.reduce((s, line, i) => parseLogLine(s, line, 1_000_000 + i * 250), initialLogState());
    expect(state.stages).toEqual([
      { stage: 'weights-loading', atMs: 1_000_000 },
      { stage: 'memory-profiling', atMs: 1_000_250 },
      { stage: 'kv-cache', atMs: 1_000_500 },
      { stage: 'failed', atMs: 1_001_000 },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Synthetic full start-ups, one per version family (§7)
// ---------------------------------------------------------------------------------------------------------------

/** What `docker run` prints when the image is not there yet. */
function dockerPull(repo: string, tag: string): string[] {
  return [
    `Unable to find image '${repo}:${tag}' locally`,
    `${tag}: Pulling from ${repo}`,
    '6414378b6477: Pulling fs layer',
    '6414378b6477: Downloading  28.37MB/28.37MB',
    '6414378b6477: Verifying Checksum',
    '6414378b6477: Pull complete',
    'Digest: sha256:0f6b7e3a1c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a3b',
    `Status: Downloaded newer image for ${repo}:${tag}`,
  ];
}

const UVICORN_UP = [
  'INFO:     Started server process [1]',
  'INFO:     Waiting for application startup.',
  'INFO:     Application startup complete.',
];

/** Every stage up to ready, each with the marker text of its first line. */
type Walk = [LaunchStage, string][];

const V063_LOG = [
  ...dockerPull('dustynv/vllm', '0.6.3-r36.4.0'),
  'INFO 01-23 07:31:40 api_server.py:528] vLLM API server version 0.6.3.post1',
  "INFO 01-23 07:31:40 api_server.py:529] args: Namespace(host=None, port=8000, model='./Qwen2-7B-Instruct.Q4_K_M.gguf', max_model_len=200, gpu_memory_utilization=0.9, swap_space=4, max_num_seqs=1, enforce_eager=False)",
  "INFO 01-23 07:31:45 llm_engine.py:237] Initializing an LLM engine (v0.6.3.post1) with config: model='./Qwen2-7B-Instruct.Q4_K_M.gguf', speculative_config=None, tokenizer='./Qwen2-7B-Instruct.Q4_K_M.gguf', skip_tokenizer_init=False, tokenizer_mode=auto, revision=None, trust_remote_code=False, dtype=torch.float16, max_seq_len=200, download_dir=None, load_format=LoadFormat.GGUF, tensor_parallel_size=1, pipeline_parallel_size=1, quantization=gguf, enforce_eager=False, kv_cache_dtype=auto, device_config=cuda, seed=0, served_model_name=./Qwen2-7B-Instruct.Q4_K_M.gguf, use_v2_block_manager=True, num_scheduler_steps=1, chunked_prefill_enabled=False multi_step_stream_outputs=True, enable_prefix_caching=False, use_async_output_proc=True, use_cached_outputs=True, mm_processor_kwargs=None)",
  'INFO 01-23 07:32:01 model_runner.py:1060] Starting to load model ./Qwen2-7B-Instruct.Q4_K_M.gguf...',
  'INFO 01-23 07:32:42 model_runner.py:1071] Loading model weights took 4.3752 GB',
  'INFO 01-23 07:34:26 gpu_executor.py:122] # GPU blocks: 11836, # CPU blocks: 4681',
  'INFO 01-23 07:34:26 gpu_executor.py:126] Maximum concurrency for 200 tokens per request: 946.88x',
  "INFO 01-23 07:34:30 model_runner.py:1385] Capturing the model for CUDA graphs. This may lead to unexpected consequences if the model is not static. To run the model in eager mode, set 'enforce_eager=True' or use '--enforce-eager' in the CLI.",
  'INFO 01-23 07:34:30 model_runner.py:1389] CUDA graphs can take additional 1~3 GiB memory per GPU. If you are running out of memory, consider decreasing `gpu_memory_utilization` or enforcing eager mode. You can also reduce the `max_num_seqs` as needed to decrease memory usage.',
  'INFO 01-23 07:34:39 model_runner.py:1513] Graph capturing finished in 9 secs.',
  'INFO 01-23 07:34:40 launcher.py:19] Available routes are:',
  'INFO 01-23 07:34:40 launcher.py:27] Route: /v1/models, Methods: GET',
  ...UVICORN_UP,
  'INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)',
];

const V064_LOG = [
  ...dockerPull('vllm/vllm-openai', 'v0.6.4'),
  'INFO 11-20 10:00:00 api_server.py:585] vLLM API server version 0.6.4',
  "INFO 11-20 10:00:00 api_server.py:586] args: Namespace(host=None, port=8000, model='Qwen/Qwen2.5-3B-Instruct', max_model_len=4096, gpu_memory_utilization=0.9, swap_space=4)",
  "INFO 11-20 10:00:06 llm_engine.py:249] Initializing an LLM engine (v0.6.4) with config: model='Qwen/Qwen2.5-3B-Instruct', dtype=torch.bfloat16, max_seq_len=4096, quantization=None, enforce_eager=False, kv_cache_dtype=auto",
  'INFO 11-20 10:00:08 model_runner.py:1072] Starting to load model Qwen/Qwen2.5-3B-Instruct...',
  'Loading safetensors checkpoint shards: 100% Completed | 2/2 [00:03<00:00,  1.52s/it]',
  'INFO 11-20 10:00:12 model_runner.py:1077] Loading model weights took 5.7915 GB',
  'INFO 11-20 10:00:14 worker.py:232] Memory profiling results: total_gpu_memory=15.29GiB initial_memory_usage=6.40GiB peak_torch_memory=6.98GiB memory_usage_post_profile=6.61GiB non_torch_memory=0.63GiB kv_cache_size=6.15GiB gpu_memory_utilization=0.90',
  'INFO 11-20 10:00:14 gpu_executor.py:113] # GPU blocks: 11196, # CPU blocks: 7281',
  'INFO 11-20 10:00:14 gpu_executor.py:117] Maximum concurrency for 4096 tokens per request: 43.73x',
  'INFO 11-20 10:00:16 model_runner.py:1404] Capturing the model for CUDA graphs. This may lead to unexpected consequences if the model is not static.',
  'INFO 11-20 10:00:30 model_runner.py:1518] Graph capturing finished in 14 secs.',
  'INFO 11-20 10:00:31 launcher.py:19] Available routes are:',
  ...UVICORN_UP,
  'INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)',
];

// 0.7.x V0 prints `Model loading took … GB and … seconds` (jetson-containers#989) and PR #12126's sentence form.
const V07_LOG = [
  ...dockerPull('vllm/vllm-openai', 'v0.7.0'),
  'INFO 01-28 09:00:00 api_server.py:838] vLLM API server version 0.7.0',
  "INFO 01-28 09:00:00 api_server.py:839] args: Namespace(model='meta-llama/Llama-3.1-8B-Instruct', max_model_len=8192, gpu_memory_utilization=0.9)",
  "INFO 01-28 09:00:09 llm_engine.py:232] Initializing an LLM engine (v0.7.0) with config: model='meta-llama/Llama-3.1-8B-Instruct', dtype=torch.bfloat16, max_seq_len=8192, enforce_eager=False, kv_cache_dtype=auto",
  'INFO 01-28 09:00:11 model_runner.py:1110] Starting to load model meta-llama/Llama-3.1-8B-Instruct...',
  'INFO 01-28 09:00:16 model_runner.py:1115] Model loading took 14.9888 GB and 4.512345 seconds',
  'INFO 01-28 09:00:18 worker.py:266] Memory profiling takes 1.46 seconds',
  'the current vLLM instance can use total_gpu_memory (23.55GiB) x gpu_memory_utilization (0.90) = 21.19GiB',
  'model weights take 14.99GiB; non_torch_memory takes 0.39GiB; PyTorch activation peak memory takes 1.23GiB; the rest of the memory reserved for KV Cache is 4.58GiB.',
  'INFO 01-28 09:00:18 executor_base.py:110] # CUDA blocks: 2344, # CPU blocks: 2048',
  'INFO 01-28 09:00:18 executor_base.py:115] Maximum concurrency for 8192 tokens per request: 4.58x',
  "INFO 01-28 09:00:20 model_runner.py:1430] Capturing cudagraphs for decoding. This may lead to unexpected consequences if the model is not static. To run the model in eager mode, set 'enforce_eager=True' or use '--enforce-eager' in the CLI. If out-of-memory error occurs during cudagraph capture, consider decreasing `gpu_memory_utilization` or switching to eager mode. You can also reduce the `max_num_seqs` as needed to decrease memory usage.",
  'INFO 01-28 09:00:32 model_runner.py:1558] Graph capturing finished in 12 secs, took 0.45 GiB',
  'INFO 01-28 09:00:33 api_server.py:756] Using supplied chat template: None',
  'INFO 01-28 09:00:33 launcher.py:21] Available routes are:',
  ...UVICORN_UP,
  'INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)',
];

const V08_LOG = [
  ...dockerPull('vllm/vllm-openai', 'v0.8.0'),
  'INFO 03-18 12:34:50 [__init__.py:256] Automatically detected platform cuda.',
  'INFO 03-18 12:34:52 [api_server.py:981] vLLM API server version 0.8.0',
  "INFO 03-18 12:34:52 [api_server.py:982] args: Namespace(model='Qwen/Qwen2.5-1.5B-Instruct', max_model_len=4096, gpu_memory_utilization=0.8)",
  "INFO 03-18 12:34:56 [core.py:53] Initializing a V1 LLM engine (v0.8.0) with config: model='Qwen/Qwen2.5-1.5B-Instruct', dtype=torch.bfloat16, max_seq_len=4096, enforce_eager=False, kv_cache_dtype=auto",
  'INFO 03-18 12:34:58 [gpu_model_runner.py:1128] Starting to load model Qwen/Qwen2.5-1.5B-Instruct...',
  'INFO 03-18 12:35:00 [loader.py:429] Loading weights took 1.23 seconds',
  'INFO 03-18 12:35:00 [gpu_model_runner.py:1140] Model loading took 2.8876 GB and 1.512345 seconds',
  "INFO 03-18 12:35:05 [backends.py:409] Using cache directory: /root/.cache/vllm/torch_compile_cache/3f2a/rank_0_0 for vLLM's torch.compile",
  'INFO 03-18 12:35:24 [monitor.py:33] torch.compile takes 23.4 s in total',
  'INFO 03-18 12:35:26 [kv_cache_utils.py:537] GPU KV cache size: 189,376 tokens',
  'INFO 03-18 12:35:26 [kv_cache_utils.py:540] Maximum concurrency for 4096 tokens per request: 46.23x',
  'INFO 03-18 12:35:38 [gpu_model_runner.py:1439] Graph capturing finished in 12 secs, took 0.45 GiB',
  'INFO 03-18 12:35:38 [core.py:138] init engine (profile, create kv cache, warmup model) took 45.67 seconds',
  'INFO 03-18 12:35:39 [api_server.py:1024] Starting vLLM API server on http://0.0.0.0:8000',
  'INFO 03-18 12:35:39 [launcher.py:26] Available routes are:',
  ...UVICORN_UP,
];

const V010_LOG = [
  ...dockerPull('vllm/vllm-openai', 'v0.10.2'),
  '(APIServer pid=1) INFO 09-15 10:00:00 [api_server.py:1896] vLLM API server version 0.10.2',
  "(APIServer pid=1) INFO 09-15 10:00:00 [utils.py:328] non-default args: {'model_tag': 'Qwen/Qwen3-4B', 'model': 'Qwen/Qwen3-4B', 'max_model_len': 8192, 'gpu_memory_utilization': 0.75}",
  '(APIServer pid=1) INFO 09-15 10:00:06 [__init__.py:742] Resolved architecture: Qwen3ForCausalLM',
  '(APIServer pid=1) INFO 09-15 10:00:06 [__init__.py:1815] Using max model len 8192',
  "(EngineCore_0 pid=107) INFO 09-15 10:00:12 [core.py:76] Initializing a V1 LLM engine (v0.10.2) with config: model='Qwen/Qwen3-4B', dtype=torch.bfloat16, max_seq_len=8192, enforce_eager=False, kv_cache_dtype=auto",
  '(EngineCore_0 pid=107) INFO 09-15 10:00:14 [gpu_model_runner.py:2338] Starting to load model Qwen/Qwen3-4B...',
  '(EngineCore_0 pid=107) Loading safetensors checkpoint shards: 100% Completed | 3/3 [00:04<00:00,  1.40s/it]',
  '(EngineCore_0 pid=107) INFO 09-15 10:00:19 [default_loader.py:268] Loading weights took 4.02 seconds',
  '(EngineCore_0 pid=107) INFO 09-15 10:00:20 [gpu_model_runner.py:2392] Model loading took 7.6065 GiB and 5.112233 seconds',
  '(EngineCore_0 pid=107) INFO 09-15 10:00:39 [monitor.py:34] torch.compile takes 18.52 s in total',
  '(EngineCore_0 pid=107) INFO 09-15 10:00:41 [gpu_worker.py:298] Available KV cache memory: 3.21 GiB',
  '(EngineCore_0 pid=107) INFO 09-15 10:00:41 [kv_cache_utils.py:864] GPU KV cache size: 23,360 tokens',
  '(EngineCore_0 pid=107) INFO 09-15 10:00:41 [kv_cache_utils.py:868] Maximum concurrency for 8,192 tokens per request: 2.85x',
  '(EngineCore_0 pid=107) Capturing CUDA graph shapes: 100%|██████████| 67/67 [00:08<00:00,  7.95it/s]',
  '(EngineCore_0 pid=107) INFO 09-15 10:00:50 [gpu_model_runner.py:3118] Graph capturing finished in 9 secs, took 0.42 GiB',
  '(EngineCore_0 pid=107) INFO 09-15 10:00:50 [core.py:218] init engine (profile, create kv cache, warmup model) took 52.10 seconds',
  '(APIServer pid=1) INFO 09-15 10:00:52 [api_server.py:1971] Starting vLLM API server 0 on http://0.0.0.0:8000',
  '(APIServer pid=1) INFO 09-15 10:00:52 [launcher.py:36] Available routes are:',
  ...UVICORN_UP.map((line) => `(APIServer pid=1) ${line}`),
];

const NEWEST_LOG = [
  ...dockerPull('vllm/vllm-openai', 'v0.24.0'),
  // 0.15+ prints the version in a logo (vllm/entrypoints/utils.py `log_version_and_model`), one prefixed line a row.
  '(APIServer pid=1) INFO 07-06 22:50:00 [api_utils.py:339]',
  '(APIServer pid=1) INFO 07-06 22:50:00 [api_utils.py:339]        █     █     █▄   ▄█',
  '(APIServer pid=1) INFO 07-06 22:50:00 [api_utils.py:339]  ▄▄ ▄█ █     █     █ ▀▄▀ █  version 0.24.0',
  '(APIServer pid=1) INFO 07-06 22:50:00 [api_utils.py:339]   █▄█▀ █     █     █     █  model   Qwen/Qwen3-8B',
  '(APIServer pid=1) INFO 07-06 22:50:00 [api_utils.py:339]    ▀▀  ▀▀▀▀▀ ▀▀▀▀▀ ▀     ▀',
  '(APIServer pid=1) INFO 07-06 22:50:00 [api_utils.py:339]',
  "(APIServer pid=1) INFO 07-06 22:50:00 [utils.py:253] non-default args: {'model_tag': 'Qwen/Qwen3-8B', 'max_model_len': 32768, 'gpu_memory_utilization': 0.92}",
  '(APIServer pid=1) INFO 07-06 22:50:05 [model.py:578] Resolved architecture: Qwen3ForCausalLM',
  '(APIServer pid=1) INFO 07-06 22:50:05 [model.py:1715] Using max model len 32768',
  "(EngineCore pid=107) INFO 07-06 22:50:11 [core.py:93] Initializing a V1 LLM engine (v0.24.0) with config: model='Qwen/Qwen3-8B', dtype=torch.bfloat16, max_seq_len=32768, enforce_eager=False, kv_cache_dtype=auto",
  '(EngineCore pid=107) INFO 07-06 22:50:13 [gpu_model_runner.py:4321] Starting to load model Qwen/Qwen3-8B...',
  '(EngineCore pid=107) INFO 07-06 22:50:20 [default_loader.py:291] Loading weights took 6.55 seconds',
  '(EngineCore pid=107) INFO 07-06 22:50:21 [gpu_model_runner.py:4410] Model loading took 15.2683 GiB and 8.123456 seconds',
  '(EngineCore pid=107) INFO 07-06 22:50:40 [gpu_model_runner.py:6681] Profiling CUDA graph memory: PIECEWISE=67 (largest=512)',
  '(EngineCore pid=107) INFO 07-06 22:50:44 [gpu_model_runner.py:6806] Estimated CUDA graph memory: 0.36 GiB total',
  '(EngineCore pid=107) INFO 07-06 22:50:45 [gpu_worker.py:563] Available KV cache memory: 5.98 GiB',
  '(EngineCore pid=107) INFO 07-06 22:50:45 [gpu_worker.py:578] CUDA graph memory profiling is enabled (default since v0.21.0). The current --gpu-memory-utilization=0.9200 is equivalent to --gpu-memory-utilization=0.9047 without CUDA graph memory profiling. To maintain the same effective KV cache size as before, increase --gpu-memory-utilization to 0.9353. To disable, set VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=0.',
  '(EngineCore pid=107) INFO 07-06 22:50:45 [kv_cache_utils.py:2146] GPU KV cache size: 43,536 tokens',
  '(EngineCore pid=107) INFO 07-06 22:50:45 [kv_cache_utils.py:2147] Maximum concurrency for 32,768 tokens per request: 1.33x',
  '(EngineCore pid=107) Capturing CUDA graphs (mixed prefill-decode, PIECEWISE): 100%|██████████| 67/67 [00:05<00:00, 12.01it/s]',
  '(EngineCore pid=107) INFO 07-06 22:50:52 [gpu_model_runner.py:6321] Graph capturing finished in 7 secs, took 0.38 GiB',
  '(EngineCore pid=107) INFO 07-06 22:50:53 [core.py:289] init engine (profile, create kv cache, warmup model) took 61.20 s (compilation: 21.4 s)',
  '(APIServer pid=1) INFO 07-06 22:50:54 [api_server.py:2020] Starting vLLM server on http://0.0.0.0:8000',
  '(APIServer pid=1) INFO 07-06 22:50:54 [launcher.py:37] Available routes are:',
  ...UVICORN_UP.map((line) => `(APIServer pid=1) ${line}`),
];

/** The stages every synthetic log walks; `engineConfig`, `profiling`, … name each family's first marker line. */
function walk(markers: {
  containerStart?: string;
  engineConfig: string;
  profiling: string;
  kvCache: string;
  cudaGraphs: string;
  apiServer: string;
}): Walk {
  return [
    ['image-pull', 'Unable to find image'],
    ['container-start', markers.containerStart ?? 'Status: Downloaded newer image'],
    ['engine-config', markers.engineConfig],
    ['weights-loading', 'Starting to load model'],
    ['memory-profiling', markers.profiling],
    ['kv-cache', markers.kvCache],
    ['cuda-graphs', markers.cudaGraphs],
    ['api-server', markers.apiServer],
    ['ready', 'Application startup complete.'],
  ];
}

const SERVER = 'http://0.0.0.0:8000';

const SYNTHETIC: { family: string; lines: string[]; walk: Walk; figures: LogFigures }[] = [
  {
    family: '0.6.3 V0 (dustynv/vllm:0.6.3-r36.4.0, the Orin NX case of §9)',
    lines: V063_LOG,
    walk: walk({
      engineConfig: 'Initializing an LLM engine',
      profiling: 'Loading model weights took',
      kvCache: '# GPU blocks',
      cudaGraphs: 'Capturing the model for CUDA graphs',
      apiServer: 'Available routes are',
    }),
    figures: figures({
      vllmVersion: '0.6.3.post1',
      engine: 'v0',
      weightsBytes: gib(4.3752),
      gpuMemoryUtilization: 0.9,
      gpuBlocks: 11836,
      cpuBlocks: 4681,
      maxConcurrency: 946.88,
      concurrencyForTokens: 200,
      cudaGraphSeconds: 9,
      maxModelLen: 200,
      serverUrl: SERVER,
    }),
  },
  {
    family: '0.6.4 V0 (one-line "Memory profiling results")',
    lines: V064_LOG,
    walk: walk({
      engineConfig: 'Initializing an LLM engine',
      profiling: 'Loading model weights took',
      kvCache: '# GPU blocks',
      cudaGraphs: 'Capturing the model for CUDA graphs',
      apiServer: 'Available routes are',
    }),
    figures: figures({
      vllmVersion: '0.6.4',
      engine: 'v0',
      weightsBytes: gib(5.7915),
      totalGpuMemoryBytes: gib(15.29),
      gpuMemoryUtilization: 0.9,
      nonTorchBytes: gib(0.63),
      availableKvBytes: gib(6.15),
      gpuBlocks: 11196,
      cpuBlocks: 7281,
      maxConcurrency: 43.73,
      concurrencyForTokens: 4096,
      cudaGraphSeconds: 14,
      maxModelLen: 4096,
      serverUrl: SERVER,
    }),
  },
  {
    family: '0.6.5–0.7 V0 (PR #12126 sentence form, "# CUDA blocks")',
    lines: V07_LOG,
    walk: walk({
      engineConfig: 'Initializing an LLM engine',
      profiling: 'Model loading took',
      kvCache: '# CUDA blocks',
      cudaGraphs: 'Capturing cudagraphs for decoding',
      apiServer: 'Available routes are',
    }),
    figures: figures({
      vllmVersion: '0.7.0',
      engine: 'v0',
      // The load line's 4 decimals win over the summary's `model weights take 14.99GiB`.
      weightsBytes: gib(14.9888),
      weightsSeconds: 4.512345,
      totalGpuMemoryBytes: gib(23.55),
      gpuMemoryUtilization: 0.9,
      nonTorchBytes: gib(0.39),
      activationPeakBytes: gib(1.23),
      availableKvBytes: gib(4.58),
      gpuBlocks: 2344,
      cpuBlocks: 2048,
      maxConcurrency: 4.58,
      concurrencyForTokens: 8192,
      cudaGraphBytes: gib(0.45),
      cudaGraphSeconds: 12,
      maxModelLen: 8192,
      serverUrl: SERVER,
    }),
  },
  {
    family: '0.8 V1 (no capture start line; "Model loading took … GB")',
    lines: V08_LOG,
    walk: walk({
      engineConfig: 'Initializing a V1 LLM engine',
      profiling: 'Model loading took',
      kvCache: 'GPU KV cache size',
      cudaGraphs: 'Graph capturing finished',
      apiServer: 'Starting vLLM API server on',
    }),
    figures: figures({
      vllmVersion: '0.8.0',
      engine: 'v1',
      weightsBytes: gib(2.8876),
      weightsSeconds: 1.512345,
      gpuMemoryUtilization: 0.8,
      kvTokens: 189376,
      maxConcurrency: 46.23,
      concurrencyForTokens: 4096,
      cudaGraphBytes: gib(0.45),
      cudaGraphSeconds: 12,
      maxModelLen: 4096,
      serverUrl: SERVER,
    }),
  },
  {
    family: '0.9–0.11 V1 (EngineCore_0 / APIServer prefixes, thousands separators)',
    lines: V010_LOG,
    walk: walk({
      engineConfig: 'Resolved architecture',
      profiling: 'Model loading took',
      kvCache: 'GPU KV cache size',
      cudaGraphs: 'Capturing CUDA graph shapes',
      apiServer: 'Starting vLLM API server 0 on',
    }),
    figures: figures({
      vllmVersion: '0.10.2',
      engine: 'v1',
      weightsBytes: gib(7.6065),
      weightsSeconds: 5.112233,
      gpuMemoryUtilization: 0.75,
      availableKvBytes: gib(3.21),
      kvTokens: 23360,
      maxConcurrency: 2.85,
      concurrencyForTokens: 8192,
      cudaGraphBytes: gib(0.42),
      cudaGraphSeconds: 9,
      maxModelLen: 8192,
      serverUrl: SERVER,
    }),
  },
  {
    family: 'newest V1 (v0.21+ CUDA-graph estimate inside the budget)',
    lines: NEWEST_LOG,
    walk: walk({
      engineConfig: 'Resolved architecture',
      profiling: 'Model loading took',
      kvCache: 'GPU KV cache size',
      cudaGraphs: 'Capturing CUDA graphs (mixed prefill-decode',
      apiServer: 'Starting vLLM server on',
    }),
    figures: figures({
      vllmVersion: '0.24.0',
      engine: 'v1',
      weightsBytes: gib(15.2683),
      weightsSeconds: 8.123456,
      gpuMemoryUtilization: 0.92,
      availableKvBytes: gib(5.98),
      kvTokens: 43536,
      maxConcurrency: 1.33,
      concurrencyForTokens: 32768,
      cudaGraphBytes: gib(0.38),
      cudaGraphSeconds: 7,
      cudaGraphEstimateBytes: gib(0.36),
      maxModelLen: 32768,
      serverUrl: SERVER,
    }),
  },
];

describe('a synthetic full start-up per version family', () => {
  it.each(SYNTHETIC)('$family', ({ lines, walk: markers, figures: expected }) => {
    const state = parseLog(lines);
    expect(state).toEqual({
      stage: 'ready',
      stages: stagesAt(lines, markers),
      figures: expected,
      failure: null,
      lines: lines.length,
    });
    expect(state.stages.map((s) => s.stage)).toEqual(LAUNCH_STAGES.filter((s) => s !== 'failed'));
  });

  it.each(SYNTHETIC)('$family: the stage only moves forward, line by line', ({ lines }) => {
    let state = initialLogState();
    for (const [i, line] of lines.entries()) {
      const next = parseLogLine(freeze(state), line, i);
      expect(LAUNCH_STAGES.indexOf(next.stage)).toBeGreaterThanOrEqual(LAUNCH_STAGES.indexOf(state.stage));
      state = next;
    }
  });

  it('the same log fed backwards ends where its last line (first marker) points, never earlier', () => {
    const state = parseLog([...V08_LOG].reverse());
    // The reversed log starts with `Application startup complete.`: ready at once, nothing after it counts.
    expect(state.stage).toBe('ready');
    expect(state.stages).toEqual([{ stage: 'ready', atMs: 0 }]);
    expect(state.figures).toEqual(SYNTHETIC[3]?.figures);
  });

  it('does not mutate the state it is given', () => {
    const before = freeze(parseLog(V010_LOG.slice(0, 15)));
    const snapshot = JSON.stringify(before);
    parseLogLine(before, V010_LOG[15] ?? '', 99);
    markExited(before, 137, null, 100);
    expect(JSON.stringify(before)).toBe(snapshot);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Every figure format on its own
// ---------------------------------------------------------------------------------------------------------------

const FIGURE_LINES: { name: string; line: string; expected: Partial<LogFigures> }[] = [
  {
    name: 'V0 weights ("GB" is GiB)',
    line: 'INFO 01-23 07:32:42 model_runner.py:1071] Loading model weights took 4.3752 GB',
    expected: { engine: 'v0', weightsBytes: gib(4.3752) },
  },
  {
    name: 'V1 weights and seconds',
    line: 'INFO 12-17 10:47:04 [gpu_model_runner.py:1347] Model loading took 2.5521 GiB and 6.006044 seconds',
    expected: { weightsBytes: gib(2.5521), weightsSeconds: 6.006044 },
  },
  {
    name: '0.8 V1 weights printed "GB"',
    line: 'INFO 03-18 12:35:00 [gpu_model_runner.py:1140] Model loading took 2.8876 GB and 1.512345 seconds',
    expected: { weightsBytes: gib(2.8876), weightsSeconds: 1.512345 },
  },
  {
    name: "the loader's own time",
    line: 'NFO 12-17 10:47:03 [loader.py:458] Loading weights took 3.44 seconds',
    expected: { weightsSeconds: 3.44 },
  },
  {
    name: '0.6.4 one-line profiling summary',
    line: 'INFO 11-20 10:00:14 worker.py:232] Memory profiling results: total_gpu_memory=15.29GiB initial_memory_usage=6.40GiB peak_torch_memory=6.98GiB memory_usage_post_profile=6.61GiB non_torch_memory=0.63GiB kv_cache_size=6.15GiB gpu_memory_utilization=0.90',
    expected: {
      totalGpuMemoryBytes: gib(15.29),
      nonTorchBytes: gib(0.63),
      availableKvBytes: gib(6.15),
      gpuMemoryUtilization: 0.9,
    },
  },
  {
    name: 'PR #10511 table: total',
    line: 'INFO 12-13 19:54:18 worker.py:243] total_gpu_memory     79.22GiB',
    expected: { totalGpuMemoryBytes: gib(79.22) },
  },
  {
    name: 'PR #10511 table: utilization',
    line: 'INFO 12-13 19:54:18 worker.py:243] gpu_memory_utilization       0.90',
    expected: { gpuMemoryUtilization: 0.9 },
  },
  {
    name: 'PR #10511 table: weights',
    line: 'INFO 12-13 19:54:18 worker.py:243] model weights take   14.96GiB',
    expected: { weightsBytes: gib(14.96) },
  },
  {
    name: 'PR #10511 table: non-torch',
    line: 'INFO 12-13 19:54:18 worker.py:243] non_torch_memory     1.79GiB',
    expected: { nonTorchBytes: gib(1.79) },
  },
  {
    name: 'PR #10511 table: activation peak',
    line: 'INFO 12-13 19:54:18 worker.py:243] PyTorch activation peak memory       1.26GiB',
    expected: { activationPeakBytes: gib(1.26) },
  },
  {
    name: 'PR #10511 table: available KV',
    line: 'INFO 12-13 19:54:18 worker.py:243] available_kv_cache_memory    53.29GiB',
    expected: { availableKvBytes: gib(53.29) },
  },
  {
    name: '0.6.5–0.7 sentence: total × utilization',
    line: 'the current vLLM instance can use total_gpu_memory (23.55GiB) x gpu_memory_utilization (0.90) = 21.19GiB',
    expected: { totalGpuMemoryBytes: gib(23.55), gpuMemoryUtilization: 0.9 },
  },
  {
    name: '0.6.5–0.7 sentence: the split',
    line: 'model weights take 7.51GiB; non_torch_memory takes 0.39GiB; PyTorch activation peak memory takes 2.53GiB; the rest of the memory reserved for KV Cache is 4.55GiB.',
    expected: {
      weightsBytes: gib(7.51),
      nonTorchBytes: gib(0.39),
      activationPeakBytes: gib(2.53),
      availableKvBytes: gib(4.55),
    },
  },
  {
    name: 'a negative KV budget stays negative',
    line: 'model weights take 67.72GiB; non_torch_memory takes 0.55GiB; PyTorch activation peak memory takes 4.84GiB; the rest of the memory reserved for KV Cache is -1.44GiB.',
    expected: {
      weightsBytes: gib(67.72),
      nonTorchBytes: gib(0.55),
      activationPeakBytes: gib(4.84),
      availableKvBytes: gib(-1.44),
    },
  },
  {
    name: '0.9.1+ available KV',
    line: '(EngineCore pid=107) INFO 07-06 22:52:09 [gpu_worker.py:508] Available KV cache memory: 5.98 GiB',
    expected: { engine: 'v1', availableKvBytes: gib(5.98) },
  },
  {
    name: '0.11+ kv_cache_memory_bytes',
    line: 'INFO 10-02 11:00:00 [gpu_worker.py:290] Initial free memory 12.34 GiB, reserved 4.00 GiB memory for KV Cache as specified by kv_cache_memory_bytes config and skipped memory profiling. This does not respect the gpu_memory_utilization config. Only use kv_cache_memory_bytes config when you want manual control of KV cache memory size.',
    expected: { availableKvBytes: gib(4) },
  },
  {
    name: 'V1 debug profiling summary',
    line: 'DEBUG 09-15 10:00:41 [gpu_worker.py:281] Memory profiling takes 2.10 seconds. Total non KV cache memory: 9.51GiB; torch peak memory increase: 1.23GiB; non-torch forward increase memory: 0.12GiB; weights memory: 8.16GiB.',
    expected: { activationPeakBytes: gib(1.23), nonTorchBytes: gib(0.12), weightsBytes: gib(8.16) },
  },
  {
    name: 'V0 block counts',
    line: 'INFO 01-23 07:34:26 gpu_executor.py:122] # GPU blocks: 11836, # CPU blocks: 4681',
    expected: { engine: 'v0', gpuBlocks: 11836, cpuBlocks: 4681 },
  },
  {
    name: '0.7 "# CUDA blocks"',
    line: 'INFO 01-18 10:00:00 executor_base.py:110] # CUDA blocks: 6001, # CPU blocks: 1638',
    expected: { engine: 'v0', gpuBlocks: 6001, cpuBlocks: 1638 },
  },
  {
    name: '0.7 "# cuda blocks"',
    line: 'INFO 01-27 10:00:00 executor_base.py:110] # cuda blocks: 6001, # CPU blocks: 1638',
    expected: { engine: 'v0', gpuBlocks: 6001, cpuBlocks: 1638 },
  },
  {
    name: 'early V1 "# GPU blocks" alone',
    line: 'INFO 02-01 10:00:00 [kv_cache_utils.py:400] # GPU blocks: 1234',
    expected: { gpuBlocks: 1234 },
  },
  {
    name: 'V1 KV tokens with thousands separators',
    line: '(EngineCore pid=107) INFO 07-06 22:52:09 [kv_cache_utils.py:2146] GPU KV cache size: 567,978 tokens',
    expected: { engine: 'v1', kvTokens: 567978 },
  },
  {
    name: 'V1 KV tokens over a million',
    line: 'INFO 05-01 10:00:00 [kv_cache_utils.py:716] GPU KV cache size: 1,234,567 tokens',
    expected: { engine: 'v1', kvTokens: 1234567 },
  },
  {
    name: 'concurrency with separators',
    line: '(EngineCore pid=107) INFO 07-06 22:52:09 [kv_cache_utils.py:2147] Maximum concurrency for 131,072 tokens per request: 4.33x',
    // The `(EngineCore pid=107)` prefix alone says V1.
    expected: { engine: 'v1', concurrencyForTokens: 131072, maxConcurrency: 4.33 },
  },
  {
    name: 'concurrency without separators (0.6.3, 0.8)',
    line: 'INFO 01-23 07:34:26 gpu_executor.py:126] Maximum concurrency for 200 tokens per request: 946.88x',
    expected: { concurrencyForTokens: 200, maxConcurrency: 946.88 },
  },
  {
    name: 'V0 capture time',
    line: 'INFO 01-23 07:34:39 model_runner.py:1513] Graph capturing finished in 9 secs.',
    expected: { cudaGraphSeconds: 9 },
  },
  {
    name: 'V1 capture time and size',
    line: 'INFO 03-18 12:35:38 [gpu_model_runner.py:1439] Graph capturing finished in 9 secs, took 0.42 GiB',
    expected: { cudaGraphSeconds: 9, cudaGraphBytes: gib(0.42) },
  },
  {
    name: 'v0.21+ CUDA-graph estimate',
    line: '(Worker_TP1 pid=448) INFO 08-14 14:07:22 [gpu_model_runner.py:6806] Estimated CUDA graph memory: 0.36 GiB total',
    expected: { cudaGraphEstimateBytes: gib(0.36) },
  },
  {
    name: 'v0.21+ equivalent utilization (the current value is kept)',
    line: '(Worker_TP0 pid=147) INFO 05-14 00:04:17 [gpu_worker.py:475] CUDA graph memory profiling is enabled (default since v0.21.0). The current --gpu-memory-utilization=0.9200 is equivalent to --gpu-memory-utilization=0.9129 without CUDA graph memory profiling. To maintain the same effective KV cache size as before, increase --gpu-memory-utilization to 0.9271. To disable, set VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=0.',
    expected: { gpuMemoryUtilization: 0.92 },
  },
  {
    name: 'server banner',
    line: 'INFO 01-23 07:31:40 api_server.py:528] vLLM API server version 0.6.3.post1',
    expected: { vllmVersion: '0.6.3.post1' },
  },
  {
    name: 'V1 engine config (max_seq_len, not max_seq_len_to_capture)',
    line: "INFO 03-18 12:34:56 [core.py:53] Initializing a V1 LLM engine (v0.8.0) with config: model='x', max_seq_len_to_capture=8192, max_seq_len=200, enforce_eager=False",
    expected: { vllmVersion: '0.8.0', engine: 'v1', maxModelLen: 200 },
  },
  {
    name: 'V0 engine config',
    line: "INFO 01-23 07:31:45 llm_engine.py:237] Initializing an LLM engine (v0.6.3.post1) with config: model='m', max_seq_len=200, quantization=gguf",
    expected: { vllmVersion: '0.6.3.post1', engine: 'v0', maxModelLen: 200 },
  },
  {
    name: '0.6.3 args Namespace',
    line: 'INFO 01-23 07:31:40 api_server.py:529] args: Namespace(max_model_len=200, gpu_memory_utilization=0.9, swap_space=4)',
    expected: { maxModelLen: 200, gpuMemoryUtilization: 0.9 },
  },
  {
    name: '0.9+ non-default args',
    line: "(APIServer pid=1) INFO 09-15 10:00:00 [utils.py:328] non-default args: {'model': 'Qwen/Qwen3-4B', 'max_model_len': 8192, 'gpu_memory_utilization': 0.75}",
    expected: { maxModelLen: 8192, gpuMemoryUtilization: 0.75 },
  },
  {
    name: 'Using max model len',
    line: '(APIServer pid=1) INFO 09-15 10:00:06 [__init__.py:1815] Using max model len 8192',
    expected: { maxModelLen: 8192 },
  },
  {
    name: 'uvicorn URL',
    line: 'INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)',
    expected: { serverUrl: 'http://0.0.0.0:8000' },
  },
  {
    name: '0.10 server URL',
    line: '(APIServer pid=1) INFO 09-15 10:00:52 [api_server.py:1971] Starting vLLM API server 0 on http://0.0.0.0:8000',
    expected: { serverUrl: 'http://0.0.0.0:8000' },
  },
  {
    name: '0.6.3–0.14 API server version',
    line: '(APIServer pid=1) INFO 01-21 23:26:02 [api_server.py:1272] vLLM API server version 0.14.0',
    expected: { vllmVersion: '0.14.0' },
  },
  {
    name: '0.15+ server version, logo off (vllm/entrypoints/utils.py log_version_and_model)',
    line: '(APIServer pid=1) INFO 03-29 18:46:05 [utils.py:297] vLLM server version 0.18.0, serving model Qwen/Qwen3-4B',
    expected: { vllmVersion: '0.18.0' },
  },
  {
    name: '0.15+ logo, monochrome',
    line: '(APIServer pid=1) INFO 06-19 15:35:00 [api_utils.py:339]  ▄▄ ▄█ █     █     █ ▀▄▀ █  version 0.23.0',
    expected: { vllmVersion: '0.23.0' },
  },
  {
    // The 'color' formatter's template: ` ${o}▄▄${r} ${b}▄█${r} ${w}█     █     █ ▀▄▀ █${r}  version ${w}%s${r}`.
    name: '0.15+ logo, coloured (ANSI codes removed)',
    line: '(APIServer pid=1) INFO 06-19 15:35:00 [api_utils.py:339]  \u001b[93m▄▄\u001b[0m \u001b[94m▄█\u001b[0m \u001b[97;1m█     █     █ ▀▄▀ █\u001b[0m  version \u001b[97;1m0.23.0\u001b[0m',
    expected: { vllmVersion: '0.23.0' },
  },
  {
    name: "the logo's model row and other 'version' lines give no version",
    line: '(APIServer pid=1) INFO 06-19 15:35:00 [api_utils.py:339]   █▄█▀ █     █     █     █  model   Qwen/Qwen3.5-2B',
    expected: {},
  },
  {
    name: 'a FlashAttention version is not the vLLM version',
    line: '(EngineCore pid=514) INFO 03-29 18:46:21 [flash_attn.py:598] Using FlashAttention version 2',
    expected: { engine: 'v1' },
  },
  {
    name: 'coloured prefix (ANSI codes removed)',
    line: '\u001b[1;36m(EngineCore_0 pid=107)\u001b[0;0m \u001b[32mINFO\u001b[0m 08-14 14:07:22 [gpu_worker.py:563] Available KV cache memory: 6.87 GiB',
    expected: { engine: 'v1', availableKvBytes: gib(6.87) },
  },
];

describe('every figure format', () => {
  it.each(FIGURE_LINES)('$name', ({ line, expected }) => {
    expect(parseLog([line]).figures).toEqual(figures(expected));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Stage markers
// ---------------------------------------------------------------------------------------------------------------

const MARKERS: [string, LaunchStage][] = [
  ["Unable to find image 'dustynv/vllm:0.6.3-r36.4.0' locally", 'image-pull'],
  ['0.6.3-r36.4.0: Pulling from dustynv/vllm', 'image-pull'],
  ['6414378b6477: Extracting  28.37MB/28.37MB', 'image-pull'],
  ['Status: Image is up to date for dustynv/vllm:0.6.3-r36.4.0', 'container-start'],
  ['0f6b7e3a1c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a3b', 'container-start'],
  ['INFO 03-18 12:34:50 [__init__.py:256] Automatically detected platform cuda.', 'container-start'],
  ['INFO 03-18 12:34:52 [api_server.py:981] vLLM API server version 0.8.0', 'container-start'],
  [
    '(APIServer pid=1) INFO 03-29 18:46:05 [utils.py:297] vLLM server version 0.18.0, serving model m',
    'container-start',
  ],
  [
    '(APIServer pid=1) INFO 06-19 15:35:00 [api_utils.py:339]  ▄▄ ▄█ █     █     █ ▀▄▀ █  version 0.23.0',
    'container-start',
  ],
  ["Initializing a V1 LLM engine (v0.8.0) with config: model='m'", 'engine-config'],
  ['Starting to load model ./Qwen2-7B-Instruct.Q4_K_M.gguf...', 'weights-loading'],
  ['Loading safetensors checkpoint shards:  50% Completed | 1/2 [00:01<00:01,  1.52s/it]', 'weights-loading'],
  ['Loading model weights took 4.3752 GB', 'memory-profiling'],
  ['INFO 12-13 19:54:18 worker.py:243] Memory profiling results:', 'memory-profiling'],
  ['INFO 01-28 09:00:18 worker.py:266] Memory profiling takes 1.46 seconds', 'memory-profiling'],
  ['Profiling CUDA graph memory: PIECEWISE=16 (largest=16)', 'memory-profiling'],
  ['Estimated CUDA graph memory: 0.17 GiB total', 'memory-profiling'],
  ['Available KV cache memory: 15.72 GiB', 'memory-profiling'],
  ['# GPU blocks: 11836, # CPU blocks: 4681', 'kv-cache'],
  ['GPU KV cache size: 567,978 tokens', 'kv-cache'],
  ['Maximum concurrency for 200 tokens per request: 946.88x', 'kv-cache'],
  [
    'Capturing the model for CUDA graphs. This may lead to unexpected consequences if the model is not static.',
    'cuda-graphs',
  ],
  [
    'Capturing cudagraphs for decoding. This may lead to unexpected consequences if the model is not static.',
    'cuda-graphs',
  ],
  ['Capturing CUDA graph shapes:  10%|█         | 7/67 [00:01<00:08,  7.95it/s]', 'cuda-graphs'],
  ['Graph capturing finished in 9 secs.', 'cuda-graphs'],
  ['INFO 03-18 12:35:39 [api_server.py:1024] Starting vLLM API server on http://0.0.0.0:8000', 'api-server'],
  ['INFO 01-23 07:34:40 launcher.py:19] Available routes are:', 'api-server'],
  ['INFO:     Started server process [1]', 'api-server'],
  ['INFO:     Application startup complete.', 'ready'],
  ['INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)', 'ready'],
];

describe('stage markers', () => {
  it.each(MARKERS)('%s → %s', (line, stage) => {
    const state = parseLogLine(initialLogState(), line, 42);
    expect(state.stage).toBe(stage);
    expect(state.stages).toEqual([{ stage, atMs: 42 }]);
  });

  it.each([
    'INFO 03-18 12:35:38 [core.py:138] init engine (profile, create kv cache, warmup model) took 45.67 seconds',
    'INFO 01-28 09:00:33 api_server.py:756] Using supplied chat template: None',
    'WARNING 04-02 09:21:48 [model_runner.py:1296] Computed max_num_seqs (min(1, 5120 // 32768)) to be less than 1. Setting it to the minimum value of 1.',
    '',
    '   ',
  ])('%j marks no stage', (line) => {
    expect(parseLogLine(initialLogState(), line, 0)).toEqual({ ...initialLogState(), lines: 1 });
  });

  it('records a stage at its first marker only', () => {
    const state = parseLog([
      'Starting to load model a...',
      'Starting to load model a...',
      'Loading weights took 1 seconds',
    ]);
    expect(state.stages).toEqual([{ stage: 'weights-loading', atMs: 0 }]);
  });

  it('ignores a marker of an earlier stage', () => {
    const state = parseLog([
      'GPU KV cache size: 100 tokens',
      'Starting to load model a...',
      'Model loading took 1 GiB',
    ]);
    expect(state.stage).toBe('kv-cache');
    expect(state.stages).toEqual([{ stage: 'kv-cache', atMs: 0 }]);
  });

  it('with --enforce-eager goes from kv-cache straight to api-server', () => {
    const lines = [
      "Initializing a V1 LLM engine (v0.10.2) with config: model='m', max_seq_len=2048, enforce_eager=True",
      'Starting to load model m...',
      'Model loading took 1.0000 GiB and 2.000000 seconds',
      'GPU KV cache size: 4,096 tokens',
      'Starting vLLM API server 0 on http://127.0.0.1:8000',
      'INFO:     Application startup complete.',
    ];
    expect(parseLog(lines).stages.map((s) => s.stage)).toEqual([
      'engine-config',
      'weights-loading',
      'memory-profiling',
      'kv-cache',
      'api-server',
      'ready',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Fatal patterns
// ---------------------------------------------------------------------------------------------------------------

const FAILURES: { name: string; lines: string[]; kind: LogFailureKind; figures: Record<string, number | string> }[] = [
  { name: 'shell "Killed"', lines: ['Killed'], kind: 'oom-killed', figures: { signal: 'SIGKILL' } },
  {
    name: 'kernel OOM killer',
    lines: [
      '[ 1234.567890] Out of memory: Killed process 4242 (python3) total-vm:20971520kB, anon-rss:14680064kB, file-rss:0kB',
    ],
    kind: 'oom-killed',
    figures: { signal: 'SIGKILL', pid: 4242, process: 'python3' },
  },
  {
    name: 'docker compose exit 137',
    lines: ['vllm-1 exited with code 137'],
    kind: 'oom-killed',
    figures: { exitCode: 137 },
  },
  {
    name: "V1 engine core SIGKILLed: {'EngineCore_0': -9}",
    lines: [
      "(APIServer pid=1) RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {'EngineCore_0': -9}",
    ],
    kind: 'oom-killed',
    figures: { signal: 'SIGKILL', process: 'EngineCore_0' },
  },
  {
    name: 'CUDA OOM in the sampler warm-up (case 3)',
    lines: [
      'ERROR 05-25 18:32:52 [core.py:343] RuntimeError: CUDA out of memory occurred when warming up sampler with 256 dummy requests. Please try lowering `max_num_seqs` or `gpu_memory_utilization` when initializing the engine.',
    ],
    kind: 'cuda-oom',
    figures: { during: 'sampler warm-up', dummyRequests: 256 },
  },
  {
    name: 'CUDA OOM during profiling',
    lines: [
      'Model loading took 7.6065 GiB and 5.112233 seconds',
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.02 GiB. GPU 0 has a total capacity of 7.44 GiB of which 512.00 MiB is free.',
    ],
    kind: 'cuda-oom',
    figures: { during: 'profiling', triedBytes: gib(1.02) },
  },
  {
    name: 'CUDA OOM allocating the KV cache',
    lines: ['GPU KV cache size: 23,360 tokens', 'RuntimeError: CUDA error: out of memory'],
    kind: 'cuda-oom',
    figures: { during: 'kv-cache' },
  },
  {
    name: 'CUDA OOM capturing CUDA graphs (old torch message)',
    lines: [
      'Capturing the model for CUDA graphs. This may lead to unexpected consequences if the model is not static.',
      'torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 15.29 GiB total capacity; 14.12 GiB already allocated; 11.56 MiB free; 14.30 GiB reserved in total by PyTorch)',
    ],
    kind: 'cuda-oom',
    figures: { during: 'cuda-graphs', triedBytes: mib(20) },
  },
  {
    name: "Jetson caching allocator's NVML assert",
    lines: [
      'RuntimeError: NVML_SUCCESS == r INTERNAL ASSERT FAILED at "../c10/cuda/CUDACachingAllocator.cpp":838, please report a bug to PyTorch.',
    ],
    kind: 'cuda-oom',
    figures: {},
  },
  {
    name: 'V0 max-len',
    lines: [
      "ValueError: The model's max seq len (4096) is larger than the maximum number of tokens that can be stored in KV cache (2032). Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.",
    ],
    kind: 'max-len',
    figures: { maxModelLen: 4096, kvTokens: 2032 },
  },
  {
    name: '0.8 V1 max-len ("models\'s", "GB")',
    lines: [
      "ValueError: To serve at least one request with the models's max seq len (32768), (3.50 GB KV cache is needed, which is larger than the available KV cache memory (1.25 GB). Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.",
    ],
    kind: 'max-len',
    figures: { maxModelLen: 32768, neededKvBytes: gib(3.5), availableKvBytes: gib(1.25) },
  },
  {
    name: 'newer V1 max-len with the estimate',
    lines: [
      "(EngineCore_0 pid=107) ValueError: To serve at least one request with the model's max seq len (221000), (10.12 GiB KV cache is needed, which is larger than the available KV cache memory (5.59 GiB). Based on the available memory, the estimated maximum model length is 122080. Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.",
    ],
    kind: 'max-len',
    figures: {
      maxModelLen: 221000,
      neededKvBytes: gib(10.12),
      availableKvBytes: gib(5.59),
      estimatedMaxModelLen: 122080,
    },
  },
  {
    name: 'V1 max-len with the docs link (format_gib sizes, vllm#34076)',
    lines: [
      "(EngineCore_DP0 pid=1094) ValueError: To serve at least one request with the models's max seq len (262144), (24.0 GiB KV cache is needed, which is larger than the available KV cache memory (3.18 GiB). Based on the available memory, the estimated maximum model length is 34736. Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine. See https://docs.vllm.ai/en/latest/configuration/conserving_memory/ for more details.",
    ],
    kind: 'max-len',
    figures: {
      maxModelLen: 262144,
      neededKvBytes: gib(24),
      availableKvBytes: gib(3.18),
      estimatedMaxModelLen: 34736,
    },
  },
  {
    name: 'newest V1 max-len ("model\'s", the CPU-backend note, the docs link)',
    lines: [
      "(EngineCore pid=1944469) ERROR 10-01 12:55:17 [core.py:1366] ValueError: To serve at least one request with the model's max seq len (49152), (1.82 GiB KV cache is needed, which is larger than the available KV cache memory (1.68 GiB). Based on the available memory, the estimated maximum model length is 45472. Try increasing `gpu_memory_utilization` (which also controls CPU memory on the CPU backend) or decreasing `max_model_len` when initializing the engine. See https://docs.vllm.ai/en/latest/configuration/conserving_memory/ for more details.",
    ],
    kind: 'max-len',
    figures: {
      maxModelLen: 49152,
      neededKvBytes: gib(1.82),
      availableKvBytes: gib(1.68),
      estimatedMaxModelLen: 45472,
    },
  },
  {
    // Not a vLLM format (every source read keeps the parenthesis): how public write-ups quote the message.
    name: 'V1 max-len quoted without the parenthesis before the needed size',
    lines: [
      "ValueError: To serve at least one request with the model's max seq len (262144), 26.0 GiB KV cache is needed, which is larger than the available KV cache memory (14.79 GiB). Based on the available memory, the estimated maximum model length is 149104.",
    ],
    kind: 'max-len',
    figures: {
      maxModelLen: 262144,
      neededKvBytes: gib(26),
      availableKvBytes: gib(14.79),
      estimatedMaxModelLen: 149104,
    },
  },
  {
    name: 'no cache blocks',
    lines: [
      'ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.',
    ],
    kind: 'no-cache-blocks',
    figures: {},
  },
  {
    name: 'no cache blocks with the docs link',
    lines: [
      '(EngineCore pid=374) ERROR 05-25 15:29:28 [core.py:1140] ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine. See https://docs.vllm.ai/en/latest/configuration/conserving_memory/ for more details.',
    ],
    kind: 'no-cache-blocks',
    figures: {},
  },
  {
    name: 'start-up free memory, 0.9–0.11 (no device; an unrounded figure is read too)',
    lines: [
      'ValueError: Free memory on device (12.873291015625/15.29 GiB) on startup is less than desired GPU memory utilization (0.9, 13.76 GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.',
    ],
    kind: 'startup-free-memory',
    figures: {
      freeBytes: gib(12.873291015625),
      totalBytes: gib(15.29),
      gpuMemoryUtilization: 0.9,
      requestedBytes: gib(13.76),
    },
  },
  {
    name: 'start-up free memory, newer (device, 2 decimals)',
    lines: [
      '(EngineCore pid=253) ValueError: Free memory on device cuda:0 (12.18/23.56 GiB) on startup is less than desired GPU memory utilization (0.92, 21.67 GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.',
    ],
    kind: 'startup-free-memory',
    figures: {
      device: 'cuda:0',
      freeBytes: gib(12.18),
      totalBytes: gib(23.56),
      gpuMemoryUtilization: 0.92,
      requestedBytes: gib(21.67),
    },
  },
  {
    name: 'profiling error, bytes (0.6.4 / 0.8)',
    lines: [
      'AssertionError: Error in memory profiling. Initial free memory 13125599232, current free memory 13325599232. This happens when the GPU memory was not properly cleaned up before initializing the vLLM instance.',
    ],
    kind: 'profiling-error',
    figures: { initialFreeBytes: 13125599232, currentFreeBytes: 13325599232 },
  },
  {
    name: 'profiling error, GiB (0.9.1+)',
    lines: [
      'AssertionError: Error in memory profiling. Initial free memory 12.22 GiB, current free memory 12.41 GiB. This happens when other processes sharing the same container release GPU memory while vLLM is profiling during initialization.',
    ],
    kind: 'profiling-error',
    figures: { initialFreeBytes: gib(12.22), currentFreeBytes: gib(12.41) },
  },
  {
    name: 'swap space too large',
    lines: [
      'ValueError: Too large swap space. 12.00 GiB out of the 15.29 GiB total CPU memory is allocated for the swap space.',
    ],
    kind: 'swap-too-large',
    figures: { swapBytes: gib(12), cpuMemoryBytes: gib(15.29) },
  },
  {
    name: 'quantization needs a newer GPU',
    lines: [
      'ValueError: The quantization method fp8 is not supported for the current GPU. Minimum capability: 80. Current capability: 72.',
    ],
    kind: 'unsupported-quantization',
    figures: { method: 'fp8', minCapability: 80, currentCapability: 72 },
  },
  {
    name: 'bf16 on Xavier',
    lines: [
      'ValueError: Bfloat16 is only supported on GPUs with compute capability of at least 8.0. Your Xavier GPU has compute capability 7.2. You can use float16 instead by explicitly setting the`dtype` flag in CLI, for example: --dtype=half.',
    ],
    kind: 'bf16-unsupported',
    figures: { minCapability: 80, currentCapability: 72 },
  },
  {
    name: 'unrecognized --swap-space',
    lines: ['api_server.py: error: unrecognized arguments: --swap-space 0'],
    kind: 'unknown-argument',
    figures: { arguments: '--swap-space 0' },
  },
  {
    name: 'unrecognized arguments, none named',
    lines: ['vllm: error: unrecognized arguments'],
    kind: 'unknown-argument',
    figures: {},
  },
  {
    name: 'image needs a newer driver (nvidia-container-cli)',
    lines: [
      "docker: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error running hook #0: error running hook: exit status 1, stdout: , stderr: Auto-detected mode as 'csv' nvidia-container-cli: requirement error: unsatisfied condition: cuda>=13.0, please update your driver to a newer version, or use an earlier cuda container: unknown.",
    ],
    kind: 'image-driver-mismatch',
    figures: { requiredCuda: '13.0' },
  },
  {
    name: 'image needs a newer driver (short form)',
    lines: ['nvidia-container-cli: requirement error: unsatisfied condition: cuda>=13'],
    kind: 'image-driver-mismatch',
    figures: { requiredCuda: '13' },
  },
  {
    name: 'bare cuda>= condition',
    lines: ['unsatisfied condition: cuda>=13.0'],
    kind: 'image-driver-mismatch',
    figures: { requiredCuda: '13.0' },
  },
  {
    name: 'docker runtime missing',
    lines: ['docker: Error response from daemon: unknown or invalid runtime name: nvidia.'],
    kind: 'unknown-runtime',
    figures: { runtime: 'nvidia' },
  },
  {
    name: 'docker runtime missing (older dockerd)',
    lines: ['docker: Error response from daemon: Unknown runtime specified nvidia.'],
    kind: 'unknown-runtime',
    figures: { runtime: 'nvidia' },
  },
  {
    name: "uvicorn's port in use",
    lines: ["ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', 8000): address already in use"],
    kind: 'port-in-use',
    figures: { port: 8000 },
  },
  {
    name: "Python's port in use",
    lines: ['OSError: [Errno 98] Address already in use'],
    kind: 'port-in-use',
    figures: {},
  },
  {
    name: "docker's port in use",
    lines: [
      'docker: Error response from daemon: driver failed programming external connectivity on endpoint vllm (3f2a): Bind for 0.0.0.0:8000 failed: port is already allocated.',
    ],
    kind: 'port-in-use',
    figures: { port: 8000 },
  },
  {
    name: 'Hub: Repository Not Found',
    lines: [
      'huggingface_hub.errors.RepositoryNotFoundError: 404 Client Error. (Request ID: Root=1-6789abcd-0123456789abcdef01234567) Repository Not Found for url: https://huggingface.co/api/models/Qwen/Qwen9-7B/revision/main.',
    ],
    kind: 'model-not-found',
    figures: { url: 'https://huggingface.co/api/models/Qwen/Qwen9-7B/revision/main' },
  },
  {
    name: 'Hub: 401 for a missing repo (mentions "gated repo") is not found, not gated',
    lines: [
      'huggingface_hub.errors.RepositoryNotFoundError: 401 Client Error. (Request ID: Root=1-6789abcd) Repository Not Found for url: https://huggingface.co/api/models/acme/nope/revision/main. Please make sure you specified the correct `repo_id` and `repo_type`. If you are trying to access a private or gated repo, make sure you are authenticated. Invalid username or password.',
    ],
    kind: 'model-not-found',
    figures: { url: 'https://huggingface.co/api/models/acme/nope/revision/main' },
  },
  {
    name: 'Hub: bare 404',
    lines: [
      'requests.exceptions.HTTPError: 404 Client Error: Not Found for url: https://huggingface.co/acme/nope/resolve/main/config.json',
    ],
    kind: 'model-not-found',
    figures: { url: 'https://huggingface.co/acme/nope/resolve/main/config.json' },
  },
  {
    name: 'transformers: not a valid model identifier',
    lines: [
      "OSError: Qwen/Qwen9-7B is not a local folder and is not a valid model identifier listed on 'https://huggingface.co/models'",
    ],
    kind: 'model-not-found',
    figures: { model: 'Qwen/Qwen9-7B' },
  },
  {
    name: 'Hub: gated (401, access restricted)',
    lines: [
      'huggingface_hub.errors.GatedRepoError: 401 Client Error. (Request ID: Root=1-6789abcd) Cannot access gated repo for url https://huggingface.co/meta-llama/Llama-3.2-1B/resolve/main/config.json. Access to model meta-llama/Llama-3.2-1B is restricted. You must have access to it and be authenticated to access it. Please log in.',
    ],
    kind: 'gated-model',
    figures: {
      url: 'https://huggingface.co/meta-llama/Llama-3.2-1B/resolve/main/config.json',
      model: 'meta-llama/Llama-3.2-1B',
    },
  },
  {
    name: 'Hub: 403 awaiting approval',
    lines: [
      '403 Client Error. (Request ID: Root=1-6789abcd) Cannot access gated repo for url https://huggingface.co/google/gemma-3-4b-it/resolve/main/config.json. Your request to access model google/gemma-3-4b-it is awaiting a review from the repo authors.',
    ],
    kind: 'gated-model',
    figures: { url: 'https://huggingface.co/google/gemma-3-4b-it/resolve/main/config.json' },
  },
  {
    name: 'Hub: "gated repo" alone',
    lines: ['OSError: You are trying to access a gated repo.'],
    kind: 'gated-model',
    figures: {},
  },
  {
    name: 'Hub: access restricted alone',
    lines: ['Access to model meta-llama/Llama-3.1-8B-Instruct is restricted and you are not in the authorized list.'],
    kind: 'gated-model',
    figures: { model: 'meta-llama/Llama-3.1-8B-Instruct' },
  },
  {
    name: 'V1 EngineCore failed to start',
    lines: ['ERROR 12-17 10:47:07 [core.py:396] EngineCore failed to start.'],
    kind: 'engine-failed',
    figures: {},
  },
  {
    name: 'V1 engine core initialization failed (exit 1)',
    lines: [
      "RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {'EngineCore_0': 1}",
    ],
    kind: 'engine-failed',
    figures: { process: 'EngineCore_0', returnCode: 1 },
  },
  {
    name: 'V1 engine core initialization failed (no proc)',
    lines: ['RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}'],
    kind: 'engine-failed',
    figures: {},
  },
  {
    name: 'V0 engine process',
    lines: ['RuntimeError: Engine process failed to start. See stack trace for the root cause.'],
    kind: 'engine-failed',
    figures: {},
  },
  {
    name: 'V1 engine died at runtime',
    lines: [
      'ERROR 05-14 01:00:00 [core_client.py:564] Engine core proc EngineCore_0 died unexpectedly, shutting down client.',
    ],
    kind: 'engine-failed',
    figures: {},
  },
];

describe('fatal patterns', () => {
  it.each(FAILURES)('$name → $kind', ({ lines, kind, figures: expected }) => {
    const state = parseLog(lines);
    expect(state.failure).toEqual({ kind, line: lines.at(-1)?.trim(), figures: expected });
    expect(state.stage).toBe('failed');
    expect(state.stages.at(-1)).toEqual({ stage: 'failed', atMs: lines.length - 1 });
  });

  it('covers every failure kind', () => {
    const kinds = new Set(FAILURES.map((f) => f.kind));
    expect([...kinds].sort()).toEqual(
      [
        'oom-killed',
        'cuda-oom',
        'max-len',
        'no-cache-blocks',
        'startup-free-memory',
        'profiling-error',
        'swap-too-large',
        'unsupported-quantization',
        'bf16-unsupported',
        'unknown-argument',
        'image-driver-mismatch',
        'unknown-runtime',
        'port-in-use',
        'model-not-found',
        'gated-model',
        'engine-failed',
      ].sort(),
    );
  });

  it.each([
    'WARNING 01-23 07:31:45 config.py:1674] Possibly too large swap space. 4.00 GiB out of the 7.44 GiB total CPU memory is allocated for the swap space.',
    'INFO 01-23 07:34:30 model_runner.py:1389] CUDA graphs can take additional 1~3 GiB memory per GPU. If you are running out of memory, consider decreasing `gpu_memory_utilization` or enforcing eager mode.',
    "WARNING 04-02 09:21:55 [profiling.py:221] The context length (5120) of the model is too short to hold the multi-modal embeddings in the worst case (32768 tokens in total, out of which {'image': 16384, 'video': 16384} are reserved for multi-modal embeddings).",
    'CRITICAL 05-25 18:32:52 [core_client.py:269] Got fatal signal from worker processes, shutting down. See stack trace above for root cause issue.',
    'INFO:     127.0.0.1:51234 - "GET /v1/nope HTTP/1.1" 404 Not Found',
    'INFO:     127.0.0.1:51234 - "POST /v1/chat/completions HTTP/1.1" 401 Unauthorized',
    'INFO 03-18 12:35:24 [monitor.py:33] torch.compile takes 23.4 s in total',
  ])('%s is not a failure', (line) => {
    expect(parseLog([line]).failure).toBeNull();
  });

  it('fills the figures a failure line gives when the log did not print them', () => {
    const state = parseLog([
      'ValueError: Free memory on device (12.873291015625/15.29 GiB) on startup is less than desired GPU memory utilization (0.9, 13.76 GiB).',
    ]);
    expect(state.figures).toEqual(figures({ totalGpuMemoryBytes: gib(15.29), gpuMemoryUtilization: 0.9 }));
    const maxLen = parseLog([
      'max_seq_len=4096',
      "ValueError: The model's max seq len (8192) is larger than the maximum number of tokens that can be stored in KV cache (2032).",
    ]);
    expect(maxLen.figures).toEqual(figures({ maxModelLen: 4096, kvTokens: 2032 }));
  });

  it('takes the estimate from its own line when the message was wrapped', () => {
    const state = parseLog([
      "ValueError: To serve at least one request with the model's max seq len (221000), (10.12 GiB KV cache is needed, which is larger than the available KV cache memory (5.59 GiB).",
      'Based on the available memory, the estimated maximum model length is 122080. Try increasing `gpu_memory_utilization`.',
    ]);
    expect(state.failure?.figures).toEqual({
      maxModelLen: 221000,
      neededKvBytes: gib(10.12),
      availableKvBytes: gib(5.59),
      estimatedMaxModelLen: 122080,
    });
  });
});

describe('the most specific failure wins', () => {
  it('a specific failure after engine-failed replaces it; the stage keeps its first failure time', () => {
    const state = parseLog([
      'Model loading took 2.5521 GiB and 6.006044 seconds',
      'ERROR 12-17 10:47:07 [core.py:396] EngineCore failed to start.',
      'ERROR 12-17 10:47:07 [core.py:396] Traceback (most recent call last):',
      'ERROR 12-17 10:47:07 [core.py:396] torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 64.00 MiB.',
    ]);
    expect(state.failure).toEqual({
      kind: 'cuda-oom',
      line: 'ERROR 12-17 10:47:07 [core.py:396] torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 64.00 MiB.',
      // The OOM came during profiling: the stage before the failure, not 'failed'.
      figures: { during: 'profiling', triedBytes: mib(64) },
    });
    expect(state.stages).toEqual([
      { stage: 'memory-profiling', atMs: 0 },
      { stage: 'failed', atMs: 1 },
    ]);
  });

  it('engine-failed after a specific failure does not replace it', () => {
    const state = parseLog([
      'ValueError: No available memory for the cache blocks.',
      'RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}',
    ]);
    expect(state.failure?.kind).toBe('no-cache-blocks');
  });

  it('oom-killed replaces engine-failed, not a specific failure', () => {
    expect(parseLog(['EngineCore failed to start.', 'Killed']).failure?.kind).toBe('oom-killed');
    expect(parseLog(['RuntimeError: CUDA error: out of memory', 'Killed']).failure?.kind).toBe('cuda-oom');
    expect(parseLog(['Killed', 'EngineCore failed to start.']).failure?.kind).toBe('oom-killed');
  });

  it('of two specific failures the first (the root cause) stays', () => {
    const state = parseLog([
      'ValueError: No available memory for the cache blocks.',
      "ValueError: The model's max seq len (4096) is larger than the maximum number of tokens that can be stored in KV cache (0).",
    ]);
    expect(state.failure?.kind).toBe('no-cache-blocks');
  });

  it('a failure after ready fails the launch', () => {
    const state = parseLog([...V08_LOG, 'Killed']);
    expect(state.stage).toBe('failed');
    expect(state.stages.slice(-2)).toEqual([
      { stage: 'ready', atMs: V08_LOG.length - 1 },
      { stage: 'failed', atMs: V08_LOG.length },
    ]);
  });

  it('markers after a failure do not move the stage but still give figures', () => {
    const state = parseLog(['Killed', 'GPU KV cache size: 1,024 tokens', 'INFO:     Application startup complete.']);
    expect(state.stage).toBe('failed');
    expect(state.stages).toEqual([{ stage: 'failed', atMs: 0 }]);
    expect(state.figures.kvTokens).toBe(1024);
  });
});

describe('markExited', () => {
  const loading = parseLog(V063_LOG.slice(0, 20));

  it.each([
    [137, null, { exitCode: 137 }, 'exit code 137'],
    [null, 'SIGKILL', { signal: 'SIGKILL' }, 'signal SIGKILL'],
    [137, 'SIGKILL', { exitCode: 137, signal: 'SIGKILL' }, 'exit code 137, signal SIGKILL'],
  ] as const)('exit %s / %s → oom-killed', (code, signal, expected, line) => {
    const state = markExited(loading, code, signal, 5000);
    expect(state.failure).toEqual({ kind: 'oom-killed', line, figures: expected });
    expect(state.stage).toBe('failed');
    expect(state.stages.at(-1)).toEqual({ stage: 'failed', atMs: 5000 });
    expect(state.lines).toBe(loading.lines);
  });

  it('keeps a more specific failure', () => {
    const oom = parseLog(['RuntimeError: CUDA error: out of memory']);
    expect(markExited(oom, 137, null, 1)).toBe(oom);
    const killed = parseLog(['Killed']);
    expect(markExited(killed, 137, null, 1)).toBe(killed);
  });

  it('replaces engine-failed', () => {
    const state = markExited(parseLog(['EngineCore failed to start.']), null, 'SIGKILL', 7);
    expect(state.failure?.kind).toBe('oom-killed');
    expect(state.stages).toEqual([{ stage: 'failed', atMs: 0 }]);
  });

  it('reports any other crash as engine-failed when nothing more is known', () => {
    expect(markExited(loading, 1, null, 9).failure).toEqual({
      kind: 'engine-failed',
      line: 'exit code 1',
      figures: { exitCode: 1 },
    });
    expect(markExited(loading, null, 'SIGSEGV', 9).failure?.kind).toBe('engine-failed');
    const known = parseLog(['ValueError: No available memory for the cache blocks.']);
    expect(markExited(known, 1, null, 9)).toBe(known);
  });

  it.each([
    [0, null],
    [130, null],
    [143, null],
    [null, 'SIGTERM'],
    [null, 'SIGINT'],
    [null, null],
    [null, ''],
  ] as const)('exit %s / %s is a stop, not a failure', (code, signal) => {
    const ready = parseLog(V08_LOG);
    expect(markExited(ready, code, signal, 1)).toBe(ready);
  });

  it('ignores a non-finite exit code', () => {
    expect(markExited(loading, Number.NaN, null, 1)).toBe(loading);
  });
});
