import { describe, expect, it } from 'vitest';
import {
  computeBudget,
  estimateActivationBytes,
  type BudgetInput,
  type Settings,
} from '../../../src/plan/core/budget.js';
import { resolveVllmVersion } from '../../../src/plan/core/vllm-version.js';
import { GiB, MiB } from '../../../src/shared/units.js';
import { loadTestCatalog } from '../../helpers/catalog.js';
import { buildTestSettings } from '../../helpers/settings.js';

const catalog = loadTestCatalog();
const qwen2 = catalog.models.find((m) => m.id === 'qwen2-7b-instruct');
if (qwen2 === undefined) throw new Error('qwen2-7b-instruct preset missing');
const version = (v: string) => {
  const i = resolveVllmVersion(v, catalog.vllm);
  if (i === null) throw new Error(v);
  return i;
};
const settings = (over: Partial<Settings> = {}): Settings =>
  buildTestSettings({
    maxModelLen: 4096,
    maxNumSeqs: 1,
    maxNumBatchedTokens: 4096,
    gpuMemoryUtilization: 0.5,
    swapSpaceGiB: 0,
    ...over,
  });
const input = (over: Partial<Settings>, v = '0.6.3', memTotalBytes = 15.29 * GiB): BudgetInput => ({
  device: { memTotalBytes, isUnified: true, osUsedBytes: 1.2 * GiB, osSource: 'assumed' },
  arch: qwen2.arch,
  weightBytes: 4.3752 * GiB,
  info: version(v),
  settings: settings(over),
  runtime: 'docker',
});

describe('KV cache block arithmetic (vllm/worker/cache_engine.py)', () => {
  it('Qwen2-7B: 56 KiB per token, 917,504 B per 16-token block; fp8 halves it', () => {
    const b = computeBudget(input({}));
    expect(b.kvCache.bytesPerToken).toBe(57_344);
    expect(b.kvCache.bytesPerBlock).toBe(917_504);
    expect(computeBudget(input({ kvCacheDtype: 'fp8' })).kvCache.bytesPerBlock).toBe(458_752);
  });
  it('V0 --swap-space 4 pins floor(4 GiB / block) CPU blocks; V1 pins nothing', () => {
    expect(computeBudget(input({ swapSpaceGiB: 4 })).kvCache.cpuBlocks).toBe(4681);
    expect(computeBudget(input({ swapSpaceGiB: 4 }, '0.8.6')).kvCache.cpuBlocks).toBe(0);
  });
  it('--num-gpu-blocks-override and --kv-cache-memory-bytes size the cache exactly', () => {
    expect(computeBudget(input({ numGpuBlocksOverride: 13, maxModelLen: 200 })).kvCache.gpuBlocks).toBe(13);
    const b = computeBudget(input({ kvCacheMemoryBytes: 256 * MiB }, '0.11.2'));
    expect(b.kvCache.gpuBlocks).toBe(Math.floor((256 * MiB) / 917_504));
  });
  it('V0 concurrency is tokens / max-model-len, as vLLM logs it', () => {
    const b = computeBudget(input({ numGpuBlocksOverride: 11836, maxModelLen: 200 }));
    expect(b.kvCache.maxConcurrency).toBe(946.88);
  });
});

describe('activations: max(forward, sampler) + workspace (corrections §1, checked on vLLM PR #10511)', () => {
  it('Qwen2-7B, 2048 tokens, 1 sequence: Qwen2MLP keeps gate_up alive, F = N·(3I + 4h)·2 B dominates S', () => {
    // F = 2048 × (3 × 18944 + 4 × 3584) × 2 = 291,504,128 B; S = 2048 × 3584 × 2 + ceil(1 × 152064 × 38.5)
    // = 14,680,064 + 5,854,464 = 20,534,528 B; + 8 MiB cuBLAS workspace.
    expect(estimateActivationBytes(qwen2.arch, 2048, 1, version('0.6.3'))).toBe(
      2048 * (3 * 18944 + 4 * 3584) * 2 + 8 * MiB,
    );
  });
  it('Qwen2-7B, 2048 tokens, 256 rows: the sampler (top-k/top-p over 256 × 152064 logits) is the peak', () => {
    // S = 14,680,064 + ceil(256 × 152064 × 38.5) = 14,680,064 + 1,498,742,784 B > F = 291,504,128 B.
    expect(estimateActivationBytes(qwen2.arch, 2048, 256, version('0.6.3'))).toBe(
      2048 * 3584 * 2 + 256 * 152064 * 38.5 + 8 * MiB,
    );
  });
});

describe('verdicts and refusals', () => {
  it('a cache of 13 blocks cannot hold 4096 tokens: V0 refuses (max-len)', () => {
    const b = computeBudget(input({ numGpuBlocksOverride: 13 }));
    expect(b.verdict).toBe('max-len');
    expect(b.refusal?.message).toBe(
      "The model's max seq len (4096) is larger than the maximum number of tokens that can be stored in KV cache (208).",
    );
  });
  it('a utilization that leaves nothing for the cache: no cache blocks', () => {
    const b = computeBudget(input({ gpuMemoryUtilization: 0.2 }));
    expect(b.kvCache.gpuBlocks).toBe(0);
    expect(b.refusal?.reason).toBe('no-cache-blocks');
    expect(b.verdict).toBe('max-len');
  });
  it('V1 ≥ 0.9.1 refuses at start when util × total exceeds what is free at the check: its own verdict, with the numbers', () => {
    // In use at the check (V1 Worker.init_device, before the weights load): OS 1.2 GiB (assumed) + container 64 MiB +
    // vLLM's processes so far 0.25 GiB → 15.29 − 1.5125 = 13.7775 GiB free (MemAvailable from 0.11.1) < 0.95 × 15.29.
    const b = computeBudget(input({ gpuMemoryUtilization: 0.95 }, '0.11.2'));
    expect(b.refusal?.reason).toBe('startup-free-memory');
    expect(b.verdict).toBe('startup-check');
    expect(b.refusal?.message).toMatch(
      /^Free memory on device \(13\.78\/15\.29 GiB\) on startup is less than desired GPU memory utilization \(0\.95, 14\.53 GiB\)\.$/,
    );
    expect(b.refusal?.check?.freeSource).toBe('MemAvailable');
    expect(b.refusal?.check?.inUse.map((i) => i.label)).toEqual([
      'OS and other processes',
      "vLLM's API server and engine core so far",
      'container',
    ]);
    // 0.9 × 15.29 = 13.761 GiB fits under 13.7775: no longer refused (the full runtime charge is not counted at the check).
    expect(computeBudget(input({ gpuMemoryUtilization: 0.9 }, '0.11.2')).refusal).toBeNull();
    // Before 0.11.1 the check reads cudaMemGetInfo free.
    expect(computeBudget(input({ gpuMemoryUtilization: 0.95 }, '0.10.2')).refusal?.check?.freeSource).toBe(
      'cudaMemGetInfo',
    );
  });
  it('V0 0.6.4 counts all non-torch memory on the device, 0.6.5 only the increase after its snapshot (corrections §2)', () => {
    const a = computeBudget(input({}, '0.6.4'));
    const b = computeBudget(input({}, '0.6.5'));
    // 0.6.4: OS 1.2 GiB + Python 1 GiB + container 64 MiB + CUDA context 0.25 GiB (Jetson); 0.6.5: non-torch
    // increase 0.25 GiB.
    expect(b.kvCache.availableBytes - a.kvCache.availableBytes).toBeCloseTo(
      1.2 * GiB + 1 * GiB + 64 * MiB + 0.25 * GiB - 0.25 * GiB,
      0,
    );
  });
  it('v0.21 puts the CUDA graph estimate inside the budget', () => {
    const graphs = computeBudget(input({ enforceEager: false, gpuMemoryUtilization: 0.6 }, '0.21.0'));
    const before = computeBudget(input({ enforceEager: false, gpuMemoryUtilization: 0.6 }, '0.20.0'));
    const g = graphs.items.find((i) => i.key === 'cudaGraphs')?.bytes ?? 0;
    expect(g).toBeGreaterThan(0);
    expect(before.kvCache.availableBytes - graphs.kvCache.availableBytes).toBe(g);
  });
  it('a total over the physical memory is oom; under the margin, tight; else fits', () => {
    expect(computeBudget(input({ gpuMemoryUtilization: 0.95 })).verdict).toBe('oom');
    expect(computeBudget(input({ gpuMemoryUtilization: 0.5 })).verdict).toBe('fits');
    const tight = computeBudget(input({ gpuMemoryUtilization: 0.81 }));
    expect(tight.headroomBytes).toBeLessThan(tight.marginBytes);
    expect(tight.headroomBytes).toBeGreaterThan(0);
    expect(tight.verdict).toBe('tight');
  });
  it('the items add up to the total', () => {
    const b = computeBudget(input({ swapSpaceGiB: 4, enforceEager: false }));
    expect(b.items.reduce((s, i) => s + i.bytes, 0)).toBe(b.totalBytes);
    expect(b.headroomBytes).toBe(b.limitBytes - b.totalBytes);
  });
});

describe('V0 hybrid models: the Mamba / gated-delta-net states outside the KV pool (mamba_cache.py MambaCacheManager)', () => {
  // A hybrid of 6 attention and 23 Mamba2 layers (Nemotron-3-Nano's shape, test/model/core/kv-cache-layout.test.ts):
  // state page = conv 3 · 6144 · 2 B + temporal 64 · 64 · 128 · 4 B = 2,134,016 B per layer and sequence.
  const hybrid = {
    ...qwen2.arch,
    layers: 29,
    stateLayers: {
      kind: 'mamba2' as const,
      layers: 23,
      attentionLayers: 6,
      convDim: 6144,
      convKernel: 4,
      temporalElements: 64 * 64 * 128,
      temporalDtype: 'float32' as const,
    },
  };
  const perSequence = 23 * 2_134_016;
  const hybridInput = (over: Partial<Settings>, v = '0.6.3'): BudgetInput => ({ ...input(over, v), arch: hybrid });
  const stateLine = (b: ReturnType<typeof computeBudget>) => b.items.find((i) => /^State cache/.test(i.label));

  it('charges stateBytesPerSequence × max_num_seqs on its own line, and the KV cache gets that much less', () => {
    const b = computeBudget(hybridInput({ maxNumSeqs: 4 }));
    const state = stateLine(b);
    expect(state?.bytes).toBe(4 * perSequence);
    expect(state?.label).toBe('State cache (mamba2, V0)');
    expect(state?.why).toMatch(/MambaCacheManager \(mamba_cache\.py\)/);
    expect(state?.isEstimate).toBe(false);
    // A line of its own (the bar's M), apart from the KV line, which holds only the attention layers' blocks.
    expect(state?.key).toBe('stateCache');
    expect(b.items.filter((i) => i.key === 'kvCache').map((i) => i.label)).toEqual(['KV cache']);
    // The state is in the profiled peak: the KV cache shrinks by the state bytes (to within a block).
    const one = computeBudget(hybridInput({ maxNumSeqs: 1 }));
    const shrink = (one.kvCache.gpuBlocks - b.kvCache.gpuBlocks) * b.kvCache.bytesPerBlock;
    expect(Math.abs(shrink - 3 * perSequence)).toBeLessThanOrEqual(b.kvCache.bytesPerBlock);
    // On a Jetson every line counts against the memory, the state line too.
    expect(b.totalBytes).toBe(b.items.reduce((sum, i) => sum + i.bytes, 0));
  });

  it('without --enforce-eager the cache is sized for max_num_seqs padded to a CUDA-graph batch size', () => {
    // vllm_config.pad_for_cudagraph: the V0 capture ladder 1, 2, 4, 8, 16, …: 5 sequences → 8.
    const b = computeBudget(hybridInput({ maxNumSeqs: 5, enforceEager: false }));
    expect(stateLine(b)?.bytes).toBe(8 * perSequence);
    expect(stateLine(b)?.why).toMatch(/× 8 \(max_num_seqs 5, padded to a CUDA-graph batch size\)/);
    expect(stateLine(computeBudget(hybridInput({ maxNumSeqs: 5, enforceEager: true })))?.bytes).toBe(5 * perSequence);
  });

  it('V1 keeps the states inside the KV pool: no line of their own; plain models have none either', () => {
    expect(stateLine(computeBudget(hybridInput({ maxNumSeqs: 4 }, '0.11.2')))).toBeUndefined();
    expect(stateLine(computeBudget(input({ maxNumSeqs: 4 })))).toBeUndefined();
  });
});

describe('gpt-oss CUDA graphs follow its capture-size override (models/config.py GptOssForCausalLMConfig)', () => {
  const gptOss = catalog.models.find((m) => m.id === 'gpt-oss-20b');
  if (gptOss === undefined) throw new Error('gpt-oss-20b preset missing');
  it('83 captured sizes for one sequence, where another model of the same settings captures 2', () => {
    const over = { enforceEager: false, maxNumSeqs: 1, maxNumBatchedTokens: 8192 };
    const graphs = (arch: BudgetInput['arch']) =>
      computeBudget({ ...input(over, '0.11.2'), arch }).items.find((i) => i.key === 'cudaGraphs');
    const oss = graphs(gptOss.arch);
    expect(oss?.why).toMatch(/^83 captured batch sizes/);
    const plain = graphs({ ...gptOss.arch, architecture: 'Qwen3MoeForCausalLM' });
    expect(plain?.why).toMatch(/^2 captured batch sizes/);
    expect(oss?.bytes).toBeGreaterThan(plain?.bytes ?? Infinity);
  });
});
