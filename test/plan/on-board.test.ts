/**
 * Plans of the detected board (no --device) against a fake board root: the board's own /proc/meminfo reaches
 * the budget. vLLM 0.6.3 on a Jetson sizes its KV cache from a free-memory delta that saturates near MemFree
 * (reference vllm-memory-corrections.md §5), so only a plan on the board can predict the blocks it allocates.
 */
import { describe, expect, it } from 'vitest';
import { detectSystem } from '../../src/device/detect.js';
import { identifyDevice } from '../../src/device/core/identify.js';
import { buildPlan, type Plan } from '../../src/plan/core/plan.js';
import { resolvePlanRequest, type PlanOptions } from '../../src/plan/core/request.js';
import { loadTestCatalog, loadVllmLogCases, logged, planFor } from '../helpers/catalog.js';
import { recordedHost } from '../helpers/recorded-host.js';

const catalog = loadTestCatalog();

/** The #795 case with the user's knobs and vLLM's defaults for the rest (jetson-containers #795). */
const SEED: PlanOptions = {
  model: 'qwen2-7b-instruct',
  quant: 'gguf-q4_k_m',
  vllmVersion: '0.6.3',
  maxModelLen: '200',
  maxNumSeqs: '1',
  vllmDefaults: true,
  runtime: 'native',
};

async function planOnBoard(board: string, options: PlanOptions): Promise<Plan> {
  const facts = await detectSystem(recordedHost(board));
  const identification = identifyDevice(facts, catalog);
  const resolved = resolvePlanRequest(options, catalog, {
    detected: identification.device,
    described: null,
    hfCacheDir: '/hf',
    workDir: '/work',
  });
  if (!resolved.ok) throw new Error(resolved.message);
  const outcome = buildPlan(resolved.request, catalog);
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome.plan;
}

const c795 = loadVllmLogCases().find((c) => c.source_url.includes('jetson-containers/issues/795'));
if (c795 === undefined) throw new Error('no #795 case');

describe('vLLM 0.6.3 planned on the board: MemFree from /proc/meminfo (jetson-containers #795)', () => {
  it('predicts the 11836 GPU blocks vLLM logged within 2 % of total memory', async () => {
    // orin-nx-16gb-jp62-pagecache's MemFree (3928800 kB) is the one the #795 log implies: 11836 blocks × 917504 B
    // = 10859577344 B of KV, so vLLM's measured peak was ceil(0.9 × 16417492992) − 10859577344 = 3916166349 B
    // (to within one block), and 0.6.3's delta saturates at MemFree − 0.1 GiB: MemFree ≈ 3916166349 + 0.1 GiB.
    const plan = await planOnBoard('orin-nx-16gb-jp62-pagecache', SEED);
    const gpuBlocks = logged(c795, /# GPU blocks: (\d+)/);
    expect(gpuBlocks).toBe(11836);
    expect(plan.device.source).toBe('detected');
    expect(plan.kvCache.bytesPerBlock).toBe(917_504);
    expect((Math.abs(plan.kvCache.gpuBlocks - gpuBlocks) * 917_504) / plan.device.memTotalBytes).toBeLessThan(0.02);
    expect(plan.kvCache.cpuBlocks).toBe(4681);
    expect(plan.verdict).toBe('oom');
    // Labelled as measured on the board, in the KV line and in the notes.
    const kv = plan.budget.items.find((i) => i.key === 'kvCache');
    expect(kv?.why).toMatch(/saturating at MemFree 3\.75 GiB \(measured on the board\) − 0\.1 GiB/);
    expect(plan.notes.join('\n')).toMatch(/MemFree 3\.7\d GiB measured on the board \(\/proc\/meminfo\)/);
    expect(plan.notes.join('\n')).toContain(`the ${plan.kvCache.gpuBlocks} blocks vLLM will allocate`);
    expect(plan.notes.join('\n')).not.toMatch(/no-reclaim bound/);
  });

  it('a preset plan (--device) keeps the no-reclaim bound, below the logged blocks, and says why', async () => {
    const preset = planFor({ ...SEED, device: 'orin-nx-16gb' });
    const onBoard = await planOnBoard('orin-nx-16gb-jp62-pagecache', SEED);
    expect(preset.kvCache.gpuBlocks).toBeLessThan(onBoard.kvCache.gpuBlocks);
    expect(preset.kvCache.gpuBlocks).toBeLessThan(11836);
    const notes = preset.notes.join('\n');
    expect(notes).toMatch(/no-reclaim bound, since a plan for a preset cannot read the board's MemFree/);
    expect(preset.budget.items.find((i) => i.key === 'kvCache')?.why).not.toMatch(/MemFree/);
  });

  it('a board with plenty of MemFree: the delta does not saturate, the bound is what vLLM allocates', async () => {
    const roomy = await planOnBoard('orin-nx-16gb-jp62', SEED);
    const preset = planFor({ ...SEED, device: 'orin-nx-16gb' });
    expect(roomy.kvCache.gpuBlocks).toBe(preset.kvCache.gpuBlocks);
    expect(roomy.notes.join('\n')).toMatch(/MemFree 12\.\d+ GiB measured on the board/);
  });

  it('a block count the planner fixes does not depend on MemFree, and the note says so', async () => {
    const { vllmDefaults: _defaults, maxModelLen: _len, maxNumSeqs: _seqs, ...open } = SEED;
    const busy = await planOnBoard('orin-nx-16gb-jp62-pagecache', open);
    const roomy = await planOnBoard('orin-nx-16gb-jp62', open);
    expect(busy.argv).toContain('--num-gpu-blocks-override');
    expect(busy.kvCache.gpuBlocks).toBe(roomy.kvCache.gpuBlocks);
    expect(busy.notes.join('\n')).toMatch(/blocks above are fixed by the command and do not depend on it/);
  });

  it('--device-memory on the board is a what-if: the measured MemFree is not used', async () => {
    const whatIf = await planOnBoard('orin-nx-16gb-jp62-pagecache', { ...SEED, deviceMemory: '15.29' });
    expect(whatIf.device.source).toBe('override');
    expect(whatIf.notes.join('\n')).toMatch(/no-reclaim bound/);
    expect(whatIf.kvCache.gpuBlocks).toBeLessThan(11836);
  });

  it('a later version ignores MemFree: its KV sizing does not follow the free-memory delta', async () => {
    const { vllmDefaults: _defaults, ...rest } = SEED;
    const v = { ...rest, vllmVersion: '0.8.6', maxModelLen: '2048', maxNumSeqs: '4' };
    const busy = await planOnBoard('orin-nx-16gb-jp62-pagecache', v);
    const roomy = await planOnBoard('orin-nx-16gb-jp62', v);
    expect(busy.kvCache.gpuBlocks).toBe(roomy.kvCache.gpuBlocks);
  });
});
