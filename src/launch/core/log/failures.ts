/**
 * The fatal lines of a vLLM start (and of docker, argparse and huggingface_hub before it): each kind, the loose
 * pattern that finds it and the figures read from the line. Every version family is here in one list, because the
 * first rule that matches wins and the order says which kind is the root cause.
 * Format: reference/vllm-memory.md §7 (fatal patterns).
 */
import { N, SN, sizeToBytes, gibToBytes, toNumber } from './grammar.js';
import type { FailureFigures, LaunchStage, LogFailure, LogFailureKind, OomDuring } from './state.js';

type Figures = FailureFigures;

/** A later failure replaces the current one only when it ranks higher: the first of equals is the root cause. */
export const FAILURE_RANK: Readonly<Record<LogFailureKind, number>> = {
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

/** `Based on the available memory, the estimated maximum model length is 122080.` (mid-2025 V1 onwards). */
export const ESTIMATED_MAX_LEN_RE = /the estimated maximum model length is (\d+)/;

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
export interface FailureRule {
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
    // Newer vllm/v1/core/kv_cache_utils.py `_check_enough_kv_cache_memory` prints format_gib sizes (`(24.0 GiB KV`)
    // and ends `… See https://docs.vllm.ai/en/latest/configuration/conserving_memory/ for more details.`
    // (vllm#34076); later builds spell it "model's" and add `(which also controls CPU memory on the CPU backend)`
    // after `gpu_memory_utilization`. Quotes of it in public write-ups often drop the parenthesis before the needed
    // size (`(262144), 26.0 GiB KV cache is needed`); no vLLM source read prints that, but the figures are read.
    kind: 'max-len',
    re: /To serve at least one request with the models?'s max seq len/,
    figures: (text) => {
      const m = new RegExp(
        `max seq len \\((\\d+)\\), \\(?(${N}) (Gi?B) KV cache is needed, which is larger than the available KV cache memory \\((${SN}) (Gi?B)\\)`,
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
    // V1 0.9.1+: `ValueError: Free memory on device (12.87/15.29 GiB) on startup is less than desired GPU memory
    // utilization (0.9, 13.76 GiB).` (0.9–0.11: no device; vllm/v1/worker/gpu_worker.py `Worker.init_device` rounds
    // the GiB figures to two places, `GiB = lambda b: round(b / GiB_bytes, 2)`); from Dec 2025
    // vllm/v1/worker/utils.py `request_memory` names the device: `on device cuda:0 (12.18/23.56 GiB) … (0.92, 21.67
    // GiB)`. Any decimal is read, rounded or not.
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

/** Returns the failure a line reports (`before`: the last stage reached), or null. */
export function detectFailure(text: string, before: LaunchStage | null): LogFailure | null {
  for (const rule of FAILURE_RULES) {
    if (rule.re.test(text)) return { kind: rule.kind, line: text, figures: rule.figures(text, before) };
  }
  return null;
}
