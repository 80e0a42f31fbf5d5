/**
 * The real start-up cases of test/fixtures/recorded/vllm-logs.json, reproduced by the planner.
 * Each case states its tolerance and why; the README's table is these figures.
 */
import { describe, expect, it } from 'vitest';
import { GiB } from '../../../src/shared/units.js';
import { computeBudget } from '../../../src/plan/core/budget.js';
import { resolveVllmVersion } from '../../../src/plan/core/vllm-version.js';
import { findLogCase, loadTestCatalog, logged, planFor, SEED_CASE_AS_RUN } from '../../helpers/catalog.js';
import { buildTestSettings } from '../../helpers/settings.js';

const byUrl = findLogCase;

describe('case 1: Orin NX 16 GB, Qwen2-7B-Instruct Q4_K_M GGUF, vLLM 0.6.3 (jetson-containers #795)', () => {
  const c = byUrl('jetson-containers/issues/795');
  const asRun = planFor({
    ...SEED_CASE_AS_RUN,
  });

  it('says the process will be killed, as it was', () => {
    expect(c.outcome).toBe('oom_killed');
    expect(asRun.verdict).toBe('oom');
    expect(asRun.budget.totalBytes).toBeGreaterThan(asRun.budget.limitBytes);
  });

  it('allocates exactly the 4681 CPU blocks vLLM logged (4 GiB pinned swap)', () => {
    expect(logged(c, /# CPU blocks: (\d+)/)).toBe(4681);
    expect(asRun.kvCache.bytesPerBlock).toBe(917_504);
    expect(asRun.kvCache.cpuBlocks).toBe(4681);
    const swap = asRun.budget.items.find((i) => i.key === 'swapSpace');
    expect(swap?.bytes).toBe(4681 * 917_504);
  });

  it('shows why: swap space and an oversized KV cache on top of the weights', () => {
    const keys = asRun.budget.items.map((i) => i.key);
    expect(keys).toEqual(expect.arrayContaining(['os', 'runtime', 'weights', 'kvCache', 'swapSpace']));
    expect(asRun.notes.join('\n')).toMatch(/OOM killer/);
    expect(asRun.settings.gpuMemoryUtilization).toBe(0.9);
    expect(asRun.settings.swapSpaceGiB).toBe(4);
  });

  it('predicts the GPU blocks within 20 % (0.6.3 measures a free-memory delta the page cache distorts)', () => {
    const gpuBlocks = logged(c, /# GPU blocks: (\d+)/);
    expect(gpuBlocks).toBe(11836);
    expect(Math.abs(asRun.kvCache.gpuBlocks - gpuBlocks) / gpuBlocks).toBeLessThan(0.2);
  });

  it('predicts the weights within 1 % of "Loading model weights took 4.3752 GB" (GiB)', () => {
    const weightsGiB = logged(c, /Loading model weights took ([\d.]+) GB/);
    expect(Math.abs(asRun.quant.weightBytes / GiB - weightsGiB) / weightsGiB).toBeLessThan(0.01);
  });

  it('fits with headroom and --swap-space 0 when the planner chooses the knobs', () => {
    const planned = planFor({
      device: 'orin-nx-16gb',
      model: 'qwen2-7b-instruct',
      quant: 'gguf-q4_k_m',
      vllmVersion: '0.6.3',
    });
    expect(planned.verdict).toBe('fits');
    expect(planned.budget.headroomBytes).toBeGreaterThan(planned.budget.marginBytes);
    const i = planned.argv.indexOf('--swap-space');
    expect(planned.argv[i + 1]).toBe('0');
    expect(planned.argv).toContain('--enforce-eager');
    expect(planned.kvCache.cpuBlocks).toBe(0);
  });

  it('fits with the same context the user wanted once the planner sizes the rest', () => {
    const planned = planFor({
      device: 'orin-nx-16gb',
      model: 'qwen2-7b-instruct',
      quant: 'gguf-q4_k_m',
      vllmVersion: '0.6.3',
      maxModelLen: '200',
      maxNumSeqs: '1',
    });
    expect(planned.verdict).toBe('fits');
    // 200 tokens need ceil(200/16) = 13 blocks; the planner pins exactly that many.
    expect(planned.settings.numGpuBlocksOverride).toBe(13);
    expect(planned.kvCache.gpuBlocks).toBe(13);
  });
});

describe('case 5: Meta-Llama-3-8B bf16 on a 79.22 GiB GPU, vLLM ≈0.6.5 (vllm PR #10511)', () => {
  const c = byUrl('vllm/pull/10511');
  const plan = planFor({
    device: 'a100-80gb',
    deviceMemory: '79.22',
    model: 'meta-llama-3-8b',
    quant: 'bf16',
    vllmVersion: '0.6.5',
    gpuMemoryUtilization: '0.9',
    vllmDefaults: true,
  });
  const item = (key: string) => plan.budget.items.find((i) => i.key === key)?.bytes ?? NaN;

  it('reproduces "model weights take 14.96GiB" within 0.5 %', () => {
    const w = logged(c, /model weights take\s+([\d.]+)GiB/);
    expect(Math.abs(item('weights') / GiB - w) / w).toBeLessThan(0.005);
  });

  it('reproduces the activation peak (1.26 GiB) within 3 %', () => {
    const a = logged(c, /PyTorch activation peak memory\s+([\d.]+)GiB/);
    expect(Math.abs(item('activations') / GiB - a) / a).toBeLessThan(0.03);
  });

  it('reproduces the KV cache memory (53.29 GiB) within 3 % (non-torch memory is an estimate: 0.5 vs 1.79 GiB)', () => {
    const kv = logged(c, /available_kv_cache_memory\s+([\d.]+)GiB/);
    expect(Math.abs(plan.kvCache.availableBytes / GiB - kv) / kv).toBeLessThan(0.03);
    expect(plan.verdict).toBe('fits');
    expect(c.outcome).toBe('ready');
  });
});

describe('case 7: KV cache too small for max_model_len 221000 with fp8 KV (vllm #25350)', () => {
  // The model is not named in the excerpt; 10.12 GiB for 221000 fp8 tokens is 49,152 B/token, which
  // is Qwen3-30B-A3B's 48 layers × 4 KV heads × 128 × 2 (K,V) × 1 byte.
  const c = byUrl('vllm/issues/25350');
  const catalog = loadTestCatalog();
  const model = catalog.models.find((m) => m.id === 'qwen3-30b-a3b');
  const info = resolveVllmVersion('0.10.2', catalog.vllm);

  it('refuses with the same needed and estimated-maximum figures vLLM printed', () => {
    if (model === undefined || info === null) throw new Error('preset missing');
    const availableGiB = logged(c, /available KV cache memory \(([\d.]+) GiB\)/);
    const budget = computeBudget({
      device: { memTotalBytes: 24 * GiB, isUnified: false, osUsedBytes: 0, osSource: 'assumed' },
      arch: model.arch,
      weightBytes: 0,
      info,
      runtime: 'native',
      settings: buildTestSettings({
        maxModelLen: 221000,
        maxNumSeqs: 1,
        swapSpaceGiB: 4,
        kvCacheDtype: 'fp8',
        kvCacheMemoryBytes: Math.round(availableGiB * GiB),
      }),
    });
    expect(budget.verdict).toBe('max-len');
    expect(budget.refusal?.message).toContain('(10.12 GiB KV cache is needed');
    expect(budget.refusal?.message).toContain('available KV cache memory (5.59 GiB)');
    const estimate = Number(/estimated maximum model length is (\d+)/.exec(budget.refusal?.message ?? '')?.[1]);
    const loggedEstimate = logged(c, /estimated maximum model length is (\d+)/);
    expect(Math.abs(estimate - loggedEstimate) / loggedEstimate).toBeLessThan(0.001);
  });
});
