/** --dtype as vLLM resolves it (config.py _get_and_verify_dtype) and refuses it (_check_if_gpu_supports_dtype). */
import { describe, expect, it } from 'vitest';
import { computeKvElementBytes, findDtypeRefusal, resolveModelDtype } from '../../../src/plan/core/dtype.js';
import { computeKvHeadBytes } from '../../../src/model/core/kv-element.js';
import { buildPlan } from '../../../src/plan/core/plan.js';
import { resolvePlanRequest } from '../../../src/plan/core/request.js';
import { loadTestCatalog, planFor } from '../../helpers/catalog.js';

const catalog = loadTestCatalog();
const ENV = { detected: null, described: null, hfCacheDir: '/hf', workDir: '/work' };
const outcome = (options: Parameters<typeof planFor>[0]) => {
  const r = resolvePlanRequest(options, catalog, ENV);
  if (!r.ok) return r;
  return buildPlan(r.request, catalog);
};

describe('resolveModelDtype', () => {
  it.each([
    ['auto', 'bfloat16', 'bfloat16'],
    ['auto', 'float16', 'float16'],
    ['auto', 'float32', 'float16'],
    ['half', 'bfloat16', 'float16'],
    ['float16', 'bfloat16', 'float16'],
    ['bfloat16', 'float16', 'bfloat16'],
    ['float', 'bfloat16', 'float32'],
    ['float32', 'float16', 'float32'],
  ] as const)('--dtype %s on a %s checkpoint runs in %s', (choice, torchDtype, expected) => {
    expect(resolveModelDtype(choice, torchDtype)).toBe(expected);
  });
  it('refuses only a resolved bfloat16 below compute capability 8.0, naming --dtype half', () => {
    expect(findDtypeRefusal('bfloat16', '7.5')).toMatch(/--dtype half fixes it/);
    expect(findDtypeRefusal('bfloat16', '8.7')).toBeNull();
    expect(findDtypeRefusal('float16', '7.5')).toBeNull();
    expect(findDtypeRefusal('float32', '7.2')).toBeNull();
  });
  it('KV elements: auto follows the model dtype, fp8 1 byte, nvfp4 4 bits + an fp8 scale per 16', () => {
    expect(computeKvElementBytes('auto', 2)).toBe(2);
    expect(computeKvElementBytes('auto', 4)).toBe(4);
    expect(computeKvElementBytes('fp8', 2)).toBe(1);
    expect(computeKvElementBytes('nvfp4', 2)).toBe('nvfp4');
    // The packed head (torch_utils.py nvfp4_kv_cache_full_dim): 128 // 2 + 128 // 16 = 72 B = 0.5625 B × 128.
    expect(computeKvHeadBytes(128, computeKvElementBytes('nvfp4', 2))).toBe(0.5625 * 128);
  });
});

describe('--dtype in a plan', () => {
  const turing = { device: 'rtx-2080-ti', model: 'qwen2.5-3b-instruct', quant: 'bf16', maxModelLen: '4096' };
  it('a bf16 checkpoint on cc 7.5: the planner passes --dtype half; --dtype bfloat16 is refused with the fix', () => {
    expect(planFor(turing).argv).toEqual(expect.arrayContaining(['--dtype', 'half']));
    const refused = outcome({ ...turing, dtype: 'bfloat16' });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.message).toMatch(/^--dtype bfloat16: .*--dtype half fixes it/);
  });
  it('with --vllm-defaults and no --dtype, vLLM resolves auto to bfloat16 and refuses: said with the fix', () => {
    const refused = outcome({ ...turing, vllmDefaults: true });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.message).toMatch(/--dtype half fixes it/);
  });
  it('--dtype float32 doubles an unquantized checkpoint’s weights and its KV elements', () => {
    const half = planFor({ ...turing, dtype: 'half' });
    const full = planFor({ ...turing, dtype: 'float32' });
    expect(full.quant.weightBytes).toBe(2 * half.quant.weightBytes);
    expect(full.kvCache.bytesPerToken).toBe(2 * half.kvCache.bytesPerToken);
    expect(full.argv).toEqual(expect.arrayContaining(['--dtype', 'float32']));
  });
  it('an unknown --dtype is one line naming the choices', () => {
    const bad = outcome({ ...turing, dtype: 'fp16' });
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.message).toBe('--dtype: "fp16" is not one of auto, half, float16, bfloat16, float, float32');
  });
  it('--kv-cache-dtype nvfp4 needs vLLM 0.21', () => {
    const nx = { device: 'orin-nx-16gb', model: 'qwen3-4b', quant: 'awq', kvCacheDtype: 'nvfp4' };
    const old = outcome({ ...nx, vllmVersion: '0.20.0' });
    expect(old.ok).toBe(false);
    const p = planFor({ ...nx, vllmVersion: '0.31.0' });
    // Qwen3-4B: 36 layers × 8 KV heads × 128 × 2 (K, V) × 0.5625 B = 41,472 B per token.
    expect(p.kvCache.bytesPerToken).toBe(41_472);
  });
});
