/**
 * Schemas of the preset files in presets/ (devices, models, vLLM versions and images).
 * Pure: data in, validated data or a list of readable problems out.
 */
import { z } from 'zod';
import { QUANT_SCHEMES } from './quant-schemes.js';

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'ids are lower-case letters, digits, ".", "_" and "-"');
const version = z.string().regex(/^\d+\.\d+(\.\d+)?$/, 'a version like 0.6.3 or 36.4');
const computeCapability = z.string().regex(/^\d+\.\d+$/, 'a compute capability like 8.7');
const positiveInt = z.number().int().positive();
const bytes = z.number().int().nonnegative();

/** A device the plan can target: a Jetson module or a discrete GPU. */
export const deviceSchema = z.strictObject({
  id,
  name: z.string().min(1),
  kind: z.enum(['jetson', 'discrete']),
  /** GPU architecture family: maxwell, pascal, volta, turing, ampere, ada, hopper, blackwell. */
  arch: z.enum(['maxwell', 'pascal', 'volta', 'turing', 'ampere', 'ada', 'hopper', 'blackwell']),
  /** Jetson SoC (t210, t186, t194, t234, t264); absent for discrete GPUs. */
  soc: z.string().optional(),
  /** Jetson module part numbers (p3767-0000, …); absent for discrete GPUs. */
  partNumbers: z.array(z.string().regex(/^p\d{4}-\d{4}$/)).default([]),
  computeCapability,
  gpuCores: positiveInt,
  /** The marketing size in GB (16 for "Orin NX 16GB"). */
  nominalMemoryGB: z.number().positive(),
  /** Total memory as Linux (MemTotal) and CUDA report it, in bytes. */
  memTotalBytes: bytes,
  /** Where memTotalBytes comes from; "derived" when no real report was found. */
  memTotalSource: z.string().min(1),
  isMemTotalDerived: z.boolean().default(false),
  /**
   * MemTotal as a given JetPack release reports it (carve-outs move with the release): what a plan for that release
   * uses off the board (`--jetpack`). Only releases with a real report are listed; the rest use memTotalBytes.
   */
  memTotalByRelease: z
    .array(
      z.strictObject({
        /** The JetPack release, e.g. 6.2 or 7.2. */
        jetpack: version,
        /** Its L4T release, e.g. 36.4.3. */
        l4t: version,
        memTotalBytes: bytes,
        /** Where the figure comes from. */
        source: z.string().min(1),
      }),
    )
    .default([]),
  /** Whether any vLLM build runs on this device, and why not. */
  vllm: z.strictObject({
    isSupported: z.boolean(),
    reason: z.string().min(1),
  }),
  notes: z.string().optional(),
});
export type Device = z.infer<typeof deviceSchema>;

/** One published quantized (or unquantized) variant of a model. */
export const quantVariantSchema = z.strictObject({
  /** bf16, fp16, awq, gptq-int4, gptq-int8, w4a16, w8a8, fp8, bnb-4bit, gguf-q4_k_m, … */
  id,
  /** vLLM's --quantization method this variant runs with (null: unquantized). */
  method: z
    .enum(['awq', 'gptq', 'compressed-tensors', 'fp8', 'bitsandbytes', 'gguf', 'modelopt', 'modelopt_fp4', 'mxfp4'])
    .nullable(),
  /** Format detail the weight size and the capability check need. */
  scheme: z.enum(QUANT_SCHEMES).optional(),
  /** The Hugging Face repository id. */
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'an org/name Hugging Face id'),
  /** For GGUF: the file inside the repo. */
  file: z.string().optional(),
  /** Weight bytes on disk (the GGUF file, or the sum of safetensors files). */
  sizeBytes: bytes.optional(),
  /** "published" (read from the repository listing) or "computed" (from parameters × bits). */
  sizeSource: z.enum(['published', 'computed']).optional(),
  /** Quantization group size, where the format has one. */
  groupSize: positiveInt.optional(),
  /**
   * Modules the checkpoint's quantization config leaves unquantized, as it writes them (compressed-tensors
   * `ignore`, modelopt `exclude_modules`, AWQ `modules_to_not_convert`, FP8 `ignored_layers`): sized at the
   * model's dtype (src/model/core/quant-ignore.ts).
   */
  ignore: z.array(z.string().min(1)).optional(),
});
export type QuantVariant = z.infer<typeof quantVariantSchema>;

/** Architecture facts from a model's config.json. */
export const architectureSchema = z.strictObject({
  /** The HF "architectures"[0], e.g. Qwen2ForCausalLM. */
  architecture: z.string().min(1),
  layers: positiveInt,
  hiddenSize: positiveInt,
  intermediateSize: positiveInt,
  attentionHeads: positiveInt,
  kvHeads: positiveInt,
  headDim: positiveInt,
  vocabSize: positiveInt,
  tieWordEmbeddings: z.boolean(),
  maxPositionEmbeddings: positiveInt,
  /** Native dtype of the checkpoint (torch_dtype). */
  torchDtype: z.enum(['bfloat16', 'float16', 'float32']),
  /** Sliding-window size where some or all layers use one. */
  slidingWindow: positiveInt.nullable().default(null),
  /** How many of the layers use the sliding window (the rest are full attention). */
  slidingWindowLayers: z.number().int().nonnegative().default(0),
  /**
   * Gemma 4: the full-attention (global) layers' own head size and KV heads (global_head_dim,
   * num_global_key_value_heads), and attention_k_eq_v: the checkpoint has no v_proj on those layers
   * (vllm/model_executor/models/gemma4.py `Gemma4DecoderLayer`: K is loaded into both the K and V slots).
   */
  globalAttention: z
    .strictObject({ headDim: positiveInt, kvHeads: positiveInt, kEqV: z.boolean().default(false) })
    .nullable()
    .optional(),
  /**
   * Gemma 4 E-models: the last num_kv_shared_layers layers read the KV of an earlier layer of their kind and keep
   * none (gemma4.py `Gemma4Attention`: kv_sharing_target_layer_name), counted by kind (sliding, global).
   */
  kvSharedLayers: z
    .strictObject({ sliding: z.number().int().nonnegative(), global: z.number().int().nonnegative() })
    .optional(),
  /**
   * Gemma 4 E-models' per-layer embeddings (gemma4.py `Gemma4Model`: embed_tokens_per_layer of
   * vocab_size_per_layer_input × layers · hidden_size_per_layer_input, on the GPU with the other weights).
   */
  perLayerInput: z.strictObject({ hiddenSize: positiveInt, vocabSize: positiveInt }).optional(),
  /**
   * Gemma 4 E2B (use_double_wide_mlp): the last N layers (the KV-shared ones) have an MLP 2 × intermediate_size wide
   * (transformers models/gemma4 `Gemma4TextMLP`; vLLM builds the checkpoint's shapes).
   */
  doubleWideMlpLayers: z.number().int().nonnegative().optional(),
  /** Mixture of experts: routed experts, experts per token, expert FFN width, shared experts. */
  moe: z
    .strictObject({
      experts: positiveInt,
      expertsPerToken: positiveInt,
      expertIntermediateSize: positiveInt,
      sharedExperts: z.number().int().nonnegative().default(0),
      /**
       * A dense MLP beside the experts in every layer (Gemma 4 26B-A4B, enable_moe_block: intermediate_size wide;
       * gemma4.py `Gemma4DecoderLayer` runs self.mlp and self.moe on each layer).
       */
      denseIntermediateSize: positiveInt.optional(),
    })
    .nullable()
    .default(null),
  /** Multi-head latent attention (DeepSeek-V2/V3): the latent width cached per token. */
  mla: z.strictObject({ kvLoraRank: positiveInt, qkRopeHeadDim: positiveInt }).nullable().default(null),
  /**
   * Each rotary cos/sin cache vLLM builds (vllm/model_executor/layers/rotary_embedding/__init__.py `get_rope`: one
   * per distinct set of parameters): its width, rotary_dim = int(head_size × partial_rotary_factor), and its rows
   * when they are not max_position_embeddings (linear scaling: × factor, linear_scaling_rope.py); absent = one
   * cache of head_dim (of qk_rope_head_dim with MLA).
   */
  rotaryCaches: z
    .array(z.strictObject({ dim: positiveInt, positions: positiveInt.optional() }))
    .min(1)
    .max(4)
    .optional(),
  /**
   * Hybrid models: layers that keep a fixed state per sequence instead of KV per token — Mamba2
   * (Nemotron-H, Nemotron-3-Nano) or gated delta net linear attention (Qwen3-Next, Qwen3.5). Sized as
   * vLLM's MambaSpec (vllm/v1/kv_cache_interface.py) from MambaStateShapeCalculator
   * (vllm/model_executor/layers/mamba/mamba_utils.py).
   */
  stateLayers: z
    .strictObject({
      kind: z.enum(['mamba2', 'gated-delta-net']),
      /** How many layers hold a state. */
      layers: positiveInt,
      /** How many layers hold attention KV (the other blocks are state, MLP or MoE layers). */
      attentionLayers: z.number().int().nonnegative(),
      /** Conv state channels (Mamba2: I + 2·groups·state; GDN: 2·k_heads·k_dim + v_heads·v_dim). */
      convDim: positiveInt,
      /** Conv kernel width: the conv state keeps kernel − 1 steps. */
      convKernel: positiveInt,
      /** Elements of the temporal (SSM / recurrent) state per layer. */
      temporalElements: positiveInt,
      /** The temporal state's dtype; "auto" = the model's (mamba_ssm_cache_dtype). */
      temporalDtype: z.enum(['auto', 'float32', 'bfloat16', 'float16']).default('auto'),
      /**
       * Extra state pages one request holds for speculative decoding (MambaSpec.num_speculative_blocks =
       * num_speculative_tokens): set by the planner with --speculative-config, never in a preset.
       */
      speculativeBlocks: z.number().int().nonnegative().optional(),
      /**
       * How vLLM caches the states for prefix caching (CacheConfig.mamba_cache_mode): 'none' keeps one state page
       * per request, 'align' (prefix caching on) two; set by the planner, never in a preset.
       */
      cacheMode: z.enum(['none', 'align']).optional(),
    })
    .nullable()
    .optional(),
  /**
   * Vision-language models: the vision encoder's parameters (counted in the weights) and the tokens one
   * image becomes at most (the encoder cache budget vLLM profiles with).
   */
  vision: z
    .strictObject({
      encoderParams: z.number().int().nonnegative(),
      /** The vision config's depth / hidden size, as read. */
      depth: positiveInt,
      hiddenSize: positiveInt,
      /** The vision MLP's width and Qwen3-VL's deepstack levels, when read (plan/core/multimodal/encoder-profile.ts). */
      intermediateSize: positiveInt.optional(),
      deepstackLayers: z.number().int().nonnegative().optional(),
    })
    .nullable()
    .optional(),
  /**
   * Audio encoders (Gemma 4 E-models' conformer, with its projector into the text width): parameters counted in the
   * weights, as read from audio_config (src/model/core/gemma4-encoders.ts).
   */
  audio: z
    .strictObject({ encoderParams: z.number().int().nonnegative(), depth: positiveInt, hiddenSize: positiveInt })
    .nullable()
    .optional(),
  /**
   * Multi-token-prediction layers the checkpoint ships (Qwen3.5 `mtp_num_hidden_layers`; Qwen3-Next, DeepSeek-V3,
   * GLM-4.5, MiMo `num_nextn_predict_layers`): vLLM loads them only with --speculative-config method "mtp".
   * checkpointBytes: the mtp.* tensors' bytes when the tensor headers were read.
   */
  mtp: z.strictObject({ layers: positiveInt, checkpointBytes: bytes.optional() }).nullable().optional(),
  /** Total parameters as published (used to cross-check the computed count). */
  publishedParams: z.number().positive().optional(),
});
export type Architecture = z.infer<typeof architectureSchema>;

export const modelSchema = z.strictObject({
  id,
  name: z.string().min(1),
  /** The original (unquantized) Hugging Face repository. */
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  family: z.string().min(1),
  arch: architectureSchema,
  quants: z.array(quantVariantSchema).min(1),
  notes: z.string().optional(),
});
export type ModelPreset = z.infer<typeof modelSchema>;

/** A vLLM flag and the versions that have it (since inclusive, until exclusive). */
export const flagSchema = z.strictObject({
  name: z.string().regex(/^--[a-z0-9-]+$/),
  since: version,
  until: version.optional(),
  note: z.string().optional(),
});

export const vllmReleaseSchema = z.strictObject({
  version,
  date: z.string().regex(/^\d{4}-\d{2}(-\d{2})?$/),
  notes: z.string().optional(),
});

/**
 * The first vLLM release whose model registry (vllm/model_executor/models/registry.py `_TEXT_GENERATION_MODELS` /
 * `_MULTIMODAL_MODELS`) has an architecture; older releases stop with "Model architectures [...] are not supported".
 */
export const architectureSupportSchema = z.strictObject({
  /** The HF "architectures"[0] (Qwen3_5ForConditionalGeneration). */
  name: z.string().min(1),
  since: version,
  /** First release that runs the architecture's mixture-of-experts variant, when that came later (Nemotron-H). */
  moeSince: version.optional(),
  /** Where the release comes from (release notes, PR merge date → release, a user report); "approximate" if not pinned. */
  source: z.string().min(1),
});
export type ArchitectureSupport = z.infer<typeof architectureSupportSchema>;

/** The first vLLM release that loads a quantization scheme, optionally only for one architecture (GGUF per model). */
export const quantSupportSchema = z.strictObject({
  scheme: z.enum(QUANT_SCHEMES),
  /** Limits the row to one architecture (a GGUF architecture vLLM's loader learned later). */
  architecture: z.string().min(1).optional(),
  /** Limits the row to one --quantization method (NVFP4 from compressed-tensors came after modelopt's). */
  method: z.string().min(1).optional(),
  since: version,
  source: z.string().min(1),
});
export type QuantSupport = z.infer<typeof quantSupportSchema>;

export const containerImageSchema = z.strictObject({
  image: z.string().min(1),
  vllmVersion: version,
  /** L4T range the image runs on: [min, max) by (major, minor, patch). */
  l4tMin: version,
  l4tMax: version,
  cuda: version,
  /** Devices families the image carries kernels for. */
  socs: z.array(z.string()).min(1),
  sizeBytes: bytes.optional(),
  isPreferred: z.boolean().default(false),
  notes: z.string().optional(),
});
export type ContainerImage = z.infer<typeof containerImageSchema>;

export const devicesFileSchema = z.strictObject({ devices: z.array(deviceSchema).min(1) });
export const modelsFileSchema = z.strictObject({ models: z.array(modelSchema).min(1) });
export const vllmFileSchema = z.strictObject({
  releases: z.array(vllmReleaseSchema).min(1),
  flags: z.array(flagSchema).min(1),
  images: z.array(containerImageSchema).min(1),
  /** Minimum releases per architecture; one not listed is taken as present in every release listed. */
  architectures: z.array(architectureSupportSchema).default([]),
  /** Minimum releases per quantization scheme (and architecture). */
  quantizations: z.array(quantSupportSchema).default([]),
});
export type VllmData = z.infer<typeof vllmFileSchema>;

/** The whole validated catalog the planner works from. */
export interface Catalog {
  devices: Device[];
  models: ModelPreset[];
  vllm: VllmData;
}

export type PresetFileName = 'devices' | 'models' | 'vllm';

const fileSchemas = {
  devices: devicesFileSchema,
  models: modelsFileSchema,
  vllm: vllmFileSchema,
} as const;

/** Result of validating one preset file: the data, or one readable problem ("path: reason"). */
export type PresetResult<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Validates the parsed content of one preset file; returns the first problem as "path: reason". */
export function parsePresetFile<K extends PresetFileName>(
  name: K,
  content: unknown,
): PresetResult<z.infer<(typeof fileSchemas)[K]>> {
  const result = fileSchemas[name].safeParse(content);
  if (result.success) {
    const duplicate = findDuplicateId(result.data);
    if (duplicate !== null) return { ok: false, problem: duplicate };
    return { ok: true, value: result.data as z.infer<(typeof fileSchemas)[K]> };
  }
  const issue = result.error.issues[0];
  if (issue === undefined) return { ok: false, problem: 'invalid content' };
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
  return { ok: false, problem: `${path}: ${issue.message}` };
}

function findDuplicateId(data: unknown): string | null {
  const lists: [string, { id: string }[]][] = [];
  if (typeof data === 'object' && data !== null) {
    for (const [key, value] of Object.entries(data)) {
      if (Array.isArray(value) && value.every((v) => typeof v === 'object' && v !== null && 'id' in v)) {
        lists.push([key, value as { id: string }[]]);
      }
    }
  }
  for (const [key, list] of lists) {
    const seen = new Set<string>();
    for (const [index, item] of list.entries()) {
      if (seen.has(item.id)) return `${key}.${index}.id: duplicate id "${item.id}"`;
      seen.add(item.id);
      if (key === 'models') {
        const quantIds = new Set<string>();
        const quants = (item as unknown as ModelPreset).quants;
        for (const [qi, q] of quants.entries()) {
          if (quantIds.has(q.id)) return `${key}.${index}.quants.${qi}.id: duplicate quant id "${q.id}"`;
          quantIds.add(q.id);
        }
      }
    }
  }
  return null;
}
