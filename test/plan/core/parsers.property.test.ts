/**
 * Property tests for the core's parsers: version and byte-size text, counts, Hugging Face
 * config.json and the preset files. Every parser must never throw, whatever it is given.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseHfConfig } from '../../../src/model/core/hf-config.js';
import { architectureSchema, parsePresetFile, type PresetFileName } from '../../../src/catalog/core/presets-schema.js';
import { parseCount } from '../../../src/plan/core/request.js';
import {
  compareVersions,
  formatVersion,
  parseByteSize,
  parseVersion,
  type Version,
} from '../../../src/shared/units.js';

const RUNS = { numRuns: 300 };

/** Text with no digit at all: never a version, a byte size or a count. */
const noDigits = fc.string({ unit: fc.constantFrom(...'abcxyzGgMmKkTt.+-_ vV'.split('')), maxLength: 12 });
/** Fractional digits that are not all zero ("5", "05", "250"). */
const nonZeroFraction = fc
  .tuple(fc.nat({ max: 999 }), fc.integer({ min: 1, max: 9 }))
  .map(([lead, last]) => `${String(lead).padStart(3, '0')}${last}`);

describe('parseVersion', () => {
  it('never throws; gives null or three non-negative integers', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const v = parseVersion(text);
        if (v === null) return;
        expect(v).toHaveLength(3);
        for (const part of v) expect(Number.isInteger(part) && part >= 0).toBe(true);
      }),
      RUNS,
    );
  });

  it('round-trips x.y.z (with or without a "v"), and reads x.y as x.y.0', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), fc.boolean(), (a, b, c, withV) => {
        const text = `${withV ? 'v' : ''}${a}.${b}.${c}`;
        expect(parseVersion(text)).toEqual([a, b, c]);
        expect(formatVersion([a, b, c])).toBe(`${a}.${b}.${c}`);
        expect(parseVersion(formatVersion([a, b, c]))).toEqual([a, b, c]);
        expect(parseVersion(`${a}.${b}`)).toEqual([a, b, 0]);
      }),
      RUNS,
    );
  });

  it('ignores release suffixes such as .post1, rc1, .dev3, +post2', () => {
    const suffix = fc
      .tuple(
        fc.constantFrom('', '.', '-', '+'),
        fc.constantFrom('post', 'rc', 'dev', 'a', 'b'),
        fc.option(fc.nat({ max: 99 }), { nil: undefined }),
      )
      .map(([sep, tag, n]) => `${sep}${tag}${n ?? ''}`);
    fc.assert(
      fc.property(fc.nat(999), fc.nat(999), fc.nat(999), suffix, (a, b, c, s) => {
        expect(parseVersion(`${a}.${b}.${c}${s}`)).toEqual([a, b, c]);
        expect(parseVersion(`${a}.${b}${s}`)).toEqual([a, b, 0]);
      }),
      RUNS,
    );
  });

  it('is null for garbage: no digits, a lone number, four numeric parts, or a trailing word', () => {
    fc.assert(
      fc.property(noDigits, fc.nat(), fc.nat(), fc.nat(), fc.nat(), (junk, a, b, c, d) => {
        expect(parseVersion(junk)).toBeNull();
        expect(parseVersion(`${a}`)).toBeNull();
        expect(parseVersion(`${a}.${b}.${c}.${d}`)).toBeNull();
        expect(parseVersion(`${a}.${b}.${c}x`)).toBeNull();
        expect(parseVersion(`${a}..${b}`)).toBeNull();
      }),
      RUNS,
    );
  });

  // Small parts so that equal and neighbouring versions come up often.
  const smallVersion = fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3)) as fc.Arbitrary<Version>;
  const lexicographic = (a: Version, b: Version): number =>
    a[0] !== b[0] ? a[0] - b[0] : a[1] !== b[1] ? a[1] - b[1] : a[2] - b[2];

  it('compareVersions is antisymmetric, zero exactly on equal versions, and orders like tuples', () => {
    fc.assert(
      fc.property(smallVersion, smallVersion, (a, b) => {
        const ab = Math.sign(compareVersions(a, b));
        const ba = Math.sign(compareVersions(b, a));
        expect(ab === -ba).toBe(true);
        expect(ab === 0).toBe(a[0] === b[0] && a[1] === b[1] && a[2] === b[2]);
        expect(ab === Math.sign(lexicographic(a, b))).toBe(true);
      }),
      RUNS,
    );
  });

  it('compareVersions is transitive', () => {
    fc.assert(
      fc.property(smallVersion, smallVersion, smallVersion, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort(compareVersions) as [Version, Version, Version];
        expect(compareVersions(x, y)).toBeLessThanOrEqual(0);
        expect(compareVersions(y, z)).toBeLessThanOrEqual(0);
        expect(compareVersions(x, z)).toBeLessThanOrEqual(0);
        if (compareVersions(a, b) < 0 && compareVersions(b, c) < 0) expect(compareVersions(a, c)).toBeLessThan(0);
        if (compareVersions(a, b) === 0 && compareVersions(b, c) === 0) expect(compareVersions(a, c)).toBe(0);
      }),
      RUNS,
    );
  });
});

describe('parseByteSize', () => {
  it('never throws; gives null or a non-negative integer', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const b = parseByteSize(text);
        if (b !== null) expect(Number.isInteger(b) && b >= 0).toBe(true);
      }),
      RUNS,
    );
  });

  it('upper-case units are binary, lower-case decimal (vLLM human_readable_int)', () => {
    fc.assert(
      fc.property(fc.nat(), (n) => {
        // Exact up to 2^53 − 1; past it no count is given (null), whatever the seed.
        const exact = (bytes: number): number | null => (Number.isSafeInteger(bytes) ? bytes : null);
        expect(parseByteSize(`${n}G`)).toBe(exact(n * 2 ** 30));
        expect(parseByteSize(`${n}g`)).toBe(exact(n * 1e9));
        expect(parseByteSize(`${n}M`)).toBe(exact(n * 2 ** 20));
        expect(parseByteSize(`${n}m`)).toBe(exact(n * 1e6));
        expect(parseByteSize(`${n}K`)).toBe(exact(n * 1024));
        expect(parseByteSize(`${n}k`)).toBe(exact(n * 1000));
        expect(parseByteSize(`${n}GiB`)).toBe(exact(n * 2 ** 30));
        expect(parseByteSize(` ${n}M `)).toBe(exact(n * 2 ** 20));
      }),
      RUNS,
    );
  });

  it('keeps plain integers unchanged', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(parseByteSize(String(n))).toBe(n);
      }),
      RUNS,
    );
  });

  it('never gives a count past 2^53 − 1, and is exact up to it (any text, any seed)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'0123456789.kKmMgGtTiB '.split('')), maxLength: 24 }),
        (text) => {
          const b = parseByteSize(text);
          if (b !== null) expect(Number.isSafeInteger(b) && b >= 0).toBe(true);
        },
      ),
      RUNS,
    );
    expect(parseByteSize('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseByteSize('9007199254740992')).toBeNull();
    expect(parseByteSize('9007199254740993')).toBeNull();
    expect(parseByteSize('8191T')).toBe(8191 * 2 ** 40);
    expect(parseByteSize('8192T')).toBeNull();
    expect(parseByteSize('1e308')).toBeNull();
    expect(parseByteSize(`${'9'.repeat(400)}`)).toBeNull();
    expect(parseByteSize('1.5G')).toBe(1.5 * 2 ** 30);
    expect(parseByteSize('0.0000000005g')).toBe(1);
    expect(parseByteSize('12.000')).toBe(12);
  });

  it('is null for negative sizes, garbage and unit-less fractions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.constantFrom('', 'k', 'K', 'M', 'G', 'g', 'T'),
        noDigits,
        nonZeroFraction,
        (n, unit, junk, frac) => {
          expect(parseByteSize(`-${n}${unit}`)).toBeNull();
          expect(parseByteSize(junk)).toBeNull();
          expect(parseByteSize(`${n}.${frac}`)).toBeNull();
          expect(parseByteSize(`${n}${unit}x`)).toBeNull();
          expect(parseByteSize(`${n}e3`)).toBeNull();
        },
      ),
      RUNS,
    );
  });
});

describe('parseCount', () => {
  it('never throws; gives null or a safe non-negative integer', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const c = parseCount(text);
        if (c !== null) expect(Number.isSafeInteger(c) && c >= 0).toBe(true);
      }),
      RUNS,
    );
  });

  it('"<n>k" is n × 1024 (null once that is no longer a safe integer); plain integers unchanged', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(), fc.maxSafeNat()), fc.constantFrom('k', 'K'), (n, k) => {
        const expected = Number.isSafeInteger(n * 1024) ? n * 1024 : null;
        expect(parseCount(`${n}${k}`)).toBe(expected);
        expect(parseCount(String(n))).toBe(n);
        expect(parseCount(` ${n} `)).toBe(n);
      }),
      RUNS,
    );
  });

  it('is null for non-integers, negatives, other units and garbage', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        nonZeroFraction,
        fc.constantFrom('', 'k', 'M', 'G', 'm'),
        noDigits,
        (n, frac, unit, junk) => {
          expect(parseCount(`${n}.${frac}`)).toBeNull();
          expect(parseCount(`${n}.${frac}k`)).toBeNull();
          expect(parseCount(`-${n}${unit}`)).toBeNull();
          expect(parseCount(`${n}M`)).toBeNull();
          expect(parseCount(junk)).toBeNull();
          expect(parseCount(`${n}e2`)).toBeNull();
        },
      ),
      RUNS,
    );
  });
});

/** A plausible decoder-only config.json with the facts it was built from. */
interface GeneratedConfig {
  config: Record<string, unknown>;
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number | undefined;
  headDim: number | undefined;
  vocab: number;
  intermediate: number | undefined;
  maxPositions: number | undefined;
  dtype: 'bfloat16' | 'float16' | 'float32' | undefined;
  tie: boolean;
}

const validConfig: fc.Arbitrary<GeneratedConfig> = fc
  .record({
    layers: fc.integer({ min: 1, max: 128 }),
    kvHeads: fc.integer({ min: 1, max: 16 }),
    groups: fc.integer({ min: 1, max: 8 }),
    naturalHeadDim: fc.constantFrom(32, 64, 80, 96, 128, 256),
    explicitHeadDim: fc.option(fc.constantFrom(64, 128, 256), { nil: undefined }),
    hasKvHeads: fc.boolean(),
    vocab: fc.integer({ min: 1, max: 300_000 }),
    intermediate: fc.option(fc.integer({ min: 1, max: 65_536 }), { nil: undefined }),
    maxPositions: fc.option(fc.integer({ min: 1, max: 1_048_576 }), { nil: undefined }),
    dtype: fc.option(fc.constantFrom('bfloat16' as const, 'float16' as const, 'float32' as const), {
      nil: undefined,
    }),
    tie: fc.boolean(),
    architecture: fc.constantFrom('LlamaForCausalLM', 'Qwen2ForCausalLM', 'MistralForCausalLM', 'PhiForCausalLM'),
  })
  .map((r) => {
    const heads = r.kvHeads * r.groups;
    const hidden = heads * r.naturalHeadDim;
    const config: Record<string, unknown> = {
      architectures: [r.architecture],
      num_hidden_layers: r.layers,
      hidden_size: hidden,
      num_attention_heads: heads,
      vocab_size: r.vocab,
      tie_word_embeddings: r.tie,
    };
    if (r.hasKvHeads) config.num_key_value_heads = r.kvHeads;
    if (r.explicitHeadDim !== undefined) config.head_dim = r.explicitHeadDim;
    if (r.intermediate !== undefined) config.intermediate_size = r.intermediate;
    if (r.maxPositions !== undefined) config.max_position_embeddings = r.maxPositions;
    if (r.dtype !== undefined) config.torch_dtype = r.dtype;
    return {
      config,
      layers: r.layers,
      hidden,
      heads,
      kvHeads: r.hasKvHeads ? r.kvHeads : undefined,
      headDim: r.explicitHeadDim,
      vocab: r.vocab,
      intermediate: r.intermediate,
      maxPositions: r.maxPositions,
      dtype: r.dtype,
      tie: r.tie,
    };
  });

const REQUIRED = ['num_hidden_layers', 'hidden_size', 'num_attention_heads', 'vocab_size'] as const;
/** Values a config.json may hold that are not a usable number. */
const notANumber = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(Number.NaN),
  fc.constant(Number.POSITIVE_INFINITY),
  fc.array(fc.integer(), { maxLength: 2 }),
);

describe('parseHfConfig', () => {
  it('never throws on arbitrary values and JSON', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.jsonValue()), (content) => {
        const r = parseHfConfig(content, 'x');
        if (!r.ok) expect(typeof r.problem).toBe('string');
      }),
      RUNS,
    );
  });

  it('never throws on configs whose known keys hold arbitrary JSON', () => {
    const keys = [
      ...REQUIRED,
      'num_key_value_heads',
      'head_dim',
      'text_config',
      'architectures',
      'model_type',
      'sliding_window',
      'layer_types',
      'sliding_window_pattern',
      'use_sliding_window',
      'num_experts',
      'kv_lora_rank',
      'qk_rope_head_dim',
      'torch_dtype',
    ];
    const quantConfig = fc.record(
      {
        quant_method: fc.oneof(
          fc.constantFrom('awq', 'gptq', 'fp8', 'bitsandbytes', 'modelopt', 'compressed-tensors', 'AWQ'),
          fc.jsonValue(),
        ),
        bits: fc.jsonValue(),
        group_size: fc.jsonValue(),
        quant_algo: fc.oneof(fc.constantFrom('FP8', 'NVFP4'), fc.integer(), fc.constant(null)),
        quantization: fc.jsonValue(),
        config_groups: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        validConfig,
        fc.dictionary(fc.constantFrom(...keys), fc.jsonValue(), { maxKeys: 4 }),
        fc.option(quantConfig, { nil: undefined }),
        (base, overrides, qc) => {
          const config: Record<string, unknown> = { ...base.config, ...overrides };
          if (qc !== undefined) config.quantization_config = qc;
          const r = parseHfConfig(config, 'x');
          if (!r.ok) expect(typeof r.problem).toBe('string');
        },
      ),
      RUNS,
    );
  });

  it('reads the architecture of a valid config as given, with the documented defaults', () => {
    fc.assert(
      fc.property(validConfig, (g) => {
        const r = parseHfConfig(g.config, 'my-model');
        if (!r.ok) throw new Error(r.problem);
        expect(r.name).toBe('my-model');
        expect(r.arch.layers).toBe(g.layers);
        expect(r.arch.hiddenSize).toBe(g.hidden);
        expect(r.arch.attentionHeads).toBe(g.heads);
        expect(r.arch.kvHeads).toBe(g.kvHeads ?? g.heads);
        expect(r.arch.headDim).toBe(g.headDim ?? g.hidden / g.heads);
        expect(r.arch.vocabSize).toBe(g.vocab);
        expect(r.arch.intermediateSize).toBe(g.intermediate ?? 4 * g.hidden);
        expect(r.arch.maxPositionEmbeddings).toBe(g.maxPositions ?? 2048);
        expect(r.arch.torchDtype).toBe(g.dtype ?? 'bfloat16');
        expect(r.arch.tieWordEmbeddings).toBe(g.tie);
        expect(r.arch.architecture).toBe((g.config.architectures as string[])[0]);
        expect(r.arch.moe).toBeNull();
        expect(r.arch.mla).toBeNull();
        expect(r.quant.id).toBe(g.dtype === 'bfloat16' || g.dtype === undefined ? 'bf16' : 'fp16');
        // What it returns is a valid preset architecture.
        const check = architectureSchema.safeParse(r.arch);
        expect(check.success).toBe(true);
      }),
      RUNS,
    );
  });

  it('reads a multimodal config (language model under text_config) the same as a flat one', () => {
    fc.assert(
      fc.property(validConfig, (g) => {
        const { architectures, ...text } = g.config;
        const flat = parseHfConfig(g.config, 'x');
        const nested = parseHfConfig({ architectures, text_config: text }, 'x');
        expect(nested).toEqual(flat);
      }),
      RUNS,
    );
  });

  it('maps quantization_config to the variant vLLM runs', () => {
    const cases = fc.constantFrom(
      { qc: { quant_method: 'awq', bits: 4 }, id: 'awq' },
      { qc: { quant_method: 'AWQ' }, id: 'awq' },
      { qc: { quant_method: 'gptq', bits: 4 }, id: 'gptq-int4' },
      { qc: { quant_method: 'gptq', bits: 8 }, id: 'gptq-int8' },
      { qc: { quant_method: 'fp8' }, id: 'fp8' },
      { qc: { quant_method: 'bitsandbytes' }, id: 'bnb-4bit' },
      { qc: { quant_method: 'modelopt', quant_algo: 'NVFP4' }, id: 'nvfp4' },
      { qc: { quant_method: 'modelopt', quantization: { quant_algo: 'FP8' } }, id: 'fp8' },
      {
        qc: { quant_method: 'compressed-tensors', config_groups: { g: { weights: { num_bits: 4, type: 'int' } } } },
        id: 'w4a16',
      },
      {
        qc: {
          quant_method: 'compressed-tensors',
          config_groups: { g: { weights: { num_bits: 8, type: 'int' }, input_activations: {} } },
        },
        id: 'w8a8',
      },
    );
    fc.assert(
      fc.property(validConfig, cases, fc.option(fc.integer({ min: 1, max: 256 }), { nil: undefined }), (g, c, gs) => {
        const qc: Record<string, unknown> = { ...c.qc };
        if (gs !== undefined) qc.group_size = gs;
        const r = parseHfConfig({ ...g.config, quantization_config: qc }, 'x');
        if (!r.ok) throw new Error(r.problem);
        expect(r.quant.id).toBe(c.id);
        if (c.id === 'awq' || c.id.startsWith('gptq') || c.id === 'w4a16') expect(r.quant.groupSize).toBe(gs);
        // The architecture does not depend on the quantization.
        const plain = parseHfConfig(g.config, 'x');
        if (!plain.ok) throw new Error(plain.problem);
        expect(r.arch).toEqual(plain.arch);
      }),
      RUNS,
    );
  });

  it('rejects an unknown quant_method or a non-object quantization_config, naming it', () => {
    fc.assert(
      fc.property(
        validConfig,
        fc.oneof(
          fc
            .string()
            .filter(
              (s) =>
                !['awq', 'gptq', 'fp8', 'bitsandbytes', 'modelopt', 'compressed-tensors'].includes(s.toLowerCase()),
            )
            .map((m) => ({ quant_method: m })),
          fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.integer())),
        ),
        (g, qc) => {
          const r = parseHfConfig({ ...g.config, quantization_config: qc }, 'x');
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.problem).toMatch(/quant/);
        },
      ),
      RUNS,
    );
  });

  it('without num_hidden_layers (absent or not a number) it fails and names it', () => {
    fc.assert(
      fc.property(validConfig, fc.option(notANumber, { nil: undefined }), (g, bad) => {
        const config: Record<string, unknown> = { ...g.config };
        if (bad === undefined) delete config.num_hidden_layers;
        else config.num_hidden_layers = bad;
        const r = parseHfConfig(config, 'x');
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.problem).toContain('num_hidden_layers');
          expect(r.problem).not.toContain('hidden_size');
        }
      }),
      RUNS,
    );
  });

  it('names exactly the required keys that are missing', () => {
    fc.assert(
      fc.property(validConfig, fc.subarray([...REQUIRED], { minLength: 1 }), (g, removed) => {
        const config: Record<string, unknown> = { ...g.config };
        for (const key of removed) delete config[key];
        const r = parseHfConfig(config, 'x');
        expect(r.ok).toBe(false);
        if (r.ok) return;
        const named = r.problem.replace(/^config\.json has no /, '').split(', ');
        expect(named).toEqual(REQUIRED.filter((k) => removed.includes(k)));
      }),
      RUNS,
    );
  });

  it('does not throw on a modelopt quant_algo that is an object (regression)', () => {
    const config = JSON.parse(
      '{"num_hidden_layers":1,"hidden_size":8,"num_attention_heads":1,"vocab_size":1,' +
        '"quantization_config":{"quant_method":"modelopt","quant_algo":{"toString":1}}}',
    ) as unknown;
    expect(() => parseHfConfig(config, 'x')).not.toThrow();
  });

  it('rejects zero, negative or fractional sizes, naming the config key (regression)', () => {
    const r = parseHfConfig({ num_hidden_layers: 0, hidden_size: 5, num_attention_heads: 8, vocab_size: -1 }, 'x');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem).toMatch(/^config\.json: num_hidden_layers is out of range/);
  });

  it('every ok result is a valid architecture', () => {
    // Valid configs with one size replaced by zero, a negative or a fraction, besides arbitrary JSON.
    const sizeKeys = [...REQUIRED, 'num_key_value_heads', 'head_dim', 'intermediate_size', 'max_position_embeddings'];
    const badSize = fc.oneof(fc.integer({ min: -1000, max: 0 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }));
    const skewed = fc
      .tuple(validConfig, fc.constantFrom(...sizeKeys), badSize)
      .map(([g, key, value]): unknown => ({ ...g.config, [key]: value }));
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), skewed), (value) => {
        const r = parseHfConfig(value, 'x');
        if (r.ok) expect(architectureSchema.safeParse(r.arch).success).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('parsePresetFile', () => {
  let devicesFile: { devices: Record<string, unknown>[] };

  beforeAll(() => {
    devicesFile = parse(readFileSync(new URL('../../../presets/devices.yaml', import.meta.url), 'utf8')) as {
      devices: Record<string, unknown>[];
    };
  });

  const names: PresetFileName[] = ['devices', 'models', 'vllm'];

  it('never throws on arbitrary values', () => {
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.oneof(fc.anything(), fc.jsonValue()), (name, content) => {
        const r = parsePresetFile(name, content);
        if (!r.ok) expect(r.problem).toMatch(/^[\w.()\s]+: /);
      }),
      RUNS,
    );
  });

  it('never throws on files of the right shape with arbitrary entries', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.array(fc.oneof(fc.jsonValue(), fc.record({ id: fc.jsonValue() })), { maxLength: 4 }),
        (name, list) => {
          const key = name === 'vllm' ? 'releases' : name;
          const r = parsePresetFile(name, { [key]: list });
          expect(typeof r.ok).toBe('boolean');
        },
      ),
      RUNS,
    );
  });

  it('accepts the real devices file (the baseline the mutations start from)', () => {
    const r = parsePresetFile('devices', devicesFile);
    if (!r.ok) throw new Error(r.problem);
    expect(r.value.devices.length).toBe(devicesFile.devices.length);
  });

  /** Fields of a device, the path to each, and values of a wrong type for it. */
  const wrongString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }));
  const wrongNumber = fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.record({ n: fc.integer() }));
  const wrongBoolean = fc.oneof(fc.string(), fc.integer(), fc.constant(null));
  const mutation = fc.oneof(
    fc.tuple(
      fc.constantFrom('id', 'name', 'kind', 'arch', 'soc', 'computeCapability', 'memTotalSource', 'notes'),
      wrongString,
    ),
    fc.tuple(fc.constantFrom('gpuCores', 'nominalMemoryGB', 'memTotalBytes'), wrongNumber),
    fc.tuple(fc.constant('isMemTotalDerived'), wrongBoolean),
    fc.tuple(fc.constant('partNumbers'), fc.oneof(fc.string(), fc.integer(), fc.constant(null))),
    fc.tuple(fc.constant('vllm'), fc.oneof(fc.string(), fc.integer(), fc.constant(null))),
    fc.tuple(fc.constant('vllm.isSupported'), wrongBoolean),
    fc.tuple(fc.constant('vllm.reason'), wrongString),
  );

  it('a device with one field of the wrong type is rejected, the problem starting with its path', () => {
    fc.assert(
      fc.property(fc.nat(), mutation, (rawIndex, [path, value]) => {
        const file = structuredClone(devicesFile);
        const index = rawIndex % file.devices.length;
        const device = file.devices[index];
        if (device === undefined) throw new Error('no device');
        const [head, tail] = path.split('.') as [string, string | undefined];
        if (tail === undefined) device[head] = value;
        else (device[head] as Record<string, unknown>)[tail] = value;
        const r = parsePresetFile('devices', file);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.problem.startsWith(`devices.${index}.${path}: `)).toBe(true);
      }),
      RUNS,
    );
  });

  it('a device with an unknown key is rejected at that device', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.string({ minLength: 1 }).filter((k) => !(k in (devicesFile.devices[0] ?? {})) && k !== '__proto__'),
        fc.jsonValue(),
        (rawIndex, key, value) => {
          const file = structuredClone(devicesFile);
          const index = rawIndex % file.devices.length;
          const device = file.devices[index];
          if (device === undefined) throw new Error('no device');
          const known = ['soc', 'partNumbers', 'isMemTotalDerived', 'notes'];
          fc.pre(!known.includes(key));
          device[key] = value;
          const r = parsePresetFile('devices', file);
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.problem.startsWith(`devices.${index}: `)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('a repeated device id is rejected at the second occurrence', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (x, y) => {
        const file = structuredClone(devicesFile);
        const n = file.devices.length;
        const [i, j] = [x % n, y % n].sort((a, b) => a - b) as [number, number];
        fc.pre(i !== j);
        const first = file.devices[i];
        const second = file.devices[j];
        if (first === undefined || second === undefined) throw new Error('no device');
        second.id = first.id;
        const r = parsePresetFile('devices', file);
        expect(r).toEqual({ ok: false, problem: `devices.${j}.id: duplicate id "${String(first.id)}"` });
      }),
      RUNS,
    );
  });
});
