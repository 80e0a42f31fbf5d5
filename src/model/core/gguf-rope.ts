/**
 * The rotary cos/sin caches vLLM builds for a GGUF checkpoint. Pure.
 *
 * vLLM reads a .gguf's config through transformers (vllm/transformers_utils/config.py `get_config`:
 * AutoConfig.from_pretrained(..., gguf_file=...)), whose integrations/ggml.py `GGUF_CONFIG_MAPPING` maps
 * `<arch>.rope.freq_base` to rope_theta and `<arch>.rope.dimension_count` to nothing (None, for every architecture):
 * the rotary width is the config class's own (head_dim × its default partial_rotary_factor), and no rope scaling
 * and no sliding-window rope base are read. `get_rope` (vllm/model_executor/layers/rotary_embedding/__init__.py)
 * then keeps one cache per distinct (head_size, rotary_dim, max_position, base, scaling) of
 * max_position (context_length) × rotary_dim values.
 */
import type { Architecture } from '../../catalog/core/presets-schema.js';

type RotaryCache = NonNullable<Architecture['rotaryCaches']>[number];

/**
 * transformers' default partial_rotary_factor of the config classes a GGUF architecture maps to, where it is not 1:
 * StableLmConfig 0.25 (configuration_stablelm.py).
 */
const PARTIAL_ROTARY: Readonly<Record<string, number>> = { stablelm: 0.25 };

/** Gemma3TextConfig's rope_local_base_freq (the sliding layers' base; the GGUF's own is not read). */
const GEMMA3_LOCAL_BASE = 10_000;

/** Gemma3TextConfig's rope_theta when the GGUF has no rope.freq_base. */
const GEMMA3_GLOBAL_BASE = 1_000_000;

/**
 * Returns the caches vLLM builds for a GGUF architecture, or null when it is one cache of head_dim (the planner's
 * default). `freqBase`: `<arch>.rope.freq_base` as read (undefined when absent).
 * - gemma3 (gemma3.py `Gemma3Attention`): sliding layers at rope_local_base_freq 10,000, global layers at
 *   rope_theta; two caches of head_dim unless the two bases are equal (then get_rope shares one).
 * - stablelm: one cache of int(head_dim × 0.25).
 */
export function buildGgufRotaryCaches(
  ggufArch: string,
  headDim: number,
  freqBase: number | undefined,
): RotaryCache[] | null {
  if (ggufArch === 'gemma3') {
    const global = freqBase ?? GEMMA3_GLOBAL_BASE;
    return global === GEMMA3_LOCAL_BASE ? null : [{ dim: headDim }, { dim: headDim }];
  }
  const factor = PARTIAL_ROTARY[ggufArch];
  if (factor === undefined) return null;
  // get_rope: rotary_dim = int(head_size × partial_rotary_factor); at least 1 for a cache that exists.
  return [{ dim: Math.max(1, Math.floor(headDim * factor)) }];
}

/**
 * A note when the file's rope.dimension_count differs from the width vLLM caches (transformers does not read it),
 * else null.
 */
export function describeGgufRopeWidth(
  dimensionCount: number | undefined,
  caches: readonly RotaryCache[] | null,
  headDim: number,
): string | null {
  if (dimensionCount === undefined) return null;
  const built = caches === null ? headDim : Math.max(...caches.map((c) => c.dim));
  if (dimensionCount === built) return null;
  return `rope.dimension_count is ${dimensionCount} but transformers' GGUF loader does not read it: vLLM caches rotary values ${built} wide`;
}
