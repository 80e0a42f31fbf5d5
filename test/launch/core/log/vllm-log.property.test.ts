/**
 * Property tests for the vLLM log reducer: parseLogLine never throws and always gives a well-formed state, for
 * random text (any code point, control and ANSI characters) and for real lines mutated character by character and
 * token by token; over any sequence of lines and exits the stage never goes backwards, figures once known stay
 * known, a failure is only replaced by a more specific one, and the input state is never changed.
 */
import { readFileSync } from 'node:fs';
import { recordedPath } from '../../../helpers/recorded.js';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { markExited, parseLog, parseLogLine } from '../../../../src/launch/core/log/reducer.js';
import {
  LAUNCH_STAGES,
  initialLogState,
  type LogFailureKind,
  type LogState,
} from '../../../../src/launch/core/log/state.js';

const RUNS = { numRuns: 10_000 };

const fixtureLines = (
  JSON.parse(readFileSync(recordedPath('vllm-logs.json'), 'utf8')) as {
    log_lines: string[];
  }[]
).flatMap((f) => f.log_lines);

/** One line of every format of reference/vllm-memory.md §7 the fixtures lack (the unit tests hold full logs). */
const FORMAT_LINES = [
  "Unable to find image 'dustynv/vllm:0.6.3-r36.4.0' locally",
  '0.6.3-r36.4.0: Pulling from dustynv/vllm',
  '6414378b6477: Pull complete',
  'Status: Downloaded newer image for dustynv/vllm:0.6.3-r36.4.0',
  'INFO 03-18 12:34:50 [__init__.py:256] Automatically detected platform cuda.',
  'INFO 01-23 07:31:40 api_server.py:528] vLLM API server version 0.6.3.post1',
  'INFO 01-23 07:31:40 api_server.py:529] args: Namespace(max_model_len=200, gpu_memory_utilization=0.9, swap_space=4)',
  "(APIServer pid=1) INFO 09-15 10:00:00 [utils.py:328] non-default args: {'max_model_len': 8192, 'gpu_memory_utilization': 0.75}",
  "INFO 01-23 07:31:45 llm_engine.py:237] Initializing an LLM engine (v0.6.3.post1) with config: model='m', max_seq_len=200, quantization=gguf, enforce_eager=False",
  "(EngineCore_0 pid=107) INFO 09-15 10:00:12 [core.py:76] Initializing a V1 LLM engine (v0.10.2) with config: model='m', max_seq_len=8192",
  '(APIServer pid=1) INFO 09-15 10:00:06 [__init__.py:1815] Using max model len 8192',
  'INFO 01-23 07:32:01 model_runner.py:1060] Starting to load model ./Qwen2-7B-Instruct.Q4_K_M.gguf...',
  'INFO 01-23 07:32:42 model_runner.py:1071] Loading model weights took 4.3752 GB',
  'INFO 11-20 10:00:14 worker.py:232] Memory profiling results: total_gpu_memory=15.29GiB initial_memory_usage=6.40GiB peak_torch_memory=6.98GiB memory_usage_post_profile=6.61GiB non_torch_memory=0.63GiB kv_cache_size=6.15GiB gpu_memory_utilization=0.90',
  'INFO 01-28 09:00:18 worker.py:266] Memory profiling takes 1.46 seconds',
  'the current vLLM instance can use total_gpu_memory (23.55GiB) x gpu_memory_utilization (0.90) = 21.19GiB',
  'model weights take 7.51GiB; non_torch_memory takes 0.39GiB; PyTorch activation peak memory takes 2.53GiB; the rest of the memory reserved for KV Cache is 4.55GiB.',
  'INFO 10-02 11:00:00 [gpu_worker.py:290] Initial free memory 12.34 GiB, reserved 4.00 GiB memory for KV Cache as specified by kv_cache_memory_bytes config and skipped memory profiling.',
  'DEBUG 09-15 10:00:41 [gpu_worker.py:281] Memory profiling takes 2.10 seconds. Total non KV cache memory: 9.51GiB; torch peak memory increase: 1.23GiB; non-torch forward increase memory: 0.12GiB; weights memory: 8.16GiB.',
  'INFO 01-28 09:00:18 executor_base.py:110] # CUDA blocks: 2344, # CPU blocks: 2048',
  'INFO 01-23 07:34:26 gpu_executor.py:122] # GPU blocks: 11836, # CPU blocks: 4681',
  'INFO 01-23 07:34:30 model_runner.py:1385] Capturing the model for CUDA graphs. This may lead to unexpected consequences if the model is not static.',
  '(EngineCore_0 pid=107) Capturing CUDA graph shapes: 100%|██████████| 67/67 [00:08<00:00,  7.95it/s]',
  'INFO 03-18 12:35:38 [gpu_model_runner.py:1439] Graph capturing finished in 12 secs, took 0.45 GiB',
  'INFO 03-18 12:35:39 [api_server.py:1024] Starting vLLM API server on http://0.0.0.0:8000',
  'INFO 01-23 07:34:40 launcher.py:19] Available routes are:',
  'INFO:     Started server process [1]',
  'INFO:     Application startup complete.',
  'INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)',
  '[ 1234.567890] Out of memory: Killed process 4242 (python3) total-vm:20971520kB',
  'vllm-1 exited with code 137',
  "(APIServer pid=1) RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {'EngineCore_0': -9}",
  'torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 15.29 GiB total capacity)',
  "ValueError: The model's max seq len (4096) is larger than the maximum number of tokens that can be stored in KV cache (2032).",
  'ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.',
  'ValueError: Free memory on device cuda:0 (12.18/23.56 GiB) on startup is less than desired GPU memory utilization (0.92, 21.67 GiB).',
  'AssertionError: Error in memory profiling. Initial free memory 12.22 GiB, current free memory 12.41 GiB.',
  'ValueError: Too large swap space. 12.00 GiB out of the 15.29 GiB total CPU memory is allocated for the swap space.',
  'ValueError: The quantization method fp8 is not supported for the current GPU. Minimum capability: 80. Current capability: 72.',
  'ValueError: Bfloat16 is only supported on GPUs with compute capability of at least 8.0. Your Xavier GPU has compute capability 7.2.',
  'api_server.py: error: unrecognized arguments: --swap-space 0',
  'nvidia-container-cli: requirement error: unsatisfied condition: cuda>=13.0, please update your driver',
  'docker: Error response from daemon: unknown or invalid runtime name: nvidia.',
  "ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', 8000): address already in use",
  'huggingface_hub.errors.RepositoryNotFoundError: 404 Client Error. Repository Not Found for url: https://huggingface.co/api/models/a/b/revision/main.',
  'huggingface_hub.errors.GatedRepoError: 401 Client Error. Cannot access gated repo for url https://huggingface.co/a/b/resolve/main/config.json. Access to model a/b is restricted.',
];

const BASE_LINES = [...fixtureLines, ...FORMAT_LINES];

/** Pieces vLLM lines are made of, so random text often comes close to a pattern. */
const PIECES = [
  'INFO ',
  'ERROR ',
  '(EngineCore_0 pid=107) ',
  'GiB',
  ' GiB',
  'GB',
  'MiB',
  ' tokens',
  ', ',
  ',',
  '.',
  '-',
  '(',
  ')',
  '{',
  '}',
  "'",
  ': ',
  '=',
  'x',
  '0',
  '9',
  '-9',
  '137',
  '1,234',
  '9'.repeat(400),
  '1e309',
  'Infinity',
  'NaN',
  '# GPU blocks: ',
  '# CPU blocks: ',
  'GPU KV cache size: ',
  'Maximum concurrency for ',
  ' tokens per request: ',
  'Model loading took ',
  'Loading model weights took ',
  'total_gpu_memory',
  'gpu_memory_utilization',
  'kv_cache_size=',
  'Available KV cache memory: ',
  'Graph capturing finished in ',
  'Killed',
  'CUDA out of memory',
  'Failed core proc(s): ',
  'max seq len (',
  'Free memory on device ',
  'for url: ',
  'http://',
  'Uvicorn running on ',
  'Application startup complete',
  '\u001b[0;36m',
  '\r',
  '\n',
  '\t',
  '\0',
  '__proto__',
  'constructor',
];

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'binary-ascii', maxLength: 200 }),
  fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 4 })), { maxLength: 40 }).map((p) => p.join('')),
);

type Mutation =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'replace'; at: number; text: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'swapTokens'; a: number; b: number }
  | { kind: 'dropToken'; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...PIECES), fc.string({ unit: 'binary', maxLength: 3 })),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant('replace' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...PIECES), fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 })),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swapTokens' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('dropToken' as const), at: fc.nat() }),
);

/** Applies one mutation; positions wrap around the current length. */
function mutate(line: string, m: Mutation): string {
  const tokens = line.split(' ');
  const n = tokens.length;
  const at = (i: number): number => i % (line.length + 1);
  switch (m.kind) {
    case 'insert':
      return line.slice(0, at(m.at)) + m.text + line.slice(at(m.at));
    case 'delete':
      return line.slice(0, at(m.at)) + line.slice(at(m.at) + m.length);
    case 'replace':
      return line.slice(0, at(m.at)) + m.text + line.slice(at(m.at) + 1);
    case 'truncate':
      return line.slice(0, at(m.at));
    case 'swapTokens': {
      const copy = [...tokens];
      const a = m.a % n;
      const b = m.b % n;
      [copy[a], copy[b]] = [copy[b] ?? '', copy[a] ?? ''];
      return copy.join(' ');
    }
    case 'dropToken':
      return tokens.filter((_, i) => i !== m.at % n).join(' ');
    default: {
      const exhaustive: never = m;
      return exhaustive;
    }
  }
}

const mutatedLine = fc
  .tuple(fc.constantFrom(...BASE_LINES), fc.array(mutationArb, { minLength: 1, maxLength: 6 }))
  .map(([line, mutations]) => mutations.reduce(mutate, line));

const anyLine = fc.oneof(fc.constantFrom(...BASE_LINES), mutatedLine, anyText);

// ---------------------------------------------------------------------------------------------------------------
// Well-formedness
// ---------------------------------------------------------------------------------------------------------------

/** Fails the property with a message (plain checks: 10 000 runs of `expect` would be slow). */
function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

const rank = (stage: string): number => LAUNCH_STAGES.indexOf(stage as (typeof LAUNCH_STAGES)[number]);
const FIGURE_KEYS = Object.keys(initialLogState().figures).sort().join(',');
const FAILURE_RANK = (kind: LogFailureKind): number => (kind === 'engine-failed' ? 0 : kind === 'oom-killed' ? 1 : 2);

/** Throws unless `state` is well formed: shapes, finite numbers, stages strictly in order, failure ⇔ 'failed'. */
function checkWellFormed(state: LogState): void {
  check(Object.keys(state).sort().join(',') === 'failure,figures,lines,stage,stages', 'state shape');
  check(Object.keys(state.figures).sort().join(',') === FIGURE_KEYS, 'figures shape');
  for (const [key, value] of Object.entries(state.figures)) {
    check(value === null || typeof value === 'string' || Number.isFinite(value), `figure ${key} = ${String(value)}`);
  }
  const { engine } = state.figures;
  check(engine === null || engine === 'v0' || engine === 'v1', 'engine');
  check(rank(state.stage) >= 0, `stage ${state.stage}`);
  state.stages.forEach((entry, i) => {
    check(rank(entry.stage) >= 0, `stages[${i}]`);
    const previous = state.stages[i - 1];
    if (previous !== undefined) check(rank(entry.stage) > rank(previous.stage), `stages out of order at ${i}`);
  });
  const last = state.stages.at(-1);
  check(last === undefined ? state.stage === 'image-pull' : last.stage === state.stage, 'last stage is the stage');
  check((state.failure !== null) === (state.stage === 'failed'), 'failure iff failed');
  if (state.failure !== null) {
    for (const [key, value] of Object.entries(state.failure.figures)) {
      check(typeof value === 'string' || Number.isFinite(value), `failure figure ${key}`);
    }
  }
  check(Number.isInteger(state.lines) && state.lines >= 0, 'lines');
}

/** States to feed a line to: fresh, mid-start-up, ready, failed. */
const BASE_STATES: LogState[] = [
  initialLogState(),
  parseLog(FORMAT_LINES.slice(0, 14)),
  parseLog(FORMAT_LINES.slice(0, 29)),
  parseLog(fixtureLines),
];

describe('parseLogLine never throws', () => {
  it('on 10 000 random strings', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BASE_STATES), anyText, fc.double(), (state, line, atMs) => {
        const next = parseLogLine(state, line, atMs);
        checkWellFormed(next);
        check(next.lines === state.lines + 1, 'counts the line');
      }),
      RUNS,
    );
  });

  it('on 10 000 mutated real lines', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BASE_STATES), mutatedLine, fc.integer(), (state, line, atMs) => {
        checkWellFormed(parseLogLine(state, line, atMs));
      }),
      RUNS,
    );
  });

  it('on whatever a caller might pass at run time', () => {
    const odd = [undefined, null, 42, {}, ['Killed'], 'x'.repeat(200_000) + 'Killed'] as unknown as string[];
    for (const line of odd) checkWellFormed(parseLogLine(initialLogState(), line, 0));
  });
});

/** A step of a launch as the monitor sees it: a line, or the process ending. */
type Step = { line: string; atMs: number } | { exitCode: number | null; signal: string | null; atMs: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ line: anyLine, atMs: fc.integer() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      exitCode: fc.option(fc.oneof(fc.constantFrom(0, 1, 137, 143), fc.integer())),
      signal: fc.option(fc.constantFrom('SIGKILL', 'SIGTERM', 'SIGINT', 'SIGSEGV', '')),
      atMs: fc.integer(),
    }),
  },
);

describe('over any sequence of lines and exits', () => {
  it('the stage never goes backwards, figures stay known, failures only get more specific', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        let state = initialLogState();
        for (const step of steps) {
          const snapshot = JSON.stringify(state);
          const next =
            'line' in step
              ? parseLogLine(state, step.line, step.atMs)
              : markExited(state, step.exitCode, step.signal, step.atMs);
          check(JSON.stringify(state) === snapshot, 'input state changed');
          checkWellFormed(next);
          check(rank(next.stage) >= rank(state.stage), `stage went back: ${state.stage} → ${next.stage}`);
          check(next.stages.length >= state.stages.length, 'stages shrank');
          state.stages.forEach((entry, i) => {
            const kept = next.stages[i];
            check(kept?.stage === entry.stage && kept.atMs === entry.atMs, 'a recorded stage changed');
          });
          for (const added of next.stages.slice(state.stages.length)) {
            check(added.atMs === step.atMs, 'a new stage is timed by its step');
          }
          for (const [key, value] of Object.entries(state.figures)) {
            const kept = next.figures[key as keyof LogState['figures']];
            check(value === null || kept !== null, `figure ${key} was forgotten`);
          }
          if (state.failure !== null && next.failure !== null && next.failure !== state.failure) {
            check(FAILURE_RANK(next.failure.kind) >= FAILURE_RANK(state.failure.kind), 'failure got less specific');
          }
          check(next.lines === state.lines + ('line' in step ? 1 : 0), 'line count');
          state = next;
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('real lines in any order walk the stages forward only', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(BASE_LINES), (lines) => {
        let previous = initialLogState();
        for (const [i, line] of lines.entries()) {
          const next = parseLogLine(previous, line, i);
          check(rank(next.stage) >= rank(previous.stage), `stage went back on ${line}`);
          previous = next;
        }
        checkWellFormed(previous);
      }),
      { numRuns: 2_000 },
    );
  });
});
