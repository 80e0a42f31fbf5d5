/**
 * The vision encoder's share of vLLM's profile run (src/plan/core/multimodal/encoder-profile.ts): V0's dummy sequences and its
 * text-only fallback (recorded log case 4 reproduced), V1's encoder budget and the embeddings kept through the text
 * forward, the limit 0 / 1 boundary and the versions where vLLM stops building the tower. Every expected figure is
 * derived by hand in the comment above it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../../../src/catalog/core/presets-schema.js';
import {
  computeBudget,
  computeForwardPeakBytes,
  CUBLAS_WORKSPACE_BYTES,
  estimateActivationBytes,
  type BudgetInput,
} from '../../../../src/plan/core/budget.js';
import {
  computeEncoderForwardBytes,
  computeEncoderProfile,
  computeMaxTokensPerItem,
  computeV0MultimodalProfile,
  formatMmLimits,
  isTowerSkipped,
  parseMmLimits,
  resolveEncoderGeometry,
  type MmLimits,
} from '../../../../src/plan/core/multimodal/encoder-profile.js';
import { hasFlag, resolveVllmVersion } from '../../../../src/plan/core/vllm-version.js';
import { buildPlan, type Plan } from '../../../../src/plan/core/plan.js';
import { resolvePlanRequest, type PlanOptions } from '../../../../src/plan/core/request.js';
import { GiB } from '../../../../src/shared/units.js';
import { recordedPath } from '../../../helpers/recorded.js';
import { loadTestCatalog, planFor } from '../../../helpers/catalog.js';
import { buildTestSettings } from '../../../helpers/settings.js';

const catalog = loadTestCatalog();
const version = (v: string) => {
  const i = resolveVllmVersion(v, catalog.vllm);
  if (i === null) throw new Error(v);
  return i;
};
const preset = (id: string): Architecture => {
  const m = catalog.models.find((x) => x.id === id);
  if (m === undefined) throw new Error(`${id} preset missing`);
  return m.arch;
};

/** Qwen2.5-VL-3B-Instruct's config.json: text 36 × 2048 (MLP 11008, 16 / 2 heads of 128), vision 32 × 1280 (MLP 3420). */
const qwen25vl3b: Architecture = {
  architecture: 'Qwen2_5_VLForConditionalGeneration',
  layers: 36,
  hiddenSize: 2048,
  intermediateSize: 11008,
  attentionHeads: 16,
  kvHeads: 2,
  headDim: 128,
  vocabSize: 151936,
  tieWordEmbeddings: true,
  maxPositionEmbeddings: 128000,
  torchDtype: 'bfloat16',
  slidingWindow: null,
  slidingWindowLayers: 0,
  moe: null,
  mla: null,
  vision: { encoderParams: 668_789_760, depth: 32, hiddenSize: 1280, intermediateSize: 3420 },
};
/** Gemma-3-12b-it: the preset's text fields, the SigLIP tower as read from the released config (hub fixture). */
const gemma3: Architecture = {
  ...preset('gemma-3-12b-it'),
  vision: { encoderParams: 421_290_864, depth: 27, hiddenSize: 1152, intermediateSize: 4304 },
};
const qwen3vl8b = preset('qwen3-vl-8b');

const settings = buildTestSettings;
const input = (arch: Architecture, v: string, mmLimits: MmLimits | null = null): BudgetInput => ({
  device: { memTotalBytes: 15.29 * GiB, isUnified: true, osUsedBytes: 1.2 * GiB, osSource: 'assumed' },
  arch,
  weightBytes: 8 * GiB,
  info: version(v),
  settings: settings(),
  runtime: 'docker',
  mmLimits,
});

describe('recorded log case 4 (vLLM 0.7.4, Qwen2.5-VL-3B, max_model_len 5120): V0 profile run', () => {
  const logs = JSON.parse(readFileSync(recordedPath('vllm-logs.json'), 'utf8')) as { log_lines: string[] }[];
  const lines = logs[3]?.log_lines.join('\n') ?? '';
  const geometry = resolveEncoderGeometry(qwen25vl3b);
  if (geometry === null) throw new Error('Qwen2.5-VL geometry');

  it('"32768 tokens in total, out of which {\'image\': 16384, \'video\': 16384}" and "min(1, 5120 // 32768)"', () => {
    // image: max_pixels 12845056 / (28 × 28) = 16384. video: seq_len 5120 − 16384 leaves no room for a frame pair,
    // so 1 frame, padded to the temporal patch 2: one grid_t of 16384 tokens. Both limits default to 1: 32768.
    const v0 = computeV0MultimodalProfile(geometry, 5120, 1, 5120, null);
    expect(v0).toMatchObject({ maxMmTokens: 32768, byModality: { image: 16384, video: 16384 } });
    expect(lines).toContain("32768 tokens in total, out of which {'image': 16384, 'video': 16384}");
    // max_num_seqs = min(1, 5120 // 32768) = 0 → 1; the logged expression, character for character.
    expect(v0?.seqsExpr).toBe('min(1, 5120 // 32768)');
    expect(lines).toContain(`Computed max_num_seqs (${v0?.seqsExpr ?? ''}) to be less than 1`);
    expect(v0?.seqs).toBe(1);
    // 32768 > seq_len 5120: profiling.py returns a text-only dummy of max(5120, 32768) tokens, no encoder run.
    expect(v0).toMatchObject({ seqLen: 5120, feedsEncoder: false, forwardTokens: 32768 });
  });

  it('the text forward runs over 32768 tokens, not 5120: 2,701,131,776 B + the cuBLAS workspace', () => {
    const info = version('0.7.4');
    const s = { maxModelLen: 5120, maxNumSeqs: 1, maxNumBatchedTokens: 5120 };
    const enc = computeEncoderProfile(qwen25vl3b, info, s, null);
    expect(enc).toMatchObject({ forwardBytes: 0, keptBytes: 0, textForwardTokens: 32768 });
    expect(enc?.note).toBe(
      '; Vision encoder (profiling): vision encoder not fed: 32768 multimodal tokens exceed the 5120-token dummy sequence, so V0 profiles 32768 text tokens instead',
    );
    // Qwen2MLP keeps gate_up alive: 32768 × (3 × 11008 + 4 × 2048) × 2 = 32768 × 41216 × 2 = 2,701,131,776 B;
    // the sampler (32768 × 2048 × 2 + 1 row × 151936 × 38.5 = 140,067,264 B) is smaller.
    expect(estimateActivationBytes(qwen25vl3b, 5120, 1, info, 2, enc)).toBe(2_701_131_776 + CUBLAS_WORKSPACE_BYTES);
    // Without the multimodal profile: 5120 × 41216 × 2 = 422,051,840 B.
    expect(estimateActivationBytes(qwen25vl3b, 5120, 1, info, 2)).toBe(422_051_840 + CUBLAS_WORKSPACE_BYTES);
  });

  it('at max_model_len 32768 the dummy holds both items and the encoder runs: 65536 patches, 2,170,028,032 B', () => {
    // room 32768 − 16384 = 16384: one frame pair → video 16384; total 32768 ≤ seq_len 32768 → encoder fed.
    const v0 = computeV0MultimodalProfile(geometry, 32768, 1, 32768, null);
    expect(v0).toMatchObject({ maxMmTokens: 32768, seqs: 1, seqLen: 32768, feedsEncoder: true });
    // Qwen2_5_VisionMLP is gated: 65536 × (1176 pixel values + 3 × 3420 + 4 × 1280) × 2 = 65536 × 16556 × 2.
    expect(computeEncoderForwardBytes(geometry, 65536)).toBe(2_170_028_032);
    const enc = computeEncoderProfile(
      qwen25vl3b,
      version('0.7.4'),
      {
        maxModelLen: 32768,
        maxNumSeqs: 1,
        maxNumBatchedTokens: 32768,
      },
      null,
    );
    expect(enc).toMatchObject({ forwardBytes: 2_170_028_032, keptBytes: 0, textForwardTokens: null });
  });

  it('max_num_seqs from the items at max_model_len; the dummy sequence sized at its own length', () => {
    // At max_model_len 65536: 16384 + 49152 = 65536 → min(4, 100000 // 65536) = 1 sequence of 100000 tokens, whose
    // own items are 16384 + 81920 (100000 − 16384 = 83616 → 10 frames → 5 × 16384) = 98304 ≤ 100000: encoder fed.
    const v0 = computeV0MultimodalProfile(geometry, 65536, 4, 100000, null);
    expect(v0).toMatchObject({ seqsExpr: 'min(4, 100000 // 65536)', seqs: 1, seqLen: 100000 });
    expect(v0).toMatchObject({ maxMmTokens: 98304, byModality: { image: 16384, video: 81920 }, feedsEncoder: true });
  });

  it('video frames: room for 3 pairs at max_model_len 65536 → 49152 tokens; 16 frames at most', () => {
    // 65536 − 16384 = 49152 → 6 frames → 3 grid_t × 16384.
    expect(computeMaxTokensPerItem(geometry, 65536, null)).toEqual({ image: 16384, video: 49152 });
    // 1,000,000 tokens of room: capped at _MAX_FRAMES_PER_VIDEO 16 → 8 × 16384.
    expect(computeMaxTokensPerItem(geometry, 1_016_384, null).video).toBe(131072);
    // Two videos share the frames: 6 / 2 = 3 → padded to 4 → 2 × 16384.
    expect(computeMaxTokensPerItem(geometry, 65536, { video: 2 }).video).toBe(32768);
  });
});

describe('Qwen3-VL-8B (V1, vLLM 0.11.2): the encoder budget and the kept embeddings', () => {
  const info = version('0.11.2');
  const s = settings();

  it('one image of 16384 tokens: encoder forward 1,933,574,144 B; embeddings 536,870,912 B kept', () => {
    // encoder_budget = max(2048, 16384) = 16384 → min(16384 // 16384, 4 × 999) = 1 item; 65536 patches of 16².
    // Plain MLP: 65536 × (1536 + 2 × 4304 + 4 × 1152) × 2 = 65536 × 14752 × 2 = 1,933,574,144.
    // Kept: 16384 × 4096 × (1 + 3 deepstack) × 2 = 536,870,912.
    const enc = computeEncoderProfile(qwen3vl8b, info, s, null);
    expect(enc).toMatchObject({ forwardBytes: 1_933_574_144, keptBytes: 536_870_912, textForwardTokens: null });
    // Text: 2048 × (3 × 12288 + 4 × 4096) × 2 = 218,103,808; + kept = 754,974,720 < the encoder's forward.
    expect(estimateActivationBytes(qwen3vl8b, 2048, 4, info, 2, enc)).toBe(1_933_574_144 + CUBLAS_WORKSPACE_BYTES);
  });

  it('in the plan: its own label and the figures on the activation line', () => {
    const b = computeBudget(input(qwen3vl8b, '0.11.2'));
    const item = b.items.find((i) => i.key === 'activations');
    expect(item?.label).toBe('Activations + vision encoder');
    expect(item?.bytes).toBe(1_933_574_144 + CUBLAS_WORKSPACE_BYTES);
    expect(item?.why).toMatch(/Vision encoder \(profiling\): vision encoder over 1 image item of 16384 tokens/);
    expect(item?.why).toMatch(/1\.80 GiB forward, 0\.50 GiB kept/);
  });

  it('limit 0 for image and video: no term at all (218,103,808 B text forward); limit 0 for image only: video', () => {
    const none = computeBudget(input(qwen3vl8b, '0.11.2', { image: 0, video: 0 }));
    const item = none.items.find((i) => i.key === 'activations');
    expect(item?.label).toBe('Activations (profile peak)');
    expect(item?.bytes).toBe(218_103_808 + CUBLAS_WORKSPACE_BYTES);
    expect(computeEncoderProfile(qwen3vl8b, info, s, { image: 0, video: 0 })).toBeNull();
    // image 0, video 1: a video of one frame pair is as large as an image (16384 tokens).
    expect(computeEncoderProfile(qwen3vl8b, info, s, { image: 0 })?.why).toMatch(/1 video item of 16384 tokens/);
    // The KV cache gets back what the term took.
    expect(none.kvCache.availableBytes - computeBudget(input(qwen3vl8b, '0.11.2')).kvCache.availableBytes).toBe(
      1_933_574_144 - 218_103_808,
    );
  });

  it('a larger batch adds items; max_num_seqs × items per prompt caps them (limit, max_model_len // tokens)', () => {
    // max_num_batched_tokens and max_model_len 40000: 40000 // 16384 = 2 items; per prompt min(999, 2) = 2.
    const big = { ...s, maxModelLen: 40000, maxNumBatchedTokens: 40000, maxNumSeqs: 1 };
    expect(computeEncoderProfile(qwen3vl8b, info, big, null)?.keptBytes).toBe(2 * 536_870_912);
    // --limit-mm-per-prompt image 1: min(2, 1 × 1) = 1.
    expect(computeEncoderProfile(qwen3vl8b, info, big, { image: 1 })?.keptBytes).toBe(536_870_912);
    // max_model_len 8192 holds no whole image: per prompt max(1, min(999, 0)) = 1 → 1 item.
    expect(computeEncoderProfile(qwen3vl8b, info, { ...big, maxModelLen: 8192 }, null)?.keptBytes).toBe(536_870_912);
  });
});

describe('Gemma-3-12b (V1, vLLM 0.11.2): SigLIP, 256 tokens per image', () => {
  it('8 images of 256 tokens fill the 2048-token budget: 904,658,944 B forward', () => {
    // min(2048 // 256 = 8, 4 × 999) = 8 items × 256 tokens × 16 patches (4 × 4 pool) = 32768 patches.
    // 32768 × (588 pixel values + 2 × 4304 + 4 × 1152) × 2 = 32768 × 13804 × 2 = 904,658,944.
    // Kept: 8 × 256 × 3840 × 2 = 15,728,640. Text: 2048 × (3 × 15360 + 4 × 3840) × 2 = 251,658,240.
    const enc = computeEncoderProfile(gemma3, version('0.11.2'), settings(), null);
    expect(enc).toMatchObject({ forwardBytes: 904_658_944, keptBytes: 15_728_640 });
    const b = computeBudget(input(gemma3, '0.11.2'));
    expect(b.items.find((i) => i.key === 'activations')?.bytes).toBe(904_658_944 + CUBLAS_WORKSPACE_BYTES);
  });

  it('limit 1 image: min(8, 4 × 1) = 4 items, 452,329,472 B; image 0 removes the term; no video modality', () => {
    const info = version('0.11.2');
    // 16384 patches × 13804 × 2.
    expect(computeEncoderProfile(gemma3, info, settings(), { image: 1 })?.forwardBytes).toBe(452_329_472);
    expect(computeEncoderProfile(gemma3, info, settings(), { image: 1, video: 0 })?.forwardBytes).toBe(452_329_472);
    expect(computeEncoderProfile(gemma3, info, settings(), { image: 0 })).toBeNull();
  });

  it('items per prompt are capped by max_model_len // 256 (MultiModalBudget.get_max_items)', () => {
    const info = version('0.11.2');
    // max_model_len 512: min(999, 512 // 256 = 2) = 2 per prompt × 1 sequence = 2 items (not 2048 // 256 = 8):
    // 2 × 256 × 16 = 8192 patches × 13804 × 2 = 226,164,736 B.
    const short = settings({ maxModelLen: 512, maxNumSeqs: 1 });
    expect(computeEncoderProfile(gemma3, info, short, null)?.forwardBytes).toBe(226_164_736);
    // max_model_len 200 < 256: still at least 1 per prompt.
    const tiny = settings({ maxModelLen: 200, maxNumSeqs: 1 });
    expect(computeEncoderProfile(gemma3, info, tiny, null)?.forwardBytes).toBe(113_082_368);
  });
});

describe('text models, unmodelled towers and the per-model dummy data before 0.7.0: no term', () => {
  it('qwen2-7b-instruct has no encoder term', () => {
    expect(computeEncoderProfile(preset('qwen2-7b-instruct'), version('0.11.2'), settings(), null)).toBeNull();
  });
  it('a Qwen2.5-VL arch at 0.6.4 (dummy_data_for_qwen2_vl era) has none; at 0.7.0 the profiler term is there', () => {
    const s = { maxModelLen: 5120, maxNumSeqs: 1, maxNumBatchedTokens: 5120 };
    expect(computeEncoderProfile(qwen25vl3b, version('0.6.4'), s, null)).toBeNull();
    expect(computeEncoderProfile(qwen25vl3b, version('0.7.0'), s, null)?.textForwardTokens).toBe(32768);
  });
});

describe('the tower skipped when every modality is limited to 0 (versions at the edge)', () => {
  const off: MmLimits = { image: 0, video: 0 };
  it('Qwen2.5-VL from 0.10.1 (PR #22299), not in 0.10.0', () => {
    expect(isTowerSkipped(qwen25vl3b, version('0.10.0'), off)).toBe(false);
    expect(isTowerSkipped(qwen25vl3b, version('0.10.1'), off)).toBe(true);
  });
  it('Qwen3-VL from 0.11.1 (PR #26000), not in 0.11.0', () => {
    expect(isTowerSkipped(qwen3vl8b, version('0.11.0'), off)).toBe(false);
    expect(isTowerSkipped(qwen3vl8b, version('0.11.1'), off)).toBe(true);
  });
  it('not with one modality left at 1, nor without limits, nor for Gemma 3', () => {
    expect(isTowerSkipped(qwen3vl8b, version('0.11.2'), { image: 0 })).toBe(false);
    expect(isTowerSkipped(qwen3vl8b, version('0.11.2'), null)).toBe(false);
    expect(isTowerSkipped(gemma3, version('0.11.2'), off)).toBe(false);
  });
});

describe('Gemma 4 E2B: the forward term takes the widest MLP (its 20 KV-shared layers are 2 × 6144 wide)', () => {
  it('2048 tokens: 2048 × (3 × 12288 + 4 × 1536) × 2 = 176,160,768 B, not 100,663,296 B', () => {
    const e2b = preset('gemma-4-e2b-it');
    expect(e2b.doubleWideMlpLayers).toBe(20);
    expect(computeForwardPeakBytes(e2b, version('0.11.2'), 2048)).toBe(176_160_768);
    const { doubleWideMlpLayers: _wide, ...narrow } = e2b;
    expect(computeForwardPeakBytes(narrow, version('0.11.2'), 2048)).toBe(100_663_296);
  });
});

describe('--limit-mm-per-prompt: parsed, emitted in the form of the version, and planned', () => {
  it('JSON and key=value read the same; bad input is one line naming the value', () => {
    expect(parseMmLimits('{"image":0,"video":0}')).toEqual({ ok: true, value: { image: 0, video: 0 } });
    expect(parseMmLimits('image=0, Video=2')).toEqual({ ok: true, value: { image: 0, video: 2 } });
    expect(parseMmLimits('{"audio":1}')).toEqual({ ok: true, value: { audio: 1 } });
    for (const bad of ['{"image":-1}', '{"image":1.5}', '{"images":0}', 'image', '[0]', '{}', '{"image":"0"}', '{'])
      expect(parseMmLimits(bad), bad).toMatchObject({
        ok: false,
        message: expect.stringContaining('--limit-mm-per-prompt'),
      });
  });

  it('JSON from 0.9.0 (0.10.0 refuses key=value, issue #21615), image=0,video=0 before; the flag exists from 0.6.3', () => {
    const off: MmLimits = { image: 0, video: 0 };
    expect(formatMmLimits(off, version('0.8.5'))).toBe('image=0,video=0');
    expect(formatMmLimits(off, version('0.9.0'))).toBe('{"image":0,"video":0}');
    expect(formatMmLimits({ video: 0, image: 2 }, version('0.11.2'))).toBe('{"image":2,"video":0}');
    for (const v of ['0.6.3', '0.7.4', '0.9.0', '0.11.2', '0.31.0'])
      expect(hasFlag(catalog.vllm, version(v).version, '--limit-mm-per-prompt'), v).toBe(true);
  });

  const plan = (options: PlanOptions): Plan => planFor(options);
  const base: PlanOptions = {
    device: 'orin-nano-8gb',
    model: 'qwen3-vl-4b',
    quant: 'awq',
    vllmVersion: '0.11.2',
    maxModelLen: '8192',
  };

  it('Qwen3-VL-4B AWQ on an Orin Nano 8GB: killed by the encoder peak; the text-only flag proposed, not emitted', () => {
    const p = plan(base);
    expect(p.verdict).toBe('oom');
    expect(p.budget.items.find((i) => i.key === 'activations')?.label).toBe('Activations + vision encoder');
    expect(p.notes.join('\n')).toMatch(
      /text only\? --limit-mm-per-prompt '\{"image":0,"video":0\}' makes this plan run .*no vision tower \(0\.77 GiB\)/,
    );
    expect(p.argv).not.toContain('--limit-mm-per-prompt');
  });

  it('with the flag: emitted in JSON, the term and the 415,347,712-parameter tower (830,695,424 B) gone', () => {
    const withImages = plan(base);
    const p = plan({ ...base, limitMmPerPrompt: 'image=0,video=0' });
    expect(p.argv.join(' ')).toContain('--limit-mm-per-prompt {"image":0,"video":0}');
    const weights = (q: Plan): number => q.budget.items.find((i) => i.key === 'weights')?.bytes ?? 0;
    expect(weights(withImages) - weights(p)).toBe(415_347_712 * 2);
    expect(p.budget.items.find((i) => i.key === 'activations')?.label).toBe('Activations (profile peak)');
    expect(p.notes.join('\n')).toMatch(
      /text only: vLLM 0\.11\.2 does not build the vision tower \(0\.77 GiB less weights\)/,
    );
    expect(p.notes.join('\n')).not.toMatch(/text only\? /);
  });

  it("at 0.11.0 (before Qwen3-VL's text-only mode) the tower stays; at 0.8.5 the flag is key=value", () => {
    const at0110 = plan({ ...base, vllmVersion: '0.11.0', limitMmPerPrompt: '{"image":0,"video":0}' });
    expect(at0110.notes.join('\n')).not.toMatch(/does not build the vision tower/);
    const at085 = plan({ ...base, vllmVersion: '0.8.5', limitMmPerPrompt: '{"image":0,"video":0}' });
    expect(at085.argv.join(' ')).toContain('--limit-mm-per-prompt image=0,video=0');
  });

  it('a text model is refused: vLLM rejects the flag for it', () => {
    const r = resolvePlanRequest(
      { ...base, model: 'qwen2-7b-instruct', quant: 'bf16', limitMmPerPrompt: '{"image":0}' },
      catalog,
      { detected: null, described: null, hfCacheDir: '/hf', workDir: '/w' },
    );
    if (!r.ok) throw new Error(r.message);
    expect(buildPlan(r.request, catalog)).toMatchObject({
      ok: false,
      message: expect.stringContaining('only supported for multimodal models'),
    });
  });

  it('a bad value is refused before planning', () => {
    const r = resolvePlanRequest({ ...base, limitMmPerPrompt: '{"image":-1}' }, catalog, {
      detected: null,
      described: null,
      hfCacheDir: '/hf',
      workDir: '/w',
    });
    expect(r).toMatchObject({ ok: false, message: expect.stringContaining('image -1') });
  });
});

describe('the Gemma 3 presets carry their SigLIP tower; a GGUF file does not', () => {
  it('gemma-3-4b-it / 12b-it: the tower and projector are publishedParams − the language model, to the parameter', () => {
    for (const [id, tower] of [
      ['gemma-3-4b-it', 419_816_304],
      ['gemma-3-12b-it', 421_290_864],
    ] as const) {
      const m = catalog.models.find((x) => x.id === id);
      expect(m?.arch.vision?.encoderParams).toBe(tower);
      // SigLIP-So400m (27 layers of 1152) is 416,866,032 in every size; the projector is 1152 × hidden + a norm.
      expect(tower - (1152 * (m?.arch.hiddenSize ?? 0) + 1152)).toBe(416_866_032);
    }
  });

  it('bf16 profiles the tower ("Activations + vision encoder"); the Q4_K_M file is the text model: no term, no tower', () => {
    const shape = { device: 'orin-nx-16gb', model: 'gemma-3-4b-it', maxModelLen: '4096' };
    const bf16 = planFor({ ...shape, quant: 'bf16' });
    expect(bf16.budget.items.find((i) => i.key === 'activations')?.label).toBe('Activations + vision encoder');
    const gguf = planFor({ ...shape, quant: 'gguf-q4_k_m' });
    expect(gguf.budget.items.find((i) => i.key === 'activations')?.label).not.toContain('vision');
    // With every modality at 0 a GGUF plan is refused as vLLM refuses the flag for a text model.
    expect(() => planFor({ ...shape, quant: 'gguf-q4_k_m', limitMmPerPrompt: '{"image":0}' })).toThrow(
      /takes text only/,
    );
  });
});
