/**
 * Quantization ignore lists: the linear layers a checkpoint leaves unquantized, matched as vLLM matches them
 * (modelopt.py `ModelOptQuantConfigBase.is_layer_excluded`: exact or `*` wildcard over the whole name;
 * compressed_tensors/utils.py `should_ignore_layer`: "re:" regex from the start, else the exact name; awq.py
 * `is_layer_skipped_awq`: a substring), and sized at 16 bits.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../../src/catalog/core/presets-schema.js';
import { computeParams } from '../../../src/model/core/architecture.js';
import { parseHfConfig, parseQuantizationConfig } from '../../../src/model/core/hf-config.js';
import { estimateWeightBytes } from '../../../src/model/core/quantization.js';
import {
  buildIgnoreMatcher,
  isSafeRegexSource,
  matchWildcard,
  computeIgnoredLinear,
  resolveIgnoreMatching,
} from '../../../src/model/core/quant-ignore.js';
import { loadTestCatalog } from '../../helpers/catalog.js';

const readConfig = (repo: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../fixtures/hub/${repo}/config.json`, import.meta.url), 'utf8'));

const preset = (id: string) => {
  const m = loadTestCatalog().models.find((x) => x.id === id);
  if (m === undefined) throw new Error(id);
  return m;
};

describe('matching as vLLM matches', () => {
  it('modelopt: exact names and * wildcards over the whole name', () => {
    const m = buildIgnoreMatcher(['lm_head', 'model.language_model.layers.1.self_attn*'], 'wildcard');
    expect(m('lm_head')).toBe(true);
    expect(m('model.language_model.layers.1.self_attn.q_proj')).toBe(true);
    // "layers.1." is not "layers.10.": the dot after 1 is literal.
    expect(m('model.language_model.layers.10.self_attn.q_proj')).toBe(false);
    expect(m('model.language_model.layers.1.mlp.up_proj')).toBe(false);
  });

  it('compressed-tensors / FP8: "re:" from the start of the name, else the exact name', () => {
    const m = buildIgnoreMatcher(['lm_head', 're:.*self_attn.*', 're:('], 'regex-or-exact');
    expect(m('model.layers.3.self_attn.k_proj')).toBe(true);
    expect(m('model.layers.3.mlp.down_proj')).toBe(false);
    expect(m('lm_head')).toBe(true);
    expect(m('model.lm_head')).toBe(false);
  });

  it('AWQ: any entry inside the name', () => {
    const m = buildIgnoreMatcher(['visual', 'self_attn.o_proj'], 'substring');
    expect(m('model.layers.0.self_attn.o_proj')).toBe(true);
    expect(m('model.layers.0.self_attn.q_proj')).toBe(false);
  });

  it('the method decides: modelopt_fp4 → wildcard, compressed-tensors → regex, awq → substring, gptq → none', () => {
    expect(resolveIgnoreMatching('modelopt_fp4')).toBe('wildcard');
    expect(resolveIgnoreMatching('compressed-tensors')).toBe('regex-or-exact');
    expect(resolveIgnoreMatching('awq')).toBe('substring');
    expect(resolveIgnoreMatching('gptq')).toBeNull();
    expect(resolveIgnoreMatching(null)).toBeNull();
  });

  it('the config keys each method reads: ignore, exclude_modules, modules_to_not_convert, ignored_layers', () => {
    const read = (qc: Record<string, unknown>) => {
      const r = parseQuantizationConfig(qc, 'bfloat16');
      if (!r.ok) throw new Error(r.problem);
      return r.value.ignore;
    };
    expect(read({ quant_method: 'awq', bits: 4, modules_to_not_convert: ['visual'] })).toEqual(['visual']);
    expect(read({ quant_method: 'fp8', ignored_layers: ['lm_head'] })).toEqual(['lm_head']);
    expect(
      read({ quant_method: 'modelopt', quantization: { quant_algo: 'NVFP4', exclude_modules: ['lm_head', 7] } }),
    ).toEqual(['lm_head']);
    expect(read({ quant_method: 'awq', bits: 4 })).toBeUndefined();
  });
});

describe('a Hub config is untrusted: its patterns never hang the plan', () => {
  it('wildcards: the two-pointer walk agrees with the regular expression it replaces', () => {
    const escape = (x: string): string => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    fc.assert(
      fc.property(fc.stringMatching(/^[ab.*]{0,12}$/), fc.stringMatching(/^[ab.]{0,16}$/), (pattern, name) => {
        const re = new RegExp(`^${pattern.split('*').map(escape).join('.*')}$`);
        expect(matchWildcard(pattern, name)).toBe(re.test(name));
      }),
      { numRuns: 2000 },
    );
  });

  it('40 wildcards against a 60-character name that does not match: answered at once', () => {
    const pattern = `${'*a'.repeat(40)}*b`;
    const name = 'a'.repeat(60);
    const started = performance.now();
    expect(matchWildcard(pattern, name)).toBe(false);
    expect(buildIgnoreMatcher([pattern], 'wildcard')(name)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('"re:" patterns that backtrack exponentially, back-references and overlong ones are refused (they match nothing)', () => {
    for (const source of ['(a+)+$', '(a*)*b', '(a|aa)+$', '(x+x+)+y', '(.*a){20}', '(a)\\1', 'a'.repeat(201)]) {
      expect(isSafeRegexSource(source)).toBe(false);
    }
    const started = performance.now();
    expect(buildIgnoreMatcher(['re:(a+)+$'], 'regex-or-exact')(`${'a'.repeat(40)}!`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
    // What real configs hold still matches.
    for (const source of [
      '.*vision.*',
      '.*mlp\\.gate$',
      'model\\.layers\\.\\d+\\.self_attn.*',
      '(lm_head|embed_tokens)',
      'a'.repeat(200),
    ]) {
      expect(isSafeRegexSource(source)).toBe(true);
    }
    expect(buildIgnoreMatcher(['re:.*self_attn.*'], 'regex-or-exact')('model.layers.3.self_attn.q_proj')).toBe(true);
  });
});

describe('nvidia/Gemma-4-31B-IT-NVFP4: attention stays bf16', () => {
  it('the recorded ignore list (60 self_attn entries) and the preset wildcard keep the same 8,477,736,960 parameters', () => {
    // Sliding layers q/o 2 × 5376 × 8192 + k/v 2 × 5376 × 4096 = 132,120,576 × 50 = 6,606,028,800; global layers
    // q/o 2 × 5376 × 16,384 + k 5376 × 2048 = 187,170,816 × 10 = 1,871,708,160.
    const r = parseHfConfig(readConfig('nvidia/Gemma-4-31B-IT-NVFP4'), 'nvidia/Gemma-4-31B-IT-NVFP4');
    if (!r.ok) throw new Error(r.problem);
    expect(r.quant.ignore).toHaveLength(63);
    const fromRecord = computeIgnoredLinear(r.arch, r.quant.ignore ?? [], 'wildcard');
    expect(fromRecord).toEqual({ params: 8_477_736_960, globalKLayers: 10, attentionLayers: 60, mlpLayers: 0 });
    const nvfp4 = preset('gemma-4-31b-it').quants.find((q) => q.id === 'nvfp4');
    expect(computeIgnoredLinear(r.arch, nvfp4?.ignore ?? [], 'wildcard')).toEqual(fromRecord);
  });

  it('weights 32,852,092,512 B, not the 20,507,076,192 B of an all-NVFP4 model (a public GB10 run: "~31 GB")', () => {
    // NVFP4: (29,286,727,680 − 8,477,736,960) × 4.5 / 8 = 11,705,057,280. 16 bits: 2 × (embedding 1,409,286,144 +
    // norms 650,496 + vision 575,743,536 + attention 8,477,736,960 + the V copy of K, bf16 with K, 110,100,480) =
    // 21,147,035,232. Sum 32,852,092,512.
    const m = preset('gemma-4-31b-it');
    const nvfp4 = m.quants.find((q) => q.id === 'nvfp4');
    if (nvfp4 === undefined) throw new Error('nvfp4');
    const w = estimateWeightBytes(m.arch, nvfp4);
    expect(w.weightBytes).toBe(11_705_057_280 + 21_147_035_232);
    expect(w.why).toContain('attention in 60 of 60 layers');
    const { ignore: _ignore, ...all } = nvfp4;
    expect(estimateWeightBytes(m.arch, all).weightBytes).toBe(20_507_076_192);
    // A published size keeps the V copy in K's format: bf16 here (110,100,480 × 2 B).
    expect(estimateWeightBytes(m.arch, { ...nvfp4, sizeBytes: 1e9, sizeSource: 'published' }).weightBytes).toBe(
      1e9 + 220_200_960,
    );
  });

  it('the 26B-A4B NVFP4A16 release ignores only routers (16 bits already), lm_head and the vision tower: no change', () => {
    const m = preset('gemma-4-26b-a4b-it');
    const nvfp4 = m.quants.find((q) => q.id === 'nvfp4');
    if (nvfp4 === undefined) throw new Error('nvfp4');
    const { ignore: _ignore, ...all } = nvfp4;
    expect(estimateWeightBytes(m.arch, nvfp4).weightBytes).toBe(estimateWeightBytes(m.arch, all).weightBytes);
  });
});

describe('properties', () => {
  const arch = fc
    .record({
      layers: fc.integer({ min: 1, max: 80 }),
      hiddenSize: fc.integer({ min: 64, max: 8192 }),
      intermediateSize: fc.integer({ min: 64, max: 32_768 }),
      attentionHeads: fc.integer({ min: 1, max: 64 }),
      kvHeads: fc.integer({ min: 1, max: 16 }),
      headDim: fc.constantFrom(64, 128, 256),
    })
    .map((a): Architecture => ({
      architecture: 'LlamaForCausalLM',
      ...a,
      vocabSize: 32_000,
      tieWordEmbeddings: false,
      maxPositionEmbeddings: 4096,
      torchDtype: 'bfloat16',
      slidingWindow: null,
      slidingWindowLayers: 0,
      moe: null,
      mla: null,
    }));

  it('nothing ignored → 0; everything ignored → every linear parameter; a layer subset in between', () => {
    fc.assert(
      fc.property(arch, fc.nat(), (a, pick) => {
        const none = computeIgnoredLinear(a, ['lm_head'], 'wildcard');
        const all = computeIgnoredLinear(a, ['*'], 'wildcard');
        const one = computeIgnoredLinear(a, [`model.layers.${pick % a.layers}.*`], 'wildcard');
        if (none === null || all === null || one === null) return false;
        return (
          none.params === 0 &&
          all.params === computeParams(a).linear &&
          one.params * a.layers === all.params &&
          one.attentionLayers === 1 &&
          one.mlpLayers === 1
        );
      }),
    );
  });

  it('at 4.5 bits, ignoring more never makes the weights smaller, and ignoring all gives the bf16 size', () => {
    fc.assert(
      fc.property(arch, fc.nat(), (a, n) => {
        const base = { id: 'nvfp4', method: 'modelopt_fp4' as const, scheme: 'nvfp4' as const, repo: 'a/b' };
        const some = estimateWeightBytes(a, { ...base, ignore: [`model.layers.${n % a.layers}.self_attn*`] });
        const none = estimateWeightBytes(a, base);
        const all = estimateWeightBytes(a, { ...base, ignore: ['*'] });
        const bf16 = estimateWeightBytes(a, { id: 'bf16', method: null, scheme: 'bf16', repo: 'a/b' });
        return (
          some.weightBytes >= none.weightBytes &&
          all.weightBytes >= some.weightBytes &&
          all.weightBytes === bf16.weightBytes
        );
      }),
    );
  });

  it('a hostile quantization_config: the ignore list read is strings only, none empty, at most 4096', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('awq', 'fp8', 'compressed-tensors', 'modelopt'),
        fc.constantFrom('ignore', 'exclude_modules', 'modules_to_not_convert', 'ignored_layers'),
        fc.oneof(fc.array(fc.anything(), { maxLength: 20 }), fc.anything()),
        (method, key, value) => {
          const r = parseQuantizationConfig({ quant_method: method, quant_algo: 'NVFP4', [key]: value }, 'bfloat16');
          if (!r.ok) return true;
          const ignore = r.value.ignore;
          return (
            ignore === undefined ||
            (ignore.length <= 4096 && ignore.every((e) => typeof e === 'string' && e.length > 0))
          );
        },
      ),
    );
  });

  it('any ignore list (random strings, broken regexes) gives a whole count no larger than the linear layers', () => {
    fc.assert(
      fc.property(
        arch,
        fc.array(fc.string(), { maxLength: 8 }),
        fc.constantFrom('wildcard', 'regex-or-exact', 'substring'),
        (a, patterns, matching) => {
          const r = computeIgnoredLinear(a, patterns, matching);
          return r !== null && Number.isSafeInteger(r.params) && r.params >= 0 && r.params <= computeParams(a).linear;
        },
      ),
    );
  });
});
