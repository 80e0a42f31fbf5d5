/**
 * Gemma 4's vision and audio towers, counted from config.json the way vLLM loads them. Pure.
 *
 * vllm/model_executor/models/gemma4_mm.py `Gemma4ForConditionalGeneration.__init__` builds the towers with
 * transformers' AutoModel.from_config (vision_tower: Gemma4VisionModel; audio_tower: Gemma4AudioModel, only when
 * audio_config is not null) and one `Gemma4MultimodalEmbedder` per tower (embed_vision, embed_audio: a bias-free
 * projection into the text width; its RMSNorm has no scale). The module shapes are transformers'
 * models/gemma4/modeling_gemma4.py; missing config fields take configuration_gemma4.py's defaults
 * (`Gemma4VisionConfig`, `Gemma4AudioConfig`).
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One tower: its parameters (the projector into the text width included), depth and width. */
export interface EncoderCount {
  encoderParams: number;
  depth: number;
  hiddenSize: number;
}

/** transformers `Gemma4VisionConfig` defaults (the E2B/E4B tower). */
const VISION_DEFAULTS = {
  hidden_size: 768,
  intermediate_size: 3072,
  num_hidden_layers: 16,
  num_attention_heads: 12,
  num_key_value_heads: 12,
  head_dim: 64,
  patch_size: 16,
  position_embedding_size: 10_240,
} as const;

/** transformers `Gemma4AudioConfig` defaults. */
const AUDIO_DEFAULTS = {
  hidden_size: 1024,
  num_hidden_layers: 12,
  num_attention_heads: 8,
  conv_kernel_size: 5,
  output_proj_dims: 1536,
} as const;

/** A whole number from 1 to 2^20 (every width, depth and count a tower has), else null. */
function readCount(obj: Json, key: string, fallback: number): number | null {
  const v = obj[key] ?? fallback;
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= 1_048_576 ? v : null;
}

/**
 * Returns the parameters of Gemma 4's vision tower and embed_vision from vision_config (null when it is absent or a
 * field is not a count). Per encoder layer (`Gemma4VisionEncoderLayer`): q/k/v/o projections, q_norm and k_norm of
 * head_dim (v_norm has no scale), four RMSNorms of hidden, a gated MLP (gate, up, down); with use_clipped_linears each
 * of the 7 linears keeps 4 scalar clip bounds (persistent buffers, in the checkpoint). Then the patch embedder
 * (3·patch² → hidden, no bias; a 2 × position_embedding_size × hidden position table), std_bias and std_scale with
 * standardize, and embed_vision (hidden × text hidden).
 */
export function computeGemma4VisionParams(visionConfig: unknown, textHidden: number): EncoderCount | null {
  if (!isObject(visionConfig)) return null;
  const d = VISION_DEFAULTS;
  const h = readCount(visionConfig, 'hidden_size', d.hidden_size);
  const inter = readCount(visionConfig, 'intermediate_size', d.intermediate_size);
  const layers = readCount(visionConfig, 'num_hidden_layers', d.num_hidden_layers);
  const heads = readCount(visionConfig, 'num_attention_heads', d.num_attention_heads);
  const kvHeads = readCount(visionConfig, 'num_key_value_heads', d.num_key_value_heads);
  const headDim = readCount(visionConfig, 'head_dim', d.head_dim);
  const patch = readCount(visionConfig, 'patch_size', d.patch_size);
  const positions = readCount(visionConfig, 'position_embedding_size', d.position_embedding_size);
  if (
    h === null ||
    inter === null ||
    layers === null ||
    heads === null ||
    kvHeads === null ||
    headDim === null ||
    patch === null ||
    positions === null
  )
    return null;
  const clipped = visionConfig.use_clipped_linears === true;
  const attention = 2 * h * heads * headDim + 2 * h * kvHeads * headDim + 2 * headDim;
  const layer = attention + 4 * h + 3 * h * inter + (clipped ? 7 * 4 : 0);
  const patchEmbedder = 3 * patch * patch * h + 2 * positions * h;
  const standardize = visionConfig.standardize === true ? 2 * h : 0;
  const encoderParams = layers * layer + patchEmbedder + standardize + h * textHidden;
  // Counts each up to 2^20 can multiply past 2^53: such a config is no model, and no tower is better than a wrong one.
  return Number.isSafeInteger(encoderParams) ? { encoderParams, depth: layers, hiddenSize: h } : null;
}

/**
 * Returns the parameters of Gemma 4's audio tower (a conformer) and embed_audio from audio_config (null when it is
 * null or a field is not a count). `Gemma4AudioSubSampleConvProjection`: two 3×3 convolutions (1 → c0, c0 → c1, no
 * bias) each with a bias-free LayerNorm, and input_proj_linear ((c0 / 4)·c1 → hidden). Per `Gemma4AudioLayer`: two
 * feed-forwards (hidden → 4·hidden → hidden, pre/post RMSNorm), attention (q, k, v, post, relative_k_proj, all
 * hidden × hidden, and per_dim_scale of hidden / heads), the light conv (linear_start hidden → 2·hidden, linear_end,
 * a depthwise kernel of hidden × conv_kernel_size, two RMSNorms) and three RMSNorms; 4 clip bounds on each of the 10
 * clippable linears with use_clipped_linears (the default). Then output_proj (hidden → output_proj_dims, with bias)
 * and embed_audio (output_proj_dims × text hidden).
 */
export function computeGemma4AudioParams(audioConfig: unknown, textHidden: number): EncoderCount | null {
  if (!isObject(audioConfig)) return null;
  const d = AUDIO_DEFAULTS;
  const h = readCount(audioConfig, 'hidden_size', d.hidden_size);
  const layers = readCount(audioConfig, 'num_hidden_layers', d.num_hidden_layers);
  const heads = readCount(audioConfig, 'num_attention_heads', d.num_attention_heads);
  const kernel = readCount(audioConfig, 'conv_kernel_size', d.conv_kernel_size);
  const out = readCount(audioConfig, 'output_proj_dims', d.output_proj_dims);
  const channels = audioConfig.subsampling_conv_channels ?? [128, 32];
  if (h === null || layers === null || heads === null || kernel === null || out === null) return null;
  if (!Array.isArray(channels) || channels.length !== 2) return null;
  const [c0, c1] = channels as unknown[];
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 && n <= 65_536;
  if (!ok(c0) || !ok(c1)) return null;
  const clipped = audioConfig.use_clipped_linears !== false;
  const subsample = c0 * 9 + c0 + c1 * c0 * 9 + c1 + Math.floor(c0 / 4) * c1 * h;
  const feedForward = 2 * (4 * h * h) + 2 * h;
  const attention = 5 * h * h + Math.floor(h / heads);
  const lightConv = 2 * h * h + h * h + h * kernel + 2 * h;
  const layer = 2 * feedForward + attention + lightConv + 3 * h + (clipped ? 10 * 4 : 0);
  const encoderParams = subsample + layers * layer + h * out + out + out * textHidden;
  return Number.isSafeInteger(encoderParams) ? { encoderParams, depth: layers, hiddenSize: h } : null;
}
