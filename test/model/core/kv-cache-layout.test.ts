/**
 * The KV cache layout vLLM V1 uses for plain, sliding-window and hybrid (Mamba2, gated delta net)
 * models: model/core/kv-cache-layout.ts against vLLM's code and a public log.
 */
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../../src/catalog/core/presets-schema.js';
import { parseHfConfig } from '../../../src/model/core/hf-config.js';
import {
  buildKvCacheLayout,
  computeBlocksForRequests,
  computeConcurrency,
  computeKvTokens,
  computeSequenceBytes,
} from '../../../src/model/core/kv-cache-layout.js';
import { computeKvBytesPerToken, computeLayerBlocksForSequence } from '../../../src/model/core/architecture.js';
import { computeStatePageBytes } from '../../../src/model/core/hybrid-groups.js';
import { GiB } from '../../../src/shared/units.js';
import { loadTestCatalog } from '../../helpers/catalog.js';

function parse(config: Record<string, unknown>): Architecture {
  const r = parseHfConfig(config, 'x');
  if (!r.ok) throw new Error(r.problem);
  return r.arch;
}

/**
 * Qwen3-Next-80B-A3B-Instruct's config.json (the fields that size the cache), as quoted in public test
 * code: 48 layers, a full-attention layer every 4th, 2 KV heads of 256, gated delta net with 16 key and
 * 32 value heads of 128, conv kernel 4.
 */
const QWEN3_NEXT = {
  architectures: ['Qwen3NextForCausalLM'],
  model_type: 'qwen3_next',
  full_attention_interval: 4,
  head_dim: 256,
  hidden_size: 2048,
  intermediate_size: 5120,
  linear_conv_kernel_dim: 4,
  linear_key_head_dim: 128,
  linear_num_key_heads: 16,
  linear_num_value_heads: 32,
  linear_value_head_dim: 128,
  max_position_embeddings: 262144,
  moe_intermediate_size: 512,
  num_attention_heads: 16,
  num_experts: 512,
  num_experts_per_tok: 10,
  num_hidden_layers: 48,
  num_key_value_heads: 2,
  shared_expert_intermediate_size: 512,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  vocab_size: 151936,
};

describe('hybrid gated delta net (Qwen3-Next) against a public vLLM 0.10.2 log', () => {
  const arch = parse(QWEN3_NEXT);

  it('reads 36 linear-attention layers and 12 full-attention layers with their state shapes', () => {
    expect(arch.stateLayers).toEqual({
      kind: 'gated-delta-net',
      layers: 36,
      attentionLayers: 12,
      convDim: 2 * 16 * 128 + 32 * 128,
      convKernel: 4,
      temporalElements: 32 * 128 * 128,
      temporalDtype: 'auto',
    });
    // mamba_utils.py gated_delta_net_state_shape: conv (3, 8192) + temporal (32, 128, 128), both bf16.
    expect(computeStatePageBytes(arch)).toBe(3 * 8192 * 2 + 32 * 128 * 128 * 2);
  });

  it('reproduces the log of Qwen3-Next-80B-A3B-Instruct at --tensor-parallel-size 2 (per rank: half the heads)', () => {
    // The log (vLLM 0.10.2, H200 × 2, max-model-len 262144):
    //   "Setting attention block size to 544 tokens …", "Padding mamba page size by 1.49% …",
    //   "Available KV cache memory: 44.59 GiB", "GPU KV cache size: 973,760 tokens",
    //   "Maximum concurrency for 262,144 tokens per request: 14.77x".
    // TP 2 halves the KV heads (2 → 1), and MambaStateShapeCalculator divides conv_dim and the value
    // heads by the TP size, so one rank is the same model with half the heads.
    const rank: Architecture = {
      ...arch,
      kvHeads: 1,
      stateLayers:
        arch.stateLayers === null || arch.stateLayers === undefined
          ? null
          : {
              ...arch.stateLayers,
              convDim: arch.stateLayers.convDim / 2,
              temporalElements: arch.stateLayers.temporalElements / 2,
            },
    };
    const layout = buildKvCacheLayout(rank, 'v1', 2, 16);
    // attention page of one token: 2 × 1 × 256 × 2 = 1024 B; state page 3·4096·2 + 16·128·128·2 = 548,864 B;
    // block = 16 · cdiv(548,864, 16 · 1024) = 16 · 34 = 544; page = 544 · 1024 = 557,056 (+1.49 %).
    expect(layout.blockSize).toBe(544);
    expect(layout.hybrid).toEqual({
      blockSize: 544,
      size: 12,
      attention: 1,
      state: 3,
      pageBytes: 557_056,
      statePageBytes: 548_864,
      statePages: 1,
    });
    expect(((557_056 / 548_864 - 1) * 100).toFixed(2)).toBe('1.49');
    // 12 layers per group (36 state layers are 3 groups of 12): one block id spans 12 pages.
    expect(layout.bytesPerBlock).toBe(12 * 557_056);
    const gpuBlocks = Math.floor((44.59 * GiB) / layout.bytesPerBlock);
    expect(gpuBlocks).toBe(7162);
    expect(computeKvTokens(layout, gpuBlocks)).toBe(973_760);
    // cdiv(262,144, 544) = 482 attention blocks + 3 state blocks per request.
    expect(computeConcurrency(layout, rank, gpuBlocks, 262_144, 8192).toFixed(2)).toBe('14.77');
    expect(computeSequenceBytes(layout, rank, 262_144, 8192)).toBe(485 * 12 * 557_056);
  });
});

/** Qwen/Qwen3.5-0.8B's text_config (public copies): 24 layers (every 4th full attention), 2 KV heads of 256, GDN 16 + 16 heads of 128. */
const QWEN35_08B = {
  architectures: ['Qwen3_5ForConditionalGeneration'],
  model_type: 'qwen3_5',
  text_config: {
    model_type: 'qwen3_5_text',
    hidden_size: 1024,
    num_hidden_layers: 24,
    num_attention_heads: 8,
    num_key_value_heads: 2,
    head_dim: 256,
    intermediate_size: 3584,
    vocab_size: 248320,
    max_position_embeddings: 262144,
    layer_types: Array.from({ length: 24 }, (_, i) => ((i + 1) % 4 === 0 ? 'full_attention' : 'linear_attention')),
    linear_conv_kernel_dim: 4,
    linear_key_head_dim: 128,
    linear_value_head_dim: 128,
    linear_num_key_heads: 16,
    linear_num_value_heads: 16,
    mamba_ssm_dtype: 'float32',
    tie_word_embeddings: true,
  },
  vision_config: { depth: 12, hidden_size: 768, intermediate_size: 3072, num_heads: 12, out_hidden_size: 1024 },
  tie_word_embeddings: true,
};

describe('hybrid gated delta net (Qwen3.5-0.8B) against a public vLLM 0.19.0 log', () => {
  it('reproduces block 544, the 2.64 % padding, 109,344 tokens and 73.36x at max-model-len 4096', () => {
    const arch = parse(QWEN35_08B);
    expect(arch.stateLayers).toMatchObject({ layers: 18, attentionLayers: 6, temporalDtype: 'float32' });
    // conv (3, 2·16·128 + 16·128 = 6144) bf16 = 36,864 B + temporal (16, 128, 128) fp32 = 1,048,576 B.
    expect(computeStatePageBytes(arch)).toBe(1_085_440);
    const layout = buildKvCacheLayout(arch, 'v1', 2, 16);
    // attention page of a token 2 · 2 · 256 · 2 = 2048 B: block 16 · cdiv(1,085,440, 32,768) = 544.
    expect(layout.blockSize).toBe(544);
    expect((((544 * 2048) / 1_085_440 - 1) * 100).toFixed(2)).toBe('2.64');
    // Groups of 6 (6 full, 18 linear): 1 + 3 groups; one block id = 6 pages.
    expect(layout.hybrid).toMatchObject({ size: 6, attention: 1, state: 3 });
    // The log: "Available KV cache memory: 5.03 GiB", "GPU KV cache size: 109,344 tokens",
    // "Maximum concurrency for 4,096 tokens per request: 73.36x" (RTX, vLLM 0.19.0, --max-model-len 4096).
    const gpuBlocks = Math.floor((5.03 * GiB) / layout.bytesPerBlock);
    expect(gpuBlocks).toBe(807);
    expect(computeKvTokens(layout, gpuBlocks)).toBe(109_344);
    expect(computeConcurrency(layout, arch, gpuBlocks, 4096, 2048).toFixed(2)).toBe('73.36');
    expect(arch.vision).toEqual({ encoderParams: 0, depth: 12, hiddenSize: 768, intermediateSize: 3072 });
  });
});

/** NVIDIA-Nemotron-3-Nano-30B-A3B's config.json (test/fixtures/hub/nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16). */
const NEMOTRON = {
  architectures: ['NemotronHForCausalLM'],
  hybrid_override_pattern: 'MEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEMEM*EMEMEMEME',
  head_dim: 128,
  hidden_size: 2688,
  intermediate_size: 1856,
  mamba_head_dim: 64,
  mamba_num_heads: 64,
  mamba_ssm_cache_dtype: 'float32',
  max_position_embeddings: 262144,
  moe_intermediate_size: 1856,
  n_groups: 8,
  n_routed_experts: 128,
  n_shared_experts: 1,
  num_attention_heads: 32,
  num_experts_per_tok: 6,
  num_hidden_layers: 52,
  num_key_value_heads: 2,
  ssm_state_size: 128,
  conv_kernel: 4,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  vocab_size: 131072,
};

describe('hybrid Mamba2 (Nemotron-3-Nano 30B-A3B), derived from vLLM code', () => {
  const arch = parse(NEMOTRON);

  it('23 Mamba2 layers with an fp32 SSM state, 6 attention layers', () => {
    // nemotron_h.py get_mamba_state_shape_from_config → mamba2_state_shape: I = 64 · 64 = 4096,
    // conv_dim = 4096 + 2 · 8 · 128 = 6144, conv (3, 6144) bf16; temporal (64, 64, 128) in the config's
    // mamba_ssm_cache_dtype float32 (models/config.py NemotronHForCausalLMConfig).
    expect(arch.stateLayers).toEqual({
      kind: 'mamba2',
      layers: 23,
      attentionLayers: 6,
      convDim: 6144,
      convKernel: 4,
      temporalElements: 64 * 64 * 128,
      temporalDtype: 'float32',
    });
    expect(computeStatePageBytes(arch)).toBe(3 * 6144 * 2 + 64 * 64 * 128 * 4);
    expect(computeStatePageBytes(arch)).toBe(2_134_016);
  });

  it('block 2096 tokens, 5 groups of 6 layers (one padding Mamba layer), 8 block ids for an 8k request', () => {
    const layout = buildKvCacheLayout(arch, 'v1', 2, 16);
    // attention page of a token 2 · 2 · 128 · 2 = 1024 B; block = 16 · cdiv(2,134,016, 16,384) = 16 · 131.
    expect(layout.blockSize).toBe(2096);
    // group size = min(6, 23) = 6 (23 ≥ 1.5 · 6); 6 attention layers → 1 group, 23 Mamba → 4 groups (24 slots).
    expect(layout.hybrid).toEqual({
      blockSize: 2096,
      size: 6,
      attention: 1,
      state: 4,
      pageBytes: 2096 * 1024,
      statePageBytes: 2_134_016,
      statePages: 1,
    });
    expect(layout.bytesPerBlock).toBe(6 * 2_146_304);
    expect(layout.bytesPerToken).toBe(6 * 1024);
    // 8192 tokens: cdiv(8192, 2096) = 4 attention block ids + 4 state block ids.
    expect(computeSequenceBytes(layout, arch, 8192, 2048)).toBe(8 * 12_877_824);
    // Per request the state is a fixed 4 × 6 pages whatever the length; KV grows by 2096-token blocks.
    expect(layout.stateBytesPerSequence).toBe(4 * 12_877_824);
    expect(computeSequenceBytes(layout, arch, 2096, 2048)).toBe(5 * 12_877_824);
    expect(computeSequenceBytes(layout, arch, 2097, 2048)).toBe(6 * 12_877_824);
    expect(computeBlocksForRequests(layout, arch, 3, 8192, 2048)).toBe(24);
    // The planner divides layer-blocks by layers: for a hybrid model that is the block ids of this layout.
    expect(computeLayerBlocksForSequence(arch, 'v1', 8192, 16, 2048) / arch.layers).toBe(8);
    expect(computeLayerBlocksForSequence(arch, 'v0', 8192, 16, 2048) / arch.layers).toBe(512);
    expect(computeKvTokens(layout, 100)).toBe(20 * 2096);
    expect(layout.why).toMatch(/hybrid mamba2: 23 state layers of 2134016 B per sequence, padded to 2146304 B/);
  });

  it('an fp8 KV cache halves the attention page, so the block doubles to cover the same state', () => {
    const layout = buildKvCacheLayout(arch, 'v1', 1, 16);
    expect(layout.blockSize).toBe(16 * Math.ceil(2_134_016 / (16 * 512)));
  });

  it('V0 keeps the states outside the KV pool: KV for the 6 attention layers only', () => {
    const layout = buildKvCacheLayout(arch, 'v0', 2, 16);
    expect(layout).toMatchObject({ blockSize: 16, bytesPerToken: 6144, bytesPerBlock: 6144 * 16, hybrid: null });
    expect(computeSequenceBytes(layout, arch, 8192, 2048)).toBe(8192 * 6144);
  });
});

describe('plain and sliding-window models keep the figures they had', () => {
  it('every preset: bytes per block and per sequence as computeKvBytesPerToken / computeLayerBlocksForSequence give', () => {
    // Gemma 4 (global layers with their own page size, new) is sized in test/model/core/gemma4.test.ts.
    for (const m of loadTestCatalog().models.filter(
      (x) =>
        (x.arch.stateLayers === null || x.arch.stateLayers === undefined) &&
        (x.arch.globalAttention === null || x.arch.globalAttention === undefined),
    )) {
      for (const engine of ['v0', 'v1'] as const) {
        const layout = buildKvCacheLayout(m.arch, engine, 2, 16);
        const perToken = computeKvBytesPerToken(m.arch, 2);
        expect(layout.bytesPerBlock, m.id).toBe(perToken * 16);
        const layerBlocks = computeLayerBlocksForSequence(m.arch, engine, 8192, 16, 2048);
        expect(computeSequenceBytes(layout, m.arch, 8192, 2048), m.id).toBe(
          layerBlocks * ((perToken * 16) / m.arch.layers),
        );
        expect(computeKvTokens(layout, 1000)).toBe(16_000);
      }
    }
  });
});

/**
 * Qwen3.6-35B-A3B's text config (the fields that size the cache): 40 layers, 3 gated-delta-net layers and
 * then a full-attention one (10 attention layers), 2 KV heads of 256, GDN with 16 key and 32 value heads of
 * 128, conv kernel 4, and `mamba_ssm_dtype: float32` as in the Qwen3.5/3.6 configs (the recorded Qwen3.6-27B
 * config has it; a public test of a tool that reads these configs lists the same shape: "30 GDN + 10 Gated
 * Attention GQA + 40 MoE 256/8, Vocab 248.320").
 */
const QWEN36_35B_A3B_TEXT = {
  architectures: ['Qwen3_5MoeForConditionalGeneration'],
  model_type: 'qwen3_5_moe_text',
  layer_types: Array.from({ length: 40 }, (_, i) => (i % 4 === 3 ? 'full_attention' : 'linear_attention')),
  full_attention_interval: 4,
  head_dim: 256,
  hidden_size: 2048,
  linear_conv_kernel_dim: 4,
  linear_key_head_dim: 128,
  linear_num_key_heads: 16,
  linear_num_value_heads: 32,
  linear_value_head_dim: 128,
  mamba_ssm_dtype: 'float32',
  max_position_embeddings: 262144,
  moe_intermediate_size: 512,
  num_attention_heads: 16,
  num_experts: 256,
  num_experts_per_tok: 8,
  num_hidden_layers: 40,
  num_key_value_heads: 2,
  shared_expert_intermediate_size: 512,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  vocab_size: 248320,
};

describe('case 6 of the recorded logs: Qwen3.6-35B-A3B NVFP4, fp8 KV, prefix caching, vLLM 0.24.0 (club-3090#612)', () => {
  // The log: "Available KV cache memory: 5.98 GiB", "GPU KV cache size: 567,978 tokens",
  // "Maximum concurrency for 131,072 tokens per request: 4.33x" (max_model_len 131072, max_num_seqs 1,
  // kv_cache_dtype fp8, enable_prefix_caching True).
  const text = parse(QWEN36_35B_A3B_TEXT);
  const state = text.stateLayers;
  if (state === null || state === undefined) throw new Error('no state layers');
  // Prefix caching on a hybrid model: mamba_cache_mode 'align' (two state pages a request).
  const arch: Architecture = { ...text, stateLayers: { ...state, cacheMode: 'align' } };
  const layout = buildKvCacheLayout(arch, 'v1', 1, 16);

  it('block 2096 = 16 · cdiv(2,146,304, 16 · 1024); pages of 2,146,304 B; 4 groups of 10 layers', () => {
    // State page: conv 3 × (2·16·128 + 32·128) × 2 B = 49,152 + temporal 32 × 128 × 128 × 4 B (float32) =
    // 2,097,152 → 2,146,304 B. fp8 attention: 2 (K, V) × 2 heads × 256 × 1 B = 1024 B a token per layer.
    expect(computeStatePageBytes(arch)).toBe(2_146_304);
    expect(layout.blockSize).toBe(2096);
    expect(layout.hybrid).toMatchObject({ size: 10, attention: 1, state: 3, pageBytes: 2_146_304, statePages: 2 });
    expect(layout.bytesPerBlock).toBe(10 * 2_146_304);
    expect(layout.why).toContain('2 state pages per request (prefix caching)');
  });

  it('5.98 GiB hold 299 block ids; a request of 131,072 tokens takes 63 + 3 × 2 = 69: 4.33x, 567,978 tokens', () => {
    // "5.98 GiB" is rounded to [5.975, 5.985) GiB: 299 blocks from 299 × 21,463,040 B (5.9767 GiB) on, 298 under
    // it; 298 would log 298 / 69 = 4.32x, so the logged 4.33x says 299.
    for (const available of [5.977 * GiB, 5.98 * GiB, 5.985 * GiB - 1]) {
      expect(Math.floor(available / layout.bytesPerBlock)).toBe(299);
    }
    expect(Math.floor((299 * layout.bytesPerBlock - 1) / layout.bytesPerBlock)).toBe(298);
    expect(computeConcurrency(layout, arch, 298, 131072, 8192).toFixed(2)).toBe('4.32');
    const gpuBlocks = 299;
    expect(computeBlocksForRequests(layout, arch, 1, 131072, 8192)).toBe(Math.ceil(131072 / 2096) + 3 * 2);
    const concurrency = computeConcurrency(layout, arch, gpuBlocks, 131072, 8192);
    expect(concurrency.toFixed(2)).toBe('4.33');
    expect(computeKvTokens(layout, gpuBlocks, { concurrency, maxModelLen: 131072 })).toBe(567_978);
    // The formula of 0.19 and before would have logged 299 // 4 × 2096 = 155,104 tokens.
    expect(computeKvTokens(layout, gpuBlocks)).toBe(155_104);
  });

  it("without prefix caching ('none') one state page a request: 63 + 3 = 66 block ids, 4.53x", () => {
    const none = buildKvCacheLayout({ ...text, stateLayers: { ...state, cacheMode: 'none' } }, 'v1', 1, 16);
    expect(none.hybrid?.statePages).toBe(1);
    expect(computeBlocksForRequests(none, arch, 1, 131072, 8192)).toBe(63 + 3);
    expect(computeConcurrency(none, arch, 299, 131072, 8192).toFixed(2)).toBe('4.53');
  });
});
