/**
 * The tegrastats parser against a second oracle, jtop (rbonghi/jetson_stats): the lines of jtop's own parser test
 * (jtop/tests/test_06_tegra_parse.py) with jtop's expected values, and the twelve lines of jtop's tegrastats
 * emulator (tests/tegrastats, loads fixed at 42). Sources and commits: test/fixtures/upstream/README.md.
 * Where the two parsers differ on purpose, the test says why: jtop gives clocks in kHz, this parser in MHz (the unit
 * tegrastats prints); jtop calls a bare `APE 174` a value, this parser a clock in MHz (APE prints its clock only);
 * jtop parses a fragment, this parser wants a stats line (a RAM field) and reads the fragment inside one.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { upstreamPath } from '../../helpers/upstream.js';
import { parseTegrastatsLine, type TegrastatsStats } from '../../../src/monitor/core/tegrastats.js';

interface JtopValue {
  val?: number;
  frq?: number;
}

interface JtopCase {
  name: string;
  about: string;
  line: string;
  jtop: Record<string, JtopValue>;
}

const fixture = JSON.parse(readFileSync(upstreamPath('jtop/tegra-parse-cases.json'), 'utf8')) as {
  cases: JtopCase[];
};
const emulatorLines = readFileSync(upstreamPath('jtop/emulator-lines.log'), 'utf8').split('\n').filter(Boolean);

/** The stats of a line that must parse as one. */
function stats(line: string): TegrastatsStats {
  const parsed = parseTegrastatsLine(line);
  if (parsed.kind !== 'stats') throw new Error(`not a stats line: ${parsed.reason}`);
  return parsed;
}

/** jtop's kHz → the MHz tegrastats prints (and this parser keeps). */
const kHzToMHz = (kHz: number | undefined): number | null => (kHz === undefined ? null : kHz / 1000);

/** A jtop case by name. */
function jtopCase(name: string): JtopCase {
  const found = fixture.cases.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no jtop case ${name}`);
  return found;
}

describe("jtop's GR3D_FREQ cases (test_06_tegra_parse.py), jtop's kHz read as MHz", () => {
  it.each(['TEGRASTATS_ORIN_JP7', 'TEGRASTATS_THOR', 'TEGRASTATS_ORIN_JP6'])('%s', (name) => {
    const c = jtopCase(name);
    const gr3d = c.jtop.GR3D ?? {};
    expect(stats(c.line).sample.gpu).toEqual({ loadPct: gr3d.val ?? null, freqMHz: kHzToMHz(gr3d.frq) });
  });

  it('JetPack 7 Orin: EMC as jtop reads it; the timestamp is the sample time, not a value', () => {
    const c = jtopCase('TEGRASTATS_ORIN_JP7');
    const parsed = stats(c.line);
    expect(parsed.sample.emc).toEqual({ loadPct: c.jtop.EMC?.val, freqMHz: kHzToMHz(c.jtop.EMC?.frq) });
    // jtop's DATE() strips it and asserts '2026' is no value; here it becomes the sample's (local) time.
    expect(parsed.sample.time).toBe('2026-07-25T09:08:28');
    expect(parsed.unknownTokens).toEqual([]);
  });

  it('APE: jtop keeps 174 as a bare value; here it is the engine clock in MHz (on purpose: APE prints no load)', () => {
    const c = jtopCase('TEGRASTATS_ORIN_JP7');
    expect(c.jtop.APE).toEqual({ val: 174 });
    expect(stats(c.line).sample.engines.APE).toEqual({ state: 'on', loadPct: null, freqMHz: 174 });
  });

  it('a 0% load keeps its frequency; the bare fragment is no stats line here (on purpose), inside one it is', () => {
    const c = jtopCase('zero utilization keeps frequency');
    const gr3d = c.jtop.GR3D ?? {};
    expect(parseTegrastatsLine(c.line).kind).toBe('not-stats');
    const inLine = `RAM 4722/7844MB (lfb 1x512kB) EMC_FREQ 2%@1866 ${c.line} APE 150`;
    expect(stats(inLine).sample.gpu).toEqual({ loadPct: gr3d.val, freqMHz: kHzToMHz(gr3d.frq) });
  });
});

describe("jtop's tegrastats emulator lines (tests/tegrastats), every model with and without sudo", () => {
  it('has the twelve lines', () => {
    expect(emulatorLines).toHaveLength(12);
  });

  it.each(emulatorLines.map((line, i) => [i, line] as const))('line %i parses with nothing left over', (_i, line) => {
    const parsed = stats(line);
    expect(parsed.unknownTokens).toEqual([]);
    expect(parsed.sample.ram).not.toBeNull();
    // Every random core load was fixed at 42 % (the Orin line writes one core as a literal 0%), and every GR3D load
    // too where the line has one.
    const loads = parsed.sample.cpu.filter((core) => core !== null).map((core) => core.loadPct);
    const written = [...line.matchAll(/[[,](\d+)%/g)].map((m) => Number(m[1]));
    expect(loads).toEqual(written);
    expect(loads.every((load) => load === 42 || load === 0)).toBe(true);
    if (/GR3D_FREQ 42%/.test(line)) expect(parsed.sample.gpu?.loadPct).toBe(42);
  });
});
