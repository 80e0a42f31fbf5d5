/**
 * Log lines that do not belong to one vLLM version family: docker's own output, and what every vLLM from 0.6.3
 * (V0) to the newest V1 prints (platform, version, args, engine config, max model len, concurrency, graph
 * capture end, uvicorn). Format: reference/vllm-memory.md §7; the stage order §1.1 (V0) / §2.1 (V1).
 */
import { COUNT, N, SN, type FigureRule, type StageMarker } from './grammar.js';

/** The figure rules of lines every version prints, in the order the reducer applies them. */
export const COMMON_FIGURE_RULES: readonly FigureRule[] = [
  // V0 profile lines (see v0-lines.ts) print it in three forms — 0.6.4 `gpu_memory_utilization=0.90`, 0.6.5
  // `gpu_memory_utilization (0.90)`, the PR #10511 table — plus `args: Namespace(… gpu_memory_utilization=0.9 …)`
  // (0.6.3) and `non-default args: {… 'gpu_memory_utilization': 0.75 …}` (0.9+).
  {
    re: new RegExp(`(?<![\\w-])gpu_memory_utilization'?(?:=|:\\s*|\\s+\\(|\\s+)(${N})`),
    keys: ['gpuMemoryUtilization'],
  },
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
  // Engine config `…, max_seq_len=200, …` (not `max_seq_len_to_capture=8192`), args `max_model_len=200`,
  // 0.9+ `non-default args: {… 'max_model_len': 8192 …}` and `Using max model len 8192`.
  { re: /(?<!\w)max_seq_len=(\d+)/, keys: ['maxModelLen'] },
  { re: /(?<!\w)max_model_len=(\d+)/, keys: ['maxModelLen'] },
  { re: /'max_model_len': (\d+)/, keys: ['maxModelLen'] },
  { re: /Using max model len (\d+)/, keys: ['maxModelLen'] },
];

/**
 * The engine config line; group 1 is `V0` / `V1` when printed, group 2 the version. V0 up to 0.7.0 `Initializing an
 * LLM engine (v0.6.3.post1) with config: …`; V0 0.7.1–0.10 `Initializing a V0 LLM engine (v0.7.3) with config: …`
 * (vllm/engine/llm_engine.py `LLMEngine.__init__`, PR #12496); V1 `Initializing a V1 LLM engine (v0.8.0) with …`.
 */
export const ENGINE_CONFIG_RE = /Initializing an? (?:(V[01]) )?LLM engine \(v([^)\s]+)\)/;
/**
 * The API server's version line; group 1 is the version. Up to 0.14 `vLLM API server version 0.6.3.post1`
 * (vllm/entrypoints/openai/api_server.py `run_server`). From 0.15 vllm/entrypoints/utils.py `log_version_and_model`
 * prints `vLLM server version 0.18.0, serving model Qwen/Qwen3-4B` when VLLM_DISABLE_LOG_LOGO is set (or the logger
 * has no vLLM formatter), else an ASCII logo, one prefixed log line per logo row, the version on the second:
 * `(APIServer pid=1) INFO 06-19 15:35:00 [api_utils.py:339]  ▄▄ ▄█ █     █     █ ▀▄▀ █  version 0.23.0` (the
 * colour formatter's ANSI codes around it are stripped before matching).
 */
export const SERVER_VERSION_RES: readonly RegExp[] = [
  /vLLM API server version (\S+)/,
  /vLLM server version ([^\s,]+), serving model/,
  /▀▄▀ █\s+version (\S+)/,
];
/**
 * `Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)`; `Starting vLLM API server on http://…` (0.8),
 * `Starting vLLM API server 0 on http://…` (0.10/0.11), `Starting vLLM server on http://…` (newest); group 1 is the URL.
 */
export const SERVER_URL_RES: readonly RegExp[] = [
  /Uvicorn running on (https?:\/\/[^\s)]+)/,
  /Starting vLLM (?:API )?server(?: \d+)? on (https?:\/\/[^\s)]+)/,
];

/** The stage markers of docker and of lines every version prints. */
export const COMMON_STAGE_MARKERS: readonly StageMarker[] = [
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
  // The first lines of the vLLM process: `Automatically detected platform cuda.`, `vLLM API server version 0.8.0`
  // (0.15+: `vLLM server version 0.18.0, serving model …` or the logo's `█ ▀▄▀ █  version 0.23.0`),
  // `args: Namespace(…)` (0.6.3), `non-default args: {…}` (0.9+).
  ['container-start', /Automatically detected platform \w/],
  ['container-start', /vLLM (?:API )?server version \S|▀▄▀ █\s+version \S/],
  ['container-start', /args: (?:Namespace\(|\{)/],
  ['engine-config', ENGINE_CONFIG_RE],
  // `Starting to load model ./Qwen2-7B-Instruct.Q4_K_M.gguf...`; safetensors progress; the loader's own time.
  ['weights-loading', /Starting to load model \S/],
  ['weights-loading', /Loading \w+ checkpoint shards|Loading weights took \d/],
  ['kv-cache', /Maximum concurrency for \d|Overriding num_gpu_blocks=/],
  // The end line of the capture (V0 0.6.3, V1; 0.8 prints only this one). With --enforce-eager no capture line
  // comes: kv-cache is followed by api-server.
  ['cuda-graphs', /Graph capturing finished/],
  ['api-server', /Starting vLLM (?:API )?server(?: \d+)? on|Available routes are|Started server process/],
  ['api-server', /Waiting for application startup/],
  ['ready', /Application startup complete|Uvicorn running on/],
];
