/**
 * The tegrastats parser on real lines: every line of test/fixtures/recorded/tegrastats.json with exact values, every
 * example line of reference/jetson-platform.md §E.3 and every edge case of the §E.5 checklist (items 1–14).
 * Where the reference shortens a line ("CPU [14%@2188,…]"), the test writes it out in full and says so.
 */
import { readFileSync } from 'node:fs';
import { recordedPath } from '../../helpers/recorded.js';
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
  type SampleSummary,
  type TegrastatsStats,
} from '../../../src/monitor/core/tegrastats.js';

interface TegrastatsFixture {
  source_url: string;
  device: string;
  jetpack_or_l4t: string | null;
  line: string;
  notes: string;
}

const fixtures = JSON.parse(readFileSync(recordedPath('tegrastats.json'), 'utf8')) as TegrastatsFixture[];

/** The stats result of a line; fails the test when the line is not a stats line. */
function parseStats(line: string): TegrastatsStats {
  const result = parseTegrastatsLine(line);
  if (result.kind !== 'stats') throw new Error(`expected stats, got not-stats: ${result.reason}`);
  return result;
}

const lf = (loadPct: number | null, freqMHz: number | null): LoadFreq => ({ loadPct, freqMHz });
const on = (loadPct: number | null, freqMHz: number | null): EngineState => ({ state: 'on', loadPct, freqMHz });
const OFF: EngineState = { state: 'off', loadPct: null, freqMHz: null };
const rail = (nowMW: number, avgMW: number): PowerRail => ({ nowMW, avgMW });
/** `count` cores at the same load and clock. */
const same = (count: number, loadPct: number, freqMHz: number | null): LoadFreq[] =>
  Array.from({ length: count }, () => lf(loadPct, freqMHz));

/** What a whole stats result should be; unset extras default to "none". */
interface Expected {
  sample: Partial<Sample>;
  unknownTokens?: string[];
  invalidTemps?: string[];
  railsMaxMW?: Record<string, number>;
  inputPowerMW: number | null;
  inputPowerLabel: string | null;
  summary: SampleSummary;
}

/** Checks the complete result of a line (every field of the sample) and its panel summary. */
function expectLine(line: string, expected: Expected): void {
  const result = parseStats(line);
  expect(result).toEqual({
    kind: 'stats',
    sample: { ...emptySample('tegrastats'), ...expected.sample },
    unknownTokens: expected.unknownTokens ?? [],
    invalidTemps: expected.invalidTemps ?? [],
    railsMaxMW: expected.railsMaxMW ?? {},
    inputPowerMW: expected.inputPowerMW,
    inputPowerLabel: expected.inputPowerLabel,
  });
  const summary = summarizeSample(result.sample);
  expect(summary).toEqual({ ...expected.summary, cpuAvgPct: summary.cpuAvgPct });
  if (expected.summary.cpuAvgPct === null) expect(summary.cpuAvgPct).toBeNull();
  else expect(summary.cpuAvgPct).toBeCloseTo(expected.summary.cpuAvgPct, 9);
}

// ---------------------------------------------------------------------------------------------------------------
// Every fixture line
// ---------------------------------------------------------------------------------------------------------------

/** Expected results for every line of tegrastats.json, by source_url. */
const FIXTURE_EXPECTED: Record<string, Expected> = {
  // AGX Orin 64GB, JP5: GR3D_FREQ 0%@[0,0], four -256C sensors, two NC rails, no input rail.
  'https://github.com/GDWR/jetson_exporter/issues/14': {
    sample: {
      time: '2025-04-11T10:36:27',
      ram: { usedMiB: 4321, totalMiB: 62801 },
      swap: { usedMiB: 19, totalMiB: 31400, cachedMiB: 0 },
      cpu: same(12, 0, 729),
      gpu: lf(0, 0),
      emc: lf(0, 2133),
      engines: { VIC: on(null, 729), APE: on(null, 174) },
      temps: { CPU: 44.562, Tboard: 32, SOC2: 40.093, Tdiode: 33, SOC0: 41.093, tj: 44.343, SOC1: 41.25 },
      power: {
        VDD_GPU_SOC: rail(2340, 2340),
        VDD_CPU_CV: rail(390, 390),
        VIN_SYS_5V0: rail(4025, 4025),
        NC: rail(0, 0),
        VDDQ_VDD2_1V8AO: rail(301, 301),
        'NC#2': rail(0, 0),
      },
    },
    invalidTemps: ['CV0', 'CV1', 'GPU', 'CV2'],
    inputPowerMW: 2340 + 390 + 4025 + 0 + 301 + 0,
    inputPowerLabel: 'sum of module rails',
    summary: { cpuAvgPct: 0, cpuOnline: 12, cpuOff: 0, hottest: { name: 'tj', tempC: 44.343 } },
  },
  // AGX Orin, JP7.2: temps cur/max, rails with three values, NVENC0/NVDEC0, no SWAP.
  'https://github.com/rbonghi/jetson_stats/blob/f41d5cadfeafc3516ff8cb7ddd5712cfa9a78611/jtop/tests/test_06_tegra_parse.py':
    {
      sample: {
        time: '2026-07-25T09:08:28',
        ram: { usedMiB: 20642, totalMiB: 62817 },
        swap: null,
        cpu: [23, 10, 4, 14, 30, 18, 10, 10, 33, 7, 5, 27].map((load) => lf(load, 2201)),
        gpu: lf(12, 1300),
        emc: lf(3, 3199),
        engines: {
          NVENC0: OFF,
          NVDEC0: OFF,
          NVJPG0: OFF,
          NVJPG1: OFF,
          VIC: OFF,
          OFA: OFF,
          NVDLA0: OFF,
          NVDLA1: OFF,
          PVA0: OFF,
          APE: on(null, 174),
        },
        temps: { cpu: 52.968, soc2: 48.406, soc0: 49.531, gpu: 47.625 },
        power: {
          VDD_GPU_SOC: rail(5139, 5139),
          VDD_CPU_CV: rail(3268, 3268),
          VIN_SYS_5V0: rail(5500, 5500),
        },
      },
      railsMaxMW: { VDD_GPU_SOC: 5139, VDD_CPU_CV: 3268, VIN_SYS_5V0: 5500 },
      inputPowerMW: 5139 + 3268 + 5500,
      inputPowerLabel: 'sum of module rails',
      summary: { cpuAvgPct: 191 / 12, cpuOnline: 12, cpuOff: 0, hottest: { name: 'cpu', tempC: 52.968 } },
    },
  // AGX Xavier JP4 non-root: `EMC_FREQ 0% GR3D_FREQ 0%`, rails named GPU/CPU (same names as the temperatures).
  'https://github.com/martinkersner/gtop/pull/7': {
    sample: {
      time: null,
      ram: { usedMiB: 14700, totalMiB: 15692 },
      swap: { usedMiB: 898, totalMiB: 8192, cachedMiB: 23 },
      cpu: same(8, 0, 1190),
      gpu: lf(0, null),
      emc: lf(0, null),
      engines: {},
      temps: { AO: 30, GPU: 30.5, Tboard: 31, Tdiode: 32, AUX: 30.5, CPU: 31.5, thermal: 30.8, PMIC: 100 },
      power: {
        GPU: rail(463, 463),
        CPU: rail(618, 618),
        SOC: rail(2936, 2936),
        CV: rail(0, 0),
        VDDRQ: rail(309, 309),
        SYS5V: rail(3306, 3306),
      },
    },
    inputPowerMW: 463 + 618 + 2936 + 0 + 309 + 3306,
    inputPowerLabel: 'sum of module rails',
    // PMIC@100C is a placeholder, so the hottest real sensor is Tdiode.
    summary: { cpuAvgPct: 0, cpuOnline: 8, cpuOff: 0, hottest: { name: 'Tdiode', tempC: 32 } },
  },
  // Nano JP4 root: IRAM without a space before "(lfb", POM_5V rails without unit.
  'https://github.com/rbonghi/jetson_stats/pull/16': {
    sample: {
      time: null,
      ram: { usedMiB: 1446, totalMiB: 3957 },
      swap: null,
      cpu: [lf(17, 1428), lf(11, 1428), lf(21, 1428), lf(12, 1428)],
      gpu: lf(0, 76),
      emc: lf(2, 1600),
      engines: { APE: on(null, 25) },
      temps: { PLL: 20.5, CPU: 24.5, PMIC: 100, GPU: 21, AO: 29.5, thermal: 22.25 },
      power: { POM_5V_IN: rail(2830, 1483), POM_5V_GPU: rail(41, 31), POM_5V_CPU: rail(943, 206) },
    },
    inputPowerMW: 2830,
    inputPowerLabel: 'POM_5V_IN',
    summary: { cpuAvgPct: 61 / 4, cpuOnline: 4, cpuOff: 0, hottest: { name: 'AO', tempC: 29.5 } },
  },
  // Xavier NX JP5.1.2: one-element GPC array `0%@[114]`, VIC_FREQ, PMIC@50C placeholder.
  'https://github.com/waggle-sensor/jetson-exporter/blob/f42578a7482ea2242eaa06e331f71692d8add1c8/tegrastats_test.go': {
    sample: {
      time: '2024-07-09T13:31:31',
      ram: { usedMiB: 3168, totalMiB: 6851 },
      swap: { usedMiB: 161, totalMiB: 3426, cachedMiB: 0 },
      cpu: [lf(23, 1397), lf(17, 1192), lf(16, 1190), lf(13, 1190), lf(23, 1190), lf(10, 1190)],
      gpu: lf(0, 114),
      emc: lf(2, 204),
      engines: { VIC: on(null, 115), APE: on(null, 150) },
      temps: { AUX: 45, CPU: 46.5, thermal: 45.6, AO: 45, GPU: 45.5, PMIC: 50 },
      power: { VDD_IN: rail(2763, 2846), VDD_CPU_GPU_CV: rail(650, 670), VDD_SOC: rail(650, 711) },
    },
    inputPowerMW: 2763,
    inputPowerLabel: 'VDD_IN',
    summary: { cpuAvgPct: 102 / 6, cpuOnline: 6, cpuOff: 0, hottest: { name: 'CPU', tempC: 46.5 } },
  },
  // TX1, L4T 28.1: `cpu [17%,13%,29%,5%]@408`, `EMC 1%@408`, `GR3D 3%@76`; no temperatures, no rails.
  'https://github.com/hordiales/jetson-tx1-dev/blob/HEAD/SCRIPTS.md': {
    sample: {
      time: null,
      ram: { usedMiB: 3468, totalMiB: 3983 },
      swap: { usedMiB: 873, totalMiB: 8192, cachedMiB: 295 },
      cpu: [lf(17, 408), lf(13, 408), lf(29, 408), lf(5, 408)],
      gpu: lf(3, 76),
      emc: lf(1, 408),
      engines: { APE: on(null, 25) },
      temps: {},
      power: {},
    },
    inputPowerMW: null,
    inputPowerLabel: null,
    summary: { cpuAvgPct: 16, cpuOnline: 4, cpuOff: 0, hottest: null },
  },
  // TX2 (jtop emulator, 2019): `(lfb 1x512kB)`, MTS, BCPU/MCPU, VDD_* rails without unit.
  'https://github.com/rbonghi/jetson_stats/blob/586e166ed1a3b3500a26949b0589f6f67cc501cc/tests/tegrastats': {
    sample: {
      time: null,
      ram: { usedMiB: 4722, totalMiB: 7844 },
      swap: null,
      cpu: [lf(55, 2035), lf(14, 2034), lf(27, 2034), lf(55, 2035), lf(47, 2035), lf(45, 2035)],
      gpu: lf(71, 1300),
      emc: lf(2, 1866),
      engines: { APE: on(null, 150) },
      temps: { BCPU: 45, MCPU: 45, GPU: 51, PLL: 45, AO: 47.5, Tboard: 37, Tdiode: 46.75, PMIC: 100, thermal: 46.4 },
      power: {
        VDD_IN: rail(14025, 14416),
        VDD_CPU: rail(2209, 2538),
        VDD_GPU: rail(6854, 6903),
        VDD_SOC: rail(1371, 1370),
        VDD_WIFI: rail(19, 19),
        VDD_DDR: rail(2702, 2702),
      },
    },
    inputPowerMW: 14025,
    inputPowerLabel: 'VDD_IN',
    summary: { cpuAvgPct: 40.5, cpuOnline: 6, cpuOff: 0, hottest: { name: 'GPU', tempC: 51 } },
  },
  // Orin Nano, JP6 style, non-root: `CPU [..,off,off]`, `GR3D_FREQ 1%`, no EMC, `VDD_CPU_GPU_CV 598mW/598`.
  'https://github.com/cmu-argus-1/tegrastats-parser/blob/d5bcb3fbbff132e882673ac41677b8e76d7b1da9/README.md': {
    sample: {
      time: '2024-12-23T22:54:11',
      ram: { usedMiB: 3162, totalMiB: 7620 },
      swap: { usedMiB: 0, totalMiB: 3810, cachedMiB: 0 },
      cpu: [lf(1, 729), lf(0, 729), lf(0, 729), lf(0, 729), null, null],
      gpu: lf(1, null),
      emc: null,
      engines: {},
      temps: { cpu: 62.843, soc2: 61.968, soc0: 60.625, gpu: 61.687, tj: 62.843, soc1: 61.687 },
      power: { VDD_IN: rail(3913, 3922), VDD_CPU_GPU_CV: rail(598, 598), VDD_SOC: rail(1238, 1237) },
    },
    inputPowerMW: 3913,
    inputPowerLabel: 'VDD_IN',
    summary: { cpuAvgPct: 0.25, cpuOnline: 4, cpuOff: 2, hottest: { name: 'tj', tempC: 62.843 } },
  },
  // AGX Thor, JP7.2: no GR3D_FREQ / EMC_FREQ, lowercase soc012/soc345 temperatures, VDD_GPU / VDD_CPU_SOC_MSS /
  // VIN_SYS_5V0 and the input VIN with three values (now/avg/max), no engines.
  'https://github.com/wendylabsinc/WendyOS/pull/1316': {
    sample: {
      time: '2026-07-02T13:45:44',
      ram: { usedMiB: 36529, totalMiB: 125749 },
      swap: { usedMiB: 11, totalMiB: 4096, cachedMiB: 9 },
      cpu: [2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2].map((load) => lf(load, 972)),
      gpu: null,
      emc: null,
      engines: {},
      temps: { cpu: 60.406, tj: 63.281, soc012: 58.468, gpu: 62.906, soc345: 63.281 },
      power: {
        VDD_GPU: rail(37528, 37528),
        VDD_CPU_SOC_MSS: rail(18961, 18961),
        VIN_SYS_5V0: rail(18331, 18331),
        VIN: rail(87426, 43713),
      },
    },
    railsMaxMW: { VDD_GPU: 37528, VDD_CPU_SOC_MSS: 18961, VIN_SYS_5V0: 18331, VIN: 87426 },
    inputPowerMW: 87426,
    inputPowerLabel: 'VIN',
    summary: { cpuAvgPct: 5 / 14, cpuOnline: 14, cpuOff: 0, hottest: { name: 'tj', tempC: 63.281 } },
  },
};

describe('parseTegrastatsLine on every fixture line', () => {
  it('has an expectation for every line of tegrastats.json and no other', () => {
    expect(fixtures.length).toBe(9);
    expect(new Set(fixtures.map((f) => f.source_url))).toEqual(new Set(Object.keys(FIXTURE_EXPECTED)));
  });

  it.each(fixtures.map((f) => [f.device, f] as const))('%s', (_device, fixture) => {
    const expected = FIXTURE_EXPECTED[fixture.source_url];
    if (expected === undefined) throw new Error(`no expectation for ${fixture.source_url}`);
    expectLine(fixture.line, expected);
  });

  it.each(fixtures.map((f) => [f.device, f] as const))('%s: the same with CRLF, tabs and extra spaces', (_d, f) => {
    const plain = parseStats(f.line);
    expect(parseStats(`  ${f.line.replaceAll(' ', ' \t ')}\r\n`)).toEqual(plain);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// §E.3 example lines
// ---------------------------------------------------------------------------------------------------------------

describe('reference §E.3 example lines', () => {
  it('JetPack 4 Nano, root', () => {
    expectLine(
      'RAM 331/3964MB (lfb 758x4MB) SWAP 0/1982MB (cached 0MB) IRAM 0/252kB(lfb 252kB) CPU [12%@102,5%@102,0%@102,3%@102] EMC_FREQ 3%@204 GR3D_FREQ 0%@76 APE 25 PLL@20.5C CPU@23.5C PMIC@100C GPU@22.5C AO@27.5C thermal@23C POM_5V_IN 933/933 POM_5V_GPU 0/0 POM_5V_CPU 84/105',
      {
        sample: {
          ram: { usedMiB: 331, totalMiB: 3964 },
          swap: { usedMiB: 0, totalMiB: 1982, cachedMiB: 0 },
          cpu: [lf(12, 102), lf(5, 102), lf(0, 102), lf(3, 102)],
          gpu: lf(0, 76),
          emc: lf(3, 204),
          engines: { APE: on(null, 25) },
          temps: { PLL: 20.5, CPU: 23.5, PMIC: 100, GPU: 22.5, AO: 27.5, thermal: 23 },
          power: { POM_5V_IN: rail(933, 933), POM_5V_GPU: rail(0, 0), POM_5V_CPU: rail(84, 105) },
        },
        inputPowerMW: 933,
        inputPowerLabel: 'POM_5V_IN',
        summary: { cpuAvgPct: 5, cpuOnline: 4, cpuOff: 0, hottest: { name: 'AO', tempC: 27.5 } },
      },
    );
  });

  it('JetPack 4 Nano, non-root ("same but EMC_FREQ 0% GR3D_FREQ 7%, no IRAM/APE")', () => {
    expectLine(
      'RAM 331/3964MB (lfb 758x4MB) SWAP 0/1982MB (cached 0MB) CPU [12%@102,5%@102,0%@102,3%@102] EMC_FREQ 0% GR3D_FREQ 7% PLL@20.5C CPU@23.5C PMIC@100C GPU@22.5C AO@27.5C thermal@23C POM_5V_IN 933/933 POM_5V_GPU 0/0 POM_5V_CPU 84/105',
      {
        sample: {
          ram: { usedMiB: 331, totalMiB: 3964 },
          swap: { usedMiB: 0, totalMiB: 1982, cachedMiB: 0 },
          cpu: [lf(12, 102), lf(5, 102), lf(0, 102), lf(3, 102)],
          gpu: lf(7, null),
          emc: lf(0, null),
          temps: { PLL: 20.5, CPU: 23.5, PMIC: 100, GPU: 22.5, AO: 27.5, thermal: 23 },
          power: { POM_5V_IN: rail(933, 933), POM_5V_GPU: rail(0, 0), POM_5V_CPU: rail(84, 105) },
        },
        inputPowerMW: 933,
        inputPowerLabel: 'POM_5V_IN',
        summary: { cpuAvgPct: 5, cpuOnline: 4, cpuOff: 0, hottest: { name: 'AO', tempC: 27.5 } },
      },
    );
  });

  it('JetPack 4 AGX Xavier, root (the reference\'s "..8 cores.." written out)', () => {
    expectLine(
      'RAM 408/15823MB (lfb 3702x4MB) SWAP 0/7911MB (cached 0MB) CPU [3%@2265,1%@2265,0%@2265,0%@2265,5%@2265,0%@2265,2%@2265,1%@2265] EMC_FREQ 0%@2133 GR3D_FREQ 30%@1377 APE 150 MTS fg 0% bg 0% AO@26.5C GPU@28C iwlwifi@30C Tdiode@31.25C PMIC@100C AUX@27C CPU@28C thermal@27.45C Tboard@27C GPU 1155/1155 CPU 385/385 SOC 2502/2502 CV 0/0 VDDRQ 192/192 SYS5V 2692/2692',
      {
        sample: {
          ram: { usedMiB: 408, totalMiB: 15823 },
          swap: { usedMiB: 0, totalMiB: 7911, cachedMiB: 0 },
          cpu: [3, 1, 0, 0, 5, 0, 2, 1].map((load) => lf(load, 2265)),
          gpu: lf(30, 1377),
          emc: lf(0, 2133),
          engines: { APE: on(null, 150) },
          temps: {
            AO: 26.5,
            GPU: 28,
            iwlwifi: 30,
            Tdiode: 31.25,
            PMIC: 100,
            AUX: 27,
            CPU: 28,
            thermal: 27.45,
            Tboard: 27,
          },
          power: {
            GPU: rail(1155, 1155),
            CPU: rail(385, 385),
            SOC: rail(2502, 2502),
            CV: rail(0, 0),
            VDDRQ: rail(192, 192),
            SYS5V: rail(2692, 2692),
          },
        },
        inputPowerMW: 1155 + 385 + 2502 + 0 + 192 + 2692,
        inputPowerLabel: 'sum of module rails',
        summary: { cpuAvgPct: 12 / 8, cpuOnline: 8, cpuOff: 0, hottest: { name: 'Tdiode', tempC: 31.25 } },
      },
    );
  });

  it('JetPack 5.1.2 Xavier NX', () => {
    const result = parseStats(
      '07-09-2024 13:31:31 RAM 3168/6851MB (lfb 2x4MB) SWAP 161/3426MB (cached 0MB) CPU [23%@1397,17%@1192,16%@1190,13%@1190,23%@1190,10%@1190] EMC_FREQ 2%@204 GR3D_FREQ 0%@[114] VIC_FREQ 115 APE 150 AUX@45C CPU@46.5C thermal@45.6C AO@45C GPU@45.5C PMIC@50C VDD_IN 2763mW/2846mW VDD_CPU_GPU_CV 650mW/670mW VDD_SOC 650mW/711mW',
    );
    expect(result.sample.time).toBe('2024-07-09T13:31:31');
    expect(result.sample.ram).toEqual({ usedMiB: 3168, totalMiB: 6851 });
    expect(result.sample.swap).toEqual({ usedMiB: 161, totalMiB: 3426, cachedMiB: 0 });
    expect(result.sample.cpu).toEqual([
      lf(23, 1397),
      lf(17, 1192),
      lf(16, 1190),
      lf(13, 1190),
      lf(23, 1190),
      lf(10, 1190),
    ]);
    expect(result.sample.gpu).toEqual(lf(0, 114));
    expect(result.sample.emc).toEqual(lf(2, 204));
    expect(result.sample.engines).toEqual({ VIC: on(null, 115), APE: on(null, 150) });
    expect(result.sample.temps).toEqual({ AUX: 45, CPU: 46.5, thermal: 45.6, AO: 45, GPU: 45.5, PMIC: 50 });
    expect(result.sample.power).toEqual({
      VDD_IN: rail(2763, 2846),
      VDD_CPU_GPU_CV: rail(650, 670),
      VDD_SOC: rail(650, 711),
    });
    expect([result.inputPowerMW, result.inputPowerLabel]).toEqual([2763, 'VDD_IN']);
    expect(result.unknownTokens).toEqual([]);
  });

  it('JetPack 5 AGX Orin 64GB (the reference\'s "0%@729 ×12" written out)', () => {
    const result = parseStats(
      `04-11-2025 10:36:27 RAM 4321/62801MB (lfb 1759x4MB) SWAP 19/31400MB (cached 0MB) CPU [${Array(12).fill('0%@729').join(',')}] EMC_FREQ 0%@2133 GR3D_FREQ 0%@[0,0] VIC_FREQ 729 APE 174 CV0@-256C CPU@44.562C Tboard@32C SOC2@40.093C Tdiode@33C SOC0@41.093C CV1@-256C GPU@-256C tj@44.343C SOC1@41.25C CV2@-256C VDD_GPU_SOC 2340mW/2340mW VDD_CPU_CV 390mW/390mW VIN_SYS_5V0 4025mW/4025mW NC 0mW/0mW VDDQ_VDD2_1V8AO 301mW/301mW NC 0mW/0mW`,
    );
    expect(result.sample.cpu).toEqual(same(12, 0, 729));
    expect(result.sample.gpu).toEqual(lf(0, 0));
    expect(result.invalidTemps).toEqual(['CV0', 'CV1', 'GPU', 'CV2']);
    expect(result.sample.temps.tj).toBe(44.343);
    expect(result.sample.power.NC).toEqual(rail(0, 0));
    expect(result.sample.power['NC#2']).toEqual(rail(0, 0));
    expect(result.sample.power.VDDQ_VDD2_1V8AO).toEqual(rail(301, 301));
    expect([result.inputPowerMW, result.inputPowerLabel]).toEqual([7056, 'sum of module rails']);
  });

  it("JetPack 5.0 early AGX Orin, root (the reference's fragment, given a RAM field)", () => {
    expectLine(
      'RAM 2000/30536MB (lfb 10x4MB) EMC_FREQ 0%@204 GR3D_FREQ 40%@0 GR3D2_FREQ 35%@0 NVJPG1 729 VIC_FREQ 115 APE 233',
      {
        sample: {
          ram: { usedMiB: 2000, totalMiB: 30536 },
          gpu: lf(40, 0),
          emc: lf(0, 204),
          engines: { GR3D2: on(35, 0), NVJPG1: on(null, 729), VIC: on(null, 115), APE: on(null, 233) },
        },
        inputPowerMW: null,
        inputPowerLabel: null,
        summary: { cpuAvgPct: null, cpuOnline: 0, cpuOff: 0, hottest: null },
      },
    );
  });

  it('JetPack 6 (R36.4) Orin Nano 8GB', () => {
    expectLine(
      '10-08-2026 04:38:21 RAM 1343/7620MB (lfb 157x4MB) SWAP 165/3810MB (cached 3MB) CPU [0%@1497,0%@729,0%@729,0%@729,0%@729,0%@729] EMC_FREQ 15%@204 GR3D_FREQ 0%@[305] NVDEC off NVJPG off VIC off OFA off APE 200 cpu@48.562C soc2@46.593C soc0@48.625C gpu@49.625C tj@49.312C soc1@47.937C VDD_IN 5251mW/8535mW VDD_CPU_GPU_CV 512mW/1944mW VDD_SOC 2720mW/3659mW',
      {
        sample: {
          time: '2026-10-08T04:38:21',
          ram: { usedMiB: 1343, totalMiB: 7620 },
          swap: { usedMiB: 165, totalMiB: 3810, cachedMiB: 3 },
          cpu: [lf(0, 1497), ...same(5, 0, 729)],
          gpu: lf(0, 305),
          emc: lf(15, 204),
          engines: { NVDEC: OFF, NVJPG: OFF, VIC: OFF, OFA: OFF, APE: on(null, 200) },
          temps: { cpu: 48.562, soc2: 46.593, soc0: 48.625, gpu: 49.625, tj: 49.312, soc1: 47.937 },
          power: { VDD_IN: rail(5251, 8535), VDD_CPU_GPU_CV: rail(512, 1944), VDD_SOC: rail(2720, 3659) },
        },
        inputPowerMW: 5251,
        inputPowerLabel: 'VDD_IN',
        summary: { cpuAvgPct: 0, cpuOnline: 6, cpuOff: 0, hottest: { name: 'tj', tempC: 49.312 } },
      },
    );
  });

  it('JetPack 6 (R36.4.4) AGX Orin 64GB (the reference\'s "CPU [14%@2188,…]" written out)', () => {
    const loads = [14, 3, 0, 1, 0, 0, 2, 0, 0, 0, 0, 0];
    expectLine(
      `05-09-2026 18:42:06 RAM 18207/62841MB (lfb 466x4MB) SWAP 86/31420MB (cached 0MB) CPU [${loads.map((l) => `${l}%@2188`).join(',')}] EMC_FREQ 3%@2133 GR3D_FREQ 0%@[0,0] NVENC 79%@166 NVDEC off NVJPG off NVJPG1 off VIC 36%@115 OFA off NVDLA0 off NVDLA1 off PVA0_FREQ off APE 174 cpu@52.562C soc2@48.437C soc0@49.093C tj@52.562C soc1@49.656C VDD_GPU_SOC 2412mW/2412mW VDD_CPU_CV 1607mW/1607mW VIN_SYS_5V0 4707mW/4707mW`,
      {
        sample: {
          time: '2026-05-09T18:42:06',
          ram: { usedMiB: 18207, totalMiB: 62841 },
          swap: { usedMiB: 86, totalMiB: 31420, cachedMiB: 0 },
          cpu: loads.map((load) => lf(load, 2188)),
          gpu: lf(0, 0),
          emc: lf(3, 2133),
          engines: {
            NVENC: on(79, 166),
            NVDEC: OFF,
            NVJPG: OFF,
            NVJPG1: OFF,
            VIC: on(36, 115),
            OFA: OFF,
            NVDLA0: OFF,
            NVDLA1: OFF,
            PVA0: OFF,
            APE: on(null, 174),
          },
          temps: { cpu: 52.562, soc2: 48.437, soc0: 49.093, tj: 52.562, soc1: 49.656 },
          power: { VDD_GPU_SOC: rail(2412, 2412), VDD_CPU_CV: rail(1607, 1607), VIN_SYS_5V0: rail(4707, 4707) },
        },
        inputPowerMW: 2412 + 1607 + 4707,
        inputPowerLabel: 'sum of module rails',
        summary: { cpuAvgPct: 20 / 12, cpuOnline: 12, cpuOff: 0, hottest: { name: 'tj', tempC: 52.562 } },
      },
    );
  });

  it('JetPack 7.2 AGX Orin, exactly as the reference shortens it ("CPU [23%@2201,… ×12]")', () => {
    expectLine(
      '07-25-2026 09:08:28 RAM 20642/62817MB (lfb 1x2MB) CPU [23%@2201,… ×12] EMC_FREQ 3%@3199 GR3D_FREQ 12%@[1300,1300] NVENC0 off NVDEC0 off NVJPG0 off NVJPG1 off VIC off OFA off NVDLA0 off NVDLA1 off PVA0_FREQ off APE 174 cpu@52.968C/52.968C soc2@48.406C/48.406C soc0@49.531C/49.531C gpu@47.625C/47.625C VDD_GPU_SOC 5139mW/5139mW/5139mW VDD_CPU_CV 3268mW/3268mW/3268mW VIN_SYS_5V0 5500mW/5500mW/5500mW',
      {
        sample: {
          time: '2026-07-25T09:08:28',
          ram: { usedMiB: 20642, totalMiB: 62817 },
          // The ellipsis is not a core: it reads as one unreadable core, kept verbatim.
          cpu: [lf(23, 2201), null],
          gpu: lf(12, 1300),
          emc: lf(3, 3199),
          engines: {
            NVENC0: OFF,
            NVDEC0: OFF,
            NVJPG0: OFF,
            NVJPG1: OFF,
            VIC: OFF,
            OFA: OFF,
            NVDLA0: OFF,
            NVDLA1: OFF,
            PVA0: OFF,
            APE: on(null, 174),
          },
          temps: { cpu: 52.968, soc2: 48.406, soc0: 49.531, gpu: 47.625 },
          power: { VDD_GPU_SOC: rail(5139, 5139), VDD_CPU_CV: rail(3268, 3268), VIN_SYS_5V0: rail(5500, 5500) },
        },
        unknownTokens: ['… ×12'],
        railsMaxMW: { VDD_GPU_SOC: 5139, VDD_CPU_CV: 3268, VIN_SYS_5V0: 5500 },
        inputPowerMW: 13907,
        inputPowerLabel: 'sum of module rails',
        summary: { cpuAvgPct: 23, cpuOnline: 1, cpuOff: 1, hottest: { name: 'cpu', tempC: 52.968 } },
      },
    );
  });

  it('JetPack 7 AGX Thor, loaded (14 cores written out, one off)', () => {
    const loads = [90, 75, null, 7, 60, 55, 40, 30, 20, 10, 5, 3, 2, 1];
    expectLine(
      `08-08-2026 21:00:39 RAM 8353/125749MB (lfb 31x4MB) CPU [${loads.map((l) => (l === null ? 'off' : `${l}%@2601`)).join(',')}] EMC_FREQ 34%@4266 GR3D_FREQ 87%@[1574,1574,1574] NVENC0_FREQ @1691 VIC off cpu@58.25C/61.75C tj@66.625C/66.625C gpu@56.937C/66.625C soc012@55.375C/58.781C soc345@55.812C/60.031C VDD_GPU 37939mW/8660mW/37939mW VDD_CPU_SOC_MSS 30059mW/12281mW/30059mW VIN_SYS_5V0 15486mW/7424mW/15486mW VIN 124486mW/36487mW/124486mW`,
      {
        sample: {
          time: '2026-08-08T21:00:39',
          ram: { usedMiB: 8353, totalMiB: 125749 },
          cpu: loads.map((load) => (load === null ? null : lf(load, 2601))),
          gpu: lf(87, 1574),
          emc: lf(34, 4266),
          engines: { NVENC0: on(null, 1691), VIC: OFF },
          temps: { cpu: 58.25, tj: 66.625, gpu: 56.937, soc012: 55.375, soc345: 55.812 },
          power: {
            VDD_GPU: rail(37939, 8660),
            VDD_CPU_SOC_MSS: rail(30059, 12281),
            VIN_SYS_5V0: rail(15486, 7424),
            VIN: rail(124486, 36487),
          },
        },
        railsMaxMW: { VDD_GPU: 37939, VDD_CPU_SOC_MSS: 30059, VIN_SYS_5V0: 15486, VIN: 124486 },
        inputPowerMW: 124486,
        inputPowerLabel: 'VIN',
        summary: { cpuAvgPct: 398 / 13, cpuOnline: 13, cpuOff: 1, hottest: { name: 'tj', tempC: 66.625 } },
      },
    );
  });

  it('JetPack 7 AGX Thor, idle: `EMC_FREQ @4266 GR3D_FREQ @[1574,1574,1574]` (no load printed)', () => {
    expectLine(
      `08-08-2026 21:05:10 RAM 6120/125749MB (lfb 40x4MB) CPU [${Array(14).fill('0%@972').join(',')}] EMC_FREQ @4266 GR3D_FREQ @[1574,1574,1574] NVENC0_FREQ @1691 VIC off cpu@45.5C/61.75C tj@47.25C/66.625C VIN 28906mW/14453mW/28906mW`,
      {
        sample: {
          time: '2026-08-08T21:05:10',
          ram: { usedMiB: 6120, totalMiB: 125749 },
          cpu: same(14, 0, 972),
          gpu: lf(null, 1574),
          emc: lf(null, 4266),
          engines: { NVENC0: on(null, 1691), VIC: OFF },
          temps: { cpu: 45.5, tj: 47.25 },
          power: { VIN: rail(28906, 14453) },
        },
        railsMaxMW: { VIN: 28906 },
        inputPowerMW: 28906,
        inputPowerLabel: 'VIN',
        summary: { cpuAvgPct: 0, cpuOnline: 14, cpuOff: 0, hottest: { name: 'tj', tempC: 47.25 } },
      },
    );
  });

  it("jtop's own Thor test: `GR3D_FREQ @[1000,1000,1000]`", () => {
    expect(parseStats('RAM 1/2MB GR3D_FREQ @[1000,1000,1000]').sample.gpu).toEqual(lf(null, 1000));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// §E.5 edge-case checklist
// ---------------------------------------------------------------------------------------------------------------

describe('reference §E.5 edge cases', () => {
  it('1. no timestamp (JP4) vs a leading timestamp (JP5+)', () => {
    expect(parseStats('RAM 331/3964MB (lfb 758x4MB)').sample.time).toBeNull();
    const stamped = parseStats('10-08-2026 04:38:21 RAM 1343/7620MB (lfb 157x4MB)');
    expect(stamped.sample.time).toBe('2026-10-08T04:38:21');
    expect(stamped.sample.ram).toEqual({ usedMiB: 1343, totalMiB: 7620 });
    expect(stamped.unknownTokens).toEqual([]);
    // An impossible date is not a time: it is kept as unknown tokens, the rest still parses.
    const bad = parseStats('13-40-2026 25:61:00 RAM 1/2MB');
    expect(bad.sample.time).toBeNull();
    expect(bad.unknownTokens).toEqual(['13-40-2026', '25:61:00']);
  });

  it('2. lfb in kB (`1x512kB`), in 1MB blocks, and IRAM without a space before "(lfb"', () => {
    const kb = parseStats('RAM 4722/7844MB (lfb 1x512kB) CPU [1%@2035]');
    expect(kb.sample.ram).toEqual({ usedMiB: 4722, totalMiB: 7844 });
    expect(kb.unknownTokens).toEqual([]);
    const mb = parseStats('RAM 900/1980MB (lfb 242x1MB) GR3D_FREQ 5%');
    expect(mb.sample.ram).toEqual({ usedMiB: 900, totalMiB: 1980 });
    expect(mb.sample.gpu).toEqual(lf(5, null));
    expect(mb.unknownTokens).toEqual([]);
    const iram = parseStats('RAM 1446/3957MB (lfb 458x4MB) IRAM 0/252kB(lfb 252kB) APE 25');
    expect(iram.sample.engines).toEqual({ APE: on(null, 25) });
    expect(iram.unknownTokens).toEqual([]);
    // RAM itself may also lose the space, and sizes in kB or GB are converted to MiB.
    expect(parseStats('RAM 331/3964MB(lfb 758x4MB)').sample.ram).toEqual({ usedMiB: 331, totalMiB: 3964 });
    expect(parseStats('RAM 512/2048kB').sample.ram).toEqual({ usedMiB: 0.5, totalMiB: 2 });
    expect(parseStats('RAM 1/8GB SWAP 2/4GB (cached 512kB)').sample).toMatchObject({
      ram: { usedMiB: 1024, totalMiB: 8192 },
      swap: { usedMiB: 2048, totalMiB: 4096, cachedMiB: 0.5 },
    });
  });

  it('3. SWAP absent, SWAP after CPU (old TX2 "extra" line), SWAP without "(cached …)"', () => {
    expect(parseStats('RAM 20642/62817MB (lfb 1x2MB) CPU [23%@2201]').sample.swap).toBeNull();
    const after = parseStats('RAM 2000/7844MB (lfb 5x4MB) CPU [5%@345,off] SWAP 10/3922MB (cached 1MB) EMC_FREQ 1%');
    expect(after.sample.swap).toEqual({ usedMiB: 10, totalMiB: 3922, cachedMiB: 1 });
    expect(after.sample.cpu).toEqual([lf(5, 345), null]);
    expect(after.sample.emc).toEqual(lf(1, null));
    expect(after.unknownTokens).toEqual([]);
    expect(parseStats('RAM 1/2MB SWAP 3/4MB').sample.swap).toEqual({ usedMiB: 3, totalMiB: 4, cachedMiB: null });
  });

  it('4a. cores `off` anywhere, several trailing', () => {
    const result = parseStats('RAM 1/2MB CPU [off,12%@1190,off,3%@1190,off,off,off,off]');
    expect(result.sample.cpu).toEqual([null, lf(12, 1190), null, lf(3, 1190), null, null, null, null]);
    expect(summarizeSample(result.sample)).toEqual({ cpuAvgPct: 7.5, cpuOnline: 2, cpuOff: 6, hottest: null });
  });

  it.each([4, 6, 8, 12, 14])('4b. %i cores', (count) => {
    const cores = Array.from({ length: count }, (_, i) => `${i}%@${1000 + i}`).join(',');
    expect(parseStats(`RAM 1/2MB CPU [${cores}]`).sample.cpu).toEqual(
      Array.from({ length: count }, (_, i) => lf(i, 1000 + i)),
    );
  });

  it('4c. one clock after the bracket (`CPU [x%,y%]@f`, Thor / NV docs) applies to every online core', () => {
    const result = parseStats('RAM 1/2MB CPU [10%,20%,off,0%]@2601');
    expect(result.sample.cpu).toEqual([lf(10, 2601), lf(20, 2601), null, lf(0, 2601)]);
    expect(result.unknownTokens).toEqual([]);
    // Without any clock (non-root old form) the cores have a load only.
    expect(parseStats('RAM 1/2MB CPU [10%,off]').sample.cpu).toEqual([lf(10, null), null]);
  });

  it('4d. a malformed core (`bad`) is null and kept verbatim', () => {
    const result = parseStats('RAM 1/2MB CPU [5%@729,bad,7%@729]');
    expect(result.sample.cpu).toEqual([lf(5, 729), null, lf(7, 729)]);
    expect(result.unknownTokens).toEqual(['bad']);
    expect(parseStats('RAM 1/2MB CPU []').sample.cpu).toEqual([]);
  });

  it.each([
    ['45%', lf(45, null)],
    ['45%@918', lf(45, 918)],
    ['12%@[1300,1300]', lf(12, 1300)],
    ['@[1574,1574,1574]', lf(null, 1574)],
    ['0%@[305]', lf(0, 305)],
    ['0%@[0,0]', lf(0, 0)],
    ['0%@76', lf(0, 76)],
    ['50%@[300,1300,x]', lf(50, 1300)],
  ])('5. GR3D_FREQ %s', (value, expected) => {
    const result = parseStats(`RAM 1/2MB GR3D_FREQ ${value}`);
    expect(result.sample.gpu).toEqual(expected);
    expect(result.unknownTokens).toEqual([]);
  });

  it('6. GR3D2_FREQ (second GPC, early JP5 AGX Orin) is kept as an engine', () => {
    const result = parseStats('RAM 1/2MB GR3D_FREQ 40%@0 GR3D2_FREQ 35%@0');
    expect(result.sample.gpu).toEqual(lf(40, 0));
    expect(result.sample.engines).toEqual({ GR3D2: on(35, 0) });
  });

  it.each([
    ['0%', lf(0, null)],
    ['3%@2133', lf(3, 2133)],
    ['@4266', lf(null, 4266)],
  ])('7. EMC_FREQ %s', (value, expected) => {
    const result = parseStats(`RAM 1/2MB EMC_FREQ ${value}`);
    expect(result.sample.emc).toEqual(expected);
    expect(result.unknownTokens).toEqual([]);
  });

  it('8. engines: off, bare MHz, %@MHz, @MHz, numbered names, `_FREQ` stripped', () => {
    const result = parseStats(
      'RAM 1/2MB APE 174 VIC_FREQ 115 NVENC 716 NVDEC 716 NVENC 79%@166 NVENC0_FREQ @1691 NVDLA0 off NVJPG1 off PVA0_FREQ off MSENC 600 OFA 45%',
    );
    expect(result.sample.engines).toEqual({
      APE: on(null, 174),
      VIC: on(null, 115),
      NVENC: on(null, 716),
      NVDEC: on(null, 716),
      'NVENC#2': on(79, 166),
      NVENC0: on(null, 1691),
      NVDLA0: OFF,
      NVJPG1: OFF,
      PVA0: OFF,
      MSENC: on(null, 600),
      OFA: on(45, null),
    });
    expect(result.unknownTokens).toEqual([]);
  });

  it('8b. IRAM and `MTS fg … bg …` are understood and leave nothing unknown', () => {
    const result = parseStats('RAM 1/2MB IRAM 0/252kB(lfb 252kB) APE 150 MTS fg 0% bg 12% BCPU@45C');
    expect(result.sample.engines).toEqual({ APE: on(null, 150) });
    expect(result.sample.temps).toEqual({ BCPU: 45 });
    expect(result.unknownTokens).toEqual([]);
  });

  it('9. temperatures: -256C and -45C invalid, decimals, JP7 cur/max, CPU@ vs cpu@ kept raw', () => {
    const result = parseStats(
      'RAM 1/2MB CV0@-256C GPU@-256C BCPU@-45C SOC0@41.093C cpu@52.968C/61.75C CPU@31.5C tj@-39.5C',
    );
    expect(result.sample.temps).toEqual({ SOC0: 41.093, cpu: 52.968, CPU: 31.5, tj: -39.5 });
    expect(result.invalidTemps).toEqual(['CV0', 'GPU', 'BCPU']);
    expect(result.unknownTokens).toEqual([]);
    expect(parseStats('RAM 1/2MB AO@-40C').invalidTemps).toEqual(['AO']);
  });

  it('10a. rails without unit (JP4), mW (JP5/6), three values (JP7), W, mixed units', () => {
    const result = parseStats(
      'RAM 1/2MB POM_5V_CPU 84/105 VDD_SOC 2720mW/3659mW VIN 124486mW/36487mW/124486mW VDD_GPU 1.5W/1.234W/2W VDD_CPU_GPU_CV 598mW/598',
    );
    expect(result.sample.power).toEqual({
      POM_5V_CPU: rail(84, 105),
      VDD_SOC: rail(2720, 3659),
      VIN: rail(124486, 36487),
      VDD_GPU: rail(1500, 1234),
      VDD_CPU_GPU_CV: rail(598, 598),
    });
    expect(result.railsMaxMW).toEqual({ VIN: 124486, VDD_GPU: 2000 });
    expect(result.unknownTokens).toEqual([]);
  });

  it('10b. rails named GPU/CPU (AGX Xavier JP4) are rails by their `/`, next to temperatures of the same name', () => {
    const result = parseStats('RAM 408/15823MB CPU [1%@2265] GPU@28C CPU@28C GPU 1155/1155 CPU 385/385 SOC 2502/2502');
    expect(result.sample.cpu).toEqual([lf(1, 2265)]);
    expect(result.sample.gpu).toBeNull();
    expect(result.sample.temps).toEqual({ GPU: 28, CPU: 28 });
    expect(result.sample.power).toEqual({ GPU: rail(1155, 1155), CPU: rail(385, 385), SOC: rail(2502, 2502) });
    expect([result.inputPowerMW, result.inputPowerLabel]).toEqual([4042, 'sum of module rails']);
  });

  it('10c. duplicate rail names (`NC` twice on AGX Orin) get `#2`, also in railsMaxMW', () => {
    const result = parseStats('RAM 1/2MB NC 0mW/0mW/0mW VDDQ_VDD2_1V8AO 301mW/301mW NC 5mW/4mW/6mW NC 1/1');
    expect(result.sample.power).toEqual({
      NC: rail(0, 0),
      VDDQ_VDD2_1V8AO: rail(301, 301),
      'NC#2': rail(5, 4),
      'NC#3': rail(1, 1),
    });
    expect(result.railsMaxMW).toEqual({ NC: 0, 'NC#2': 6 });
  });

  it('10d. input power: VDD_IN, else POM_5V_IN, else VIN, else the sum of all rails', () => {
    const pick = (rails: string) => {
      const r = parseStats(`RAM 1/2MB ${rails}`);
      return [r.inputPowerMW, r.inputPowerLabel];
    };
    expect(pick('VDD_CPU 10/10 VIN 50/50 POM_5V_IN 40/40 VDD_IN 30/30')).toEqual([30, 'VDD_IN']);
    expect(pick('VDD_CPU 10/10 VIN 50/50 POM_5V_IN 40/40')).toEqual([40, 'POM_5V_IN']);
    expect(pick('VDD_CPU 10/10 VIN 50mW/40mW/60mW')).toEqual([50, 'VIN']);
    expect(pick('VDD_CPU 10/10 VIN_SYS_5V0 50/50')).toEqual([60, 'sum of module rails']);
    expect(pick('')).toEqual([null, null]);
  });

  it('11. root-only fields missing and no rails at all', () => {
    expectLine(
      '12-23-2024 22:54:11 RAM 3162/7620MB (lfb 4x2MB) CPU [1%@729,0%@729] GR3D_FREQ 1% cpu@62.843C tj@62.843C',
      {
        sample: {
          time: '2024-12-23T22:54:11',
          ram: { usedMiB: 3162, totalMiB: 7620 },
          cpu: [lf(1, 729), lf(0, 729)],
          gpu: lf(1, null),
          temps: { cpu: 62.843, tj: 62.843 },
        },
        inputPowerMW: null,
        inputPowerLabel: null,
        summary: { cpuAvgPct: 0.5, cpuOnline: 2, cpuOff: 0, hottest: { name: 'tj', tempC: 62.843 } },
      },
    );
  });

  it('12. unknown future tokens are kept verbatim; unknown engines are engines', () => {
    const result = parseStats(
      'RAM 1/2MB FUTURE_TOKEN value NVXYZ_FREQ 12%@300 GR3D_PCT 45% weird:thing GR3D_FREQ off APE 25',
    );
    expect(result.unknownTokens).toEqual(['FUTURE_TOKEN', 'value', 'weird:thing', 'GR3D_FREQ', 'off']);
    expect(result.sample.engines).toEqual({ NVXYZ: on(12, 300), GR3D_PCT: on(45, null), APE: on(null, 25) });
    expect(result.sample.gpu).toBeNull();
  });

  it.each([
    ['', 'empty line'],
    ['   \r\n', 'empty line'],
    ['Unknown command', 'no RAM field'],
    ['tegrastats: Permission denied', 'no RAM field'],
    ['Error: cannot open /sys/kernel/debug/clk/emc/clk_rate', 'no RAM field'],
    ['04-11-2025 10:36:27 RAM 4321/628', 'no RAM field'],
    ['04-11-2025 10:36:27', 'no RAM field'],
    [`RAM ${'9'.repeat(400)}/2MB`, 'unreadable RAM field'],
  ])('13. not a stats line: %j', (line, reason) => {
    const result = parseTegrastatsLine(line);
    expect(result.kind).toBe('not-stats');
    if (result.kind === 'not-stats') expect(result.reason.startsWith(reason)).toBe(true);
  });

  it('14. a partial line at process kill stays in `rest` (LF and CRLF)', () => {
    expect(splitLines('RAM 1/2MB CPU [1%@729]\nRAM 3/4MB\r\nRAM 5/6M')).toEqual({
      lines: ['RAM 1/2MB CPU [1%@729]', 'RAM 3/4MB'],
      rest: 'RAM 5/6M',
    });
    expect(splitLines('RAM 1/2MB\n')).toEqual({ lines: ['RAM 1/2MB'], rest: '' });
    expect(splitLines('RAM 1/2')).toEqual({ lines: [], rest: 'RAM 1/2' });
    expect(splitLines('')).toEqual({ lines: [], rest: '' });
    expect(splitLines('\n\n')).toEqual({ lines: ['', ''], rest: '' });
    // A CR that arrived without its LF is kept, so the next chunk completes the CRLF.
    const first = splitLines('RAM 1/2MB\r');
    expect(first).toEqual({ lines: [], rest: 'RAM 1/2MB\r' });
    expect(splitLines(`${first.rest}\nRAM 3/4MB`)).toEqual({ lines: ['RAM 1/2MB'], rest: 'RAM 3/4MB' });
  });

  it('14b. streaming the fixture file in odd-sized chunks gives back every line', () => {
    const text = fixtures.map((f) => `${f.line}\r\n`).join('');
    const lines: string[] = [];
    let rest = '';
    for (let i = 0; i < text.length; i += 37) {
      const split = splitLines(rest + text.slice(i, i + 37));
      lines.push(...split.lines);
      rest = split.rest;
    }
    expect(lines).toEqual(fixtures.map((f) => f.line));
    expect(rest).toBe('');
  });
});

describe('summarizeSample', () => {
  it('prefers tj, else the hottest sensor other than the PMIC placeholder', () => {
    const sample = emptySample('tegrastats');
    expect(summarizeSample(sample)).toEqual({ cpuAvgPct: null, cpuOnline: 0, cpuOff: 0, hottest: null });
    sample.temps = { PMIC: 100, AO: 30, GPU: 41.5, CPU: 40 };
    expect(summarizeSample(sample).hottest).toEqual({ name: 'GPU', tempC: 41.5 });
    sample.temps = { PMIC: 100, AO: 30, GPU: 41.5, tj: 39 };
    expect(summarizeSample(sample).hottest).toEqual({ name: 'tj', tempC: 39 });
    sample.temps = { PMIC: 100 };
    expect(summarizeSample(sample).hottest).toBeNull();
  });

  it('averages only online cores with a load', () => {
    const sample = emptySample('tegrastats');
    sample.cpu = [lf(10, 729), null, lf(null, 729), lf(30, null), null];
    expect(summarizeSample(sample)).toEqual({ cpuAvgPct: 20, cpuOnline: 3, cpuOff: 2, hottest: null });
  });
});
