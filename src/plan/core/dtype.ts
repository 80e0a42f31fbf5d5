/**
 * `--dtype` as vLLM resolves it, and the element sizes that follow from it (model dtype, KV cache dtype). Pure.
 */
import type { KvElementSize } from '../../model/core/kv-element.js';
import { kvDtypeBytes } from '../../model/core/quantization.js';

/** The values vLLM's `--dtype` accepts (vllm/engine/arg_utils.py, `choices`). */
export const DTYPE_CHOICES = ['auto', 'half', 'float16', 'bfloat16', 'float', 'float32'] as const;
export type DtypeChoice = (typeof DTYPE_CHOICES)[number];
/** A dtype after resolution. */
export type ModelDtype = 'float16' | 'bfloat16' | 'float32';

/** True when the text is one of vLLM's --dtype choices. */
export function isDtypeChoice(text: string): text is DtypeChoice {
  return (DTYPE_CHOICES as readonly string[]).includes(text);
}

/**
 * Returns the dtype vLLM runs a model in: vllm/config.py `_get_and_verify_dtype` resolves `auto` to the
 * checkpoint's torch_dtype, except a float32 checkpoint, served as float16; `half` is float16, `float` float32.
 */
export function resolveModelDtype(choice: DtypeChoice, torchDtype: ModelDtype): ModelDtype {
  switch (choice) {
    case 'auto':
      return torchDtype === 'float32' ? 'float16' : torchDtype;
    case 'half':
    case 'float16':
      return 'float16';
    case 'bfloat16':
      return 'bfloat16';
    case 'float':
    case 'float32':
      return 'float32';
    default: {
      const unreachable: never = choice;
      throw new Error(`unknown dtype ${String(unreachable)}`);
    }
  }
}

/** Returns the bytes of one element of a resolved dtype. */
export function computeDtypeBytes(dtype: ModelDtype): number {
  return dtype === 'float32' ? 4 : 2;
}

/**
 * Returns the refusal vLLM prints for a resolved bfloat16 below compute capability 8.0
 * (vllm/worker/worker.py `_check_if_gpu_supports_dtype`, V1 gpu_worker.py the same), with the fix; null otherwise.
 */
export function findDtypeRefusal(dtype: ModelDtype, computeCapability: string): string | null {
  if (dtype !== 'bfloat16' || Number(computeCapability) >= 8) return null;
  return `vLLM refuses bfloat16 on compute capability ${computeCapability} (it needs 8.0): --dtype half fixes it (the same 2 bytes per parameter and per KV element)`;
}

/**
 * Returns the size of one KV-cache element: `auto` follows the model dtype, fp8 is 1; nvfp4 is its packed page
 * layout (model/core/kv-element.ts `computeKvHeadBytes`: head_dim // 2 + head_dim // 16 bytes per head, 0.5625 B per
 * element for a head_dim that is a multiple of 16), computed per head by the layout.
 */
export function computeKvElementBytes(kvCacheDtype: string, modelDtypeBytes: number): KvElementSize {
  if (kvCacheDtype === 'auto') return modelDtypeBytes;
  if (kvCacheDtype === 'nvfp4') return 'nvfp4';
  return kvDtypeBytes(kvCacheDtype);
}
