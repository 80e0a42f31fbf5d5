/**
 * Quantization: weight bytes per format and vLLM's minimum compute capability (reference
 * vllm-memory.md §6, vllm/model_executor/layers/quantization/*.py `get_min_capability`). Pure.
 */
import type { Architecture, QuantVariant } from '../../catalog/core/presets-schema.js';
import { computeEncoderParams, computeKEqVCopyParams, computeParams } from './architecture.js';
import { computeIgnoredLinear, resolveIgnoreMatching, type IgnoredLinear } from './quant-ignore.js';
import { formatBytes, isAtLeast, type Version } from '../../shared/units.js';

import type { QuantScheme } from '../../catalog/core/quant-schemes.js';

/**
 * Bits per quantized weight, scales and zeros included (§6): AWQ/GPTQ 4-bit g128 = 4 + 16/128 +
 * 4/128; GPTQ 8-bit g128 = 8 + 16/128 + 8/128; compressed-tensors W4A16 (symmetric) = 4 + 16/128;
 * bitsandbytes NF4 = 4 + fp32 absmax per 64; NVFP4 = 4 + fp8 scale per 16.
 */
const BITS_PER_WEIGHT: Record<Exclude<QuantScheme, 'gguf'>, number> = {
  bf16: 16,
  fp16: 16,
  'awq-int4': 4 + 16 / 128 + 4 / 128,
  'gptq-int4': 4 + 16 / 128 + 4 / 128,
  'gptq-int8': 8 + 16 / 128 + 8 / 128,
  w4a16: 4 + 16 / 128,
  'w8a8-int8': 8,
  'w8a8-fp8': 8,
  'w8a16-fp8': 8,
  fp8: 8,
  'bnb-nf4': 4.5,
  nvfp4: 4.5,
  // MXFP4: e2m1 values with one e8m0 (1-byte) scale per 32 (vllm/model_executor/layers/quantization/mxfp4.py).
  mxfp4: 4 + 8 / 32,
};

/**
 * Average bits per weight of GGUF mixes (ggml block sizes; K-quant mixes keep some tensors at a
 * higher type, §6). Used only when a GGUF file's size is not known.
 */
const GGUF_BITS: Record<string, number> = {
  q2_k: 2.96,
  q3_k_s: 3.5,
  q3_k_m: 3.91,
  q3_k_l: 4.27,
  q4_0: 4.55,
  q4_1: 5.0,
  q4_k_s: 4.58,
  q4_k_m: 4.85,
  q5_0: 5.54,
  q5_k_s: 5.54,
  q5_k_m: 5.69,
  q6_k: 6.56,
  q8_0: 8.5,
  iq4_xs: 4.25,
  iq4_nl: 4.5,
  f16: 16,
  bf16: 16,
};

/** The scheme of a variant (explicit, or inferred from its id). */
export function resolveScheme(quant: QuantVariant): QuantScheme {
  if (quant.scheme !== undefined) return quant.scheme;
  if (quant.method === 'gguf' || quant.id.startsWith('gguf-')) return 'gguf';
  const byId: Record<string, QuantScheme> = {
    awq: 'awq-int4',
    'gptq-int4': 'gptq-int4',
    'gptq-int8': 'gptq-int8',
    w4a16: 'w4a16',
    w8a8: 'w8a8-int8',
    fp8: 'fp8',
    'bnb-4bit': 'bnb-nf4',
    nvfp4: 'nvfp4',
    mxfp4: 'mxfp4',
    fp16: 'fp16',
  };
  return byId[quant.id] ?? 'bf16';
}

export interface WeightEstimate {
  weightBytes: number;
  /** "published": the checkpoint's own size; "computed": parameters × bits. */
  source: 'published' | 'computed';
  why: string;
}

/**
 * Weight bytes of a model in a quantization. GGUF keeps its blocks on the GPU, so the file size is
 * the weight size (§6); other formats keep embeddings and lm_head in 16 bits.
 */
export function estimateWeightBytes(arch: Architecture, quant: QuantVariant): WeightEstimate {
  const scheme = resolveScheme(quant);
  const params = computeParams(arch);
  if (scheme === 'gguf') {
    if (quant.sizeBytes !== undefined) {
      return {
        weightBytes: quant.sizeBytes,
        source: quant.sizeSource === 'computed' ? 'computed' : 'published',
        why: `GGUF blocks stay quantized on the GPU: the ${quant.file ?? 'file'} size`,
      };
    }
    const type = quant.id.replace(/^gguf-/, '');
    const bits = GGUF_BITS[type] ?? 16;
    return {
      weightBytes: Math.round((params.total * bits) / 8),
      source: 'computed',
      why: `${(params.total / 1e9).toFixed(2)} B parameters × ${bits} bits (GGUF ${type.toUpperCase()} average)`,
    };
  }
  const isMxfp4Moe = scheme === 'mxfp4' && quant.method === 'mxfp4' && arch.moe !== null;
  // Gemma 4's global layers: vLLM holds a V projection the checkpoint does not have (a copy of K), in K's format:
  // 16 bits where the quantization config leaves K unquantized.
  const allKEqV = computeKEqVCopyParams(arch);
  const ignored = findIgnoredLinear(arch, quant);
  const kEqV16 = ignored === null || allKEqV === 0 ? 0 : (allKEqV * ignored.globalKLayers) / countGlobalLayersOf(arch);
  const kEqV = allKEqV - kEqV16;
  if (quant.sizeBytes !== undefined && quant.sizeSource === 'published') {
    if (isMxfp4Moe) {
      const padding = computeMxfp4MoeBytes(arch, true) - computeMxfp4MoeBytes(arch, false);
      return {
        weightBytes: quant.sizeBytes + padding,
        source: 'published',
        why: `the checkpoint files + ${formatBytes(padding)} of Marlin MXFP4 expert padding (${describeMxfp4Padding(arch)})`,
      };
    }
    if (allKEqV > 0) {
      const copy = Math.round((kEqV * (scheme === 'mxfp4' ? 16 : BITS_PER_WEIGHT[scheme])) / 8 + 2 * kEqV16);
      return {
        weightBytes: quant.sizeBytes + copy,
        source: 'published',
        why: `the checkpoint files + ${formatBytes(copy)} for the V slots vLLM fills with a copy of K (attention_k_eq_v)`,
      };
    }
    return { weightBytes: quant.sizeBytes, source: 'published', why: 'the checkpoint files' };
  }
  if (isMxfp4Moe) {
    // gpt-oss: only the experts are MXFP4; attention, router, embeddings and lm_head stay in bf16
    // (Mxfp4Config.get_quant_method returns UnquantizedLinearMethod for every LinearBase).
    const experts = computeMxfp4MoeBytes(arch, true);
    const unquantized = params.total - computeMoeExpertParams(arch);
    return {
      weightBytes: experts + 2 * unquantized,
      source: 'computed',
      why: `experts ${formatBytes(experts)} in MXFP4 as vLLM's Marlin path pads them (${describeMxfp4Padding(arch)}) + ${(unquantized / 1e9).toFixed(2)} B other parameters in 16 bits`,
    };
  }
  const bits = BITS_PER_WEIGHT[scheme];
  // Vision and audio towers stay in 16 bits in the quantized checkpoints (AWQ, GPTQ, compressed-tensors,
  // modelopt ignore them).
  const vision = computeEncoderParams(arch);
  const encoders =
    arch.audio !== null && arch.audio !== undefined ? 'the vision and audio encoders' : 'the vision encoder';
  const isFull = bits === 16;
  // The linear layers the quantization config leaves unquantized (quant-ignore.ts), in 16 bits.
  const unquantized = isFull || ignored === null ? 0 : ignored.params;
  const sixteen = 2 * (params.embedding + params.lmHead + params.other + vision + unquantized + kEqV16);
  const weightBytes = Math.round(((params.linear - unquantized + kEqV) * bits) / 8 + sixteen);
  return {
    weightBytes,
    source: 'computed',
    why:
      (isFull
        ? `${((params.total + vision) / 1e9).toFixed(2)} B parameters × 2 bytes${vision > 0 ? ` (${encoders} included)` : ''}`
        : `${((params.linear - unquantized) / 1e9).toFixed(2)} B linear weights × ${bits.toFixed(2)} bits + embeddings${params.lmHead > 0 ? ' and lm_head' : ''} in 16 bits${vision > 0 ? `, ${encoders} too` : ''}`) +
      (unquantized > 0 && ignored !== null
        ? `, + ${describeIgnored(ignored, arch)} left unquantized by the checkpoint's quantization config (16 bits)`
        : '') +
      (allKEqV > 0
        ? `, + ${(allKEqV / 1e6).toFixed(1)} M parameters of V slots vLLM fills with a copy of K (attention_k_eq_v)`
        : ''),
  };
}

/** The ignore list's unquantized linear parameters for a variant (null: no list, or not countable). */
function findIgnoredLinear(arch: Architecture, quant: QuantVariant): IgnoredLinear | null {
  const matching = resolveIgnoreMatching(quant.method);
  if (quant.ignore === undefined || matching === null) return null;
  return computeIgnoredLinear(arch, quant.ignore, matching);
}

/** The full-attention layers with their own head size (Gemma 4's global layers), 0 for other models. */
function countGlobalLayersOf(arch: Architecture): number {
  const g = arch.globalAttention ?? null;
  if (g === null || !g.kEqV) return 0;
  return computeKEqVCopyParams(arch) / (g.kvHeads * g.headDim * arch.hiddenSize);
}

/** "8.48 B parameters (attention in 60 of 60 layers)" for the ignored linear layers. */
function describeIgnored(ignored: IgnoredLinear, arch: Architecture): string {
  const parts = [
    ignored.attentionLayers > 0 ? `attention in ${ignored.attentionLayers} of ${arch.layers} layers` : '',
    ignored.mlpLayers > 0 ? `the MLP in ${ignored.mlpLayers} of ${arch.layers} layers` : '',
  ].filter((p) => p !== '');
  return `${(ignored.params / 1e9).toFixed(2)} B parameters (${parts.join(', ')})`;
}

const roundUp = (n: number, multiple: number): number => Math.ceil(n / multiple) * multiple;

/** Parameters of the routed experts' gate/up/down projections (what MXFP4 checkpoints quantize). */
function computeMoeExpertParams(arch: Architecture): number {
  if (arch.moe === null) return 0;
  return arch.layers * arch.moe.experts * 3 * arch.hiddenSize * arch.moe.expertIntermediateSize;
}

/**
 * Bytes of an MXFP4 mixture of experts as vLLM holds it: per expert, w13 (2·I × h) and w2 (h × I) as
 * packed e2m1 (½ byte per value) with one uint8 scale per 32 values, plus the bf16 biases
 * (vllm/model_executor/layers/quantization/mxfp4.py `Mxfp4MoEMethod.create_weights`, which registers
 * w13_bias and w2_bias whatever the checkpoint holds). `padded`: the Marlin backend — the one every
 * Jetson takes (Orin 8.7 has no triton_kernels path, which needs 9.0 ≤ cc < 11.0; Thor 11.0 is not in
 * the FlashInfer SM100 family; `get_mxfp4_backend`) — rounds I up to a multiple of 128 and h to 256
 * (`create_weights`), and `prepare_moe_fp4_layer_for_marlin` (utils/marlin_utils_fp4.py) repacks
 * into the same number of bytes with the scales as float8_e8m0fnu. Unpadded, the figure is the
 * checkpoint's own `*_blocks` + `*_scales` + `*_bias` bytes.
 */
export function computeMxfp4MoeBytes(arch: Architecture, padded: boolean): number {
  if (arch.moe === null) return 0;
  const i = padded ? roundUp(arch.moe.expertIntermediateSize, 128) : arch.moe.expertIntermediateSize;
  const h = padded ? roundUp(arch.hiddenSize, 256) : arch.hiddenSize;
  const w13 = (2 * i * h) / 2 + (2 * i * h) / 32 + 2 * i * 2;
  const w2 = (h * i) / 2 + (h * i) / 32 + h * 2;
  return arch.layers * arch.moe.experts * (w13 + w2);
}

/** "I 2880 → 2944, h 2880 → 3072" for the Marlin MXFP4 padding of `arch`'s experts. */
function describeMxfp4Padding(arch: Architecture): string {
  const i = arch.moe?.expertIntermediateSize ?? arch.intermediateSize;
  const h = arch.hiddenSize;
  return `I ${i} → ${roundUp(i, 128)}, h ${h} → ${roundUp(h, 256)}`;
}

/** Compute capability as vLLM writes it (8.7 → 87). */
export function toCapabilityNumber(cc: string): number {
  const [major, minor] = cc.split('.');
  return Number(major) * 10 + Number(minor ?? 0);
}

export type CapabilityCheck = { ok: true; note?: string } | { ok: false; reason: string; minimum: number };

/**
 * Checks the scheme against the GPU's compute capability with vLLM's own minimums for the version
 * (§6 table). Orin (8.7) runs FP8 checkpoints weight-only through FP8-Marlin.
 */
export function checkCapability(scheme: QuantScheme, cc: string, version: Version): CapabilityCheck {
  const current = toCapabilityNumber(cc);
  const newest = isAtLeast(version, '0.12.0');
  let minimum: number;
  let note: string | undefined;
  switch (scheme) {
    case 'bf16':
      minimum = 80; // vllm/worker/worker.py _check_if_gpu_supports_dtype
      break;
    case 'fp16':
    case 'gguf':
    case 'gptq-int4':
    case 'gptq-int8':
      minimum = 60; // gguf.py, gptq.py get_min_capability
      break;
    case 'bnb-nf4':
      minimum = 70; // bitsandbytes.py
      break;
    case 'awq-int4':
    case 'w8a8-int8':
      minimum = 75; // awq.py; compressed_tensors_w8a8_int8
      break;
    case 'w4a16':
    case 'w8a16-fp8':
      minimum = newest ? 75 : 80; // Marlin kernels (compressed_tensors_wNa16)
      break;
    case 'w8a8-fp8':
    case 'fp8':
      minimum = newest ? 75 : 80;
      if (current < 89 && current >= minimum) note = 'FP8 runs weight-only (FP8-Marlin) below compute capability 8.9';
      break;
    case 'mxfp4':
      // mxfp4.py Mxfp4Config.get_min_capability: 80; gpt-oss (quant_method "mxfp4") arrived in 0.10.1.
      if (!isAtLeast(version, '0.10.1')) {
        return { ok: false, minimum: 80, reason: 'MXFP4 (gpt-oss) needs vLLM ≥ 0.10.1' };
      }
      minimum = 80;
      if (current >= minimum && (current < 90 || current >= 110))
        note = 'MXFP4 experts run weight-only through Marlin (padded; bf16 activations) on this GPU';
      break;
    case 'nvfp4':
      if (!isAtLeast(version, '0.8.0')) {
        return { ok: false, minimum: 100, reason: 'NVFP4 (modelopt_fp4) needs vLLM ≥ 0.8.0' };
      }
      minimum = isAtLeast(version, '0.10.0') ? (newest ? 75 : 80) : 100;
      if (current < 100 && current >= minimum)
        note = 'NVFP4 is emulated weight-only (Marlin) below compute capability 10.0';
      break;
    default: {
      const unreachable: never = scheme;
      throw new Error(`unknown scheme ${String(unreachable)}`);
    }
  }
  if (current < minimum) {
    const fmt = (n: number): string => `${Math.floor(n / 10)}.${n % 10}`;
    return {
      ok: false,
      minimum,
      reason: `not supported on this GPU: ${scheme} needs compute capability ≥ ${fmt(minimum)}, this is ${cc}`,
    };
  }
  return note === undefined ? { ok: true } : { ok: true, note };
}

/**
 * Returns the bytes of one storage element for a --kv-cache-dtype (auto = the model's activation dtype, 2 bytes):
 * vllm/utils/torch_utils.py `STR_DTYPE_TO_TORCH_DTYPE` stores fp8 and nvfp4 in uint8 (1 byte); nvfp4 packs two
 * values and their scales into those bytes (kv-element.ts `computeKvHeadBytes` gives the packed head).
 */
export function kvDtypeBytes(kvCacheDtype: string): number {
  return kvCacheDtype.startsWith('fp8') || kvCacheDtype === 'nvfp4' ? 1 : 2;
}
