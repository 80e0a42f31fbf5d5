/**
 * The first vLLM release that loads a model (presets/vllm.yaml `architectures` and `quantizations`, model-support.ts):
 * at each edge the release before is refused with vLLM's own words and the fix, the first release with it plans.
 */
import { describe, expect, it } from 'vitest';
import { loadTestCatalog, planFor } from '../../helpers/catalog.js';
import {
  buildSupportRefusalMessage,
  findMissingSupport,
  findSupportMinimum,
  findSupportingImage,
  listSupportMinimums,
} from '../../../src/plan/core/model-support.js';
import { parseVersion } from '../../../src/shared/units.js';
import type { Architecture } from '../../../src/catalog/core/presets-schema.js';
import type { PlanOptions } from '../../../src/plan/core/request.js';
import type { QuantScheme } from '../../../src/catalog/core/quant-schemes.js';

const catalog = loadTestCatalog();
const archOf = (id: string): Architecture => {
  const m = catalog.models.find((x) => x.id === id);
  if (m === undefined) throw new Error(id);
  return m.arch;
};
const v = (text: string) => {
  const parsed = parseVersion(text);
  if (parsed === null) throw new Error(text);
  return parsed;
};

/** [preset, quant, the release before, the first release with it, what needs it] on a discrete GPU (no image). */
const EDGES: [string, string, string, string, string][] = [
  ['gemma-3-1b-it', 'bf16', '0.7.3', '0.8.0', 'Gemma3ForCausalLM'],
  ['gemma-3-4b-it', 'bf16', '0.7.3', '0.8.0', 'Gemma3ForConditionalGeneration'],
  ['cosmos-reason1-7b', 'bf16', '0.7.1', '0.7.2', 'Qwen2_5_VLForConditionalGeneration'],
  ['qwen3-0.6b', 'bf16', '0.8.3', '0.8.4', 'Qwen3ForCausalLM'],
  ['gpt-oss-20b', 'mxfp4', '0.10.0', '0.10.1', 'GptOssForCausalLM'],
  ['qwen3-vl-4b', 'awq', '0.10.2', '0.11.0', 'Qwen3VLForConditionalGeneration'],
  ['nemotron-3-nano-30b-a3b', 'bf16', '0.11.1', '0.11.2', 'NemotronHForCausalLM with experts'],
  ['qwen3.5-9b', 'bf16', '0.16.0', '0.17.0', 'Qwen3_5ForConditionalGeneration'],
  ['qwen3.6-27b', 'awq', '0.16.0', '0.17.0', 'Qwen3_5ForConditionalGeneration'],
  ['gemma-4-e4b-it', 'bf16', '0.18.0', '0.19.0', 'Gemma4ForConditionalGeneration'],
  ['gemma-3-1b-it', 'gguf-q8_0', '0.11.0', '0.11.1', 'gguf Gemma3ForCausalLM'],
];

describe('the version edges (the release before is refused, the first with it plans)', () => {
  for (const [model, quant, before, first, what] of EDGES) {
    it(`${model} ${quant}: refused on ${before}, planned on ${first} (${what})`, () => {
      const base: PlanOptions = { device: 'rtx-4090', model, quant, maxModelLen: '2048', maxNumSeqs: '1' };
      const refused = planFor({ ...base, vllmVersion: before });
      expect(refused.verdict).toBe('unsupported');
      expect(refused.refusal?.reason).toBe('unsupported-model');
      expect(refused.refusal?.message).toContain(`${what} needs vLLM ≥ ${first}, this is ${before}`);
      expect(refused.refusal?.message).toContain(`--vllm-version ${first} or newer`);
      expect(refused.fits).toEqual({ maxModelLen: null, maxNumSeqs: null, knobs: 'planner' });
      const planned = planFor({ ...base, vllmVersion: first });
      expect(planned.refusal?.reason).not.toBe('unsupported-model');
      expect(findMissingSupport(catalog.vllm, archOf(model), planned.quant.scheme as QuantScheme, v(first))).toEqual(
        [],
      );
    });
  }

  it("the refusal is vLLM's own sentence (registry.py _raise_for_unsupported), then the release and the fix", () => {
    // rtx-4090 is a discrete GPU: no image to name, only the version.
    const p = planFor({ device: 'rtx-4090', model: 'gemma-4-e4b-it', vllmVersion: '0.18.0', maxModelLen: '2048' });
    expect(p.refusal?.message).toBe(
      "Model architectures ['Gemma4ForConditionalGeneration'] are not supported for now. Gemma4ForConditionalGeneration needs vLLM ≥ 0.19.0, this is 0.18.0: --vllm-version 0.19.0 or newer",
    );
  });

  it('a quantization the release has not got is refused with config `_verify_quantization`’s words', () => {
    // Gemma 3 text exists from 0.8.0; its GGUF loads from 0.11.1 (PR #26189).
    const p = planFor({ device: 'rtx-4090', model: 'gemma-3-1b-it', quant: 'gguf-q8_0', vllmVersion: '0.11.0' });
    expect(p.refusal?.message).toBe(
      'Unknown quantization method: gguf. gguf Gemma3ForCausalLM needs vLLM ≥ 0.11.1, this is 0.11.0: --vllm-version 0.11.1 or newer',
    );
  });

  it('on a Jetson the fix names the image that carries a release with it (the oldest for the SoC, preferred first)', () => {
    // Orin (t234): dustynv images stop at 0.8.6, ghcr latest-jetson-orin carries 0.11.2; the first image ≥ 0.19.0
    // for t234 is upstream vllm/vllm-openai:v0.31.0 (v0.20.0 is listed for t264 only).
    const p = planFor({ device: 'agx-orin-64gb', model: 'gemma-4-e4b-it', vllmVersion: '0.18.0', maxModelLen: '2048' });
    expect(p.refusal?.message).toBe(
      "Model architectures ['Gemma4ForConditionalGeneration'] are not supported for now. Gemma4ForConditionalGeneration needs vLLM ≥ 0.19.0, this is 0.18.0: --vllm-version 0.19.0 or newer (image vllm/vllm-openai:v0.31.0: --vllm-version 0.31.0)",
    );
    // Qwen3 on the dustynv 0.8.3 image: the 0.8.5 image is the oldest for t234 with Qwen3 (0.8.4).
    const q = planFor({ device: 'agx-orin-64gb', model: 'qwen3-0.6b', vllmVersion: '0.8.3', maxModelLen: '2048' });
    expect(q.refusal?.message).toContain(
      'needs vLLM ≥ 0.8.4, this is 0.8.3: --vllm-version 0.8.4 or newer (image ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin: --vllm-version 0.11.2)',
    );
    const oldest = findSupportingImage(catalog.vllm.images, '0.8.4', 't234');
    // The preferred image comes first when it has the release.
    expect(oldest?.image).toBe('ghcr.io/nvidia-ai-iot/vllm:latest-jetson-orin');
  });

  it('a refused plan exits 3 and says "vLLM WILL REFUSE THIS MODEL"; the text has no fits figure', async () => {
    const { planExitCode } = await import('../../../src/plan/plan-command.js');
    const { formatPlan, formatFits } = await import('../../../src/plan/core/format.js');
    const p = planFor({ device: 'agx-orin-64gb', model: 'qwen3.5-9b', vllmVersion: '0.16.0', maxModelLen: '2048' });
    expect(planExitCode(p)).toBe(3);
    const text = formatPlan(p, { color: false });
    expect(text).toContain('Verdict: vLLM WILL REFUSE THIS MODEL (its release cannot load it)');
    expect(text).toContain("vLLM would say: Model architectures ['Qwen3_5ForConditionalGeneration'] are not supported");
    expect(formatFits(p)).toBe('Fits: nothing on vLLM 0.16.0: it cannot load this model');
  });
});

describe('the planner chooses a release that loads the model', () => {
  it("Orin's default (latest-jetson-orin, 0.11.2) stays for Qwen3 and Nemotron-3-Nano (MoE from 0.11.2)", () => {
    expect(planFor({ device: 'agx-orin-64gb', model: 'qwen3-0.6b', maxModelLen: '2048' }).vllm.version).toBe('0.11.2');
    const nano = planFor({ device: 'agx-orin-64gb', model: 'nemotron-3-nano-30b-a3b', maxModelLen: '2048' });
    expect(nano.vllm.version).toBe('0.11.2');
    expect(nano.refusal?.reason).not.toBe('unsupported-model');
  });

  it('Gemma 4 and Qwen3.5 on Orin: the first image for t234 that has them (vLLM 0.31.0), and the plan says why', () => {
    for (const [model, what, since] of [
      ['gemma-4-e4b-it', 'Gemma4ForConditionalGeneration', '0.19.0'],
      ['qwen3.5-9b', 'Qwen3_5ForConditionalGeneration', '0.17.0'],
    ] as const) {
      const p = planFor({ device: 'agx-orin-64gb', model, maxModelLen: '2048' });
      expect(p.vllm.version).toBe('0.31.0');
      expect(p.image).toBe('vllm/vllm-openai:v0.31.0');
      expect(p.notes).toContain(
        `vLLM 0.31.0 (image vllm/vllm-openai:v0.31.0: L4T ≥ 38.0.0): ${what} needs vLLM ≥ ${since}, which the device's default (0.11.2) predates`,
      );
    }
  });
});

describe('the rows', () => {
  it('every listed minimum is a release the catalog knows (so the edges above are real releases or none)', () => {
    const releases = new Set(catalog.vllm.releases.map((r) => r.version));
    const all = [
      ...catalog.vllm.architectures.flatMap((a) => [a.since, ...(a.moeSince !== undefined ? [a.moeSince] : [])]),
      ...catalog.vllm.quantizations.map((q) => q.since),
    ];
    for (const since of all) expect({ since, known: releases.has(since) }).toEqual({ since, known: true });
  });

  it('every preset architecture has a row, or is one vLLM 0.6.3 (the oldest release listed) already has', () => {
    // In 0.6.3's registry (and in the supported list vLLM 0.7.0 printed, issue #12502): no minimum to keep.
    const inOldest = new Set([
      'LlamaForCausalLM',
      'MistralForCausalLM',
      'Qwen2ForCausalLM',
      'Phi3ForCausalLM',
      'Gemma2ForCausalLM',
    ]);
    const rows = new Set(catalog.vllm.architectures.map((a) => a.name));
    for (const m of catalog.models) {
      const a = m.arch.architecture;
      expect({ model: m.id, a, covered: rows.has(a) || inOldest.has(a) }).toEqual({ model: m.id, a, covered: true });
    }
  });

  it('NVFP4 from compressed-tensors (0.9.1) came after modelopt_fp4 (0.8.0): the row follows the --quantization method', () => {
    const arch = archOf('qwen3.6-27b');
    expect(
      findSupportMinimum(catalog.vllm, { ...arch, architecture: 'LlamaForCausalLM' }, 'nvfp4', 'modelopt_fp4')?.since,
    ).toBe('0.8.0');
    const llama = { ...arch, architecture: 'LlamaForCausalLM' };
    expect(findSupportMinimum(catalog.vllm, llama, 'nvfp4', 'compressed-tensors')?.since).toBe('0.9.1');
    // compressed-tensors is a method 0.9.0 knows; its loader finds no scheme for NVFP4 weights
    // (compressed_tensors.py `_get_scheme_from_parts`).
    expect(buildSupportRefusalMessage(catalog.vllm, llama, 'nvfp4', '0.9.0', undefined, 'compressed-tensors')).toBe(
      'No compressed-tensors compatible scheme was found. nvfp4 (compressed-tensors) quantization needs vLLM ≥ 0.9.1, this is 0.9.0: --vllm-version 0.9.1 or newer',
    );
    expect(buildSupportRefusalMessage(catalog.vllm, llama, 'nvfp4', '0.9.0', undefined, 'modelopt_fp4')).toBeNull();
  });

  it('a MoE variant adds its own minimum; the newest minimum is the one a plan needs', () => {
    const nano = archOf('nemotron-3-nano-30b-a3b');
    expect(listSupportMinimums(catalog.vllm, nano, 'bf16').map((m) => m.since)).toEqual(['0.9.1', '0.11.2']);
    expect(findSupportMinimum(catalog.vllm, nano, 'bf16')?.since).toBe('0.11.2');
    // A dense NemotronH (Nemotron-H 8B) only needs 0.9.1.
    expect(findSupportMinimum(catalog.vllm, { ...nano, moe: null }, 'bf16')?.since).toBe('0.9.1');
    // gpt-oss: the architecture and MXFP4 both from 0.10.1.
    expect(listSupportMinimums(catalog.vllm, archOf('gpt-oss-20b'), 'mxfp4').map((m) => [m.kind, m.since])).toEqual([
      ['architecture', '0.10.1'],
      ['quantization', '0.10.1'],
    ]);
    expect(buildSupportRefusalMessage(catalog.vllm, archOf('qwen3-0.6b'), 'bf16', '0.8.4', 't234')).toBeNull();
  });
});
