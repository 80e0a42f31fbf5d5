/**
 * Property tests for the tegrastats parser: it never throws and always gives a well-formed sample, for random
 * text (any code point, control characters) and for real lines mutated character by character and token by
 * token; and lines printed from random structured data parse back to exactly that data, in any field order.
 */
import { readFileSync } from 'node:fs';
import { recordedPath } from '../../helpers/recorded.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  emptySample,
  type EngineState,
  type LoadFreq,
  type PowerRail,
  type Sample,
} from '../../../src/monitor/core/sample.js';
import {
  parseTegrastatsLine,
  splitLines,
  summarizeSample,
  type TegrastatsParse,
  type TegrastatsStats,
} from '../../../src/monitor/core/tegrastats.js';
import { parseTegrastatsLine as parseTegrastatsLineReference } from '../../helpers/tegrastats-reference.js';

const RUNS = { numRuns: 10_000 };

const fixtureLines = (
  JSON.parse(readFileSync(recordedPath('tegrastats.json'), 'utf8')) as {
    line: string;
  }[]
).map((f) => f.line);

/** Real lines plus the reference's other shapes (Thor idle, JP6 engines, early JP5 GR3D2, old TX2 order). */
const BASE_LINES = [
  ...fixtureLines,
  '08-08-2026 21:05:10 RAM 6120/125749MB (lfb 40x4MB) CPU [0%@972,off,3%@972] EMC_FREQ @4266 GR3D_FREQ @[1574,1574,1574] NVENC0_FREQ @1691 VIC off cpu@45.5C/61.75C tj@47.25C/66.625C VIN 28906mW/14453mW/28906mW',
  '05-09-2026 18:42:06 RAM 18207/62841MB (lfb 466x4MB) SWAP 86/31420MB (cached 0MB) CPU [14%@2188,3%@2188] EMC_FREQ 3%@2133 GR3D_FREQ 0%@[0,0] NVENC 79%@166 NVDEC off VIC 36%@115 PVA0_FREQ off APE 174 cpu@52.562C VDD_GPU_SOC 2412mW/2412mW',
  'RAM 2000/30536MB (lfb 10x4MB) EMC_FREQ 0%@204 GR3D_FREQ 40%@0 GR3D2_FREQ 35%@0 NVJPG1 729 VIC_FREQ 115 APE 233',
  'RAM 2000/7844MB (lfb 5x4MB) CPU [5%,7%]@345 SWAP 10/3922MB (cached 1MB) IRAM 0/252kB(lfb 252kB) MTS fg 0% bg 0% NVENC 716 VDD_IN 1.5W/1.2W NVDEC 716',
];

// ---------------------------------------------------------------------------------------------------------------
// Well-formedness
// ---------------------------------------------------------------------------------------------------------------

/** Every number anywhere in `value` is finite, and nothing is undefined. */
function walkValues(value: unknown, path: string): void {
  if (value === undefined) throw new Error(`undefined at ${path}`);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} at ${path}`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => walkValues(item, `${path}[${i}]`));
    return;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) throw new Error(`odd prototype at ${path}`);
  for (const [key, item] of Object.entries(value)) walkValues(item, `${path}.${key}`);
}

const isNumberOrNull = (v: unknown): boolean => v === null || (typeof v === 'number' && Number.isFinite(v));

/** Fails the property with a message (plain checks: 10 000 runs of `expect` would be slow). */
function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** The keys of an object, sorted and joined, to compare shapes. */
const shape = (value: object): string => Object.keys(value).sort().join(',');

function checkLoadFreq(value: LoadFreq | null, path: string): void {
  if (value === null) return;
  check(shape(value) === 'freqMHz,loadPct', `${path} shape`);
  check(isNumberOrNull(value.loadPct) && isNumberOrNull(value.freqMHz), `${path} values`);
}

/** Throws (fails the property) unless `result` is a well-formed parse. */
function checkWellFormed(result: TegrastatsParse): void {
  walkValues(result, 'result');
  if (result.kind === 'not-stats') {
    check(shape(result) === 'kind,reason' && result.reason.length > 0, 'not-stats shape');
    return;
  }
  check(shape(result) === 'inputPowerLabel,inputPowerMW,invalidTemps,kind,railsMaxMW,sample,unknownTokens', 'shape');
  const { sample } = result;
  check(shape(sample) === shape(emptySample('tegrastats')), 'sample shape');
  check(sample.source === 'tegrastats', 'source');
  check(sample.ram !== null, 'a stats line has RAM');
  check(sample.time === null || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(sample.time), 'time format');
  for (const [i, core] of sample.cpu.entries()) {
    if (core === null) continue;
    check(shape(core) === 'freqMHz,loadPct', `cpu[${i}] shape`);
    check(Number.isFinite(core.loadPct), `cpu[${i}].loadPct`);
    check(isNumberOrNull(core.freqMHz), `cpu[${i}].freqMHz`);
  }
  checkLoadFreq(sample.gpu, 'gpu');
  checkLoadFreq(sample.emc, 'emc');
  for (const [name, engine] of Object.entries(sample.engines)) {
    check(shape(engine) === 'freqMHz,loadPct,state', `engine ${name} shape`);
    check(engine.state === 'on' || engine.state === 'off', `engine ${name} state`);
    if (engine.state === 'off') check(engine.loadPct === null && engine.freqMHz === null, `engine ${name} off`);
  }
  for (const [name, tempC] of Object.entries(sample.temps)) check(tempC > -40, `temp ${name}`);
  for (const [name, rail] of Object.entries(sample.power)) check(shape(rail) === 'avgMW,nowMW', `rail ${name}`);
  for (const key of Object.keys(result.railsMaxMW)) check(Object.hasOwn(sample.power, key), `railsMaxMW ${key}`);
  check((result.inputPowerMW === null) === (result.inputPowerLabel === null), 'input power and label');
  for (const token of result.unknownTokens) check(token.length > 0, 'empty unknown token');
  walkValues(summarizeSample(sample), 'summary');
}

// ---------------------------------------------------------------------------------------------------------------
// Random text and mutated real lines
// ---------------------------------------------------------------------------------------------------------------

/** Pieces tegrastats lines are made of, so random text often comes close to a field. */
const PIECES = [
  'RAM ',
  'SWAP ',
  'CPU [',
  ']',
  '[',
  ',',
  'off',
  '%',
  '@',
  '/',
  'mW',
  'W',
  'C',
  'MB',
  'kB',
  'GB',
  ' (lfb ',
  '(cached ',
  ')',
  'GR3D_FREQ ',
  'EMC_FREQ ',
  '_FREQ',
  'VDD_IN ',
  'NC ',
  'tj@',
  '-256C',
  '12',
  '0',
  '.',
  '-',
  ' ',
  '\t',
  '\r\n',
  '\n',
  '\0',
  '…',
  '9'.repeat(320),
  '__proto__',
  'constructor',
];

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'binary-ascii', maxLength: 200 }),
  fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 4 })), { maxLength: 60 }).map((p) => p.join('')),
);

type Mutation =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'replace'; at: number; text: string }
  | { kind: 'swapTokens'; a: number; b: number }
  | { kind: 'dropToken'; at: number }
  | { kind: 'duplicateToken'; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...PIECES), fc.string({ unit: 'binary', maxLength: 3 })),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 6 }) }),
  fc.record({
    kind: fc.constant('replace' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...PIECES), fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 })),
  }),
  fc.record({ kind: fc.constant('swapTokens' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('dropToken' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateToken' as const), at: fc.nat() }),
);

/** Applies one mutation; positions wrap around the current length. */
function mutate(line: string, m: Mutation): string {
  const tokens = line.split(' ');
  const n = tokens.length;
  switch (m.kind) {
    case 'insert': {
      const at = m.at % (line.length + 1);
      return line.slice(0, at) + m.text + line.slice(at);
    }
    case 'delete': {
      const at = m.at % (line.length + 1);
      return line.slice(0, at) + line.slice(at + m.length);
    }
    case 'replace': {
      const at = m.at % (line.length + 1);
      return line.slice(0, at) + m.text + line.slice(at + 1);
    }
    case 'swapTokens': {
      const a = m.a % n;
      const b = m.b % n;
      const copy = [...tokens];
      copy[a] = tokens[b] ?? '';
      copy[b] = tokens[a] ?? '';
      return copy.join(' ');
    }
    case 'dropToken':
      return tokens.filter((_, i) => i !== m.at % n).join(' ');
    case 'duplicateToken': {
      const at = m.at % n;
      return [...tokens.slice(0, at + 1), ...tokens.slice(at)].join(' ');
    }
    default: {
      const unreachable: never = m;
      return unreachable;
    }
  }
}

const mutatedLine = fc
  .tuple(fc.constantFrom(...BASE_LINES), fc.array(mutationArb, { minLength: 1, maxLength: 8 }))
  .map(([line, mutations]) => mutations.reduce(mutate, line));

describe('parseTegrastatsLine never throws and gives well-formed results', () => {
  it('on 10 000 random strings (any code point, control characters, format pieces)', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        checkWellFormed(parseTegrastatsLine(text));
      }),
      RUNS,
    );
  });

  it('on 10 000 mutated real lines', () => {
    let statsCount = 0;
    fc.assert(
      fc.property(mutatedLine, (line) => {
        const result = parseTegrastatsLine(line);
        checkWellFormed(result);
        if (result.kind === 'stats') statsCount++;
      }),
      RUNS,
    );
    // The mutations must leave most lines recognisable, or this property would test only the early exit.
    expect(statsCount).toBeGreaterThan(RUNS.numRuns / 2);
  });

  it('splitLines keeps every character but the line ends, on random text', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const { lines, rest } = splitLines(text);
        expect(rest.includes('\n')).toBe(false);
        for (const line of lines) expect(line.includes('\n')).toBe(false);
        if (!text.includes('\r')) expect([...lines, rest].join('\n')).toBe(text);
      }),
      { numRuns: 2_000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Round trip from structured data
// ---------------------------------------------------------------------------------------------------------------

/** What the parser should produce, built up field by field in the order the fields are printed. */
interface Expectation {
  sample: Sample;
  invalidTemps: string[];
  railsMaxMW: Record<string, number>;
}

/** A printed field and what it adds to the expectation. */
interface Field {
  text: string;
  apply: (e: Expectation) => void;
}

/** Same rule as the parser's `#2` suffix for repeated names. */
function uniqueKey(record: Record<string, unknown>, name: string): string {
  let key = name;
  for (let n = 2; Object.hasOwn(record, key); n++) key = `${name}#${n}`;
  return key;
}

const pct = fc.integer({ min: 0, max: 100 });
const mhz = fc.integer({ min: 0, max: 5000 });
const pad2 = (n: number): string => String(n).padStart(2, '0');

const timeArb = fc.option(
  fc.record({
    year: fc.integer({ min: 2015, max: 2099 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
  }),
);

/** A count in tegrastats' size unit, in MiB. */
const unitToMiB = (n: number, unit: string): number => (unit === 'GB' ? n * 1024 : unit === 'kB' ? n / 1024 : n);

const ramArb = fc
  .tuple(
    fc.constantFrom('MB', 'GB', 'kB'),
    fc.nat(9_000_000),
    fc.nat(9_000_000),
    fc.constantFrom('', ' (lfb 758x4MB)', ' (lfb 1x512kB)', '(lfb 242x1MB)'),
  )
  .map(([unit, used, total, lfb]): Field => ({
    text: `RAM ${used}/${total}${unit}${lfb}`,
    apply: (e) => {
      e.sample.ram = { usedMiB: unitToMiB(used, unit), totalMiB: unitToMiB(total, unit) };
    },
  }));

const swapArb = fc
  .tuple(fc.nat(100_000), fc.nat(100_000), fc.option(fc.nat(5000)), fc.constantFrom('MB', 'GB', 'kB'))
  .map(([used, total, cached, unit]): Field => {
    const toMiB = (n: number): number => unitToMiB(n, unit);
    return {
      text: `SWAP ${used}/${total}${unit}${cached === null ? '' : ` (cached ${cached}${unit})`}`,
      apply: (e) => {
        e.sample.swap = {
          usedMiB: toMiB(used),
          totalMiB: toMiB(total),
          cachedMiB: cached === null ? null : toMiB(cached),
        };
      },
    };
  });

const cpuArb = fc
  .tuple(
    fc.constantFrom('per-core', 'shared', 'shared-no-freq'),
    fc.array(fc.option(fc.tuple(pct, mhz), { freq: 4 }), { minLength: 1, maxLength: 14 }),
    mhz,
    fc.constantFrom('CPU', 'cpu'),
  )
  .map(([form, cores, sharedMHz, name]): Field => {
    const coreText = cores
      .map((c) => (c === null ? 'off' : form === 'per-core' ? `${c[0]}%@${c[1]}` : `${c[0]}%`))
      .join(',');
    const suffix = form === 'shared' ? `@${sharedMHz}` : '';
    const expected = cores.map((c): LoadFreq | null =>
      c === null ? null : { loadPct: c[0], freqMHz: form === 'per-core' ? c[1] : form === 'shared' ? sharedMHz : null },
    );
    return {
      text: `${name} [${coreText}]${suffix}`,
      apply: (e) => {
        e.sample.cpu = expected;
      },
    };
  });

/** GR3D in all four forms (plus bare MHz), with per-GPC arrays of 1–3 clocks. */
const gpuArb = fc
  .tuple(
    fc.constantFrom('pct', 'pct@f', 'pct@[f]', '@[f]', 'f'),
    pct,
    fc.array(mhz, { minLength: 1, maxLength: 3 }),
    fc.constantFrom('GR3D_FREQ', 'GR3D'),
  )
  .map(([form, load, clocks, name]): Field => {
    const first = clocks[0] ?? 0;
    const list = `[${clocks.join(',')}]`;
    const value = {
      pct: `${load}%`,
      'pct@f': `${load}%@${first}`,
      'pct@[f]': `${load}%@${list}`,
      '@[f]': `@${list}`,
      f: `${first}`,
    }[form];
    const expected: LoadFreq = {
      loadPct: form === '@[f]' || form === 'f' ? null : load,
      freqMHz: form === 'pct' ? null : form === 'pct@[f]' || form === '@[f]' ? Math.max(...clocks) : first,
    };
    return {
      text: `${name} ${value}`,
      apply: (e) => {
        e.sample.gpu = expected;
      },
    };
  });

const emcArb = fc
  .tuple(fc.constantFrom('pct', 'pct@f', '@f'), pct, mhz, fc.constantFrom('EMC_FREQ', 'EMC'))
  .map(([form, load, freq, name]): Field => {
    const value = { pct: `${load}%`, 'pct@f': `${load}%@${freq}`, '@f': `@${freq}` }[form];
    const expected: LoadFreq = { loadPct: form === '@f' ? null : load, freqMHz: form === 'pct' ? null : freq };
    return {
      text: `${name} ${value}`,
      apply: (e) => {
        e.sample.emc = expected;
      },
    };
  });

const ENGINE_NAMES = [
  'NVENC',
  'NVENC0_FREQ',
  'NVDEC',
  'NVJPG1',
  'VIC',
  'VIC_FREQ',
  'OFA',
  'NVDLA0',
  'PVA0_FREQ',
  'APE',
  'MSENC',
  'GR3D2_FREQ',
];

const engineArb = fc
  .tuple(fc.constantFrom(...ENGINE_NAMES), fc.constantFrom('off', 'f', 'pct@f', '@f', 'pct'), pct, mhz)
  .map(([name, form, load, freq]): Field => {
    const value = { off: 'off', f: `${freq}`, 'pct@f': `${load}%@${freq}`, '@f': `@${freq}`, pct: `${load}%` }[form];
    const engine: EngineState =
      form === 'off'
        ? { state: 'off', loadPct: null, freqMHz: null }
        : {
            state: 'on',
            loadPct: form === 'pct@f' || form === 'pct' ? load : null,
            freqMHz: form === 'pct' ? null : freq,
          };
    return {
      text: `${name} ${value}`,
      apply: (e) => {
        const key = uniqueKey(e.sample.engines, name.replace(/_FREQ$/, ''));
        e.sample.engines[key] = engine;
      },
    };
  });

const TEMP_NAMES = [
  'cpu',
  'gpu',
  'tj',
  'soc0',
  'soc012',
  'CV0',
  'CPU',
  'GPU',
  'AO',
  'Tdiode',
  'thermal',
  'iwlwifi',
  'PMIC',
];

/** Temperatures in thousandths of a degree, including -256 °C and other invalid readings, with a JP7 max. */
const tempArb = fc
  .tuple(
    fc.constantFrom(...TEMP_NAMES),
    fc.oneof(fc.integer({ min: -60_000, max: 130_000 }), fc.constant(-256_000)),
    fc.option(fc.integer({ min: 0, max: 130_000 })),
  )
  .map(([name, milli, maxMilli]): Field => {
    const tempC = milli / 1000;
    const max = maxMilli === null ? '' : `/${maxMilli / 1000}C`;
    return {
      text: `${name}@${tempC}C${max}`,
      apply: (e) => {
        if (tempC <= -40) e.invalidTemps.push(name);
        else e.sample.temps[uniqueKey(e.sample.temps, name)] = tempC;
      },
    };
  });

const RAIL_NAMES = [
  'VDD_IN',
  'VDD_CPU_GPU_CV',
  'VDD_SOC',
  'POM_5V_IN',
  'POM_5V_GPU',
  'GPU',
  'CPU',
  'SOC',
  'NC',
  'VIN',
  'VIN_SYS_5V0',
  'VDDQ_VDD2_1V8AO',
];

/** A rail value in mW printed with no unit, `mW`, or `W` (up to three decimals). */
const railValueArb = fc
  .tuple(fc.integer({ min: 0, max: 250_000 }), fc.constantFrom('', 'mW', 'W'))
  .map(([mw, unit]) => ({ mw, text: unit === 'W' ? `${mw / 1000}W` : `${mw}${unit}` }));

const railArb = fc
  .tuple(fc.constantFrom(...RAIL_NAMES), railValueArb, railValueArb, fc.option(railValueArb))
  .map(([name, now, avg, max]): Field => ({
    text: `${name} ${now.text}/${avg.text}${max === null ? '' : `/${max.text}`}`,
    apply: (e) => {
      const key = uniqueKey(e.sample.power, name);
      const rail: PowerRail = { nowMW: now.mw, avgMW: avg.mw };
      e.sample.power[key] = rail;
      if (max !== null) e.railsMaxMW[key] = max.mw;
    },
  }));

/** Fields that are understood but leave nothing in the sample. */
const silentArb = fc.subarray<Field>([
  { text: 'IRAM 0/252kB(lfb 252kB)', apply: () => undefined },
  { text: 'MTS fg 0% bg 12%', apply: () => undefined },
]);

const lineArb = fc
  .record({
    time: timeArb,
    ram: ramArb,
    swap: fc.option(swapArb),
    cpu: fc.option(cpuArb),
    gpu: fc.option(gpuArb),
    emc: fc.option(emcArb),
    engines: fc.array(engineArb, { maxLength: 8 }),
    temps: fc.array(tempArb, { maxLength: 10 }),
    rails: fc.array(railArb, { maxLength: 8 }),
    silent: silentArb,
  })
  .chain((data) => {
    const fields = [data.ram, data.swap, data.cpu, data.gpu, data.emc, ...data.engines, ...data.temps, ...data.rails]
      .concat(data.silent)
      .filter((f): f is Field => f !== null);
    return fc
      .shuffledSubarray(fields, { minLength: fields.length, maxLength: fields.length })
      .map((shuffled) => ({ time: data.time, fields: shuffled }));
  });

/** The input power the reference asks for, from the expected rails. */
function expectedInput(power: Record<string, PowerRail>): [number | null, string | null] {
  for (const name of ['VDD_IN', 'POM_5V_IN', 'VIN']) {
    const rail = power[name];
    if (rail !== undefined) return [rail.nowMW, name];
  }
  const rails = Object.values(power);
  return rails.length === 0 ? [null, null] : [rails.reduce((s, r) => s + r.nowMW, 0), 'sum of module rails'];
}

describe('round trip: lines printed from structured data parse back to it', () => {
  it('in any field order, with every unit and value form', () => {
    fc.assert(
      fc.property(lineArb, ({ time, fields }) => {
        const expectation: Expectation = { sample: emptySample('tegrastats'), invalidTemps: [], railsMaxMW: {} };
        let prefix = '';
        if (time !== null) {
          const { year, month, day, hour, minute, second } = time;
          prefix = `${pad2(month)}-${pad2(day)}-${year} ${pad2(hour)}:${pad2(minute)}:${pad2(second)} `;
          expectation.sample.time = `${year}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}`;
        }
        for (const field of fields) field.apply(expectation);
        const [inputPowerMW, inputPowerLabel] = expectedInput(expectation.sample.power);
        const expected: TegrastatsStats = {
          kind: 'stats',
          sample: expectation.sample,
          unknownTokens: [],
          invalidTemps: expectation.invalidTemps,
          railsMaxMW: expectation.railsMaxMW,
          inputPowerMW,
          inputPowerLabel,
        };
        expect(parseTegrastatsLine(prefix + fields.map((f) => f.text).join(' '))).toEqual(expected);
      }),
      { numRuns: 5_000 },
    );
  });
});

// The parser runs once a second for hours, so it skips work that cannot change the result (a whitespace rewrite
// of a line that has none to rewrite, regex calls whose literal part is absent). Whatever it is given, it must
// answer exactly what the plain version (test/helpers/tegrastats-reference.ts) answers.
describe('the parser gives exactly what the plain reference parser gives', () => {
  const same = (line: string): void => {
    expect(parseTegrastatsLine(line)).toStrictEqual(parseTegrastatsLineReference(line));
  };
  it('on every recorded line, also with odd whitespace around and inside', () => {
    for (const line of BASE_LINES) {
      for (const variant of [
        line,
        ` ${line}`,
        `${line} `,
        `${line}\r`,
        line.replaceAll(' ', '  '),
        line.replaceAll(' ', '\t'),
      ])
        same(variant);
    }
  });
  it('on 10 000 random strings', () => {
    fc.assert(fc.property(anyText, same), RUNS);
  });
  it('on 10 000 mutated real lines', () => {
    fc.assert(fc.property(mutatedLine, same), RUNS);
  });
  it('on 5 000 generated lines in any field order', () => {
    fc.assert(
      fc.property(lineArb, ({ time, fields }) => {
        const prefix =
          time === null
            ? ''
            : `${pad2(time.month)}-${pad2(time.day)}-${time.year} ${pad2(time.hour)}:${pad2(time.minute)}:${pad2(time.second)} `;
        same(prefix + fields.map((f) => f.text).join(' '));
      }),
      { numRuns: 5_000 },
    );
  });
});
