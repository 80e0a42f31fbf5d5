/**
 * `--speculative-config` as a plan option (plan/core/speculative.ts): the MTP heads a checkpoint ships are planned —
 * their weights (read from the tensor headers: vLLM skips mtp.* unless speculative decoding loads them), the
 * drafter's attention layer in the KV cache, the state pages of a hybrid model — and the flag is passed on.
 * The model: a folder with Qwen3.5-0.8B's text config (test/model/core/mtp.test.ts derives its pages).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeLocalFolder } from '../../../src/model/local.js';
import type { ModelDescription } from '../../../src/model/core/model-source.js';
import { buildPlan, type Plan } from '../../../src/plan/core/plan.js';
import { resolvePlanRequest, type PlanOptions } from '../../../src/plan/core/request.js';
import { parseSpeculativeConfig, resolveSpeculative } from '../../../src/plan/core/speculative.js';
import { loadTestCatalog, planFor } from '../../helpers/catalog.js';
import { specBytes, writeSafetensors, type SafetensorsSpec } from '../../model/safetensors-writer.js';
import { QWEN35_08B_TEXT } from '../../helpers/qwen35-config.js';

const catalog = loadTestCatalog();
const h = QWEN35_08B_TEXT.hidden_size;
const config = QWEN35_08B_TEXT;
const bf16 = (name: string, shape: number[]): SafetensorsSpec => ({ name, dtype: 'BF16', shape });
/** Qwen3.5's MTP module as its checkpoints name it (vllm/model_executor/models/qwen3_5_mtp.py remaps mtp.*). */
const mtpTensors: SafetensorsSpec[] = [
  bf16('mtp.fc.weight', [h, 2 * h]),
  bf16('mtp.pre_fc_norm_embedding.weight', [h]),
  bf16('mtp.pre_fc_norm_hidden.weight', [h]),
  bf16('mtp.norm.weight', [h]),
  bf16('mtp.layers.0.input_layernorm.weight', [h]),
  bf16('mtp.layers.0.post_attention_layernorm.weight', [h]),
  bf16('mtp.layers.0.self_attn.q_proj.weight', [2 * 8 * 256, h]),
  bf16('mtp.layers.0.self_attn.k_proj.weight', [2 * 256, h]),
  bf16('mtp.layers.0.self_attn.v_proj.weight', [2 * 256, h]),
  bf16('mtp.layers.0.self_attn.o_proj.weight', [h, 8 * 256]),
  bf16('mtp.layers.0.self_attn.q_norm.weight', [256]),
  bf16('mtp.layers.0.self_attn.k_norm.weight', [256]),
  bf16('mtp.layers.0.mlp.gate_proj.weight', [3584, h]),
  bf16('mtp.layers.0.mlp.up_proj.weight', [3584, h]),
  bf16('mtp.layers.0.mlp.down_proj.weight', [h, 3584]),
];
const mainTensors: SafetensorsSpec[] = [bf16('model.embed_tokens.weight', [248320, h]), bf16('model.norm.weight', [h])];
const sum = (t: SafetensorsSpec[]): number => t.reduce((s, x) => s + specBytes(x), 0);

let tmp: string;
let described: ModelDescription;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'jv-spec-'));
  await writeFile(path.join(tmp, 'config.json'), JSON.stringify(config));
  await writeSafetensors(path.join(tmp, 'model.safetensors'), [...mainTensors, ...mtpTensors]);
  described = await describeLocalFolder(tmp);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

// 0.27.0: the last release that keeps prefix caching off for hybrid models (PR #50991 turns it on from 0.28.0, with
// mamba_cache_mode "align" and one state page more per request): the page counts below are without it; the same
// plans on 0.31.0 are in 'prefix caching on hybrids from 0.28' below.
const base: PlanOptions = {
  device: 'orin-nano-8gb',
  vllmVersion: '0.27.0',
  maxModelLen: '8192',
  maxNumSeqs: '1',
  vllmDefaults: true,
};
function plan(options: PlanOptions, d: ModelDescription | null = described): Plan {
  const r = resolvePlanRequest({ ...options, model: d === null ? options.model : tmp }, catalog, {
    detected: null,
    described: d,
    hfCacheDir: '/hf',
    workDir: '/work',
  });
  if (!r.ok) throw new Error(r.message);
  const p = buildPlan(r.request, catalog);
  if (!p.ok) throw new Error(p.message);
  return p.plan;
}
function refusal(options: PlanOptions, d: ModelDescription | null = described): string {
  const r = resolvePlanRequest({ ...options, model: d === null ? options.model : tmp }, catalog, {
    detected: null,
    described: d,
    hfCacheDir: '/hf',
    workDir: '/work',
  });
  if (!r.ok) return r.message;
  const p = buildPlan(r.request, catalog);
  if (p.ok) throw new Error('expected a refusal');
  return p.message;
}
const item = (p: Plan, key: string): number => p.budget.items.find((i) => i.key === key)?.bytes ?? 0;

describe('the MTP tensors: not loaded without speculative decoding, loaded with it', () => {
  it('the folder reads 1 MTP layer of 40,905,728 B (test/model/core/mtp.test.ts derives it), kept out of the weights', () => {
    expect(sum(mtpTensors)).toBe(40_905_728);
    expect(described.arch.mtp).toEqual({ layers: 1, checkpointBytes: 40_905_728 });
    expect(described.quant.sizeBytes).toBe(sum(mainTensors));
  });

  it('--speculative-config mtp: + 40,905,728 B of weights, the drafter buffers, and the KV layout with its layer', () => {
    const off = plan(base);
    const on = plan({ ...base, speculativeConfig: '{"method":"mtp","num_speculative_tokens":1}' });
    expect(item(on, 'weights') - item(off, 'weights')).toBe(40_905_728);
    // EagleProposer's buffers over N batched tokens: hidden_states + inputs_embeds N·1024·2 each, int32 ids, int64
    // positions: N · 4108 B.
    const n = on.settings.maxNumBatchedTokens;
    expect(n).toBe(off.settings.maxNumBatchedTokens);
    expect(item(on, 'activations') - item(off, 'activations')).toBe(n * 4108);
    // Pages (mtp.test.ts): 6 × 1,114,112 B per block id without, 7 × with; an 8k request 19 vs 22 block ids.
    expect(off.kvCache.bytesPerBlock).toBe(6_684_672);
    expect(on.kvCache.bytesPerBlock).toBe(7_798_784);
    expect(off.kvCache.bytesPerSequence).toBe(19 * 6_684_672);
    expect(on.kvCache.bytesPerSequence).toBe(171_573_248);
    const i = on.argv.indexOf('--speculative-config');
    expect(on.argv[i + 1]).toBe('{"method":"mtp","num_speculative_tokens":1}');
    expect(off.argv).not.toContain('--speculative-config');
    expect(
      on.notes.some((x) =>
        x.startsWith('--speculative-config mtp, 1 token: the drafter loads 1 MTP layer (39.0 MiB, tensor headers'),
      ),
    ).toBe(true);
    expect(on.command).toContain(`--speculative-config '{"method":"mtp","num_speculative_tokens":1}'`);
  });

  it('num_speculative_tokens 3: 4 state pages per request, 16 + 12 block ids for 8k', () => {
    const on = plan({ ...base, speculativeConfig: '{"method":"mtp","num_speculative_tokens":3}' });
    expect(on.kvCache.bytesPerSequence).toBe(28 * 7_798_784);
    expect(on.notes.some((x) => x.includes('each state layer holds 4 pages per request'))).toBe(true);
  });

  it('the deprecated per-model method names are mtp; the count defaults to n_predict', () => {
    const alias = plan({ ...base, speculativeConfig: '{"method":"qwen3_next_mtp"}' });
    const i = alias.argv.indexOf('--speculative-config');
    expect(alias.argv[i + 1]).toBe('{"method":"mtp","num_speculative_tokens":1}');
  });
});

describe('what cannot be planned, said as vLLM would', () => {
  it('a model without MTP layers; a count n_predict does not divide; a version without the flag', () => {
    expect(refusal({ ...base, model: 'qwen3-4b', quant: 'awq', speculativeConfig: '{"method":"mtp"}' }, null)).toBe(
      '--speculative-config: Qwen3ForCausalLM ships no multi-token-prediction layers (no mtp_num_hidden_layers or num_nextn_predict_layers in its config), so method "mtp" has nothing to load',
    );
    const two = { ...described, arch: { ...described.arch, mtp: { layers: 2 } } };
    expect(refusal({ ...base, speculativeConfig: '{"method":"mtp","num_speculative_tokens":3}' }, two)).toBe(
      '--speculative-config: num_speculative_tokens:3 must be divisible by n_predict=2',
    );
    expect(refusal({ ...base, vllmVersion: '0.6.3', speculativeConfig: '{"method":"mtp"}' })).toBe(
      '--speculative-config: vLLM 0.6.3 does not have it (exists from vLLM 0.8.0)',
    );
  });
  it('the option text: JSON, a known method, a count in range', () => {
    expect(parseSpeculativeConfig('mtp')).toMatchObject({ ok: false });
    expect(parseSpeculativeConfig('[1]')).toEqual({
      ok: false,
      message: '--speculative-config: a JSON object is needed (e.g. {"method":"mtp"})',
    });
    expect(parseSpeculativeConfig('{"method":"eagle3","model":"x/y"}')).toMatchObject({ ok: false });
    expect(parseSpeculativeConfig('{"method":"mtp","num_speculative_tokens":0}')).toEqual({
      ok: false,
      message: '--speculative-config: num_speculative_tokens is a whole number from 1 to 64',
    });
    expect(parseSpeculativeConfig('{"method":"ngram"}')).toEqual({
      ok: false,
      message: '--speculative-config: method "ngram" needs num_speculative_tokens',
    });
    expect(parseSpeculativeConfig('{"method":"deepseek_mtp","num_speculative_tokens":2}')).toEqual({
      ok: true,
      value: { method: 'mtp', numSpeculativeTokens: 2 },
    });
  });
  it('ngram adds no GPU memory and needs no MTP layers', () => {
    const r = resolveSpeculative(described.arch, { method: 'ngram', numSpeculativeTokens: 4 });
    expect(r).toEqual({ ok: true, settings: { method: 'ngram', numSpeculativeTokens: 4 } });
    const off = plan(base);
    const ng = plan({ ...base, speculativeConfig: '{"method":"ngram","num_speculative_tokens":4}' });
    expect(ng.budget.totalBytes).toBe(off.budget.totalBytes);
    expect(ng.kvCache.bytesPerBlock).toBe(off.kvCache.bytesPerBlock);
  });
});

describe('prefix caching on hybrids from 0.28 (PR #50991: on by default, mamba_cache_mode "align")', () => {
  // MambaSpec.max_memory_usage_bytes (vllm/v1/kv_cache_interface.py): "align" holds page × (2 + num_speculative_blocks)
  // per request, "none" page × (1 + num_speculative_blocks). 0.27.x keeps prefix caching off for hybrids
  // (arg_utils: "Disable prefix caching default for hybrid models since the feature is still experimental"); 0.28.0
  // turns it on (vllm-project/vllm-metal#645: "0.28.0 turns prefix caching on by default for hybrid models").
  const at = (version: string, model: string, quant: string, extra: PlanOptions = {}): Plan =>
    planFor({
      device: 'agx-orin-64gb',
      model,
      quant,
      vllmVersion: version,
      maxModelLen: '8192',
      maxNumSeqs: '1',
      ...extra,
    });
  const ids = (p: Plan): number => p.kvCache.bytesPerSequence / p.kvCache.bytesPerBlock;

  it('Qwen3.5-9B, 8k: 16 attention + 3 state groups × 1 page = 19 block ids on 0.27.0, × 2 pages = 22 on 0.28.0', () => {
    // Blocks of 528 tokens (16 · cdiv(2,162,688 padded state page, 16 · 4096 B a token)): cdiv(8192, 528) = 16.
    const [before, after] = [at('0.27.0', 'qwen3.5-9b', 'bf16'), at('0.28.0', 'qwen3.5-9b', 'bf16')];
    expect(before.kvCache.bytesPerBlock).toBe(17_301_504);
    expect([ids(before), ids(after)]).toEqual([19, 22]);
    expect(after.kvCache.bytesPerSequence).toBe(22 * 17_301_504);
    expect(after.notes).toContain(
      'vLLM 0.28.0 turns prefix caching on for hybrid models (PR #50991, from 0.28.0): mamba_cache_mode "align" holds 2 state pages per request instead of 1 (kv_cache_interface.py MambaSpec.max_memory_usage_bytes)',
    );
    expect(before.notes.some((n) => n.includes('PR #50991'))).toBe(false);
  });

  it('Nemotron-3-Nano (Mamba2), 8k: cdiv(8192, 2096) = 4 attention + 4 state ids on 0.27.0, 4 + 8 on 0.28.0', () => {
    const [before, after] = [
      at('0.27.0', 'nemotron-3-nano-30b-a3b', 'bf16'),
      at('0.28.0', 'nemotron-3-nano-30b-a3b', 'bf16'),
    ];
    expect(before.kvCache.bytesPerBlock).toBe(12_877_824);
    expect([ids(before), ids(after)]).toEqual([8, 12]);
  });

  it('Qwen3.6-27B with MTP-3 on 0.31.0: 3 state groups × (2 + 3) pages = 15, + 11 attention = 26 block ids (23 on 0.27.0)', () => {
    const mtp = { speculativeConfig: '{"method":"qwen3_next_mtp","num_speculative_tokens":3}' };
    const [before, after] = [at('0.27.0', 'qwen3.6-27b', 'awq', mtp), at('0.31.0', 'qwen3.6-27b', 'awq', mtp)];
    expect(after.kvCache.bytesPerBlock).toBe(17 * 3_211_264);
    expect([ids(before), ids(after)]).toEqual([23, 26]);
    // Without MTP: 11 + 3 × 2 = 17 on 0.31.0 (14 on 0.27.0).
    expect(ids(at('0.31.0', 'qwen3.6-27b', 'awq'))).toBe(17);
  });
});
