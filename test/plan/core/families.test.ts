/**
 * One test per vLLM version family: the KV cache memory vLLM computes, derived by hand from vLLM's code in each
 * comment (file and function as in budget.ts / vllm-version.ts), or taken from a public log.
 *
 * Common setup: a discrete 24 GiB GPU (no OS share), Qwen2-7B (h 3584, I 18944, V 152064, 28 layers, 4 KV heads ×
 * 128, max_position_embeddings 32768), 4.3752 GiB of checkpoint weights, N = max_num_batched_tokens 4096,
 * max_num_seqs 256, --gpu-memory-utilization 0.9, --enforce-eager unless said.
 *   F (Qwen2MLP keeps gate_up alive) = 4096 × (3·18944 + 4·3584) × 2 B = 583,008,256 B
 *   S (sampler, 256 rows)            = 4096 × 3584 × 2 + ceil(256 × 152064 × 38.5) = 1,528,102,912 B
 *   activations = max(F, S) + 8 MiB cuBLAS workspace = 1,536,491,520 B
 *   rotary cos/sin cache = 32768 × 128 × 2 B = 8,388,608 B (inside "weights")
 *   util × total = ceil(0.9 × 24 GiB) = 23,192,823,399 B
 */
import { describe, expect, it } from 'vitest';
import { computeBudget, type BudgetInput, type Settings } from '../../../src/plan/core/budget.js';
import { resolveVllmVersion } from '../../../src/plan/core/vllm-version.js';
import { GiB, MiB } from '../../../src/shared/units.js';
import { findLogCase, loadTestCatalog, logged, planFor, SEED_CASE_AS_RUN } from '../../helpers/catalog.js';
import { buildTestSettings } from '../../helpers/settings.js';

const catalog = loadTestCatalog();
const qwen2 = catalog.models.find((m) => m.id === 'qwen2-7b-instruct');
const llama = catalog.models.find((m) => m.id === 'meta-llama-3-8b');
if (qwen2 === undefined || llama === undefined) throw new Error('presets missing');

const WEIGHTS = Math.round(4.3752 * GiB);
const ACTIVATIONS = 1_528_102_912 + 8 * MiB;
const ROTARY = 8_388_608;
const REQUESTED = 23_192_823_399;
const settings = (over: Partial<Settings> = {}): Settings =>
  buildTestSettings({ maxModelLen: 4096, maxNumSeqs: 256, maxNumBatchedTokens: 4096, swapSpaceGiB: 0, ...over });
const input = (version: string, over: Partial<Settings> = {}): BudgetInput => {
  const info = resolveVllmVersion(version, catalog.vllm);
  if (info === null) throw new Error(version);
  return {
    device: { memTotalBytes: 24 * GiB, isUnified: false, osUsedBytes: 0, osSource: 'assumed' },
    arch: qwen2.arch,
    weightBytes: WEIGHTS,
    info,
    runtime: 'native',
    settings: settings(over),
  };
};
const available = (version: string, over: Partial<Settings> = {}): number =>
  computeBudget(input(version, over)).kvCache.availableBytes;

describe('the KV cache memory per version family, by hand from vLLM’s code', () => {
  it('0.6.3 (v0-free-delta, worker.py determine_num_available_blocks): util·T − (W + A + non-torch increase 0.25 GiB)', () => {
    expect(available('0.6.3')).toBeCloseTo(REQUESTED - (WEIGHTS + ROTARY + ACTIVATIONS + 0.25 * GiB), 0);
  });
  it('0.6.4 (v0-device-peak, worker.py): util·T − (torch peak + all non-torch on the device: context 0.35 GiB)', () => {
    expect(available('0.6.4')).toBeCloseTo(REQUESTED - (WEIGHTS + ROTARY + ACTIVATIONS + 0.35 * GiB), 0);
  });
  it('0.6.5–0.7 (v0-profiled, memory_profiling): only the non-torch increase after the snapshot (0.25 GiB)', () => {
    expect(available('0.7.0')).toBeCloseTo(REQUESTED - (WEIGHTS + ROTARY + ACTIVATIONS + 0.25 * GiB), 0);
  });
  it('0.8.0–0.9.0 (v1-device-peak, gpu_worker.py determine_available_memory): device-wide non-torch again', () => {
    expect(available('0.8.6')).toBeCloseTo(REQUESTED - (WEIGHTS + ROTARY + ACTIVATIONS + 0.35 * GiB), 0);
  });
  it('0.9.1–0.20 (v1-profiled): the increase; CUDA graphs outside the budget', () => {
    const a = available('0.11.2', { enforceEager: false });
    expect(a).toBeCloseTo(REQUESTED - (WEIGHTS + ROTARY + ACTIVATIONS + 0.25 * GiB), 0);
  });
  it('0.21 (v1-profiled-graphs, PR #38284): the graph estimate inside, 51 sizes × 28 layers × 0.5 MiB + 32 MiB', () => {
    // Capture sizes ≥ 0.11.1: [1, 2, 4] + 8…248 by 8 (31) + 256…512 by 16 (17) = 51 up to min(2 × 256, 512).
    const graphs = 32 * MiB + 51 * 28 * 0.5 * MiB;
    const b = computeBudget(input('0.21.0', { enforceEager: false }));
    expect(b.items.find((i) => i.key === 'cudaGraphs')?.bytes).toBe(graphs);
    expect(b.kvCache.availableBytes).toBeCloseTo(REQUESTED - (WEIGHTS + ROTARY + ACTIVATIONS + 0.25 * GiB + graphs), 0);
  });
  it('0.25–0.28 (Model Runner V2 for dense models): no graph memory reserved (#49224); 0.29 reserves it again', () => {
    const graphs = 32 * MiB + 51 * 28 * 0.5 * MiB;
    const noGraphs = REQUESTED - (WEIGHTS + ROTARY + ACTIVATIONS + 0.25 * GiB);
    expect(available('0.25.0', { enforceEager: false })).toBeCloseTo(noGraphs, 0);
    expect(available('0.29.0', { enforceEager: false })).toBeCloseTo(noGraphs - graphs, 0);
    // Qwen2 is dense but not Qwen3: V1's runner (graphs reserved) until 0.25.
    expect(available('0.24.0', { enforceEager: false })).toBeCloseTo(noGraphs - graphs, 0);
  });
  it('Llama’s MLP frees gate_up from 0.6.4 (PR #10339): F = N·(3I + 3h)·b; before, N·(3I + 4h)·b', () => {
    // Llama-3-8B at N = 8192, 1 row (the sampler is small): F(0.6.4) = 8192 × (3·14336 + 3·4096) × 2 = 905,969,664 B;
    // F(0.6.3) = 8192 × (3·14336 + 4·4096) × 2 = 973,078,528 B; each + 8 MiB.
    const b = (v: string) =>
      computeBudget({
        ...input(v, { maxNumBatchedTokens: 8192, maxNumSeqs: 1, maxModelLen: 8192 }),
        arch: llama.arch,
      }).items.find((i) => i.key === 'activations')?.bytes;
    expect(b('0.6.4')).toBe(905_969_664 + 8 * MiB);
    expect(b('0.6.3')).toBe(973_078_528 + 8 * MiB);
  });
});

describe('public logs, reproduced with the user’s knobs and vLLM’s defaults (--vllm-defaults)', () => {
  const byUrl = findLogCase;

  it('0.6.5 family, PR #10511 (Llama-3-8B, 79.22 GiB): weights within 3 %, KV within 2 % of the total memory', () => {
    const c = byUrl('vllm/pull/10511');
    const p = planFor({
      device: 'a100-80gb',
      deviceMemory: '79.22',
      model: 'meta-llama-3-8b',
      quant: 'bf16',
      vllmVersion: '0.6.5',
      gpuMemoryUtilization: '0.9',
      vllmDefaults: true,
    });
    const weights = p.budget.items.find((i) => i.key === 'weights')?.bytes ?? 0;
    expect(Math.abs(weights / GiB - logged(c, /model weights take\s+([\d.]+)GiB/)) / 14.96).toBeLessThan(0.03);
    const kv = logged(c, /available_kv_cache_memory\s+([\d.]+)GiB/);
    expect(Math.abs(p.kvCache.availableBytes / GiB - kv) / 79.22).toBeLessThan(0.02);
    expect(p.verdict).toBe('fits');
  });

  it('0.6.3 family, jetson-containers #795: weights within 3 %, killed; the KV figure is the no-reclaim bound', () => {
    const c = byUrl('jetson-containers/issues/795');
    const p = planFor({
      ...SEED_CASE_AS_RUN,
    });
    const weights = p.budget.items.find((i) => i.key === 'weights')?.bytes ?? 0;
    const w = logged(c, /Loading model weights took ([\d.]+) GB/);
    expect(Math.abs(weights / GiB - w) / w).toBeLessThan(0.03);
    expect(p.verdict).toBe('oom');
    // The free-memory delta saturates near MemFree on Tegra (corrections §5): vLLM found more room than the bound.
    expect(p.kvCache.gpuBlocks).toBeLessThan(logged(c, /# GPU blocks: (\d+)/));
  });
});

describe('0.6.3 on a Jetson with MemFree read on the board (corrections §5)', () => {
  it('the free-memory delta saturates at MemFree − 0.1 GiB: the blocks vLLM really allocates', () => {
    const p = planFor({
      ...SEED_CASE_AS_RUN,
    });
    const info = resolveVllmVersion('0.6.3', catalog.vllm);
    if (info === null) throw new Error('0.6.3');
    const base: BudgetInput = {
      device: { memTotalBytes: p.device.memTotalBytes, isUnified: true, osUsedBytes: 1.2 * GiB, osSource: 'measured' },
      arch: qwen2.arch,
      weightBytes: p.quant.weightBytes,
      info,
      runtime: 'docker',
      settings: p.settings,
    };
    // No MemFree: the no-reclaim bound. MemFree 3.75 GiB at start (the #795 log does not print it; 3.75 GiB is what
    // its implied 3.647 GiB peak points to): peak = 3.65 GiB, blocks = (ceil(0.9 × T) − 3.65 GiB) // 917,504.
    const bound = computeBudget(base);
    const onBoard = computeBudget({ ...base, device: { ...base.device, memFreeBytes: 3.75 * GiB } });
    const expected = Math.floor((Math.ceil(0.9 * p.device.memTotalBytes) - 3.65 * GiB) / 917_504);
    expect(onBoard.kvCache.gpuBlocks).toBe(expected);
    expect(onBoard.kvCache.gpuBlocks).toBeGreaterThan(bound.kvCache.gpuBlocks);
    expect(Math.abs(onBoard.kvCache.gpuBlocks - 11836) / 11836).toBeLessThan(0.01);
    // Plenty of MemFree: no saturation, the bound stands.
    const roomy = computeBudget({ ...base, device: { ...base.device, memFreeBytes: 12 * GiB } });
    expect(roomy.kvCache.gpuBlocks).toBe(bound.kvCache.gpuBlocks);
  });
});

describe('the KV cache size vLLM logs for a hybrid: blocks ÷ groups × block (≤ 0.23) or concurrency × length (0.24 on)', () => {
  // Qwen3.5-9B on AGX Orin 64 GB, 2 requests of 8192 tokens: the same 38 block ids either side of the edge.
  const at = (vllmVersion: string) =>
    planFor({
      device: 'agx-orin-64gb',
      model: 'qwen3.5-9b',
      vllmVersion,
      runtime: 'native',
      maxModelLen: '8192',
      maxNumSeqs: '2',
    }).kvCache;

  it('0.23.0: 38 // 4 groups (8 attention layers; 24 GDN layers in 3) × 528 tokens a block = 4752', () => {
    const kv = at('0.23.0');
    expect(kv.gpuBlocks).toBe(38);
    expect(kv.maxConcurrency).toBe(2);
    expect(kv.tokens).toBe(4752);
  });

  it('0.24.0: int(2 × 8192) = 16,384 (the formula of case 6, a 0.24.0 log: 567,978 = int(299 / 69 × 131,072))', () => {
    const kv = at('0.24.0');
    expect(kv.gpuBlocks).toBe(38);
    expect(kv.tokens).toBe(Math.floor(kv.maxConcurrency * 8192));
    expect(kv.tokens).toBe(16_384);
  });
});
