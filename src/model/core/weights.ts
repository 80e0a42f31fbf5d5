/**
 * Weight bytes and architecture read from a checkpoint's own tensor metadata: GGUF tensor infos and
 * key/values, safetensors headers. Pure: the shell (src/model/local.ts) reads the files.
 *
 * GGML block sizes: ggml/src/ggml.c `type_traits` (blck_size, type_size) and gguf-py
 * `GGML_QUANT_SIZES`; file types: llama.h `enum llama_ftype`; vLLM's GGUF types: reference
 * vllm-memory.md §6 (vllm/model_executor/layers/quantization/gguf.py).
 */
import { buildGgufRotaryCaches, describeGgufRopeWidth } from './gguf-rope.js';
import type { Architecture, QuantVariant } from '../../catalog/core/presets-schema.js';
import { checkArchitectureCounts, type ArchCountField } from './architecture.js';
import { countSlidingWindowLayers } from './hf-config.js';
import { safetensorsDtypeBytes } from './model-source.js';
import { formatBytes } from '../../shared/units.js';

/** One ggml tensor type: `blockElements` values are stored in `blockBytes` bytes. */
export interface GgmlTypeInfo {
  name: string;
  blockElements: number;
  blockBytes: number;
}

const QK_K = 256;

/**
 * Every ggml type id a GGUF file can carry (ggml.h `enum ggml_type`). 4 and 5 (Q4_2, Q4_3) were
 * removed before GGUF existed; 31–33 and 36–38 are the ARM/AVX repacked types llama.cpp wrote for a
 * while and dropped again (same blocks as Q4_0 / IQ4_NL), kept so old files get a clear answer.
 */
export const GGML_TYPES: Readonly<Record<number, GgmlTypeInfo>> = {
  0: { name: 'F32', blockElements: 1, blockBytes: 4 },
  1: { name: 'F16', blockElements: 1, blockBytes: 2 },
  2: { name: 'Q4_0', blockElements: 32, blockBytes: 18 },
  3: { name: 'Q4_1', blockElements: 32, blockBytes: 20 },
  6: { name: 'Q5_0', blockElements: 32, blockBytes: 22 },
  7: { name: 'Q5_1', blockElements: 32, blockBytes: 24 },
  8: { name: 'Q8_0', blockElements: 32, blockBytes: 34 },
  9: { name: 'Q8_1', blockElements: 32, blockBytes: 36 },
  10: { name: 'Q2_K', blockElements: QK_K, blockBytes: 84 },
  11: { name: 'Q3_K', blockElements: QK_K, blockBytes: 110 },
  12: { name: 'Q4_K', blockElements: QK_K, blockBytes: 144 },
  13: { name: 'Q5_K', blockElements: QK_K, blockBytes: 176 },
  14: { name: 'Q6_K', blockElements: QK_K, blockBytes: 210 },
  15: { name: 'Q8_K', blockElements: QK_K, blockBytes: 292 },
  16: { name: 'IQ2_XXS', blockElements: QK_K, blockBytes: 66 },
  17: { name: 'IQ2_XS', blockElements: QK_K, blockBytes: 74 },
  18: { name: 'IQ3_XXS', blockElements: QK_K, blockBytes: 98 },
  19: { name: 'IQ1_S', blockElements: QK_K, blockBytes: 50 },
  20: { name: 'IQ4_NL', blockElements: 32, blockBytes: 18 },
  21: { name: 'IQ3_S', blockElements: QK_K, blockBytes: 110 },
  22: { name: 'IQ2_S', blockElements: QK_K, blockBytes: 82 },
  23: { name: 'IQ4_XS', blockElements: QK_K, blockBytes: 136 },
  24: { name: 'I8', blockElements: 1, blockBytes: 1 },
  25: { name: 'I16', blockElements: 1, blockBytes: 2 },
  26: { name: 'I32', blockElements: 1, blockBytes: 4 },
  27: { name: 'I64', blockElements: 1, blockBytes: 8 },
  28: { name: 'F64', blockElements: 1, blockBytes: 8 },
  29: { name: 'IQ1_M', blockElements: QK_K, blockBytes: 56 },
  30: { name: 'BF16', blockElements: 1, blockBytes: 2 },
  31: { name: 'Q4_0_4_4', blockElements: 32, blockBytes: 18 },
  32: { name: 'Q4_0_4_8', blockElements: 32, blockBytes: 18 },
  33: { name: 'Q4_0_8_8', blockElements: 32, blockBytes: 18 },
  34: { name: 'TQ1_0', blockElements: QK_K, blockBytes: 54 },
  35: { name: 'TQ2_0', blockElements: QK_K, blockBytes: 66 },
  36: { name: 'IQ4_NL_4_4', blockElements: 32, blockBytes: 18 },
  37: { name: 'IQ4_NL_4_8', blockElements: 32, blockBytes: 18 },
  38: { name: 'IQ4_NL_8_8', blockElements: 32, blockBytes: 18 },
  39: { name: 'MXFP4', blockElements: 32, blockBytes: 17 },
  40: { name: 'NVFP4', blockElements: 64, blockBytes: 36 },
  41: { name: 'Q1_0', blockElements: 128, blockBytes: 18 },
  42: { name: 'Q2_0', blockElements: 64, blockBytes: 18 },
};

/** The GGUF tensor types vLLM's gguf.py runs (§6). TQ*, repacked, MXFP4/NVFP4 and I* are not among them. */
const VLLM_GGUF_TYPES = new Set([
  'F32',
  'F16',
  'BF16',
  'Q4_0',
  'Q4_1',
  'Q5_0',
  'Q5_1',
  'Q8_0',
  'Q8_1',
  'Q2_K',
  'Q3_K',
  'Q4_K',
  'Q5_K',
  'Q6_K',
  'IQ1_M',
  'IQ1_S',
  'IQ2_XXS',
  'IQ2_XS',
  'IQ2_S',
  'IQ3_XXS',
  'IQ3_S',
  'IQ4_XS',
  'IQ4_NL',
]);

/** Whether vLLM can load a GGUF tensor of this ggml type name ("Q4_K", "TQ2_0", …). */
export function isGgufTypeSupportedByVllm(name: string): boolean {
  return VLLM_GGUF_TYPES.has(name.toUpperCase());
}

/** The ggml type's name, or "type N" for an id this table does not know. */
export function ggmlTypeName(type: number): string {
  return GGML_TYPES[type]?.name ?? `type ${type}`;
}

/**
 * Bytes a tensor of `elements` values takes in ggml type `type`: whole blocks, rounded up (ggml
 * itself only allows whole blocks per row). Null for an unknown type or a count that is not a
 * non-negative safe integer.
 */
export function computeGgufTensorBytes(type: number, elements: number): number | null {
  const info = GGML_TYPES[type];
  if (info === undefined || !Number.isSafeInteger(elements) || elements < 0) return null;
  const bytes = Math.ceil(elements / info.blockElements) * info.blockBytes;
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/**
 * llama.h `enum llama_ftype`: what `general.file_type` says the file is, as llama-quantize names it.
 * 1024 (LLAMA_FTYPE_GUESSED) is never written to a file.
 */
const LLAMA_FTYPES: Readonly<Record<number, string>> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  4: 'Q4_1_SOME_F16',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  19: 'IQ2_XXS',
  20: 'IQ2_XS',
  21: 'Q2_K_S',
  22: 'IQ3_XS',
  23: 'IQ3_XXS',
  24: 'IQ1_S',
  25: 'IQ4_NL',
  26: 'IQ3_S',
  27: 'IQ3_M',
  28: 'IQ2_S',
  29: 'IQ2_M',
  30: 'IQ4_XS',
  31: 'IQ1_M',
  32: 'BF16',
  33: 'Q4_0_4_4',
  34: 'Q4_0_4_8',
  35: 'Q4_0_8_8',
  36: 'TQ1_0',
  37: 'TQ2_0',
  38: 'MXFP4_MOE',
  39: 'NVFP4',
  40: 'Q1_0',
};

/** The llama-quantize name of a `general.file_type` value ("Q4_K_M" for 15), or null. */
export function llamaFileTypeName(fileType: number): string | null {
  return LLAMA_FTYPES[fileType] ?? null;
}

/** Hugging Face class names for the GGUF architectures vLLM maps back (for the planner's arch field). */
const HF_ARCHITECTURES: Readonly<Record<string, string>> = {
  llama: 'LlamaForCausalLM',
  mistral3: 'Mistral3ForConditionalGeneration',
  qwen2: 'Qwen2ForCausalLM',
  qwen2moe: 'Qwen2MoeForCausalLM',
  qwen3: 'Qwen3ForCausalLM',
  qwen3moe: 'Qwen3MoeForCausalLM',
  gemma: 'GemmaForCausalLM',
  gemma2: 'Gemma2ForCausalLM',
  gemma3: 'Gemma3ForCausalLM',
  phi3: 'Phi3ForCausalLM',
  deepseek2: 'DeepseekV2ForCausalLM',
  starcoder2: 'Starcoder2ForCausalLM',
  falcon: 'FalconForCausalLM',
  gpt2: 'GPT2LMHeadModel',
  stablelm: 'StableLmForCausalLM',
  'command-r': 'CohereForCausalLM',
  olmo: 'OlmoForCausalLM',
  olmo2: 'Olmo2ForCausalLM',
  granite: 'GraniteForCausalLM',
  internlm2: 'InternLM2ForCausalLM',
  minicpm: 'MiniCPMForCausalLM',
  exaone: 'ExaoneForCausalLM',
  nemotron: 'NemotronForCausalLM',
};

/** A tensor info as the GGUF header has it; shape in ggml order (ne[0], the row length, first). */
export interface GgufTensorInfoLike {
  name: string;
  shape: readonly (number | bigint)[];
  /** ggml type id. */
  dtype: number;
  /** Offset inside the tensor data section. */
  offset: number | bigint;
}

export interface GgufTypeUsage {
  name: string;
  tensors: number;
  bytes: number;
}

export type GgufDescription =
  | {
      ok: true;
      name: string;
      /** `general.architecture` as written ("qwen2", "llama"). */
      ggufArchitecture: string;
      arch: Architecture;
      /** method/scheme "gguf", the file name and the exact size from the tensor types. */
      quant: Omit<QuantVariant, 'repo'>;
      /** Exact sum of the tensors' sizes from their types and shapes. */
      weightBytes: number;
      /** Bytes the tensor data section has to hold: the furthest tensor end (offset + size). */
      dataBytes: number;
      parameterCount: number;
      /** Tensor types by bytes, largest first. */
      tensorTypes: GgufTypeUsage[];
      /** Tensor types in the file that vLLM's GGUF loader cannot run. */
      unsupportedTensorTypes: string[];
      /** The base model's Hugging Face id when the header names it (general.base_model.0.*). */
      baseModelRepo: string | null;
      notes: string[];
    }
  | { ok: false; problem: string };

type Metadata = Readonly<Record<string, unknown>>;

/**
 * A number from a metadata value (u32, u64 as bigint, f32, …); arrays give their largest element. A value
 * past 2^53 or with a fraction is returned as it is, for the range check to name (checkArchitectureCounts).
 */
function wholeNumber(value: unknown): number | undefined {
  if (Array.isArray(value)) {
    let largest: number | undefined;
    for (const element of value) {
      const n = wholeNumber(element);
      if (n !== undefined && (largest === undefined || n > largest)) largest = n;
    }
    return largest;
  }
  const n = typeof value === 'bigint' ? Number(value) : value;
  return typeof n === 'number' && !Number.isNaN(n) ? n : undefined;
}

/** The GGUF key (after "<arch>.") behind each architecture count, for error messages. */
const GGUF_KEYS: Readonly<Record<ArchCountField, string>> = {
  layers: 'block_count',
  hiddenSize: 'embedding_length',
  intermediateSize: 'feed_forward_length',
  attentionHeads: 'attention.head_count',
  kvHeads: 'attention.head_count_kv',
  headDim: 'attention.key_length',
  vocabSize: 'vocab_size',
  maxPositionEmbeddings: 'context_length',
  slidingWindow: 'attention.sliding_window',
  experts: 'expert_count',
  expertsPerToken: 'expert_used_count',
  expertIntermediateSize: 'expert_feed_forward_length',
  sharedExperts: 'expert_shared_count',
  kvLoraRank: 'attention.kv_lora_rank',
  qkRopeHeadDim: 'rope.dimension_count',
};

/** general.alignment: GGUF writes 32; anything up to 1 MiB is taken. */
const MAX_GGUF_ALIGNMENT = 1_048_576;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

/** "org/name" from a Hugging Face URL or id, else null. */
function hfRepoFrom(value: string | undefined): string | null {
  if (value === undefined) return null;
  const match = /^(?:https?:\/\/(?:www\.)?huggingface\.co\/)?([\w.-]+\/[\w.-]+?)\/?$/.exec(value);
  return match?.[1] ?? null;
}

function baseModelRepo(metadata: Metadata): string | null {
  const url = hfRepoFrom(text(metadata['general.base_model.0.repo_url']));
  if (url !== null) return url;
  const org = text(metadata['general.base_model.0.organization']);
  const name = text(metadata['general.base_model.0.name']);
  if (org !== undefined && name !== undefined) {
    const joined = `${org}/${name}`.replace(/\s+/g, '-');
    if (/^[\w.-]+\/[\w.-]+$/.test(joined)) return joined;
  }
  return hfRepoFrom(text(metadata['general.source.huggingface.repository']));
}

function elementsOf(shape: readonly (number | bigint)[]): number | null {
  let elements = 1;
  for (const dim of shape) {
    const n = typeof dim === 'bigint' ? Number(dim) : dim;
    if (!Number.isSafeInteger(n) || n < 0) return null;
    elements *= n;
  }
  return Number.isSafeInteger(elements) ? elements : null;
}

/**
 * Reads a GGUF header (key/values and tensor infos) into the planner's architecture and an exact
 * weight size. `fileName` names the file (quant.file, and the model name when the header has none).
 */
export function describeGgufModel(
  metadata: Metadata,
  tensorInfos: readonly GgufTensorInfoLike[],
  fileName: string,
  tokenizerRepo: string | null = null,
): GgufDescription {
  const ggufArch = text(metadata['general.architecture']);
  if (ggufArch === undefined) return { ok: false, problem: 'the GGUF header has no general.architecture' };
  const key = (suffix: string) => `${ggufArch}.${suffix}`;
  const get = (suffix: string) => wholeNumber(metadata[key(suffix)]);

  const layers = get('block_count');
  const hidden = get('embedding_length');
  const heads = get('attention.head_count');
  const contextLength = get('context_length');
  const missing = [
    ['block_count', layers],
    ['embedding_length', hidden],
    ['attention.head_count', heads],
    ['context_length', contextLength],
  ]
    .filter(([, v]) => v === undefined || v === 0)
    .map(([k]) => key(String(k)));
  if (
    missing.length > 0 ||
    layers === undefined ||
    hidden === undefined ||
    heads === undefined ||
    contextLength === undefined
  ) {
    return { ok: false, problem: `the GGUF header has no (or a zero) ${missing.join(', ')}` };
  }
  const notes: string[] = [];

  // Tensors: exact bytes from their types, data-section extent, types used.
  const alignment = wholeNumber(metadata['general.alignment']) ?? 32;
  if (!Number.isSafeInteger(alignment) || alignment <= 0 || alignment > MAX_GGUF_ALIGNMENT)
    return {
      ok: false,
      problem: `general.alignment is ${alignment}; a whole number from 1 to ${MAX_GGUF_ALIGNMENT} is needed`,
    };
  let weightBytes = 0;
  let dataBytes = 0;
  let parameterCount = 0;
  const usage = new Map<string, GgufTypeUsage>();
  const tensorNames = new Set<string>();
  const spans: { name: string; type: string; begin: number; end: number }[] = [];
  for (const tensor of tensorInfos) {
    const info = GGML_TYPES[tensor.dtype];
    if (info === undefined) {
      return {
        ok: false,
        problem: `tensor ${tensor.name} has ggml type ${tensor.dtype}, which this tool does not know (a newer llama.cpp type?)`,
      };
    }
    const elements = elementsOf(tensor.shape);
    const rowLength = tensor.shape.length > 0 ? Number(tensor.shape[0]) : 1;
    if (elements === null) return { ok: false, problem: `tensor ${tensor.name} has an impossible shape` };
    if (rowLength % info.blockElements !== 0) {
      return {
        ok: false,
        problem: `tensor ${tensor.name}: rows of ${rowLength} values are not whole ${info.name} blocks of ${info.blockElements}`,
      };
    }
    const bytes = computeGgufTensorBytes(tensor.dtype, elements);
    const offset = typeof tensor.offset === 'bigint' ? Number(tensor.offset) : tensor.offset;
    if (bytes === null || !Number.isSafeInteger(offset) || offset < 0) {
      return { ok: false, problem: `tensor ${tensor.name} has an impossible size or offset` };
    }
    if (offset % alignment !== 0) {
      return {
        ok: false,
        problem: `tensor ${tensor.name} starts at data offset ${offset}, not a multiple of the ${alignment}-byte alignment`,
      };
    }
    weightBytes += bytes;
    parameterCount += elements;
    dataBytes = Math.max(dataBytes, offset + bytes);
    tensorNames.add(tensor.name);
    spans.push({ name: tensor.name, type: info.name, begin: offset, end: offset + bytes });
    const used = usage.get(info.name) ?? { name: info.name, tensors: 0, bytes: 0 };
    used.tensors += 1;
    used.bytes += bytes;
    usage.set(info.name, used);
  }
  if (tensorInfos.length === 0) return { ok: false, problem: 'the GGUF file has no tensors' };
  // Tensors whose data overlaps an earlier one's (a crafted or broken header; llama.cpp writes them
  // back to back): the bytes they share are in memory once, so they count once (issue 13 item 8).
  const overlapping: string[] = [];
  let coveredTo = 0;
  for (const span of [...spans].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (span.begin < coveredTo) {
      const shared = Math.min(span.end, coveredTo) - span.begin;
      weightBytes -= shared;
      const used = usage.get(span.type);
      if (used !== undefined) used.bytes -= shared;
      if (shared > 0) overlapping.push(span.name);
    }
    coveredTo = Math.max(coveredTo, span.end);
  }
  if (overlapping.length > 0) {
    notes.push(
      `${overlapping.length} tensor${overlapping.length === 1 ? '' : 's'} (${overlapping.slice(0, 3).join(', ')}${overlapping.length > 3 ? ', …' : ''}) overlap another's data: the shared bytes are counted once`,
    );
  }
  const tensorTypes = [...usage.values()].sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));

  // Architecture.
  const tokens = metadata['tokenizer.ggml.tokens'];
  const embedding = tensorInfos.find((t) => t.name === 'token_embd.weight');
  const embeddingRows = embedding !== undefined && embedding.shape.length >= 2 ? Number(embedding.shape[1]) : undefined;
  const vocab = Array.isArray(tokens) && tokens.length > 0 ? tokens.length : (get('vocab_size') ?? embeddingRows);
  if (vocab === undefined) {
    return { ok: false, problem: `the GGUF header has no tokenizer.ggml.tokens, ${key('vocab_size')} or token_embd` };
  }
  if (embeddingRows !== undefined && embeddingRows !== vocab) {
    notes.push(`the tokenizer has ${vocab} tokens but token_embd has ${embeddingRows} rows`);
  }
  const kvHeads = get('attention.head_count_kv') ?? heads;
  const headDim = get('attention.key_length') ?? Math.floor(hidden / heads);
  const experts = get('expert_count');
  const feedForward = get('feed_forward_length');
  const expertFeedForward = get('expert_feed_forward_length');
  const intermediate = feedForward ?? expertFeedForward ?? 4 * hidden;
  const hasSharedExpert = [...tensorNames].some((n) => n.includes('_shexp.'));
  const moe =
    experts !== undefined && experts > 1
      ? {
          experts,
          expertsPerToken: get('expert_used_count') ?? 2,
          expertIntermediateSize: expertFeedForward ?? intermediate,
          sharedExperts: get('expert_shared_count') ?? (hasSharedExpert ? 1 : 0),
        }
      : null;
  const kvLoraRank = get('attention.kv_lora_rank');
  const mla =
    kvLoraRank !== undefined && kvLoraRank > 0
      ? { kvLoraRank, qkRopeHeadDim: get('rope.dimension_count') ?? 64 }
      : null;
  const window = get('attention.sliding_window');
  let slidingWindow: number | null = null;
  let slidingWindowLayers = 0;
  if (window !== undefined && window > 0) {
    slidingWindow = window;
    slidingWindowLayers = countSlidingWindowLayers(
      layers,
      ggufArch === 'gemma2' || ggufArch === 'gemma3' ? ggufArch : null,
      null,
    );
  }
  const architecture =
    ggufArch === 'llama' && moe !== null ? 'MixtralForCausalLM' : (HF_ARCHITECTURES[ggufArch] ?? ggufArch);
  const freqBase = metadata[key('rope.freq_base')];
  const rotaryCaches = buildGgufRotaryCaches(
    ggufArch,
    headDim > 0 ? headDim : 1,
    typeof freqBase === 'number' && Number.isFinite(freqBase) ? freqBase : undefined,
  );
  const ropeNote = describeGgufRopeWidth(get('rope.dimension_count'), rotaryCaches, headDim > 0 ? headDim : 1);
  if (ropeNote !== null && mla === null) notes.push(ropeNote);
  const arch: Architecture = {
    architecture,
    layers,
    hiddenSize: hidden,
    intermediateSize: intermediate,
    attentionHeads: heads,
    kvHeads: kvHeads > 0 ? kvHeads : heads,
    headDim: headDim > 0 ? headDim : 1,
    vocabSize: vocab,
    tieWordEmbeddings: !tensorNames.has('output.weight'),
    maxPositionEmbeddings: contextLength,
    // vLLM runs GGUF checkpoints in fp16 unless told otherwise (§9: "GGUF model dtype fp16").
    torchDtype: 'float16',
    slidingWindow,
    slidingWindowLayers,
    moe,
    mla,
    ...(rotaryCaches === null || mla !== null ? {} : { rotaryCaches }),
  };

  const bad = checkArchitectureCounts(arch, (field) =>
    field === 'vocabSize' && Array.isArray(tokens) ? 'tokenizer.ggml.tokens (its length)' : key(GGUF_KEYS[field]),
  );
  if (bad !== null) return { ok: false, problem: `the GGUF header: ${bad}` };

  // Quantization: llama-quantize's own label, else the type holding the most weights.
  const fileType = wholeNumber(metadata['general.file_type']);
  const fileTypeName = fileType === undefined ? null : llamaFileTypeName(fileType);
  const dominant = tensorTypes.find((t) => t.name !== 'F32') ?? tensorTypes[0];
  let label: string;
  if (fileTypeName !== null) {
    label = fileTypeName;
  } else {
    label = dominant?.name ?? 'F32';
    notes.push(
      fileType === undefined
        ? `general.file_type is absent: named after the type holding the most weights (${label})`
        : `general.file_type ${fileType} is not one llama.cpp lists: named after the type holding the most weights (${label})`,
    );
  }
  const quant: Omit<QuantVariant, 'repo'> = {
    id: `gguf-${label.toLowerCase()}`,
    method: 'gguf',
    scheme: 'gguf',
    file: fileName,
    sizeBytes: weightBytes,
    sizeSource: 'published',
  };

  notes.push(
    `weights ${formatBytes(weightBytes)} from ${tensorInfos.length} tensor headers: ${tensorTypes
      .map((t) => `${t.name} ×${t.tensors} (${formatBytes(t.bytes)})`)
      .join(', ')}`,
  );
  const unsupportedTensorTypes = tensorTypes.map((t) => t.name).filter((n) => !isGgufTypeSupportedByVllm(n));
  if (unsupportedTensorTypes.length > 0) {
    notes.push(
      `vLLM's GGUF loader cannot run ${unsupportedTensorTypes.join(', ')} tensors: requantize (llama-quantize) to a K-quant such as Q4_K_M`,
    );
  }
  const base = baseModelRepo(metadata);
  if (tokenizerRepo !== null) {
    notes.push(`tokenizer: ${tokenizerRepo} (vLLM takes the base model's tokenizer with --tokenizer)`);
  } else if (base !== null) {
    notes.push(`vLLM needs the base model's tokenizer: --tokenizer ${base} (the base model this GGUF names)`);
  } else {
    notes.push(
      "vLLM needs the base model's tokenizer: add --tokenizer <the base model's Hugging Face id> (converting the GGUF's own is slow)",
    );
  }

  const name = text(metadata['general.name']) ?? fileName.replace(/\.gguf$/i, '');
  return {
    ok: true,
    name,
    ggufArchitecture: ggufArch,
    arch,
    quant,
    weightBytes,
    dataBytes,
    parameterCount,
    tensorTypes,
    unsupportedTensorTypes,
    baseModelRepo: base,
    notes,
  };
}

/** A tensor as a safetensors header lists it; `byteLength` (from data_offsets) sizes unknown dtypes. */
export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: readonly number[];
  byteLength?: number;
  /** [begin, end) inside its file's data section, when the header gave valid ones. */
  dataOffsets?: readonly [number, number];
  /** The file it is in: offsets of different files never overlap (default: one file). */
  file?: string;
}

export type SafetensorsQuantHint = 'gptq-or-awq' | 'fp8' | 'bnb' | null;

export interface SafetensorsSummary {
  /** Exact bytes: dtype size × elements for each tensor. */
  totalBytes: number;
  bytesByDtype: Record<string, number>;
  /** Stored elements (a packed int32 GPTQ/AWQ tensor counts as its int32s, not the weights it packs). */
  parameterCount: number;
  /** What the tensors look like: int32 qweight/qzeros, FP8 weights, or uint8 weights with absmax. */
  looksQuantized: SafetensorsQuantHint;
  /** Dtypes this tool has no element size for (sized from data_offsets when given, else counted as 0). */
  unknownDtypes: string[];
  /** Tensors whose data_offsets overlap an earlier tensor's in the same file: their shared bytes count once. */
  overlapping: string[];
}

/**
 * The bytes of each tensor that an earlier tensor of the same file already covers (overlapping
 * data_offsets), so that every byte of a file is counted once: tensors are walked in offset order,
 * keeping the furthest byte reached. Tensors without offsets share nothing.
 */
function countSharedBytes(tensors: readonly SafetensorsTensor[]): Map<SafetensorsTensor, number> {
  const shared = new Map<SafetensorsTensor, number>();
  const withOffsets = tensors.filter((t) => t.dataOffsets !== undefined);
  const begin = (t: SafetensorsTensor): number => t.dataOffsets?.[0] ?? 0;
  const ordered = [...withOffsets].sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || begin(a) - begin(b));
  const coveredTo = new Map<string, number>();
  for (const tensor of ordered) {
    const [start, end] = tensor.dataOffsets ?? [0, 0];
    const file = tensor.file ?? '';
    const covered = coveredTo.get(file) ?? 0;
    if (start < covered) shared.set(tensor, Math.min(end, covered) - start);
    coveredTo.set(file, Math.max(covered, end));
  }
  return shared;
}

/** Sums a checkpoint's tensors by dtype and tells whether they look quantized. */
export function describeSafetensors(tensors: readonly SafetensorsTensor[]): SafetensorsSummary {
  let totalBytes = 0;
  let parameterCount = 0;
  const bytesByDtype: Record<string, number> = {};
  const unknown = new Set<string>();
  let packedInt = false;
  let hasFp8Weight = false;
  let hasU8 = false;
  let hasAbsmax = false;
  const shared = countSharedBytes(tensors);
  const overlapping = tensors.filter((t) => (shared.get(t) ?? 0) > 0).map((t) => t.name);
  for (const tensor of tensors) {
    const elements = tensor.shape.reduce((a, b) => a * b, 1);
    const size = safetensorsDtypeBytes(tensor.dtype);
    let bytes: number;
    if (size !== null) {
      bytes = size * elements;
    } else {
      unknown.add(tensor.dtype);
      bytes = tensor.byteLength ?? 0;
    }
    bytes = Math.max(0, bytes - (shared.get(tensor) ?? 0));
    totalBytes += bytes;
    parameterCount += elements;
    bytesByDtype[tensor.dtype] = (bytesByDtype[tensor.dtype] ?? 0) + bytes;
    if (tensor.dtype === 'I32' && /\.(qweight|qzeros)$/.test(tensor.name)) packedInt = true;
    if ((tensor.dtype === 'F8_E4M3' || tensor.dtype === 'F8_E5M2') && tensor.name.endsWith('weight')) {
      hasFp8Weight = true;
    }
    if (tensor.dtype === 'U8') hasU8 = true;
    if (tensor.name.endsWith('absmax')) hasAbsmax = true;
  }
  const looksQuantized: SafetensorsQuantHint = packedInt
    ? 'gptq-or-awq'
    : hasU8 && hasAbsmax
      ? 'bnb'
      : hasFp8Weight
        ? 'fp8'
        : null;
  return {
    totalBytes,
    bytesByDtype,
    parameterCount,
    looksQuantized,
    unknownDtypes: [...unknown].sort(),
    overlapping,
  };
}
