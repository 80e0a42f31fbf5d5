/**
 * The diagnosis catalog on real plans: one failing line per kind (from test/fixtures/recorded/vllm-logs.json
 * where a case has one, else the patterns of vllm-memory.md §7), the plan that ran, and the fix.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildPlan, type Plan, type PlanRequest } from '../../../../src/plan/core/plan.js';
import type { PlanOptions } from '../../../../src/plan/core/request.js';
import { DIAGNOSES } from '../../../../src/launch/core/diagnosis/catalog.js';
import { diagnose } from '../../../../src/launch/core/diagnosis/diagnose.js';
import { listChangedFlags } from '../../../../src/launch/core/diagnosis/replan.js';
import { hasLargeHeadroom } from '../../../../src/launch/core/diagnosis/kill.js';
import type { Diagnosis, FailureInput, FailureKind, Fix } from '../../../../src/launch/core/diagnosis/types.js';
import { GiB } from '../../../../src/shared/units.js';
import { loadTestCatalog, loadVllmLogCases, requestAndPlanFor, SEED_CASE_AS_RUN } from '../../../helpers/catalog.js';

const catalog = loadTestCatalog();
const cases = loadVllmLogCases();

/** The request and plan for CLI-style options, as `plan` builds them (no detection, no network). */
const setup = requestAndPlanFor;

/** A fixture case's line that matches `re`. */
function fixtureLine(url: string, re: RegExp): string {
  const line = cases.find((c) => c.source_url.includes(url))?.log_lines.find((l) => re.test(l));
  if (line === undefined) throw new Error(`no line of ${url} matches ${String(re)}`);
  return line;
}

function run(options: PlanOptions, failure: FailureInput): { diagnosis: Diagnosis; request: PlanRequest; plan: Plan } {
  const { request, plan } = setup(options);
  return { diagnosis: diagnose(failure, request, plan, catalog), request, plan };
}

function replanOf(fix: Fix): Extract<Fix, { kind: 'replan' }> {
  if (fix.kind !== 'replan') throw new Error(`expected a replan, got ${fix.kind}: ${JSON.stringify(fix)}`);
  return fix;
}

function commandOf(fix: Fix): Extract<Fix, { kind: 'command' }> {
  if (fix.kind !== 'command') throw new Error(`expected a command, got ${fix.kind}: ${JSON.stringify(fix)}`);
  return fix;
}

/** The value after `flag` in an argv. */
function flagValue(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i < 0 ? undefined : argv[i + 1];
}

const ORIN_NX_CASE: PlanOptions = SEED_CASE_AS_RUN;
const NX_AWQ: PlanOptions = { device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'awq' };
/** The plan's command: what the launcher runs (named for its port, no -it). */
const nxAwqCommand = (port: number): string =>
  `docker run --rm --name jetson-vllm-qwen2-7b-instruct-${port} --runtime nvidia --network host --shm-size 8g -v /hf:/root/.cache/huggingface -e HF_HOME=/root/.cache/huggingface -e HF_TOKEN ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin vllm serve Qwen/Qwen2-7B-Instruct-AWQ --max-model-len 8192 --max-num-seqs 4 --max-num-batched-tokens 1024 --gpu-memory-utilization 0.88 --swap-space 0 --kv-cache-memory-bytes 1879048192 --enforce-eager`;
const NX_AWQ_COMMAND_HEAD = nxAwqCommand(8000);
const isRunnable = (p: Plan): boolean => p.verdict === 'fits' || p.verdict === 'tight';

describe('oom-killed', () => {
  const line = fixtureLine('jetson-containers/issues/795', /^Killed$/);

  it('Orin NX 16 GB, Qwen2-7B Q4_K_M on vLLM 0.6.3 with its defaults (#795): re-planned to fit', () => {
    const { diagnosis, plan } = run(ORIN_NX_CASE, { kind: 'oom-killed', line, figures: { signal: 'SIGKILL' } });
    expect(plan.verdict).toBe('oom');
    expect(diagnosis.kind).toBe('oom-killed');
    expect(diagnosis.title).toBe(DIAGNOSES['oom-killed'].title);
    expect(diagnosis.cause).toMatch(/pinned CPU swap space 4\.00 GiB/);
    const fix = replanOf(diagnosis.fix);
    expect(fix.plan.verdict).toBe('fits');
    expect(flagValue(fix.plan.argv, '--swap-space')).toBe('0');
    expect(fix.plan.argv).toContain('--enforce-eager');
    expect(fix.changedFlags).toEqual([
      '--max-num-batched-tokens 200',
      '--gpu-memory-utilization 0.31',
      '--swap-space 0',
      '--num-gpu-blocks-override 13',
      '--enforce-eager',
    ]);
    // What the user set stays: the context and one sequence; the planner chose the rest.
    expect(fix.knobs).toEqual({ maxModelLen: 200, maxNumSeqs: 1 });
    expect(fix.defaults).toBe('planner');
    expect(fix.plan.vllm.version).toBe('0.6.3');
    expect(fix.plan.device.id).toBe('orin-nx-16gb');
    expect(fix.plan.kvCache.cpuBlocks).toBe(0);
  });

  it("leaves the user's too-high knobs to the planner and says which", () => {
    const { diagnosis } = run(
      { ...NX_AWQ, vllmVersion: '0.8.6', gpuMemoryUtilization: '0.9', maxNumSeqs: '256', noEnforceEager: true },
      { kind: 'oom-killed', line: 'Killed', figures: {} },
    );
    const fix = replanOf(diagnosis.fix);
    expect(isRunnable(fix.plan)).toBe(true);
    expect(fix.knobs).toEqual({});
    expect(fix.plan.settings.gpuMemoryUtilization).toBeLessThan(0.9);
    expect(fix.plan.settings.maxNumSeqs).toBeLessThan(256);
    expect(fix.explanation).toMatch(/left to the planner what caused it \(.*--gpu-memory-utilization 0\.9/);
    expect(fix.explanation).toMatch(/left to the planner what caused it \(.*--max-num-seqs 256/);
    expect(fix.explanation).toMatch(/left to the planner what caused it \(.*--no-enforce-eager/);
  });

  it('when the planner had predicted a fit with a large headroom: the cause is elsewhere, doctor, no smaller KV cache', () => {
    const { diagnosis, plan } = run({ ...NX_AWQ, vllmVersion: '0.11.2' }, { kind: 'oom-killed', line, figures: {} });
    expect(plan.verdict).toBe('fits');
    expect(plan.budget.headroomBytes).toBeGreaterThan(4 * GiB);
    // The cause describes the plan that ran, never defaults that were not used.
    expect(diagnosis.cause).not.toMatch(/defaults|pinned swap|90 %/);
    expect(diagnosis.cause).toContain(
      `It ran with --gpu-memory-utilization ${plan.settings.gpuMemoryUtilization}, --swap-space 0, --kv-cache-memory-bytes ${plan.settings.kvCacheMemoryBytes}`,
    );
    expect(diagnosis.cause).toMatch(
      /This plan predicted \d+\.\d\d GiB of 15\.29 GiB, \d+\.\d\d GiB to spare: a kill with that much headroom means the memory went elsewhere — another process, the page cache, or an estimate that was wrong/,
    );
    const fix = commandOf(diagnosis.fix);
    expect(fix.command).toBe('jetson-vllm doctor');
    expect(fix.explanation).toMatch(/launch the same plan again/);
  });

  it('when the planner had predicted a tight fit, a smaller KV cache: half the sequences', () => {
    const { request, plan: fitting } = setup({ ...NX_AWQ, vllmVersion: '0.11.2' });
    // The same plan on a board whose OS holds all but the plan's margin: little headroom.
    const osBytes = fitting.budget.items.find((i) => i.key === 'os')?.bytes ?? 0;
    const osUsedBytes = osBytes + fitting.budget.headroomBytes - 0.3 * GiB;
    const tightRequest = { ...request, device: { ...request.device, osUsedBytes } };
    const outcome = buildPlan(tightRequest, catalog);
    if (!outcome.ok) throw new Error(outcome.message);
    const plan = outcome.plan;
    expect(['fits', 'tight']).toContain(plan.verdict);
    const diagnosis = diagnose({ kind: 'oom-killed', line, figures: {} }, tightRequest, plan, catalog);
    const fix = replanOf(diagnosis.fix);
    expect(isRunnable(fix.plan)).toBe(true);
    expect(fix.plan.settings.maxNumSeqs).toBe(plan.settings.maxNumSeqs / 2);
    expect(fix.plan.kvCache.bytesPerSequence * fix.plan.settings.maxNumSeqs).toBeLessThan(
      plan.kvCache.bytesPerSequence * plan.settings.maxNumSeqs,
    );
    expect(fix.changedFlags).toContain(`--max-num-seqs ${fix.plan.settings.maxNumSeqs}`);
    expect(fix.explanation).toMatch(/less memory free than this plan counted on/);
  });

  it('suggests a smaller quantization when no setting makes the weights fit', () => {
    const { diagnosis } = run(
      { device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'bf16', vllmVersion: '0.11.2' },
      { kind: 'oom-killed', line, figures: {} },
    );
    const fix = replanOf(diagnosis.fix);
    expect(fix.plan.quant.id).not.toBe('bf16');
    expect(fix.plan.quant.weightBytes).toBeLessThan(14 * GiB);
    expect(isRunnable(fix.plan)).toBe(true);
    expect(fix.explanation).toMatch(
      new RegExp(`no setting makes Qwen2 7B Instruct bf16 fit .*the smaller --quant ${fix.plan.quant.id} does`),
    );
    expect(fix.changedFlags[0]).toBe(`vllm serve ${fix.plan.quant.repo}`);
  });

  it('says so when nothing in the catalog fits the device', () => {
    const { diagnosis } = run(
      { device: 'orin-nano-4gb', model: 'qwen3-30b-a3b', quant: 'gguf-q4_k_m', vllmVersion: '0.11.2' },
      { kind: 'oom-killed', line, figures: {} },
    );
    expect(diagnosis.fix.kind).toBe('none');
    if (diagnosis.fix.kind === 'none') expect(diagnosis.fix.explanation).toMatch(/choose a smaller model/);
  });

  it('an engine whose process died of SIGKILL (-9) is diagnosed as killed', () => {
    const { diagnosis } = run(ORIN_NX_CASE, {
      kind: 'engine-failed',
      line: "RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {'EngineCore_0': -9}",
      figures: {},
    });
    expect(diagnosis.kind).toBe('oom-killed');
    expect(diagnosis.fix.kind).toBe('replan');
  });
});

describe('cuda-oom', () => {
  it('sampler warm-up (vllm#18679, DeepSeek-R1-Distill-Qwen-1.5B, vLLM 0.8.6 defaults): fewer sequences', () => {
    const line = fixtureLine('vllm/issues/18679', /warming up sampler/);
    const { diagnosis, plan } = run(
      { device: 'agx-orin-64gb', model: 'deepseek-r1-distill-qwen-1.5b', vllmVersion: '0.8.6', vllmDefaults: true },
      { kind: 'cuda-oom', line, figures: { during: 'sampler warm-up', dummyRequests: 256 } },
    );
    expect(plan.settings.maxNumSeqs).toBe(256);
    expect(diagnosis.cause).toMatch(/sampler for 256 dummy requests/);
    const fix = replanOf(diagnosis.fix);
    expect(fix.plan.settings.maxNumSeqs).toBeLessThan(256);
    expect(fix.changedFlags).toContain(`--max-num-seqs ${fix.plan.settings.maxNumSeqs}`);
    expect(fix.plan.settings.gpuMemoryUtilization).toBeLessThan(0.9);
    expect(isRunnable(fix.plan)).toBe(true);
  });

  it('sampler warm-up with the sequences the user set: halves them when the planner would not go lower', () => {
    const { diagnosis } = run(
      { ...NX_AWQ, vllmVersion: '0.11.2', maxNumSeqs: '2' },
      { kind: 'cuda-oom', line: 'x', figures: { during: 'sampler warm-up' } },
    );
    const fix = replanOf(diagnosis.fix);
    expect(fix.plan.settings.maxNumSeqs).toBe(1);
  });

  it('unknown phase on a discrete GPU whose plan was predicted to fit: a share 0.05 smaller', () => {
    const { diagnosis, plan } = run(
      { device: 'rtx-4090', model: 'qwen2.5-7b-instruct', quant: 'awq', maxModelLen: '8192', enforceEager: true },
      { kind: 'cuda-oom', line: 'torch.OutOfMemoryError: CUDA out of memory.', figures: {} },
    );
    const fix = replanOf(diagnosis.fix);
    expect(fix.plan.settings.gpuMemoryUtilization).toBe(
      Math.round((plan.settings.gpuMemoryUtilization - 0.05) * 100) / 100,
    );
    expect(fix.knobs).toEqual({ maxModelLen: 8192, enforceEager: true, gpuMemoryUtilization: 0.87 });
    expect(fix.explanation).toMatch(/a share 0\.05 smaller \(0\.87\)/);
  });

  it('CUDA-graph capture: --enforce-eager', () => {
    const { diagnosis, plan } = run(
      { ...NX_AWQ, vllmVersion: '0.8.6', vllmDefaults: true },
      {
        kind: 'cuda-oom',
        line: 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 15.29 GiB total capacity)',
        figures: { during: 'cuda-graphs' },
      },
    );
    expect(plan.settings.enforceEager).toBe(false);
    const fix = replanOf(diagnosis.fix);
    expect(fix.knobs.enforceEager).toBe(true);
    expect(fix.plan.argv).toContain('--enforce-eager');
    expect(fix.changedFlags).toContain('--enforce-eager');
    expect(fix.explanation).toMatch(/set --enforce-eager/);
  });
});

describe('max-len', () => {
  it('vllm#25350 (Qwen3-30B-A3B FP8, fp8 KV): a context no longer than vLLM estimated', () => {
    const line = fixtureLine('vllm/issues/25350', /estimated maximum model length/);
    // 221000 is over this preset's 40960, so the plan asks for the model's limit on a share that
    // leaves too little KV cache for it.
    const { diagnosis, plan } = run(
      {
        device: 'a100-40gb',
        model: 'qwen3-30b-a3b',
        quant: 'fp8',
        kvCacheDtype: 'fp8',
        maxModelLen: '40960',
        // 0.79 × 39.5 GiB leaves 1.75 GiB of KV cache after weights, max(forward, sampler) and non-torch: under the
        // 1.88 GiB one 40960-token fp8 request needs (0.8 fits since activations are max(F, S), not F + S).
        gpuMemoryUtilization: '0.79',
      },
      {
        kind: 'max-len',
        line,
        figures: {
          maxModelLen: 221000,
          neededKvBytes: Math.round(10.12 * GiB),
          availableKvBytes: Math.round(5.59 * GiB),
          estimatedMaxModelLen: 122080,
        },
      },
    );
    expect(plan.verdict).toBe('max-len');
    const fix = replanOf(diagnosis.fix);
    const len = Number(flagValue(fix.plan.argv, '--max-model-len'));
    expect(len).toBeLessThanOrEqual(122080);
    expect(len).toBe(plan.fits.maxModelLen);
    expect(isRunnable(fix.plan)).toBe(true);
    expect(fix.changedFlags).toEqual([`--max-model-len ${len}`]);
    // What the user set otherwise stays.
    expect(fix.knobs).toEqual({ maxModelLen: len, gpuMemoryUtilization: 0.79, kvCacheDtype: 'fp8' });
    expect(diagnosis.cause).toMatch(/221000 tokens were asked for; about 122080 fit/);
  });

  it("takes vLLM's own estimate when it is shorter than the plan's (figures in GiB also read)", () => {
    const { diagnosis } = run(
      { device: 'a100-40gb', model: 'qwen3-30b-a3b', quant: 'fp8', kvCacheDtype: 'fp8', maxModelLen: '40960' },
      {
        kind: 'max-len',
        line: "ValueError: To serve at least one request with the models's max seq len (40960), (1.88 GiB KV cache is needed, which is larger than the available KV cache memory (0.75 GiB). Based on the available memory, the estimated maximum model length is 16384.",
        figures: { maxModelLen: 40960, neededGiB: 1.88, availableGiB: 0.75, estimatedMaxLen: 16384 },
      },
    );
    const fix = replanOf(diagnosis.fix);
    expect(fix.plan.settings.maxModelLen).toBe(16384);
  });

  it('V0: no longer than the tokens the KV cache holds', () => {
    const { diagnosis } = run(
      { ...NX_AWQ, vllmVersion: '0.6.3', vllmDefaults: true, gpuMemoryUtilization: '0.5' },
      {
        kind: 'max-len',
        line: "ValueError: The model's max seq len (32768) is larger than the maximum number of tokens that can be stored in KV cache (10448). Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.",
        figures: { maxModelLen: 32768, kvTokens: 10448 },
      },
    );
    const fix = replanOf(diagnosis.fix);
    expect(fix.plan.settings.maxModelLen).toBeLessThanOrEqual(10448);
    expect(fix.plan.settings.maxModelLen % 16).toBe(0);
    expect(isRunnable(fix.plan)).toBe(true);
  });
});

describe('no-cache-blocks', () => {
  it('a share too small for the weights: the planner sizes it', () => {
    const { diagnosis, plan } = run(
      { ...NX_AWQ, vllmVersion: '0.8.6', gpuMemoryUtilization: '0.35' },
      {
        kind: 'no-cache-blocks',
        line: 'ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.',
        figures: {},
      },
    );
    expect(plan.refusal?.reason).toBe('no-cache-blocks');
    const fix = replanOf(diagnosis.fix);
    expect(fix.plan.settings.gpuMemoryUtilization).toBeGreaterThan(0.35);
    expect(fix.plan.kvCache.gpuBlocks).toBeGreaterThan(0);
    expect(isRunnable(fix.plan)).toBe(true);
    expect(fix.explanation).toMatch(/left to the planner what caused it \(--gpu-memory-utilization 0\.35\)/);
  });
});

describe('startup-free-memory', () => {
  const line =
    'ValueError: Free memory on device (12.873291015625/15.29 GiB) on startup is less than desired GPU memory utilization (0.9, 13.76 GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.';

  it('vLLM 0.11.2 on Orin NX with --gpu-memory-utilization 0.9: lowered below what was free', () => {
    const { diagnosis } = run(
      { ...NX_AWQ, vllmVersion: '0.11.2', gpuMemoryUtilization: '0.9' },
      {
        kind: 'startup-free-memory',
        line,
        figures: {
          freeBytes: Math.round(12.873291015625 * GiB),
          totalBytes: Math.round(15.29 * GiB),
          gpuMemoryUtilization: 0.9,
          requestedBytes: Math.round(13.76 * GiB),
        },
      },
    );
    const fix = replanOf(diagnosis.fix);
    const util = Number(flagValue(fix.plan.argv, '--gpu-memory-utilization'));
    expect(util).toBeLessThan(0.9);
    expect(util * 15.29).toBeLessThanOrEqual(12.873291015625 - 0.25);
    expect(fix.changedFlags).toContain(`--gpu-memory-utilization ${util}`);
    expect(fix.explanation).toMatch(/drop_caches/);
    expect(diagnosis.cause).toMatch(/12\.87 of 15\.29 GiB were free/);
  });

  it('caps the share at what vLLM found free when that is less than the planner wants', () => {
    const { diagnosis } = run(
      { ...NX_AWQ, vllmVersion: '0.11.2', gpuMemoryUtilization: '0.9' },
      { kind: 'startup-free-memory', line, figures: { freeGiB: 9.5, totalGiB: 15.29, utilization: 0.9 } },
    );
    const fix = replanOf(diagnosis.fix);
    expect(fix.plan.settings.gpuMemoryUtilization).toBe(0.6);
    expect(isRunnable(fix.plan)).toBe(true);
  });
});

describe('profiling-error', () => {
  it('--enforce-eager, a lower share and the drop-caches advice', () => {
    const { diagnosis, plan } = run(
      { ...NX_AWQ, vllmVersion: '0.7.4', vllmDefaults: true },
      {
        kind: 'profiling-error',
        line: 'AssertionError: Error in memory profiling. Initial free memory 11.2 GiB, current free memory 11.9 GiB. This happens when the GPU memory was not properly cleaned up before initializing the vLLM instance.',
        figures: { initialFreeBytes: Math.round(11.2 * GiB), currentFreeBytes: Math.round(11.9 * GiB) },
      },
    );
    const fix = replanOf(diagnosis.fix);
    expect(fix.plan.argv).toContain('--enforce-eager');
    expect(fix.plan.settings.gpuMemoryUtilization).toBeLessThan(plan.settings.gpuMemoryUtilization);
    expect(fix.explanation).toMatch(/sync && echo 3 \| sudo tee \/proc\/sys\/vm\/drop_caches/);
    expect(isRunnable(fix.plan)).toBe(true);
  });
});

describe('swap-too-large', () => {
  it('--swap-space 8 on an 8 GB board: 0', () => {
    const { diagnosis, plan } = run(
      {
        device: 'orin-nano-8gb',
        model: 'qwen2.5-0.5b-instruct',
        vllmVersion: '0.6.3',
        swapSpace: '8',
        vllmDefaults: true,
      },
      {
        kind: 'swap-too-large',
        line: 'ValueError: Too large swap space. 8.00 GiB out of the 7.44 GiB total CPU memory is allocated for the swap space.',
        figures: { swapBytes: 8 * GiB, cpuMemoryBytes: Math.round(7.44 * GiB) },
      },
    );
    expect(plan.refusal?.reason).toBe('swap-too-large');
    const fix = replanOf(diagnosis.fix);
    expect(fix.knobs.swapSpaceGiB).toBe(0);
    expect(flagValue(fix.plan.argv, '--swap-space')).toBe('0');
    expect(fix.changedFlags).toContain('--swap-space 0');
    expect(isRunnable(fix.plan)).toBe(true);
  });
});

describe('unsupported-quantization', () => {
  it("FP8 on Orin under vLLM 0.6.3: another of the model's variants the GPU runs", () => {
    const { diagnosis } = run(
      { device: 'orin-nx-16gb', model: 'qwen2.5-7b-instruct', quant: 'fp8', vllmVersion: '0.6.3' },
      {
        kind: 'unsupported-quantization',
        line: 'ValueError: The quantization method fp8 is not supported for the current GPU. Minimum capability: 89. Current capability: 87.',
        figures: { method: 'fp8', minCapability: 89, currentCapability: 87 },
      },
    );
    expect(diagnosis.cause).toMatch(/fp8 needs compute capability 8\.9; this GPU is 8\.7/);
    const fix = replanOf(diagnosis.fix);
    expect(fix.plan.quant.id).toBe('gptq-int8');
    // The planner sizes vLLM's share to the weights: GPTQ-Int8's differ from FP8's, so the share moves with them.
    expect(fix.changedFlags).toEqual([
      'vllm serve Qwen/Qwen2.5-7B-Instruct-GPTQ-Int8',
      `--gpu-memory-utilization ${fix.plan.settings.gpuMemoryUtilization}`,
    ]);
    expect(isRunnable(fix.plan)).toBe(true);
  });

  it('a model read from its files has no other variants: names the formats the GPU runs', () => {
    const { request, plan } = setup({ device: 'orin-nx-16gb', model: 'qwen2.5-7b-instruct', quant: 'fp8' });
    const diagnosis = diagnose(
      { kind: 'unsupported-quantization', line: 'x', figures: { method: 'fp8', minimum: 89, current: 87 } },
      { ...request, model: { ...request.model, source: 'hub', path: 'someone/Qwen2.5-7B-FP8' } },
      plan,
      catalog,
    );
    expect(diagnosis.fix.kind).toBe('none');
    if (diagnosis.fix.kind === 'none') expect(diagnosis.fix.explanation).toMatch(/awq-int4.*gguf/);
  });
});

describe('unknown-argument', () => {
  const line = 'vllm serve: error: unrecognized arguments: --swap-space 0';

  it('--swap-space rejected by the moving latest-jetson-orin tag: planned for the newest known (0.31.0) without it', () => {
    const { diagnosis, plan } = run(
      { ...NX_AWQ, vllmVersion: '0.11.2' },
      { kind: 'unknown-argument', line, figures: { arguments: '--swap-space 0' } },
    );
    expect(plan.argv).toContain('--swap-space');
    const fix = replanOf(diagnosis.fix);
    expect(fix.plan.vllm.version).toBe('0.31.0');
    expect(fix.plan.argv).not.toContain('--swap-space');
    expect(fix.plan.image).toBe(plan.image);
    expect(fix.changedFlags).toEqual(['without --swap-space']);
    expect(fix.explanation).toMatch(/newest known version without it/);
  });

  it('the version vLLM reported: the plan for 0.21.0, which has no --swap-space', () => {
    const { diagnosis } = run(
      { ...NX_AWQ, vllmVersion: '0.17.0', swapSpace: '0' },
      { kind: 'unknown-argument', line, figures: { arguments: '--swap-space 0', version: '0.21.0' } },
    );
    const fix = replanOf(diagnosis.fix);
    expect(fix.plan.vllm.version).toBe('0.21.0');
    expect(fix.knobs.swapSpaceGiB).toBeUndefined();
    expect(fix.plan.argv).not.toContain('--swap-space');
    expect(fix.changedFlags).toContain('without --swap-space');
    expect(fix.explanation).toMatch(/vLLM 0\.21\.0 has no --swap-space/);
  });

  it('a command made for 0.21.0 that still carries --swap-space (an older recipe): dropped', () => {
    const { request, plan } = setup({ ...NX_AWQ, vllmVersion: '0.21.0' });
    const stale: Plan = { ...plan, argv: [...plan.argv, '--swap-space', '0'] };
    const diagnosis = diagnose({ kind: 'unknown-argument', line, figures: {} }, request, stale, catalog);
    const fix = replanOf(diagnosis.fix);
    expect(fix.plan.vllm.version).toBe('0.21.0');
    expect(fix.changedFlags).toEqual(['without --swap-space']);
  });
});

describe('command fixes, exact', () => {
  it('bf16-unsupported on a Turing card: the same command with --dtype half', () => {
    const { diagnosis } = run(
      { device: 'rtx-2080-ti', model: 'qwen2.5-3b-instruct', quant: 'awq' },
      {
        kind: 'bf16-unsupported',
        line: 'ValueError: Bfloat16 is only supported on GPUs with compute capability of at least 8.0. Your NVIDIA GeForce RTX 2080 Ti GPU has compute capability 7.5.',
        figures: { minCapability: 80, currentCapability: 75 },
      },
    );
    expect(commandOf(diagnosis.fix).command).toBe(
      'vllm serve Qwen/Qwen2.5-3B-Instruct-AWQ --max-model-len 32768 --dtype half',
    );
  });

  it('image-driver-mismatch: the plan for the JetPack 6 image', () => {
    const { diagnosis } = run(
      { ...NX_AWQ, vllmVersion: '0.10.1', image: 'nvcr.io/nvidia/vllm:25.09-py3' },
      {
        kind: 'image-driver-mismatch',
        line: 'nvidia-container-cli: requirement error: unsatisfied condition: cuda>=13.0, please update your driver to a newer version, or use an earlier cuda container: unknown',
        figures: {},
      },
    );
    const fix = commandOf(diagnosis.fix);
    expect(fix.command).toBe(NX_AWQ_COMMAND_HEAD);
    expect(fix.explanation).toMatch(/dustynv\/vllm:0\.8\.6-r36\.4-cu128-24\.04/);
  });

  it('unknown-runtime: register the NVIDIA runtime with docker', () => {
    const { diagnosis } = run(NX_AWQ, {
      kind: 'unknown-runtime',
      line: 'docker: Error response from daemon: unknown or invalid runtime name: nvidia.',
      figures: {},
    });
    expect(commandOf(diagnosis.fix).command).toBe(
      'sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker',
    );
  });

  it('port-in-use: the same command on the next port', () => {
    const { diagnosis } = run(NX_AWQ, {
      kind: 'port-in-use',
      line: "ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', 8000): address already in use",
      figures: { port: 8000 },
    });
    const fix = commandOf(diagnosis.fix);
    expect(fix.command).toBe(`${nxAwqCommand(8001)} --port 8001`);
    expect(fix.explanation).toMatch(/sudo ss -ltnp 'sport = :8000'/);
  });

  it('port-in-use on a port the user chose: the next one replaces it', () => {
    const { diagnosis } = run(
      { ...NX_AWQ, port: '9000' },
      { kind: 'port-in-use', line: 'OSError: [Errno 98] Address already in use', figures: {} },
    );
    expect(commandOf(diagnosis.fix).command).toBe(`${nxAwqCommand(9001)} --port 9001`);
  });

  it('gated-model: accept the licence, then start with HF_TOKEN', () => {
    const { diagnosis } = run(
      { device: 'orin-nano-8gb', model: 'llama-3.2-1b-instruct' },
      {
        kind: 'gated-model',
        line: 'Cannot access gated repo for url https://huggingface.co/meta-llama/Llama-3.2-1B-Instruct/resolve/main/config.json. Access to model meta-llama/Llama-3.2-1B-Instruct is restricted. You must have access to it and be authenticated to access it. Please log in.',
        figures: {
          url: 'https://huggingface.co/meta-llama/Llama-3.2-1B-Instruct/resolve/main/config.json',
          model: 'meta-llama/Llama-3.2-1B-Instruct',
        },
      },
    );
    const fix = commandOf(diagnosis.fix);
    expect(fix.command).toBe(
      "read -rsp 'Hugging Face token: ' HF_TOKEN && export HF_TOKEN && docker run --rm --name jetson-vllm-llama-3.2-1b-instruct-8000 --runtime nvidia --network host --shm-size 8g -v /hf:/root/.cache/huggingface -e HF_HOME=/root/.cache/huggingface -e HF_TOKEN ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin vllm serve meta-llama/Llama-3.2-1B-Instruct --max-model-len 4096 --max-num-seqs 2 --max-num-batched-tokens 1024 --gpu-memory-utilization 0.76 --swap-space 0 --kv-cache-memory-bytes 268435456 --enforce-eager",
    );
    expect(fix.explanation).toMatch(/https:\/\/huggingface\.co\/meta-llama\/Llama-3\.2-1B-Instruct/);
    expect(diagnosis.cause).toMatch(/vLLM had no token \(HF_TOKEN was not set\)/);
  });

  it('gated-model with a token set: the account or the token lacks access, not the token itself', () => {
    const failure = {
      kind: 'gated-model' as const,
      line: 'Access to model meta-llama/Llama-3.2-1B-Instruct is restricted. You must have access to it and be authenticated to access it.',
      figures: {},
    };
    const options = { device: 'orin-nano-8gb', model: 'llama-3.2-1b-instruct' };
    const withToken = run(options, { ...failure, hasHfToken: true }).diagnosis;
    expect(withToken.cause).toMatch(/a token was set: its account has not accepted the licence/);
    expect(withToken.cause).not.toMatch(/had no token/);
    expect(commandOf(withToken.fix).explanation).toMatch(/fine-grained token/);
    const without = run(options, failure).diagnosis;
    expect(without.cause).toMatch(/had no token/);
  });

  it('model-not-found for a Hugging Face id: check the id', () => {
    const { diagnosis } = run(NX_AWQ, {
      kind: 'model-not-found',
      line: "OSError: Qwen/Qwen2-7B-Instruct-AWQ is not a local folder and is not a valid model identifier listed on 'https://huggingface.co/models'",
      figures: { model: 'Qwen/Qwen2-7B-Instruct-AWQ' },
    });
    expect(commandOf(diagnosis.fix).command).toBe(
      "curl -s -o /dev/null -w '%{http_code}\\n' https://huggingface.co/api/models/Qwen/Qwen2-7B-Instruct-AWQ",
    );
  });

  it('model-not-found for a preset GGUF file: download it where the container mounts it', () => {
    const { diagnosis } = run(
      { device: 'orin-nx-16gb', model: 'qwen2-7b-instruct', quant: 'gguf-q4_k_m' },
      {
        kind: 'model-not-found',
        line: "FileNotFoundError: [Errno 2] No such file or directory: '/models/qwen2-7b-instruct-q4_k_m.gguf'",
        figures: {},
      },
    );
    expect(commandOf(diagnosis.fix).command).toBe(
      'huggingface-cli download Qwen/Qwen2-7B-Instruct-GGUF qwen2-7b-instruct-q4_k_m.gguf --local-dir /work',
    );
  });
});

describe('engine-failed', () => {
  it('points at the lines above and the kernel log', () => {
    const line = fixtureLine('jetson-containers/issues/1568', /EngineCore failed to start/);
    const { diagnosis } = run(
      { device: 'orin-nano-8gb', model: 'qwen2.5-1.5b-instruct', vllmVersion: '0.8.6' },
      { kind: 'engine-failed', line, figures: {} },
    );
    expect(diagnosis.kind).toBe('engine-failed');
    expect(diagnosis.fix.kind).toBe('none');
    if (diagnosis.fix.kind === 'none') expect(diagnosis.fix.explanation).toMatch(/sudo dmesg/);
  });
});

describe('the catalog', () => {
  const kinds = Object.keys(DIAGNOSES) as FailureKind[];

  it('has an entry for each of the 16 failure kinds', () => {
    expect(kinds).toHaveLength(16);
  });

  it.each(kinds)('%s: a title, a cause of one or two sentences, a remedy', (kind) => {
    const entry = DIAGNOSES[kind];
    expect(entry.title.length).toBeGreaterThan(0);
    const sentences = entry.cause.split(/(?<=[.!?])\s+(?=[A-Z])/);
    expect(sentences.length).toBeGreaterThanOrEqual(1);
    expect(sentences.length).toBeLessThanOrEqual(2);
    expect(entry.remedy.length).toBeGreaterThan(0);
    for (const url of entry.references) expect(url).toMatch(/^https:\/\/github\.com\//);
  });

  it("each kind's fix is the kind the catalog says (for the Orin NX plan)", () => {
    const { request, plan } = setup({ ...NX_AWQ, vllmVersion: '0.8.6', vllmDefaults: true });
    const figures: Partial<Record<FailureKind, FailureInput['figures']>> = {
      'unknown-argument': { arguments: '--kv-cache-memory-bytes 300M' },
      'unsupported-quantization': { method: 'awq', minCapability: 89, currentCapability: 87 },
    };
    for (const kind of kinds) {
      const diagnosis = diagnose({ kind, line: 'x', figures: figures[kind] ?? {} }, request, plan, catalog);
      expect(diagnosis.title).toBe(DIAGNOSES[kind].title);
      // A kill first says what its evidence shows (here none: "vLLM was killed."), then the catalog's cause.
      const said = kind === 'oom-killed' ? `vLLM was killed. ${DIAGNOSES[kind].cause}` : DIAGNOSES[kind].cause;
      expect(diagnosis.cause.startsWith(said)).toBe(true);
      expect([DIAGNOSES[kind].fixKind, 'none']).toContain(diagnosis.fix.kind);
    }
  });
});

describe('a kill says only what its evidence shows', () => {
  const { request, plan } = setup({ ...NX_AWQ, vllmVersion: '0.8.6', vllmDefaults: true });
  // The first sentences: what the evidence shows, then what a SIGKILL usually is (the plan's detail follows).
  const causeOf = (line: string, figures: FailureInput['figures']): string =>
    diagnose({ kind: 'oom-killed', line, figures }, request, plan, catalog).cause.split(' It ran with')[0] ?? '';
  const usually = DIAGNOSES['oom-killed'].cause;

  it("the kernel's report: the OOM killer, with the pid and the process it named", () => {
    const line = 'Out of memory: Killed process 4242 (python3) total-vm:24000000kB, anon-rss:9000000kB';
    expect(causeOf(line, { signal: 'SIGKILL', pid: 4242, process: 'python3' })).toMatch(
      /^The kernel's OOM killer killed process 4242 \(python3\): the board ran out of RAM/,
    );
    expect(causeOf(line, { signal: 'SIGKILL', pid: 4242, process: 'python3' })).not.toContain('almost always');
  });

  it("an engine's -9, an exit code 137, the shell's Killed, a bare SIGKILL: a SIGKILL, then what it usually is", () => {
    const engine = "RuntimeError: Engine core initialization failed. Failed core proc(s): {'EngineCore_0': -9}";
    expect(causeOf(engine, { signal: 'SIGKILL', process: 'EngineCore_0' })).toBe(
      `vLLM's engine process (EngineCore_0) was killed (signal 9, SIGKILL). ${usually}`,
    );
    expect(causeOf('vllm exited with code 137', { exitCode: 137 })).toBe(
      `vLLM ended with exit code 137 (128 + 9: killed by SIGKILL). ${usually}`,
    );
    expect(causeOf('Killed', { signal: 'SIGKILL' })).toBe(`The log says "Killed" (a SIGKILL). ${usually}`);
    expect(causeOf('signal SIGKILL', { signal: 'SIGKILL' })).toBe(`vLLM was killed by SIGKILL. ${usually}`);
    // The catalog's cause never claims the kernel did it: only its report does.
    expect(usually).not.toMatch(/^The kernel killed/);
  });
});

describe('listChangedFlags', () => {
  it('added, changed and dropped flags, and a new model', () => {
    const before = ['vllm', 'serve', 'a/b', '--max-model-len', '4096', '--swap-space', '4', '--port', '8000'];
    const after = ['vllm', 'serve', 'a/c', '--max-model-len', '2048', '--port', '8000', '--enforce-eager'];
    expect(listChangedFlags(before, after)).toEqual([
      'vllm serve a/c',
      '--max-model-len 2048',
      '--enforce-eager',
      'without --swap-space',
    ]);
  });

  it('reads the serve argv at the end of a docker argv', () => {
    const docker = ['docker', 'run', '--rm', '-it', '--runtime', 'nvidia', 'img', 'vllm', 'serve', 'm', '--a', '1'];
    expect(listChangedFlags(docker, ['vllm', 'serve', 'm', '--a', '1'])).toEqual([]);
  });
});

describe('invariants', () => {
  const memoryKinds: FailureKind[] = [
    'oom-killed',
    'cuda-oom',
    'max-len',
    'no-cache-blocks',
    'startup-free-memory',
    'profiling-error',
  ];
  const devices = ['orin-nano-8gb', 'orin-nx-16gb', 'agx-orin-32gb', 'agx-orin-64gb'];
  const models: [string, string][] = [
    ['qwen2.5-1.5b-instruct', 'bf16'],
    ['qwen2-7b-instruct', 'awq'],
    ['qwen2-7b-instruct', 'gguf-q4_k_m'],
    ['qwen3-8b', 'w4a16'],
  ];
  const versions = ['0.6.3', '0.8.6', '0.11.2', '0.21.0'];

  it('a memory fix is a plan that runs and differs from the failing one, or says nothing fits', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...memoryKinds),
        fc.constantFrom(...devices),
        fc.constantFrom(...models),
        fc.constantFrom(...versions),
        fc.boolean(),
        (kind, device, [model, quant], vllmVersion, vllmDefaults) => {
          const { request, plan } = setup({ device, model, quant, vllmVersion, vllmDefaults });
          const diagnosis = diagnose({ kind, line: 'x', figures: {} }, request, plan, catalog);
          if (diagnosis.fix.kind === 'replan') {
            expect(isRunnable(diagnosis.fix.plan)).toBe(true);
            expect(diagnosis.fix.changedFlags.length).toBeGreaterThan(0);
            expect(diagnosis.fix.plan.device.id).toBe(device);
            expect(diagnosis.fix.plan.model.id).toBe(model);
          } else if (diagnosis.fix.kind === 'command') {
            // Only a kill of a plan that predicted a large headroom: the cause is elsewhere, doctor names it.
            expect(kind).toBe('oom-killed');
            expect(hasLargeHeadroom(plan)).toBe(true);
            expect(diagnosis.fix.command).toBe('jetson-vllm doctor');
          } else {
            expect(diagnosis.fix.kind).toBe('none');
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('never throws, whatever the line and figures say', () => {
    const kinds = Object.keys(DIAGNOSES) as FailureKind[];
    const { request, plan } = setup({ ...NX_AWQ, vllmVersion: '0.8.6', vllmDefaults: true });
    const figure = fc.oneof(
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.constantFrom('--swap-space', '0.21.0', 'sampler'),
    );
    const key = fc.constantFrom(
      'during',
      'maxModelLen',
      'kvTokens',
      'estimatedMaxModelLen',
      'estimatedMaxLen',
      'neededKvBytes',
      'availableKvBytes',
      'neededGiB',
      'availableGiB',
      'freeBytes',
      'totalBytes',
      'freeGiB',
      'totalGiB',
      'gpuMemoryUtilization',
      'method',
      'minCapability',
      'currentCapability',
      'arguments',
      'version',
      'port',
    );
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.string(), fc.dictionary(key, figure), (kind, line, figures) => {
        const diagnosis = diagnose({ kind, line, figures }, request, plan, catalog);
        expect(diagnosis.title.length).toBeGreaterThan(0);
        if (diagnosis.fix.kind === 'replan') expect(isRunnable(diagnosis.fix.plan)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
