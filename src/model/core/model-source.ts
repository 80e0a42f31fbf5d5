/**
 * A model read from its own metadata (a Hugging Face repository, a local folder, or a GGUF file), in the
 * form the planner takes. Pure types and helpers.
 */
import type { Architecture, QuantVariant } from '../../catalog/core/presets-schema.js';

export type ModelOrigin = 'preset' | 'folder' | 'hub' | 'gguf' | 'hub-gguf';

export interface ModelDescription {
  /** The reference as the user gave it ("Qwen/Qwen2.5-7B-Instruct-AWQ", "./model", "x.gguf"). */
  id: string;
  name: string;
  origin: ModelOrigin;
  /** The repository whose tokenizer vLLM should use (for GGUF: the base model, for --tokenizer). */
  tokenizerRepo: string | null;
  arch: Architecture;
  /** The quantization the checkpoint really is, with its exact size when the tensor headers gave it. */
  quant: QuantVariant;
  /** How the weight bytes were obtained. */
  weightSource: 'tensor headers' | 'file size' | 'computed from parameters';
  /** What `vllm serve` is given: the HF id, the folder, or the .gguf path. */
  serveTarget: string;
  /** --revision for a pinned Hugging Face revision. */
  revision: string | null;
  /** GGUF tensor types this vLLM cannot run (reference vllm-memory.md §6). */
  unsupportedTensorTypes: string[];
  notes: string[];
}

/** Bytes of one element of a safetensors dtype (BF16 2, F32 4, I32 4, F8_E4M3 1, …); null if unknown. */
export function safetensorsDtypeBytes(dtype: string): number | null {
  const table: Record<string, number> = {
    F64: 8,
    I64: 8,
    U64: 8,
    F32: 4,
    I32: 4,
    U32: 4,
    F16: 2,
    BF16: 2,
    I16: 2,
    U16: 2,
    I8: 1,
    U8: 1,
    BOOL: 1,
    F8_E4M3: 1,
    F8_E5M2: 1,
    F8_E8M0: 1,
    E8M0: 1,
  };
  return table[dtype] ?? null;
}
