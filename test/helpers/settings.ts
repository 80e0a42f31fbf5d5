/**
 * The budget settings the budget and model tests plan with (4 requests of 8192 tokens, 2048 batched, eager, KV dtype auto), so
 * that a test states only what it changes.
 */
import type { Settings } from '../../src/plan/core/budget.js';

/** Returns the shared test settings with `over` applied. */
export function buildTestSettings(over: Partial<Settings> = {}): Settings {
  return {
    maxModelLen: 8192,
    maxNumSeqs: 4,
    maxNumBatchedTokens: 2048,
    gpuMemoryUtilization: 0.9,
    swapSpaceGiB: null,
    kvCacheDtype: 'auto',
    kvCacheMemoryBytes: null,
    enforceEager: true,
    blockSize: 16,
    numGpuBlocksOverride: null,
    ...over,
  };
}
