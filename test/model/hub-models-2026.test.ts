/**
 * The models people run on Jetson in 2026, read from recorded Hub metadata through the loopback
 * stand-in (test/model/hub-server.ts, test/fixtures/hub): gpt-oss-20b (MXFP4), an NVFP4 checkpoint
 * (compressed-tensors), Nemotron-3-Nano (hybrid Mamba2), Qwen3-VL-8B and Gemma-3-12b. Each with its
 * exact weight bytes and a KV/state term that follows vLLM's code (derivations in the comments).
 *
 * Where the configs come from (test/fixtures/hub/README.md): gpt-oss-20b is the HF config.json as quoted
 * in tinygrad's test_gpt_oss.py; Nemotron-3-Nano-30B-A3B's as quoted in a public JAX port's model test;
 * gemma-3-12b-it's is the released file (text fields left to Gemma3TextConfig defaults); Qwen3-VL-8B's was
 * assembled from public copies of its text_config / vision_config (no verbatim copy was found); the NVFP4
 * one is Qwen/Qwen3-8B's config with llm-compressor's NVFP4 quantization_config (the RedHatAI file itself
 * was not found). Tensor headers are computed from the configs with the real names, dtypes and shapes; the
 * totals agree with the published parameter counts (see each test).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubEnv } from '../../src/model/hub/env.js';
import { describeHubModel } from '../../src/model/hub/metadata.js';
import { computeKvBytesPerToken, computeLayerBlocksForSequence } from '../../src/model/core/architecture.js';
import { buildKvCacheLayout, computeSequenceBytes } from '../../src/model/core/kv-cache-layout.js';
import { checkCapability, computeMxfp4MoeBytes, estimateWeightBytes } from '../../src/model/core/quantization.js';
import type { ModelDescription } from '../../src/model/core/model-source.js';
import { computeBudget, CUBLAS_WORKSPACE_BYTES } from '../../src/plan/core/budget.js';
import { resolveVllmVersion } from '../../src/plan/core/vllm-version.js';
import { computeStatePageBytes } from '../../src/model/core/hybrid-groups.js';
import { resolveServedArchitecture } from '../../src/plan/core/speculative.js';
import { GiB, parseVersion } from '../../src/shared/units.js';
import { loadTestCatalog } from '../helpers/catalog.js';
import { buildTestSettings } from '../helpers/settings.js';
import { loopbackFetch, startHubServer, TOKENS, type HubServer } from './hub-server.js';

const v = (s: string) => parseVersion(s) ?? [0, 0, 0];
const dirs: string[] = [];
let server: HubServer;
const fetched: string[] = [];

function env(token: string | null = null): HubEnv {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'jv-hub26-'));
  dirs.push(cacheDir);
  return { endpoint: server.endpoint, token, isOffline: false, cacheDir, fetch: loopbackFetch(fetched) };
}

const describeRepo = (repo: string, token: string | null = null): Promise<ModelDescription> =>
  describeHubModel({ repo, revision: null }, env(token));

beforeAll(async () => {
  server = await startHubServer();
});
afterAll(async () => {
  await server.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('gpt-oss-20b (MXFP4): planned, with the bytes vLLM really holds', () => {
  it('quant_method "mxfp4" is read (it was refused), the files sum to 13,761,264,768 B', async () => {
    const d = await describeRepo('openai/gpt-oss-20b');
    expect(d.quant).toEqual({
      id: 'mxfp4',
      method: 'mxfp4',
      scheme: 'mxfp4',
      repo: 'openai/gpt-oss-20b',
      sizeBytes: 13_761_264_768,
      sizeSource: 'published',
    });
    expect(d.arch).toMatchObject({
      architecture: 'GptOssForCausalLM',
      layers: 24,
      hiddenSize: 2880,
      kvHeads: 8,
      headDim: 64,
      vocabSize: 201088,
      slidingWindow: 128,
      slidingWindowLayers: 12,
      moe: { experts: 32, expertsPerToken: 4, expertIntermediateSize: 2880, sharedExperts: 0 },
    });
  });

  it('weights: the files + the Marlin padding of the experts = 14,679,227,520 B (13.67 GiB)', async () => {
    const d = await describeRepo('openai/gpt-oss-20b');
    // On disk, per layer: gate_up blocks 32·5760·90·16 + scales 32·5760·90 + bias 32·5760·2, down 32·2880·90·16
    // + 32·2880·90 + 32·2880·2 = 423,567,360 B (the "expert-ffn 10,166 MB" of public audits, ×24).
    expect(computeMxfp4MoeBytes(d.arch, false)).toBe(24 * 423_567_360);
    // mxfp4.py Mxfp4MoEMethod.create_weights, Marlin backend (Orin 8.7, Thor 11.0): I 2880 → 2944 (×128),
    // h 2880 → 3072 (×256): per layer w13 32·5888·1536 + 32·5888·96 + 32·5888·2, w2 32·3072·1472 + 32·3072·92
    // + 32·3072·2 = 461,815,808 B; prepare_moe_fp4_layer_for_marlin keeps those bytes (e8m0 scales).
    expect(computeMxfp4MoeBytes(d.arch, true)).toBe(24 * 461_815_808);
    const w = estimateWeightBytes(d.arch, d.quant);
    expect(w.weightBytes).toBe(13_761_264_768 + 24 * (461_815_808 - 423_567_360));
    expect(w.weightBytes).toBe(14_679_227_520);
    expect(w.why).toContain('Marlin MXFP4 expert padding (I 2880 → 2944, h 2880 → 3072)');
    expect(d.notes.join('\n')).toMatch(/MXFP4 experts: vLLM's Marlin path \(every Jetson\) pads them/);
  });

  it('runs on Orin from 0.10.1 (Marlin, weight-only); KV: 12 full + 12 sliding-window (128) layers', async () => {
    const d = await describeRepo('openai/gpt-oss-20b');
    expect(checkCapability('mxfp4', '8.7', v('0.11.2'))).toMatchObject({
      ok: true,
      note: expect.stringMatching(/Marlin/),
    });
    expect(checkCapability('mxfp4', '8.7', v('0.10.0')).ok).toBe(false);
    expect(checkCapability('mxfp4', '7.5', v('0.11.2')).ok).toBe(false);
    // 2 · 8 · 64 · 2 B = 2 KiB per token and layer, 24 layers.
    expect(computeKvBytesPerToken(d.arch, 2)).toBe(49_152);
    // V1, 8192 tokens, 2048 batched: full layers 512 blocks; window layers cdiv(min(127 + 2048, 8192), 16) + 1 = 137
    // (kv_cache_interface.py SlidingWindowSpec.max_memory_usage_bytes).
    expect(computeLayerBlocksForSequence(d.arch, 'v1', 8192, 16, 2048)).toBe(12 * 512 + 12 * 137);
    const layout = buildKvCacheLayout(d.arch, 'v1', 2, 16);
    expect(computeSequenceBytes(layout, d.arch, 8192, 2048)).toBe((12 * 512 + 12 * 137) * 32_768);
  });
});

describe('an NVFP4 compressed-tensors checkpoint (RedHatAI/Qwen3-8B-NVFP4)', () => {
  it('is NVFP4 (it was sized as FP8): 6,396,932,064 B from the headers, 4.5 bits a weight as computed', async () => {
    const d = await describeRepo('RedHatAI/Qwen3-8B-NVFP4');
    expect(d.quant).toEqual({
      id: 'nvfp4',
      method: 'compressed-tensors',
      scheme: 'nvfp4',
      groupSize: 16,
      repo: 'RedHatAI/Qwen3-8B-NVFP4',
      sizeBytes: 6_396_932_064,
      sizeSource: 'published',
      // llm-compressor's ignore list: lm_head (16 bits anyway; quant-ignore.ts).
      ignore: ['lm_head'],
    });
    const preset = loadTestCatalog().models.find((m) => m.id === 'qwen3-8b');
    if (preset === undefined) throw new Error('qwen3-8b preset');
    expect(d.arch).toMatchObject({
      layers: preset.arch.layers,
      hiddenSize: preset.arch.hiddenSize,
      intermediateSize: preset.arch.intermediateSize,
      kvHeads: preset.arch.kvHeads,
      vocabSize: preset.arch.vocabSize,
    });
    // The same checkpoint computed from the architecture: 6.95 B linear weights × (4 + 8/16) bits + bf16
    // embeddings and lm_head = 6,396,911,616 B; the headers add the q/k norms (36·2·128·2 = 18,432 B) and
    // the fp32 weight/input global scales (36·7·2·4 = 2,016 B) the parameter count leaves out.
    const computed = estimateWeightBytes(d.arch, { ...d.quant, sizeBytes: undefined, sizeSource: undefined });
    expect(computed.weightBytes).toBe(6_396_911_616);
    expect(6_396_932_064 - computed.weightBytes).toBe(18_432 + 2_016);
    // As FP8 the same checkpoint was planned at 8 bits a weight: 3.47 GB too much.
    const asFp8 = estimateWeightBytes(d.arch, {
      id: 'fp8',
      method: 'compressed-tensors',
      scheme: 'w8a8-fp8',
      repo: 'x',
    });
    expect(asFp8.weightBytes - computed.weightBytes).toBe((6_945_767_424 * 3.5) / 8);
    // vLLM runs it weight-only through Marlin below cc 10.0 (compressed_tensors_w4a4_nvfp4 → marlin_utils_fp4).
    expect(checkCapability('nvfp4', '8.7', v('0.11.2'))).toMatchObject({
      ok: true,
      note: expect.stringMatching(/Marlin/),
    });
  });
});

describe('Nemotron-3-Nano 30B-A3B (hybrid Mamba2 + MoE)', () => {
  it('63,155,895,296 B of bf16 weights (31,577,940,288 parameters, the published 31.6 B)', async () => {
    const d = await describeRepo('nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16');
    expect(d.quant).toMatchObject({ id: 'bf16', scheme: 'bf16', sizeBytes: 63_155_895_296 });
    expect(estimateWeightBytes(d.arch, d.quant).weightBytes).toBe(63_155_895_296);
    expect(d.arch.stateLayers).toMatchObject({
      kind: 'mamba2',
      layers: 23,
      attentionLayers: 6,
      temporalDtype: 'float32',
    });
    expect(d.notes.join('\n')).toMatch(
      /hybrid: 23 Mamba2 layers keep 2134016 B \(2\.04 MiB\) of state per sequence each; KV per token only in the 6 attention layers/,
    );
  });

  it('the budget charges a fixed state per sequence, not KV per token in 52 layers', async () => {
    const d = await describeRepo('nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16');
    const catalog = loadTestCatalog();
    const info = resolveVllmVersion('0.11.2', catalog.vllm);
    if (info === null) throw new Error('0.11.2');
    const b = computeBudget({
      device: { memTotalBytes: 61.3 * GiB, isUnified: true, osUsedBytes: 3 * GiB, osSource: 'assumed' },
      arch: d.arch,
      weightBytes: estimateWeightBytes(d.arch, d.quant).weightBytes,
      info,
      settings: buildTestSettings(),
      runtime: 'docker',
    });
    // HybridAttentionMambaModelConfig: block 2096 tokens; 6 layers per group; page 2096 · 1024 B.
    expect(b.kvCache.bytesPerBlock).toBe(6 * 2096 * 1024);
    // One 8k request: 4 attention + 4 state block ids = 103,022,592 B — against 52 layers × 8192 × 1 KiB
    // = 436 MB if every layer kept KV.
    expect(b.kvCache.bytesPerSequence).toBe(8 * 6 * 2096 * 1024);
    expect(b.kvCache.tokens % 2096).toBe(0);
    expect(b.items.find((i) => i.key === 'kvCache')?.why).toMatch(/hybrid mamba2: 23 state layers/);
    expect(computeStatePageBytes(d.arch)).toBe(2_134_016);
  });
});

describe('Qwen3-VL-8B-Instruct (vision-language)', () => {
  it('17,534,247,392 B = 8,767,123,696 parameters × 2, the vision encoder (576.4 M) included and named', async () => {
    const d = await describeRepo('Qwen/Qwen3-VL-8B-Instruct');
    expect(d.quant).toMatchObject({ id: 'bf16', sizeBytes: 17_534_247_392 });
    expect(17_534_247_392).toBe(8_767_123_696 * 2);
    // model.visual.*: patch embed 1,770,624 + pos embed 2,654,208 + 27 blocks × 15,239,504 + merger 40,119,040
    // + 3 deepstack mergers × 40,125,952.
    expect(d.arch.vision).toEqual({
      encoderParams: 576_388_336,
      depth: 27,
      hiddenSize: 1152,
      intermediateSize: 4304,
      deepstackLayers: 3,
    });
    expect(d.notes.join('\n')).toMatch(/vision encoder: 576\.4 M parameters .* encoder cache budget/);
    expect(d.arch).toMatchObject({ layers: 36, hiddenSize: 4096, kvHeads: 8, headDim: 128, tieWordEmbeddings: false });
    // KV: 36 layers × 2 × 8 × 128 × 2 B.
    expect(computeKvBytesPerToken(d.arch, 2)).toBe(147_456);
  });
});

describe('gemma-3-12b-it (gated; sliding window in V1)', () => {
  it('24,374,650,080 B = 12,187,325,040 × 2 with the SigLIP tower; the released config is read with Gemma3TextConfig defaults', async () => {
    const d = await describeRepo('google/gemma-3-12b-it', TOKENS.accepted);
    expect(d.quant).toMatchObject({ id: 'bf16', sizeBytes: 24_374_650_080 });
    const preset = loadTestCatalog().models.find((m) => m.id === 'gemma-3-12b-it');
    if (preset === undefined) throw new Error('gemma-3-12b-it preset');
    expect(24_374_650_080).toBe((preset.arch.publishedParams ?? 0) * 2);
    // vocab 262208, head_dim 256, 131072 positions, pattern 6 and tied embeddings come from the defaults.
    for (const key of [
      'layers',
      'hiddenSize',
      'kvHeads',
      'headDim',
      'vocabSize',
      'tieWordEmbeddings',
      'maxPositionEmbeddings',
      'slidingWindow',
      'slidingWindowLayers',
    ] as const)
      expect(d.arch[key], key).toBe(preset.arch[key]);
    // vision_tower 416,866,032 + multi_modal_projector 4,424,832.
    expect(d.arch.vision).toEqual({ encoderParams: 421_290_864, depth: 27, hiddenSize: 1152, intermediateSize: 4304 });
  });

  it('KV in V1: 8 full-attention layers of 512 blocks, 40 window layers of 193 blocks at 8k', async () => {
    const d = await describeRepo('google/gemma-3-12b-it', TOKENS.accepted);
    // 2 · 8 · 256 · 2 = 8 KiB per token and layer; window layers hold cdiv(min(1023 + 2048, 8192), 16) + 1 = 193.
    const layout = buildKvCacheLayout(d.arch, 'v1', 2, 16);
    expect(layout.bytesPerBlock).toBe(48 * 8192 * 16);
    expect(computeSequenceBytes(layout, d.arch, 8192, 2048)).toBe((8 * 512 + 40 * 193) * 8192 * 16);
    // V0 keeps every layer at full length.
    expect(computeSequenceBytes(buildKvCacheLayout(d.arch, 'v0', 2, 16), d.arch, 8192, 2048)).toBe(
      48 * 512 * 8192 * 16,
    );
  });
});

describe('Qwen3.6-27B (hybrid gated delta net + vision + one MTP layer)', () => {
  it('54,713,457,120 B loaded by default: the 1199 tensors less the 15 mtp.* ones (849,398,784 B, kept for --speculative-config)', async () => {
    const d = await describeRepo('Qwen/Qwen3.6-27B');
    // 27,781,427,952 parameters in all (the recorded tensor list); the MTP layer 424,699,392 of them.
    expect(d.quant).toMatchObject({ id: 'bf16', sizeBytes: 54_713_457_120 });
    expect(54_713_457_120).toBe(2 * (27_781_427_952 - 424_699_392));
    expect(d.arch.mtp).toEqual({ layers: 1, checkpointBytes: 849_398_784 });
    // model.visual.*: patch embed 1,770,624 + pos embed 2,654,208 + 27 blocks × 15,239,504 + merger 44,838,656.
    expect(d.arch.vision).toEqual({
      encoderParams: 460_730_096,
      depth: 27,
      hiddenSize: 1152,
      intermediateSize: 4304,
      deepstackLayers: 0,
    });
    expect(d.arch.stateLayers).toMatchObject({
      kind: 'gated-delta-net',
      layers: 48,
      attentionLayers: 16,
      convDim: 10_240,
      temporalElements: 786_432,
      temporalDtype: 'float32',
    });
    expect(d.notes.join('\n')).toMatch(/15 multi-token-prediction tensors \(mtp\.\*, .*\) are not counted/);
    // The preset agrees with the record.
    const preset = loadTestCatalog().models.find((m) => m.id === 'qwen3.6-27b');
    expect(preset?.quants[0]?.sizeBytes).toBe(d.quant.sizeBytes);
    expect(preset?.arch.vision?.encoderParams).toBe(d.arch.vision?.encoderParams);
  });

  it('KV: 16 attention layers in blocks of 784 tokens, 3 state groups; with MTP (1 token) 17 layers and 2 state pages', async () => {
    const d = await describeRepo('Qwen/Qwen3.6-27B');
    // State page: conv 10,240 × 3 × 2 B + recurrent 786,432 × 4 B = 3,207,168 B; attention per token 2 × 4 × 256 × 2
    // = 4096 B; block 16 · cdiv(3,207,168, 65,536) = 16 · 49 = 784; page 784 × 4096 = 3,211,264 B.
    expect(computeStatePageBytes(d.arch)).toBe(3_207_168);
    const layout = buildKvCacheLayout(d.arch, 'v1', 2, 16);
    expect(layout.blockSize).toBe(784);
    // 16 attention vs 48 state layers (48 ≥ 1.5 × 16): groups of 16, 1 attention + 3 state groups.
    expect(layout.hybrid).toMatchObject({ size: 16, attention: 1, state: 3, pageBytes: 3_211_264 });
    // An 8k request: cdiv(8192, 784) = 11 attention + 3 state block ids of 16 pages.
    expect(computeSequenceBytes(layout, d.arch, 8192, 2048)).toBe(14 * 16 * 3_211_264);
    // With the MTP drafter (speculative.ts): 17 attention layers, groups of 17 (48 ≥ 25.5), cdiv(48, 17) = 3 state
    // groups holding 2 pages each: 11 + 6 block ids of 17 pages = 928,055,296 B.
    const served = resolveServedArchitecture(d.arch, { method: 'mtp', numSpeculativeTokens: 1 });
    const mtp = buildKvCacheLayout(served, 'v1', 2, 16);
    expect(mtp.hybrid).toMatchObject({ size: 17, attention: 1, state: 3, statePages: 2 });
    expect(computeSequenceBytes(mtp, served, 8192, 2048)).toBe(928_055_296);
    expect(17 * 17 * 3_211_264).toBe(928_055_296);
  });
});

describe('vision-language plans from the recorded Hub metadata: the encoder profiling term (plan/core/multimodal/encoder-profile.ts)', () => {
  const settings = buildTestSettings();
  const activation = async (
    repo: string,
    token: string | null,
    mmLimits: { image?: number; video?: number } | null,
  ) => {
    const d = await describeRepo(repo, token);
    const info = resolveVllmVersion('0.11.2', loadTestCatalog().vllm);
    if (info === null) throw new Error('0.11.2');
    const b = computeBudget({
      device: { memTotalBytes: 61.3 * GiB, isUnified: true, osUsedBytes: 3 * GiB, osSource: 'assumed' },
      arch: d.arch,
      weightBytes: estimateWeightBytes(d.arch, d.quant).weightBytes,
      info,
      settings,
      runtime: 'docker',
      mmLimits,
    });
    return b.items.find((i) => i.key === 'activations');
  };

  it('Qwen3-VL-8B (vision_config: 27 × 1152, MLP 4304, patch 16, 3 deepstack levels): 1,933,574,144 B encoder peak', async () => {
    // One 16384-token image (encoder budget max(2048, 16384)): 65536 patches × (1536 + 2 × 4304 + 4 × 1152) × 2.
    // Kept: 16384 × 4096 × 4 × 2 = 536,870,912 B; + text forward 218,103,808 B < the encoder's peak.
    const item = await activation('Qwen/Qwen3-VL-8B-Instruct', null, null);
    expect(item?.label).toBe('Activations + vision encoder');
    expect(item?.bytes).toBe(1_933_574_144 + CUBLAS_WORKSPACE_BYTES);
    // Text only: the forward term alone, 2048 × (3 × 12288 + 4 × 4096) × 2.
    expect((await activation('Qwen/Qwen3-VL-8B-Instruct', null, { image: 0, video: 0 }))?.bytes).toBe(
      218_103_808 + CUBLAS_WORKSPACE_BYTES,
    );
  });

  it('gemma-3-12b-it (SigLIP 27 × 1152, MLP 4304, 256 tokens per 896² image): 904,658,944 B encoder peak', async () => {
    // min(2048 // 256, 4 × 999) = 8 images × 4096 patches × (588 + 2 × 4304 + 4 × 1152) × 2 = 904,658,944 B.
    const item = await activation('google/gemma-3-12b-it', TOKENS.accepted, null);
    expect(item?.bytes).toBe(904_658_944 + CUBLAS_WORKSPACE_BYTES);
    expect(item?.why).toMatch(/vision encoder over 8 image items of 256 tokens \(32768 patches, encoder budget 2048\)/);
  });
});
