/**
 * The multimodal encoder's share of vLLM's profile run: what feeding the vision encoder the worst-case dummy
 * images/videos costs, and whether the profile run feeds it at all. Pure.
 *
 * V1 (`vllm/v1/worker/gpu_model_runner.py` `GPUModelRunner.profile_run`): the modality with the most tokens per
 * item is chosen (`get_max_tokens_per_item_by_nonzero_modality`, modalities limited to 0 left out), the encoder runs
 * once over `max(1, min(encoder_budget // tokens_per_item, max_num_seqs × limit))` items (limit 999 by default),
 * where encoder_budget = max(max_num_batched_tokens, tokens_per_item) (`vllm/v1/core/encoder_cache_manager.py`
 * `_compute_encoder_budget_multimodal`: the scheduler's max_num_encoder_input_tokens defaults to
 * max_num_batched_tokens), and its outputs stay in `encoder_cache["tmp"]` while `_dummy_run` and
 * `_dummy_sampler_run` follow: the peak is max(encoder forward, embeddings kept + max(text forward, sampler)).
 *
 * V0 (`vllm/worker/model_runner.py` `ModelRunner.profile_run`, `vllm/multimodal/profiling.py`
 * `MultiModalProfiler.get_dummy_data`): max_mm_tokens = Σ limit × tokens per item; max_num_seqs becomes
 * min(max_num_seqs, max_num_batched_tokens // max_mm_tokens) (≥ 1, with the "Computed max_num_seqs" warning), each
 * dummy sequence is max_num_batched_tokens // seqs long, and when the multimodal tokens do not fit in it the dummy
 * is text-only with max(seq_len, total) tokens ("The context length (…) is too short" warning): no encoder run, a
 * longer text forward. Otherwise the encoder runs inside the model's forward and its output is merged into the
 * input embeddings before the decoder layers: the peak is max(encoder forward, text forward, sampler).
 */
import type { Architecture } from '../../../catalog/core/presets-schema.js';
import type { VllmVersionInfo } from '../vllm-version.js';
import { isAtLeast } from '../../../shared/units.js';

/** The modalities vLLM's profile run feeds a vision encoder. */
export type Modality = 'image' | 'video';

/** --limit-mm-per-prompt as given: items per prompt for a modality; an absent one keeps vLLM's default. */
export type MmLimits = Partial<Record<Modality | 'audio', number>>;

/** Which vision tower family; its processor defaults are below. */
export type EncoderFamily = 'qwen2-vl' | 'qwen2.5-vl' | 'qwen3-vl' | 'gemma3-siglip';

/** Shape of a vision encoder as the profile run sees it. */
export interface EncoderGeometry {
  family: EncoderFamily;
  /** Vision blocks' width and MLP width. */
  hiddenSize: number;
  intermediateSize: number;
  /** gated: gate_up → SiLU·mul (Qwen2.5-VL `Qwen2_5_VisionMLP`); plain: fc1 → GELU → fc2 (Qwen2-VL, Qwen3-VL, SigLIP). */
  mlp: 'gated' | 'plain';
  /** Patches that become one language-model token (spatial merge², or SigLIP's 4×4 average pool). */
  patchesPerToken: number;
  /** Elements of one patch's pixel values (channels × temporal patch × patch²). */
  patchElements: number;
  /** Tokens of the largest image the default processor makes. */
  imageTokens: number;
  hasVideo: boolean;
  /** Language-model width the embeddings come out in, times 1 + deepstack levels (Qwen3-VL concatenates them). */
  embeddingWidth: number;
}

/**
 * Qwen2-VL / Qwen2.5-VL's default `max_pixels` 12845056 (preprocessor_config.json) over 28 × 28 pixels per token
 * (patch 14, merge 2): 16384 tokens; Qwen3-VL's `size.longest_edge` 16777216 over 32 × 32 (patch 16, merge 2):
 * 16384. Gemma 3: `mm_tokens_per_image` 256 (896² pixels, 64² patches of 14 pooled 4 × 4; pan-and-scan off).
 */
const QWEN_MAX_IMAGE_TOKENS = 16384;
const GEMMA3_IMAGE_TOKENS = 256;
/** Qwen2-VL's `_MAX_FRAMES_PER_VIDEO` (vllm/model_executor/models/qwen2_vl.py). */
const QWEN_MAX_FRAMES_PER_VIDEO = 16;

/** Vision MLP widths of the published towers, for presets that record only depth and width. */
const KNOWN_INTERMEDIATE: Record<EncoderFamily, Record<number, number>> = {
  'qwen2-vl': { 1280: 5120 },
  'qwen2.5-vl': { 1280: 3420 },
  'qwen3-vl': { 1152: 4304, 1024: 4096 },
  'gemma3-siglip': { 1152: 4304 },
};

function resolveFamily(architecture: string): EncoderFamily | null {
  if (/^Qwen2VL/.test(architecture)) return 'qwen2-vl';
  if (/^Qwen2_5_VL/.test(architecture)) return 'qwen2.5-vl';
  if (/^Qwen3VL/.test(architecture)) return 'qwen3-vl';
  if (/^Gemma3ForConditionalGeneration/.test(architecture)) return 'gemma3-siglip';
  return null;
}

/** Returns the vision encoder's geometry, or null for a text model or a tower this tool does not model yet. */
export function resolveEncoderGeometry(arch: Architecture): EncoderGeometry | null {
  const vision = arch.vision;
  if (vision === null || vision === undefined) return null;
  const family = resolveFamily(arch.architecture);
  if (family === null) return null;
  const d = vision.hiddenSize;
  const intermediate = vision.intermediateSize ?? KNOWN_INTERMEDIATE[family][d] ?? 4 * d;
  switch (family) {
    case 'qwen2-vl':
    case 'qwen2.5-vl':
    case 'qwen3-vl': {
      const patch = family === 'qwen3-vl' ? 16 : 14;
      // Qwen3-VL returns [merger | deepstack mergers] concatenated (qwen3_vl.py `_process_image_input`).
      const deepstack = family === 'qwen3-vl' ? (vision.deepstackLayers ?? 3) : 0;
      return {
        family,
        hiddenSize: d,
        intermediateSize: intermediate,
        mlp: family === 'qwen2.5-vl' ? 'gated' : 'plain',
        patchesPerToken: 4,
        patchElements: 3 * 2 * patch * patch,
        imageTokens: QWEN_MAX_IMAGE_TOKENS,
        hasVideo: true,
        embeddingWidth: arch.hiddenSize * (1 + deepstack),
      };
    }
    case 'gemma3-siglip':
      return {
        family,
        hiddenSize: d,
        intermediateSize: intermediate,
        mlp: 'plain',
        patchesPerToken: 16,
        patchElements: 3 * 14 * 14,
        imageTokens: GEMMA3_IMAGE_TOKENS,
        hasVideo: false,
        embeddingWidth: arch.hiddenSize,
      };
    default: {
      const unreachable: never = family;
      throw new Error(`unknown encoder family ${String(unreachable)}`);
    }
  }
}

/**
 * vLLM's default items per prompt for a modality the user did not limit: 1 in V0, 999 in V1 (vllm/config
 * `MultiModalConfig.get_limit_per_prompt`: `999 if envs.VLLM_USE_V1 else 1`; the release that brought 999 to V1 was
 * not pinned, it is applied to every V1 version).
 */
export function computeDefaultLimit(engine: VllmVersionInfo['engine']): number {
  return engine === 'v1' ? 999 : 1;
}

/** Returns the per-prompt limit of a modality: the user's, else vLLM's default (computeDefaultLimit). */
export function resolveLimit(limits: MmLimits | null, modality: Modality, fallback = 1): number {
  return limits?.[modality] ?? fallback;
}

/**
 * Returns the tokens of the largest item of each modality the model takes, for a profiling sequence of seqLen tokens
 * (`get_mm_max_tokens_per_item`). Qwen video (qwen2_vl.py `get_num_frames_with_most_features`): the frames that fit
 * in seqLen − image tokens × image limit, shared by the videos, at most 16, at least 1; a pair of frames (temporal
 * patch 2) at the largest size costs as many tokens as one image.
 */
export function computeMaxTokensPerItem(
  geometry: EncoderGeometry,
  seqLen: number,
  limits: MmLimits | null,
  fallback = 1,
): Partial<Record<Modality, number>> {
  const image = geometry.imageTokens;
  if (!geometry.hasVideo) return { image };
  const perFramePair = image;
  const room = seqLen - image * resolveLimit(limits, 'image', fallback);
  // `_get_max_video_frames`: the most frames whose padded pairs fit in `room`.
  const maxTotalFrames = room < perFramePair ? 0 : 2 * Math.floor(room / perFramePair);
  const videos = Math.max(resolveLimit(limits, 'video', fallback), 1);
  const frames = Math.max(Math.min(Math.floor(maxTotalFrames / videos), QWEN_MAX_FRAMES_PER_VIDEO), 1);
  return { image, video: Math.ceil(frames / 2) * perFramePair };
}

/**
 * Returns the torch peak of the vision encoder over `patches` patches: the pixel values the caller holds, then in
 * each block's MLP the stream tensors (input, residual, norm output) and the MLP's own: gated 2I + I + the fc2
 * output d, plain I + I + d — the same accounting as the text forward (budget.ts computeForwardPeakBytes). The
 * attention phase is smaller with a memory-efficient ViT backend (FLASH_ATTN / XFORMERS, `get_vit_attn_backend`):
 * q, k, v and the output are 4d against 3I + 4d. With TORCH_SDPA the per-window score matrices come on top (not
 * modelled).
 */
export function computeEncoderForwardBytes(geometry: EncoderGeometry, patches: number, b = 2): number {
  const { hiddenSize: d, intermediateSize: i } = geometry;
  const mlp = geometry.mlp === 'gated' ? 3 * i + 4 * d : 2 * i + 4 * d;
  return patches * (geometry.patchElements + mlp) * b;
}

/** The V0 profile run's multimodal figures (model_runner.py profile_run + profiling.py get_dummy_data). */
export interface V0MultimodalProfile {
  /** Σ limit × tokens per item of one dummy sequence: the "N tokens in total" of the warning. */
  maxMmTokens: number;
  byModality: Partial<Record<Modality, number>>;
  /** The dummy sequences and the "min(a, b // c)" expression vLLM logs when it is below 1. */
  seqs: number;
  seqsExpr: string;
  seqLen: number;
  /** False when the multimodal tokens do not fit in seqLen: the dummy is text-only. */
  feedsEncoder: boolean;
  /** Tokens the text forward runs over (seqs × max(seqLen, total) when text-only). */
  forwardTokens: number;
}

/** Returns V0's multimodal profile figures for the settings; null when no modality is enabled. */
export function computeV0MultimodalProfile(
  geometry: EncoderGeometry,
  maxModelLen: number,
  maxNumSeqs: number,
  maxNumBatchedTokens: number,
  limits: MmLimits | null,
): V0MultimodalProfile | null {
  const sum = (seqLen: number): { total: number; byModality: Partial<Record<Modality, number>> } => {
    const perItem = computeMaxTokensPerItem(geometry, seqLen, limits);
    const byModality: Partial<Record<Modality, number>> = {};
    let total = 0;
    for (const m of ['image', 'video'] as const) {
      const t = perItem[m];
      if (t === undefined) continue;
      byModality[m] = t * resolveLimit(limits, m);
      total += byModality[m];
    }
    return { total, byModality };
  };
  // `get_max_multimodal_tokens` sizes the items for max_model_len; each dummy sequence's own items
  // (`get_dummy_data(seq_len)`) for its length, which is what the "too short" warning prints.
  const maxMmTokens = sum(maxModelLen).total;
  if (maxMmTokens === 0) return null;
  const seqs = Math.max(1, Math.min(maxNumSeqs, Math.floor(maxNumBatchedTokens / maxMmTokens)));
  const seqsExpr = `min(${maxNumSeqs}, ${maxNumBatchedTokens} // ${maxMmTokens})`;
  const seqLen = Math.floor(maxNumBatchedTokens / seqs);
  const { total, byModality } = sum(seqLen);
  const feedsEncoder = total <= seqLen;
  const forwardTokens = feedsEncoder ? maxNumBatchedTokens : seqs * Math.max(seqLen, total);
  return { maxMmTokens: total, byModality, seqs, seqsExpr, seqLen, feedsEncoder, forwardTokens };
}

/** What the multimodal encoder adds to the profile run. */
export interface EncoderProfile {
  /** Torch peak of the encoder's forward over the dummy items (0 when it is not fed). */
  forwardBytes: number;
  /** Embeddings alive through the text forward and the sampler (V1's encoder cache; 0 in V0). */
  keptBytes: number;
  /** V0 only: the text forward's token count when the dummy falls back to text-only (else null). */
  textForwardTokens: number | null;
  /** One line for the budget. */
  why: string;
  /** The activation line's addition: "; Vision encoder (profiling): …" with the figures (withNote). */
  note: string;
}

/**
 * Returns the encoder's share of the profile run for these settings, or null for a text model, a tower not modelled,
 * or every modality limited to 0 (no dummy multimodal data at any version).
 */
export function computeEncoderProfile(
  arch: Architecture,
  info: VllmVersionInfo,
  settings: { maxModelLen: number; maxNumSeqs: number; maxNumBatchedTokens: number },
  limits: MmLimits | null,
  b = 2,
): EncoderProfile | null {
  const geometry = resolveEncoderGeometry(arch);
  // Before 0.7.0 each model built its own dummy data (qwen2_vl.py `dummy_data_for_qwen2_vl`: images sized to fit
  // seq_len, a RuntimeError when they cannot), not the profiler modelled here: no term.
  if (geometry === null || !isAtLeast(info.version, '0.7.0')) return null;
  const s = settings;
  if (info.engine === 'v0') {
    const v0 = computeV0MultimodalProfile(geometry, s.maxModelLen, s.maxNumSeqs, s.maxNumBatchedTokens, limits);
    if (v0 === null) return null;
    if (!v0.feedsEncoder)
      return withNote({
        forwardBytes: 0,
        keptBytes: 0,
        textForwardTokens: v0.forwardTokens,
        why: `vision encoder not fed: ${v0.maxMmTokens} multimodal tokens exceed the ${v0.seqLen}-token dummy sequence, so V0 profiles ${v0.forwardTokens} text tokens instead`,
      });
    // Each modality's items go through the tower in one call (the model's _process_image_input / _video_input).
    const largest = Math.max(...Object.values(v0.byModality));
    const patches = v0.seqs * largest * geometry.patchesPerToken;
    return withNote({
      forwardBytes: computeEncoderForwardBytes(geometry, patches, b),
      keptBytes: 0,
      textForwardTokens: null,
      why: `vision encoder over ${v0.seqs} × ${largest} tokens (${patches} patches)`,
    });
  }
  const fallback = computeDefaultLimit(info.engine);
  const perItem = computeMaxTokensPerItem(geometry, s.maxModelLen, limits, fallback);
  let modality: Modality | null = null;
  let tokensPerItem = 0;
  for (const m of ['image', 'video'] as const) {
    const t = perItem[m];
    if (t !== undefined && resolveLimit(limits, m, fallback) > 0 && t > tokensPerItem) {
      modality = m;
      tokensPerItem = t;
    }
  }
  if (modality === null) return null;
  const budget = Math.max(s.maxNumBatchedTokens, tokensPerItem);
  // `MultiModalBudget.get_max_items` (vllm/v1/worker/utils.py): items per prompt also capped by how many fit in
  // max_model_len, at least 1.
  const perPrompt = Math.max(
    1,
    Math.min(resolveLimit(limits, modality, fallback), Math.floor(s.maxModelLen / tokensPerItem)),
  );
  const items = Math.max(1, Math.min(Math.floor(budget / tokensPerItem), s.maxNumSeqs * perPrompt));
  const patches = items * tokensPerItem * geometry.patchesPerToken;
  const kept = items * tokensPerItem * geometry.embeddingWidth * b;
  return withNote({
    forwardBytes: computeEncoderForwardBytes(geometry, patches, b),
    keptBytes: kept,
    textForwardTokens: null,
    why: `vision encoder over ${items} ${modality} item${items === 1 ? '' : 's'} of ${tokensPerItem} tokens (${patches} patches, encoder budget ${budget}), embeddings kept through the text forward`,
  });
}

/**
 * Returns true when vLLM builds no vision tower for these limits (all 0): Qwen2/2.5-VL from PR #22299 (merged
 * 2025-08-06, 0.10.1); Qwen3-VL from PR #26000 (merged 2025-10-01; taken as 0.11.1, the first release certain to
 * carry it — a plan for 0.11.0 keeps the tower, the larger figure). Gemma 3: not checked, the tower is kept.
 */
export function isTowerSkipped(arch: Architecture, info: VllmVersionInfo, limits: MmLimits | null): boolean {
  const family = resolveFamily(arch.architecture);
  if (family === null || limits === null) return false;
  if (resolveLimit(limits, 'image') !== 0 || resolveLimit(limits, 'video') !== 0) return false;
  switch (family) {
    case 'qwen2-vl':
    case 'qwen2.5-vl':
      return isAtLeast(info.version, '0.10.1');
    case 'qwen3-vl':
      return isAtLeast(info.version, '0.11.1');
    case 'gemma3-siglip':
      return false;
    default: {
      const unreachable: never = family;
      throw new Error(`unknown encoder family ${String(unreachable)}`);
    }
  }
}

/**
 * Returns the profile run's torch peak from the text part (max(forward, sampler)) and the encoder's: the encoder runs
 * first; V1 keeps its embeddings alive through the text forward and the sampler (V0: keptBytes 0).
 */
export function combineWithEncoder(textBytes: number, encoder: EncoderProfile | null): number {
  if (encoder === null) return textBytes;
  return Math.max(encoder.forwardBytes, encoder.keptBytes + textBytes);
}

/** Returns the profile with its note for the activation line ("; Vision encoder (profiling): …"). */
function withNote(p: Omit<EncoderProfile, 'note'>): EncoderProfile {
  const gib = (bytes: number): string => `${(bytes / 1073741824).toFixed(2)} GiB`;
  const figures = p.forwardBytes > 0 ? `: ${gib(p.forwardBytes)} forward, ${gib(p.keptBytes)} kept` : '';
  return { ...p, note: `; Vision encoder (profiling): ${p.why}${figures}` };
}

const MODALITIES = ['image', 'video', 'audio'] as const;
/** The most items per prompt accepted (vLLM's own default in V1 is 999). */
const MAX_LIMIT = 100_000;

/**
 * Parses --limit-mm-per-prompt: vLLM's JSON ('{"image":0,"video":0}') or its older key=value form ('image=0,video=0');
 * whole numbers ≥ 0 for image, video or audio.
 */
export function parseMmLimits(text: string): { ok: true; value: MmLimits } | { ok: false; message: string } {
  const bad = (why: string) => ({
    ok: false as const,
    message: `--limit-mm-per-prompt: "${text}" ${why} (e.g. '{"image":0,"video":0}' or image=0,video=0)`,
  });
  let entries: [string, unknown][];
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return bad('is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return bad('is not a JSON object');
    entries = Object.entries(parsed);
  } else {
    entries = [];
    for (const part of trimmed.split(',')) {
      const match = /^\s*([A-Za-z]+)\s*=\s*(\d+)\s*$/.exec(part);
      if (match === null) return bad('is not key=value pairs');
      entries.push([match[1] ?? '', Number(match[2])]);
    }
  }
  if (entries.length === 0) return bad('names no modality');
  const value: MmLimits = {};
  for (const [rawKey, n] of entries) {
    const key = rawKey.toLowerCase();
    const modality = MODALITIES.find((m) => m === key);
    if (modality === undefined) return bad(`has "${rawKey}", not one of ${MODALITIES.join(', ')}`);
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > MAX_LIMIT)
      return bad(`gives ${rawKey} ${String(n)}, not a whole number from 0 to ${MAX_LIMIT}`);
    value[modality] = n;
  }
  return { ok: true, value };
}

/**
 * Returns the flag's value for the version: JSON from 0.9.0 (`MultiModalConfig.limit_per_prompt`, a dict argument;
 * 0.10.0 refuses key=value, vllm issue #21615), `image=0,video=0` before (arg_utils.py `nullable_kvs`).
 */
export function formatMmLimits(limits: MmLimits, info: VllmVersionInfo): string {
  const entries = MODALITIES.flatMap((m) => (limits[m] === undefined ? [] : [[m, limits[m]] as const]));
  if (isAtLeast(info.version, '0.9.0')) return JSON.stringify(Object.fromEntries(entries));
  return entries.map(([m, n]) => `${m}=${n}`).join(',');
}

/** Returns the bytes of the vision tower vLLM does not build for these limits (isTowerSkipped), else 0. */
export function computeSkippedTowerBytes(
  arch: Architecture,
  info: VllmVersionInfo,
  limits: MmLimits | null,
  dtypeBytes = 2,
): number {
  // The tower is kept in 16 bits by the quantized checkpoints too (their ignore lists), so params × dtype.
  return isTowerSkipped(arch, info, limits) ? (arch.vision?.encoderParams ?? 0) * dtypeBytes : 0;
}
