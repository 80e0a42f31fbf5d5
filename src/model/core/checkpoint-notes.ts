/**
 * What a checkpoint's tensors say beyond their bytes: the vision encoder of a vision-language model,
 * the MXFP4 padding vLLM adds when it loads gpt-oss, and the fixed state of hybrid layers. Pure.
 */
import type { Architecture, QuantVariant } from '../../catalog/core/presets-schema.js';
import { formatBytes } from '../../shared/units.js';
import { computeStatePageBytes } from './hybrid-groups.js';
import { computeMxfp4MoeBytes } from './quantization.js';
import { safetensorsDtypeBytes } from './model-source.js';
import type { SafetensorsTensor } from './weights.js';

/**
 * Tensor names of a vision tower and its projector (Qwen-VL `visual.`, Gemma-3/LLaVA `vision_tower.`, Gemma 4
 * `vision_tower.` and `embed_vision.`).
 */
const VISION_TENSOR =
  /^(?:model\.)?(?:visual|vision_tower|vision_model|vision_encoder|multi_modal_projector|mm_projector|embed_vision)\./;

/** Tensor names of an audio tower and its projector (Gemma 4 `audio_tower.`, `embed_audio.`). */
const AUDIO_TENSOR = /^(?:model\.)?(?:audio_tower|embed_audio)\./;

/** The vision encoder's tensors: parameter count and bytes. */
export function summarizeVisionTensors(tensors: readonly SafetensorsTensor[]): { params: number; bytes: number } {
  return summarizeTensors(tensors, VISION_TENSOR);
}

/** The audio encoder's tensors: parameter count and bytes. */
export function summarizeAudioTensors(tensors: readonly SafetensorsTensor[]): { params: number; bytes: number } {
  return summarizeTensors(tensors, AUDIO_TENSOR);
}

function summarizeTensors(tensors: readonly SafetensorsTensor[], names: RegExp): { params: number; bytes: number } {
  let params = 0;
  let bytes = 0;
  for (const t of tensors) {
    if (!names.test(t.name)) continue;
    const elements = t.shape.reduce((a, b) => a * b, 1);
    params += elements;
    bytes += (safetensorsDtypeBytes(t.dtype) ?? 0) * elements;
  }
  return { params, bytes };
}

/**
 * Completes `arch` from the tensors (the vision encoder's parameter count) and returns the notes a plan
 * shows about the vision encoder, MXFP4 padding and hybrid state.
 */
export function describeCheckpointExtras(
  arch: Architecture,
  quant: Pick<QuantVariant, 'method' | 'scheme'>,
  tensors: readonly SafetensorsTensor[],
): { arch: Architecture; notes: string[] } {
  const notes: string[] = [];
  let out = arch;
  if (arch.vision !== null && arch.vision !== undefined) {
    const vision = summarizeVisionTensors(tensors);
    out = { ...out, vision: { ...arch.vision, encoderParams: vision.params } };
    notes.push(
      `vision encoder: ${(vision.params / 1e6).toFixed(1)} M parameters (${formatBytes(vision.bytes)}) in the weights; ` +
        "vLLM V1's profile run also feeds it a dummy batch that fills the encoder cache budget " +
        '(max(max_num_batched_tokens, the largest image or video item in tokens)): its peak is in the activation line ' +
        '(Qwen2/2.5/3-VL and Gemma 3 towers; plan/core/multimodal/encoder-profile.ts), --limit-mm-per-prompt image/video 0 removes it',
    );
  }
  if (arch.audio !== null && arch.audio !== undefined) {
    const audio = summarizeAudioTensors(tensors);
    out = { ...out, audio: { ...arch.audio, encoderParams: audio.params } };
    notes.push(
      `audio encoder: ${(audio.params / 1e6).toFixed(1)} M parameters (${formatBytes(audio.bytes)}) in the weights; ` +
        "vLLM V1's profile run feeds it dummy audio too",
    );
  }
  if (quant.method === 'mxfp4' && arch.moe !== null) {
    const padding = computeMxfp4MoeBytes(arch, true) - computeMxfp4MoeBytes(arch, false);
    notes.push(
      `MXFP4 experts: vLLM's Marlin path (every Jetson) pads them to ${formatBytes(computeMxfp4MoeBytes(arch, true))}, ${formatBytes(padding)} more than the files (mxfp4.py Mxfp4MoEMethod.create_weights)`,
    );
  }
  const state = arch.stateLayers;
  if (state !== null && state !== undefined) {
    notes.push(
      `hybrid: ${state.layers} ${state.kind === 'mamba2' ? 'Mamba2' : 'gated-delta-net'} layers keep ${computeStatePageBytes(arch)} B (${(computeStatePageBytes(arch) / 1048576).toFixed(2)} MiB) of state per sequence each; KV per token only in the ${state.attentionLayers} attention layers`,
    );
  }
  return { arch: out, notes };
}
