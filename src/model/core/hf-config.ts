/**
 * Reads a Hugging Face config.json (already parsed) into the architecture and quantization the
 * planner needs. Pure: the shell reads the file.
 */
import type { Architecture, QuantVariant } from '../../catalog/core/presets-schema.js';
import { checkArchitectureCounts, type ArchCountField } from './architecture.js';
import { computeGemma4AudioParams, computeGemma4VisionParams } from './gemma4-encoders.js';
import { resolveIgnoreMatching } from './quant-ignore.js';

export type HfConfigResult =
  { ok: true; arch: Architecture; quant: Omit<QuantVariant, 'repo'>; name: string } | { ok: false; problem: string };

type Json = Record<string, unknown>;

/** The config.json key behind each architecture count, for error messages. */
const CONFIG_KEYS: Readonly<Record<ArchCountField, string>> = {
  layers: 'num_hidden_layers',
  hiddenSize: 'hidden_size',
  intermediateSize: 'intermediate_size',
  attentionHeads: 'num_attention_heads',
  kvHeads: 'num_key_value_heads',
  headDim: 'head_dim',
  vocabSize: 'vocab_size',
  maxPositionEmbeddings: 'max_position_embeddings',
  slidingWindow: 'sliding_window',
  experts: 'num_experts',
  expertsPerToken: 'num_experts_per_tok',
  expertIntermediateSize: 'moe_intermediate_size',
  sharedExperts: 'n_shared_experts',
  kvLoraRank: 'kv_lora_rank',
  qkRopeHeadDim: 'qk_rope_head_dim',
};

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * transformers' Gemma3TextConfig defaults (models/gemma3/configuration_gemma3.py): the released
 * google/gemma-3-{4b,12b,27b}-it config.json files omit vocab_size, head_dim, max_position_embeddings,
 * sliding_window_pattern and tie_word_embeddings, and vLLM reads them through this class.
 */
const GEMMA3_TEXT_DEFAULTS: Json = {
  vocab_size: 262_208,
  hidden_size: 2304,
  intermediate_size: 9216,
  num_hidden_layers: 26,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 256,
  max_position_embeddings: 131_072,
  sliding_window: 4096,
  sliding_window_pattern: 6,
  tie_word_embeddings: true,
};

/**
 * The first of `keys` that holds a number. A number JSON could not hold exactly (1e400 → Infinity) is
 * returned too, so that the range check names it rather than calling the key missing.
 */
function num(config: Json, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const v = config[key];
    if (typeof v === 'number' && !Number.isNaN(v)) return v;
  }
  return undefined;
}

/** Parses config.json content into an architecture and the checkpoint's quantization. */
export function parseHfConfig(content: unknown, name: string): HfConfigResult {
  if (!isObject(content)) return { ok: false, problem: 'config.json is not a JSON object' };
  // Multimodal checkpoints (Gemma-3, Qwen2.5-VL, …) keep the language model under text_config.
  const inner = isObject(content.text_config) ? content.text_config : {};
  const firstArch: unknown = Array.isArray(content.architectures) ? (content.architectures as unknown[])[0] : undefined;
  const isGemma3 =
    (typeof firstArch === 'string' && firstArch.startsWith('Gemma3')) ||
    inner.model_type === 'gemma3_text' ||
    content.model_type === 'gemma3_text';
  // google/gemma-3-*-it configs leave vocab_size, head_dim, … to Gemma3TextConfig's defaults.
  const text = { ...(isGemma3 ? GEMMA3_TEXT_DEFAULTS : {}), ...content, ...inner };
  const architectures = content.architectures;
  const architecture =
    Array.isArray(architectures) && typeof architectures[0] === 'string'
      ? architectures[0]
      : typeof text.model_type === 'string'
        ? text.model_type
        : 'unknown';
  const layers = num(text, 'num_hidden_layers', 'n_layer', 'num_layers');
  const hidden = num(text, 'hidden_size', 'n_embd', 'd_model');
  const heads = num(text, 'num_attention_heads', 'n_head');
  const vocab = num(text, 'vocab_size');
  const missing = [
    ['num_hidden_layers', layers],
    ['hidden_size', hidden],
    ['num_attention_heads', heads],
    ['vocab_size', vocab],
  ]
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
  if (
    missing.length > 0 ||
    layers === undefined ||
    hidden === undefined ||
    heads === undefined ||
    vocab === undefined
  ) {
    return { ok: false, problem: `config.json has no ${missing.join(', ')}` };
  }
  const kvHeads = num(text, 'num_key_value_heads', 'multi_query_group_num') ?? heads;
  const headDim = num(text, 'head_dim') ?? Math.floor(hidden / heads);
  const intermediate = num(text, 'intermediate_size', 'ffn_hidden_size', 'n_inner') ?? 4 * hidden;
  const maxPositions = num(text, 'max_position_embeddings', 'n_positions', 'max_seq_len', 'seq_length') ?? 2048;
  const dtypeText =
    typeof text.torch_dtype === 'string' ? text.torch_dtype : typeof text.dtype === 'string' ? text.dtype : 'bfloat16';
  const torchDtype = dtypeText === 'float16' ? 'float16' : dtypeText === 'float32' ? 'float32' : 'bfloat16';

  let slidingWindow: number | null = null;
  let slidingWindowLayers = 0;
  const window = num(text, 'sliding_window');
  if (window !== undefined && text.use_sliding_window !== false) {
    const layerTypes = text.layer_types;
    if (Array.isArray(layerTypes)) {
      slidingWindowLayers = Math.min(layers, layerTypes.filter((t) => t === 'sliding_attention').length);
    } else {
      const pattern = typeof text.sliding_window_pattern === 'number' ? text.sliding_window_pattern : null;
      slidingWindowLayers = countSlidingWindowLayers(
        layers,
        architecture.startsWith('Gemma2') ? 'gemma2' : isGemma3 ? 'gemma3' : null,
        pattern,
      );
    }
    if (slidingWindowLayers > 0) slidingWindow = window;
  }

  const experts = num(text, 'num_experts', 'num_local_experts', 'n_routed_experts');
  // Gemma 4 (enable_moe_block): top_k_experts, and a dense MLP of intermediate_size beside the experts.
  const hasDenseMlp = text.enable_moe_block === true;
  const moe =
    experts !== undefined && experts > 1
      ? {
          experts,
          expertsPerToken: num(text, 'num_experts_per_tok', 'moe_top_k', 'top_k_experts') ?? 2,
          expertIntermediateSize: num(text, 'moe_intermediate_size', 'expert_intermediate_size') ?? intermediate,
          sharedExperts: num(text, 'n_shared_experts') ?? 0,
          ...(hasDenseMlp ? { denseIntermediateSize: intermediate } : {}),
        }
      : null;
  const kvLoraRank = num(text, 'kv_lora_rank');
  const rope = num(text, 'qk_rope_head_dim');
  const mla = kvLoraRank !== undefined && rope !== undefined ? { kvLoraRank, qkRopeHeadDim: rope } : null;

  const globalAttention = parseGlobalAttention(text, headDim, kvHeads);
  const kvSharedLayers = parseKvSharedLayers(text, layers);
  const pleWidth = num(text, 'hidden_size_per_layer_input');
  const pleVocab = num(text, 'vocab_size_per_layer_input') ?? vocab;
  const perLayerInput =
    pleWidth !== undefined &&
    Number.isSafeInteger(pleWidth) &&
    pleWidth >= 1 &&
    pleWidth <= 65_536 &&
    Number.isSafeInteger(pleVocab) &&
    pleVocab >= 1 &&
    pleVocab <= 4_194_304
      ? { hiddenSize: pleWidth, vocabSize: pleVocab }
      : null;
  // Gemma 4 E2B: the KV-shared layers' MLP is twice as wide (transformers `Gemma4TextMLP`).
  const doubleWideMlpLayers =
    text.use_double_wide_mlp === true && kvSharedLayers !== null && kvSharedLayers !== undefined
      ? kvSharedLayers.sliding + kvSharedLayers.global
      : 0;
  const rotaryCaches = parseRotaryCaches(
    text,
    isGemma3,
    headDim,
    maxPositions,
    mla === null ? null : mla.qkRopeHeadDim,
    globalAttention,
  );

  const stateLayers = parseStateLayers(text, layers, architecture);
  if (typeof stateLayers === 'string') return { ok: false, problem: `config.json: ${stateLayers}` };
  // Gemma 4: both towers counted from their configs, as vLLM builds them (gemma4-encoders.ts).
  const isGemma4 = content.model_type === 'gemma4' || firstArch === 'Gemma4ForConditionalGeneration';
  const vision = isGemma4
    ? computeGemma4VisionParams(content.vision_config, hidden)
    : parseVision(content.vision_config);
  const audio = isGemma4 ? computeGemma4AudioParams(content.audio_config, hidden) : null;
  // vllm/config/speculative.py `hf_config_override`: n_predict = mtp_num_hidden_layers (Qwen3.5) or
  // num_nextn_predict_layers (Qwen3-Next, DeepSeek-V3, GLM-4.5, MiMo, Nemotron-H).
  const mtpLayers = num(text, 'mtp_num_hidden_layers', 'num_nextn_predict_layers');

  const arch: Architecture = {
    architecture,
    layers,
    hiddenSize: hidden,
    intermediateSize: intermediate,
    attentionHeads: heads,
    kvHeads,
    headDim,
    vocabSize: vocab,
    tieWordEmbeddings: text.tie_word_embeddings === true,
    maxPositionEmbeddings: maxPositions,
    torchDtype,
    slidingWindow,
    slidingWindowLayers,
    moe,
    mla,
    ...(globalAttention === null ? {} : { globalAttention }),
    ...(kvSharedLayers === null ? {} : { kvSharedLayers }),
    ...(perLayerInput === null ? {} : { perLayerInput }),
    ...(doubleWideMlpLayers > 0 ? { doubleWideMlpLayers } : {}),
    ...(rotaryCaches === null ? {} : { rotaryCaches }),
    ...(stateLayers === null ? {} : { stateLayers }),
    ...(vision === null ? {} : { vision }),
    ...(audio === null ? {} : { audio }),
    ...(mtpLayers !== undefined && Number.isSafeInteger(mtpLayers) && mtpLayers > 0 && mtpLayers <= 64
      ? { mtp: { layers: mtpLayers } }
      : {}),
  };
  // Every count a safe whole number in a plausible range: 1e308 or 2^53 + 1 would fill the plan with
  // Infinity and NaN (architecture.ts ARCH_COUNT_RANGES).
  const bad = checkArchitectureCounts(arch, (field) => CONFIG_KEYS[field]);
  if (bad !== null) return { ok: false, problem: `config.json: ${bad}` };
  const quant = parseQuantizationConfig(content.quantization_config, torchDtype);
  if (!quant.ok) return { ok: false, problem: quant.problem };
  return { ok: true, arch, quant: quant.value, name };
}

type QuantParse = { ok: true; value: Omit<QuantVariant, 'repo'> } | { ok: false; problem: string };

/**
 * Maps `quantization_config` (AWQ, GPTQ, compressed-tensors, FP8, bitsandbytes, modelopt, MXFP4) to a variant, with
 * the modules it leaves unquantized (quant-ignore.ts sizes them at the model's dtype).
 */
export function parseQuantizationConfig(qc: unknown, torchDtype: Architecture['torchDtype']): QuantParse {
  const parsed = parseQuantizationMethod(qc, torchDtype);
  // Kept where vLLM's config class for the method reads an ignore list (quant-ignore.ts resolveIgnoreMatching).
  if (!parsed.ok || !isObject(qc) || resolveIgnoreMatching(parsed.value.method) === null) return parsed;
  const ignore = readIgnoreList(qc);
  return ignore.length === 0 ? parsed : { ok: true, value: { ...parsed.value, ignore } };
}

/** The most ignore entries read: a hostile config cannot make the plan test millions of patterns per layer. */
const MAX_IGNORE_ENTRIES = 4096;

/**
 * The ignore list as the method's config class reads it: compressed-tensors `ignore`, modelopt `exclude_modules`
 * (hf_quant_config.json, also nested under `quantization`) or `ignore` (config.json), AWQ `modules_to_not_convert`,
 * FP8 `ignored_layers`.
 */
function readIgnoreList(qc: Json): string[] {
  const nested = isObject(qc.quantization) ? qc.quantization : {};
  const raw = [
    qc.ignore,
    qc.exclude_modules,
    nested.exclude_modules,
    qc.modules_to_not_convert,
    qc.ignored_layers,
  ].find(Array.isArray);
  if (raw === undefined) return [];
  return (raw as unknown[])
    .filter((e): e is string => typeof e === 'string' && e.length > 0 && e.length <= 1024)
    .slice(0, MAX_IGNORE_ENTRIES);
}

function parseQuantizationMethod(qc: unknown, torchDtype: Architecture['torchDtype']): QuantParse {
  if (qc === undefined || qc === null) {
    const id = torchDtype === 'bfloat16' ? 'bf16' : 'fp16';
    return { ok: true, value: { id, method: null, scheme: id } };
  }
  if (!isObject(qc)) return { ok: false, problem: 'quantization_config is not an object' };
  const method = typeof qc.quant_method === 'string' ? qc.quant_method.toLowerCase() : '';
  const bits = num(qc, 'bits', 'w_bit');
  const groupSize = num(qc, 'group_size', 'q_group_size');
  // -1 (one group per channel) and nonsense (1e308, 0.5) carry no group size; the catalog's schema wants a whole one.
  const group = groupSize !== undefined && Number.isSafeInteger(groupSize) && groupSize > 0 ? { groupSize } : {};
  switch (method) {
    case 'awq':
      return { ok: true, value: { id: 'awq', method: 'awq', scheme: 'awq-int4', ...group } };
    case 'gptq':
      return bits === 8
        ? { ok: true, value: { id: 'gptq-int8', method: 'gptq', scheme: 'gptq-int8', ...group } }
        : { ok: true, value: { id: 'gptq-int4', method: 'gptq', scheme: 'gptq-int4', ...group } };
    case 'fp8':
      return { ok: true, value: { id: 'fp8', method: 'fp8', scheme: 'fp8' } };
    case 'mxfp4':
      // gpt-oss: MXFP4 experts, everything else bf16 (vllm/model_executor/layers/quantization/mxfp4.py).
      return { ok: true, value: { id: 'mxfp4', method: 'mxfp4', scheme: 'mxfp4' } };
    case 'bitsandbytes':
      return { ok: true, value: { id: 'bnb-4bit', method: 'bitsandbytes', scheme: 'bnb-nf4' } };
    case 'modelopt': {
      const nested = isObject(qc.quantization) ? qc.quantization.quant_algo : undefined;
      const rawAlgo = typeof qc.quant_algo === 'string' ? qc.quant_algo : nested;
      const algo = typeof rawAlgo === 'string' ? rawAlgo.toUpperCase() : '';
      if (algo === 'MIXED_PRECISION') {
        // ModelOpt mixed precision (Nemotron-3 NVFP4 releases): FP8 and NVFP4 layers listed one by one in
        // quantized_layers; any NVFP4 layer makes it an NVFP4 checkpoint for the capability check (the
        // bytes come from the tensor headers either way).
        const inner = isObject(qc.quantization) ? qc.quantization : qc;
        const layers = isObject(inner.quantized_layers) ? Object.values(inner.quantized_layers) : [];
        const hasFp4 = layers.some(
          (l) => isObject(l) && typeof l.quant_algo === 'string' && l.quant_algo.toUpperCase().includes('FP4'),
        );
        return hasFp4
          ? { ok: true, value: { id: 'nvfp4', method: 'modelopt', scheme: 'nvfp4' } }
          : { ok: true, value: { id: 'fp8', method: 'modelopt', scheme: 'fp8' } };
      }
      return algo.includes('FP4')
        ? { ok: true, value: { id: 'nvfp4', method: 'modelopt_fp4', scheme: 'nvfp4' } }
        : { ok: true, value: { id: 'fp8', method: 'modelopt', scheme: 'fp8' } };
    }
    case 'compressed-tensors': {
      const groups = isObject(qc.config_groups) ? Object.values(qc.config_groups) : [];
      const first = groups.find(isObject);
      const weights = first !== undefined && isObject(first.weights) ? first.weights : {};
      const wBits = num(weights, 'num_bits') ?? 4;
      const isFloat = weights.type === 'float';
      const hasActivations = first !== undefined && isObject(first.input_activations);
      const format = typeof qc.format === 'string' ? qc.format : typeof first?.format === 'string' ? first.format : '';
      if (isFloat && (wBits === 4 || format.includes('fp4'))) {
        // 4-bit floats: NVFP4 (e2m1 + an fp8 scale per 16, "nvfp4-pack-quantized") or MXFP4 (a uint8 scale
        // per 32). vLLM's compressed_tensors_w4a4_nvfp4 / _w4a16_nvfp4 / _w4a16_mxfp4 schemes keep those
        // bytes (Marlin below cc 10.0); sizing them as FP8 would double the weights.
        const groupSize = num(weights, 'group_size');
        const isMx = format.includes('mxfp4') || groupSize === 32;
        return {
          ok: true,
          value: isMx
            ? { id: 'mxfp4', method: 'compressed-tensors', scheme: 'mxfp4', groupSize: 32 }
            : { id: 'nvfp4', method: 'compressed-tensors', scheme: 'nvfp4', groupSize: 16 },
        };
      }
      if (isFloat) {
        return {
          ok: true,
          value: { id: 'fp8', method: 'compressed-tensors', scheme: hasActivations ? 'w8a8-fp8' : 'w8a16-fp8' },
        };
      }
      if (wBits >= 8 && hasActivations)
        return { ok: true, value: { id: 'w8a8', method: 'compressed-tensors', scheme: 'w8a8-int8' } };
      return { ok: true, value: { id: 'w4a16', method: 'compressed-tensors', scheme: 'w4a16', ...group } };
    }
    default:
      return {
        ok: false,
        problem: `quantization_config.quant_method "${method}" is not one this tool plans (awq, gptq, compressed-tensors, fp8, bitsandbytes, modelopt, mxfp4)`,
      };
  }
}

/**
 * How many layers use the sliding window when the config does not list layer types: every Nth layer is
 * global with a pattern N (Gemma-3: 6), Gemma-2 alternates, other models window every layer.
 */
export function countSlidingWindowLayers(
  layers: number,
  family: 'gemma2' | 'gemma3' | null,
  pattern: number | null,
): number {
  // A pattern that is no whole number ≥ 1 (0.5, 1e308 from a hostile config) is no pattern.
  const every =
    pattern !== null && Number.isSafeInteger(pattern) && pattern > 0 ? pattern : family === 'gemma3' ? 6 : null;
  if (every !== null) return layers - Math.floor(layers / every);
  if (family === 'gemma2') return Math.ceil(layers / 2);
  return layers;
}

type RotaryCache = NonNullable<Architecture['rotaryCaches']>[number];

/**
 * The rotary cos/sin caches vLLM builds when they differ from one cache of head_dim × max_position_embeddings; null
 * otherwise. vllm/transformers_utils/config.py `patch_rope_parameters` moves a top-level partial_rotary_factor (or
 * rotary_pct, rotary_emb_fraction) into rope_parameters (rope_scaling before transformers 5); `get_rope`
 * (vllm/model_executor/layers/rotary_embedding/__init__.py) then caches max_position × int(head_size × factor)
 * values (Qwen3.5/3.6: 256 × 0.25 = 64 wide). Models with a rope per layer type build one cache for each:
 * - Gemma 3 (gemma3.py `Gemma3Attention`): sliding layers a default rope at rope_local_base_freq, global layers the
 *   config's rope_scaling at rope_theta; linear scaling (4b/12b/27b: factor 8) caches max_position × factor rows
 *   (linear_scaling_rope.py `LinearScalingRotaryEmbedding._compute_cos_sin_cache`).
 * - Gemma 4 (nested rope_parameters): "proportional" (gemma4_rope.py `Gemma4RotaryEmbedding`) caches the whole
 *   global head, 512 wide, whatever partial_rotary_factor says (it passes rotary_dim = head_size).
 */
function parseRotaryCaches(
  text: Json,
  isGemma3: boolean,
  headDim: number,
  maxPositions: number,
  mlaRopeDim: number | null,
  global: Architecture['globalAttention'],
): RotaryCache[] | null {
  if (mlaRopeDim !== null) return null;
  const params = isObject(text.rope_parameters)
    ? text.rope_parameters
    : isObject(text.rope_scaling)
      ? text.rope_scaling
      : {};
  const build = (p: Json, head: number): RotaryCache => {
    const f = num(p, 'partial_rotary_factor') ?? 1;
    const dim = p.rope_type === 'proportional' || !(f > 0 && f < 1) ? head : Math.max(1, Math.floor(head * f));
    const type = p.rope_type ?? p.type;
    const factor = num(p, 'factor');
    const positions =
      type === 'linear' && factor !== undefined && factor > 1 && Number.isSafeInteger(maxPositions * factor)
        ? maxPositions * factor
        : undefined;
    return positions === undefined ? { dim } : { dim, positions };
  };
  const perType = (['sliding_attention', 'full_attention'] as const).flatMap((type) => {
    const p = params[type];
    if (!isObject(p)) return [];
    return [build(p, type === 'full_attention' && global !== null && global !== undefined ? global.headDim : headDim)];
  });
  if (perType.length > 0) return perType;
  if (isGemma3) return [{ dim: headDim }, build(params, headDim)];
  const factor =
    num(params, 'partial_rotary_factor') ?? num(text, 'partial_rotary_factor', 'rotary_pct', 'rotary_emb_fraction');
  // get_rope refuses a factor outside (0, 1]; such a config gets the full-width cache.
  if (factor === undefined || !(factor > 0 && factor < 1)) return null;
  const dim = Math.floor(headDim * factor);
  return dim >= 1 ? [{ dim }] : null;
}

/**
 * Gemma 4's global layers (vllm/model_executor/models/gemma4.py `Gemma4DecoderLayer`): head size global_head_dim;
 * KV heads num_global_key_value_heads with attention_k_eq_v, else num_key_value_heads. Null when the config names
 * no global_head_dim and no k_eq_v, or when they change nothing.
 */
function parseGlobalAttention(text: Json, headDim: number, kvHeads: number): Architecture['globalAttention'] {
  const isCount = (n: number | undefined): n is number =>
    n !== undefined && Number.isSafeInteger(n) && n >= 1 && n <= 4096;
  const globalHead = num(text, 'global_head_dim');
  const kEqV = text.attention_k_eq_v === true;
  if (globalHead === undefined && !kEqV) return null;
  const head = isCount(globalHead) ? globalHead : headDim;
  const globalKv = num(text, 'num_global_key_value_heads');
  const kv = kEqV && isCount(globalKv) ? globalKv : kvHeads;
  if (head === headDim && kv === kvHeads && !kEqV) return null;
  return { headDim: head, kvHeads: kv, kEqV };
}

/**
 * Gemma 4 E-models: the last num_kv_shared_layers layers keep no KV (gemma4.py `Gemma4Attention`: each reads the
 * last earlier layer of its kind), counted by kind from layer_types; null without sharing or layer types.
 */
function parseKvSharedLayers(text: Json, layers: number): Architecture['kvSharedLayers'] | null {
  const shared = num(text, 'num_kv_shared_layers');
  const types = text.layer_types;
  if (shared === undefined || !Number.isSafeInteger(shared) || shared < 1 || shared >= layers) return null;
  if (!Array.isArray(types) || types.length !== layers) return null;
  const tail = types.slice(layers - shared);
  const global = tail.filter((t) => t === 'full_attention').length;
  return { sliding: shared - global, global };
}

type StateLayers = NonNullable<Architecture['stateLayers']>;

/** A count of a hybrid model's state layers: a whole number from 1 to 2^20, else undefined. */
function stateCount(config: Json, key: string): number | undefined {
  const v = num(config, key);
  return v !== undefined && Number.isSafeInteger(v) && v >= 1 && v <= 1_048_576 ? v : undefined;
}

/**
 * The state layers of a hybrid model, as vLLM sizes them; null for a model without; a problem (string)
 * when the config names them with counts out of range.
 * - Nemotron-H (`hybrid_override_pattern`: M = Mamba2, * = attention, E = MoE, - = MLP): the Mamba2
 *   state as vllm/model_executor/models/nemotron_h.py `get_mamba_state_shape_from_config` passes it to
 *   mamba_utils.py `MambaStateShapeCalculator.mamba2_state_shape` (I = mamba_num_heads × mamba_head_dim,
 *   conv_dim = I + 2·n_groups·ssm_state_size, temporal = heads × head_dim × state); the temporal dtype
 *   is the config's mamba_ssm_cache_dtype, float32 when absent (models/config.py
 *   `NemotronHForCausalLMConfig.DEFAULT_MAMBA_SSM_CACHE_DTYPE`).
 * - Qwen3-Next / Qwen3.5 (`linear_num_key_heads`, `layer_types` linear_attention / full_attention, or
 *   every `full_attention_interval`-th layer full): `gated_delta_net_state_shape` (conv_dim =
 *   2·k_heads·k_dim + v_heads·v_dim, temporal = v_heads × v_dim × k_dim), the temporal state in the
 *   config's mamba_ssm_dtype (Qwen3.5: float32) or the model's dtype.
 */
function parseStateLayers(text: Json, layers: number, architecture: string): StateLayers | null | string {
  const pattern = text.hybrid_override_pattern;
  if (typeof pattern === 'string' && pattern.includes('M')) {
    const mamba = [...pattern].filter((c) => c === 'M').length;
    const attention = [...pattern].filter((c) => c === '*').length;
    const heads = stateCount(text, 'mamba_num_heads');
    const headDim = stateCount(text, 'mamba_head_dim');
    const state = stateCount(text, 'ssm_state_size');
    const groups = stateCount(text, 'n_groups') ?? 1;
    const kernel = stateCount(text, 'conv_kernel') ?? 4;
    if (heads === undefined || headDim === undefined || state === undefined)
      return 'hybrid_override_pattern names Mamba layers but mamba_num_heads, mamba_head_dim or ssm_state_size is missing or out of range';
    if (pattern.length !== layers)
      return `hybrid_override_pattern has ${pattern.length} layers, num_hidden_layers says ${layers}`;
    const ssm = typeof text.mamba_ssm_cache_dtype === 'string' ? text.mamba_ssm_cache_dtype : 'float32';
    return {
      kind: 'mamba2',
      layers: mamba,
      attentionLayers: attention,
      convDim: heads * headDim + 2 * groups * state,
      convKernel: kernel,
      temporalElements: heads * headDim * state,
      temporalDtype: toStateDtype(ssm),
    };
  }
  const kHeads = stateCount(text, 'linear_num_key_heads');
  const vHeads = stateCount(text, 'linear_num_value_heads');
  const kDim = stateCount(text, 'linear_key_head_dim');
  const vDim = stateCount(text, 'linear_value_head_dim');
  if (kHeads === undefined && vHeads === undefined) return null;
  if (kHeads === undefined || vHeads === undefined || kDim === undefined || vDim === undefined)
    return `${architecture}: linear attention heads or head dims are missing or out of range`;
  const types = text.layer_types;
  let linear: number;
  if (Array.isArray(types)) {
    linear = types.filter((t) => t === 'linear_attention').length;
  } else {
    const interval = stateCount(text, 'full_attention_interval') ?? 4;
    linear = layers - Math.floor(layers / interval);
  }
  if (linear === 0) return null;
  // Qwen3.5 configs say mamba_ssm_dtype float32: a public vLLM 0.19 log of Qwen3.5-0.8B (block 544, Mamba
  // page padded by 2.64 %) is reproduced only with a float32 recurrent state; Qwen3-Next has no such key.
  const ssm = text.mamba_ssm_dtype ?? text.mamba_ssm_cache_dtype;
  const gdnStateDtype = typeof ssm === 'string' ? ssm : 'auto';
  return {
    kind: 'gated-delta-net',
    layers: linear,
    attentionLayers: layers - linear,
    convDim: 2 * kHeads * kDim + vHeads * vDim,
    convKernel: stateCount(text, 'linear_conv_kernel_dim') ?? 4,
    temporalElements: vHeads * vDim * kDim,
    temporalDtype: toStateDtype(gdnStateDtype),
  };
}

function toStateDtype(value: string): StateLayers['temporalDtype'] {
  switch (value) {
    case 'float32':
    case 'bfloat16':
    case 'float16':
      return value;
    default:
      return 'auto';
  }
}

/** The vision tower's depth and width from vision_config (Qwen-VL `depth`, SigLIP `num_hidden_layers`). */
function parseVision(vc: unknown): Architecture['vision'] {
  if (!isObject(vc)) return null;
  const depth = num(vc, 'depth', 'num_hidden_layers');
  const hidden = num(vc, 'hidden_size', 'embed_dim');
  const ok = (n: number | undefined): n is number =>
    n !== undefined && Number.isSafeInteger(n) && n >= 1 && n <= 1_048_576;
  if (!ok(depth) || !ok(hidden)) return null;
  const intermediate = num(vc, 'intermediate_size');
  const deepstack = Array.isArray(vc.deepstack_visual_indexes) ? vc.deepstack_visual_indexes.length : undefined;
  return {
    encoderParams: 0,
    depth,
    hiddenSize: hidden,
    ...(ok(intermediate) ? { intermediateSize: intermediate } : {}),
    ...(deepstack !== undefined && deepstack <= 64 ? { deepstackLayers: deepstack } : {}),
  };
}
