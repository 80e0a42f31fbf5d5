/**
 * The tegrastats parser as it was before the per-tick speed-ups (src/core/tegrastats.ts, now src/monitor/core/tegrastats.ts, of commit 2320382, kept
 * verbatim below this comment apart from the import path): the reference the fast parser must agree with, line
 * for line (test/monitor/core/tegrastats.property.test.ts).
 */
/**
 * Parser for `tegrastats` lines (every Jetson from TX1 / JetPack 3 to Thor / JetPack 7) into a telemetry Sample.
 * Pure and total: any string in, a result out, never a throw. tegrastats has no stable grammar, so every field is
 * looked for wherever it sits in the line, and whatever is not understood is kept verbatim in `unknownTokens`.
 * Format: reference/jetson-platform.md §E (E.2 grammar, E.3 examples, E.4 algorithm, E.5 edge cases).
 */
import {
  emptySample,
  type EngineState,
  type LoadFreq,
  type PowerRail,
  type Sample,
} from '../../src/monitor/core/sample.js';

/** What one tegrastats line holds: a sample plus what did not fit in it, or why the line is not a stats line. */
export type TegrastatsParse = TegrastatsStats | { kind: 'not-stats'; reason: string };

/** A parsed stats line: the sample and the figures a Sample has no place for. */
export interface TegrastatsStats {
  kind: 'stats';
  sample: Sample;
  /** Tokens not understood, verbatim and in line order (malformed CPU cores verbatim too). */
  unknownTokens: string[];
  /** Raw names of sensors that read ≤ -40 °C (`CV0@-256C`: sensor absent or power-gated), left out of temps. */
  invalidTemps: string[];
  /** JP7's third rail value (running maximum) in milliwatts, by the same key as `sample.power`. */
  railsMaxMW: Record<string, number>;
  /** Board/module input power in milliwatts (VDD_IN, else POM_5V_IN, else VIN, else the sum of all rails). */
  inputPowerMW: number | null;
  /** Which rail `inputPowerMW` comes from ("VDD_IN", "POM_5V_IN", "VIN" or "sum of module rails"); null if none. */
  inputPowerLabel: string | null;
}

/** Figures derived from a sample for the live panel: CPU mean load in % and core counts, hottest sensor in °C. */
export interface SampleSummary {
  /** Mean load in percent over the online cores; null when no core is online. */
  cpuAvgPct: number | null;
  cpuOnline: number;
  /** Cores listed as `off` (or unreadable). */
  cpuOff: number;
  /** `tj` (junction) when present, else the hottest valid sensor; null when there is none. */
  hottest: { name: string; tempC: number } | null;
}

/** The label of `inputPowerMW` when no input rail exists (AGX Orin, AGX Xavier). */
const SUM_OF_RAILS_LABEL = 'sum of module rails';
/** Input rails in order of preference: TX2/Xavier NX/Orin Nano/NX, Nano, Thor. */
const INPUT_RAILS = ['VDD_IN', 'POM_5V_IN', 'VIN'] as const;
/** At or below this a sensor reading means "no sensor" (-256 °C on power-gated CV/GPU zones). */
const MIN_VALID_TEMP_C = -40;

/** An unsigned decimal number as tegrastats prints it ("729", "44.562"). */
const NUM = String.raw`\d+(?:\.\d+)?`;
/** A memory size unit; tegrastats' "MB" are MiB (it divides kB by 1024). */
const SIZE_UNIT = '(kB|KB|MB|GB)';
const MIB_PER_UNIT: Readonly<Record<string, number>> = { kB: 1 / 1024, KB: 1 / 1024, MB: 1, GB: 1024 };

/** `04-11-2025 10:36:27 ` at line start (JP5+, local time, no zone); JP4 lines have none. */
const TIMESTAMP_RE = /^(\d{2})-(\d{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2})(?=\s|$)/;
// The multi-word fields are cut out of the line wherever they are (a field starts after whitespace or at the
// start). `(lfb …)` may follow without a space: `IRAM 0/252kB(lfb 252kB)`, and its unit varies: `(lfb 1x512kB)`.
const RAM_RE = new RegExp(String.raw`(?<!\S)RAM (${NUM})/(${NUM})${SIZE_UNIT}(?: ?\(lfb \d+x${NUM}${SIZE_UNIT}\))?`);
const SWAP_RE = new RegExp(String.raw`(?<!\S)SWAP (${NUM})/(${NUM})${SIZE_UNIT}(?: ?\(cached (${NUM})${SIZE_UNIT}\))?`);
const IRAM_RE = new RegExp(String.raw`(?<!\S)IRAM ${NUM}/${NUM}${SIZE_UNIT}(?: ?\(lfb ${NUM}${SIZE_UNIT}\))?`);
/** `MTS fg 0% bg 0%` (TX2/Xavier, root): foreground/background task time; not part of a Sample. */
const MTS_RE = new RegExp(String.raw`(?<!\S)MTS fg ${NUM}% bg ${NUM}%`);
/** `CPU [12%@102,off,…]`, or `CPU [17%,13%]@408` with one clock for all; L4T 28 writes `cpu [17%,13%]@408`. */
const CPU_RE = new RegExp(String.raw`(?<!\S)(?:CPU|cpu) \[([^\]]*)\](?:@(${NUM}))?`);

/** `CPU@44.562C`, `thermal@23.5C`, `CV0@-256C`; JP7 adds the running max: `cpu@52.968C/52.968C`. */
const TEMP_RE = new RegExp(String.raw`^([A-Za-z][A-Za-z0-9_-]*)@(-?${NUM})C(?:/-?${NUM}C)?$`);
/** A rail name; it is a rail only because the next token is `cur/avg` (AGX Xavier JP4 has `GPU 1155/1155`). */
const RAIL_NAME_RE = /^[A-Za-z][A-Za-z0-9_]*$/;
/** `933/933` (JP4: mW, no unit), `2340mW/2340mW`, `5139mW/5139mW/5139mW` (JP7), `1.5W/1.2W`, `598mW/598`. */
const RAIL_VALUE_RE = new RegExp(String.raw`^(${NUM})(mW|W)?/(${NUM})(mW|W)?(?:/(${NUM})(mW|W)?)?$`);
/** A clock field name: `GR3D_FREQ`, `EMC`, `NVENC0_FREQ`, `APE`, `PVA0_FREQ`. */
const CLOCK_NAME_RE = /^[A-Z][A-Z0-9_]*$/;
/** `716` (a bare clock in MHz: `APE 174`, `VIC_FREQ 115`, `NVENC 716`). */
const BARE_FREQ_RE = new RegExp(String.raw`^(${NUM})$`);
/** `45%`, `45%@918`, `@4266`, `12%@[1300,1300]`, `@[1574,1574,1574]`, `0%@[305]`. */
const LOAD_FREQ_RE = new RegExp(String.raw`^(?:(${NUM})%)?(?:@(?:(${NUM})|\[([^\]]*)\]))?$`);
const NUM_RE = new RegExp(String.raw`^${NUM}$`);
/** One CPU core: `12%@102`, or `17%` when the clock follows the bracket. */
const CORE_RE = new RegExp(String.raw`^(${NUM})%(?:@(${NUM}))?$`);

/** A decimal text as a number, or null when it does not fit in a finite double. */
function toFinite(text: string): number | null {
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** A size with its unit in MiB (`512kB` → 0.5, `2GB` → 2048), or null when unreadable. */
function toMiB(text: string | undefined, unit: string | undefined): number | null {
  const value = toFinite(text ?? '');
  const factor = MIB_PER_UNIT[unit ?? ''];
  if (value === null || factor === undefined) return null;
  const mib = value * factor;
  return Number.isFinite(mib) ? mib : null;
}

/** A rail value in milliwatts: no unit (JP4) or `mW` as is, `W` × 1000 by moving the decimal point (exact). */
function toMilliwatts(text: string | undefined, unit: string | undefined): number | null {
  if (text === undefined) return null;
  if (unit !== 'W') return toFinite(text);
  const [whole = '', fraction = ''] = text.split('.');
  const digits = fraction.padEnd(3, '0');
  return toFinite(`${whole}${digits.slice(0, 3)}.${digits.slice(3) || '0'}`);
}

/** Sets `record[name]`, or `name#2`, `name#3`… when taken (AGX Orin prints `NC 0mW/0mW` twice); returns the key. */
function putUnique<T>(record: Record<string, T>, name: string, value: T): string {
  let key = name;
  for (let n = 2; Object.hasOwn(record, key); n++) key = `${name}#${n}`;
  record[key] = value;
  return key;
}

/** "04-11-2025" "10:36:27" parts → "2025-04-11T10:36:27"; null when a part is out of range. */
function toIsoTime(match: RegExpExecArray): string | null {
  const [, month = '', day = '', year = '', hour = '', minute = '', second = ''] = match;
  const isValid =
    Number(month) >= 1 &&
    Number(month) <= 12 &&
    Number(day) >= 1 &&
    Number(day) <= 31 &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second) <= 60;
  return isValid ? `${year}-${month}-${day}T${hour}:${minute}:${second}` : null;
}

/** What a clock value says: `off`, or a load in % and/or a clock in MHz (the max over GPCs for `@[…]`). */
interface ClockValue {
  isOff: boolean;
  loadPct: number | null;
  freqMHz: number | null;
}

/** Reads `off`, `716`, `45%`, `79%@166`, `@1691`, `12%@[1300,1300]`, `@[1574,1574,1574]`; null otherwise. */
function parseClockValue(text: string): ClockValue | null {
  if (text === 'off') return { isOff: true, loadPct: null, freqMHz: null };
  const bare = BARE_FREQ_RE.exec(text);
  if (bare !== null) {
    const freqMHz = toFinite(bare[1] ?? '');
    return freqMHz === null ? null : { isOff: false, loadPct: null, freqMHz };
  }
  const match = LOAD_FREQ_RE.exec(text);
  if (match === null || text === '') return null;
  const [, loadText, freqText, freqList] = match;
  if (loadText === undefined && freqText === undefined && freqList === undefined) return null;
  const loadPct = loadText === undefined ? null : toFinite(loadText);
  if (loadText !== undefined && loadPct === null) return null;
  let freqMHz: number | null = null;
  if (freqText !== undefined) {
    freqMHz = toFinite(freqText);
    if (freqMHz === null) return null;
  } else if (freqList !== undefined) {
    // One clock per GPC: `0%@[0,0]` (AGX Orin, GPU rail-gated: 0 MHz is a reading), `@[1574,1574,1574]` (Thor
    // idle, no load printed). Like jtop, the GPU clock is the highest GPC clock; unreadable elements are skipped.
    const clocks = freqList
      .split(',')
      .map((item) => item.trim())
      .filter((item) => NUM_RE.test(item))
      .map(toFinite)
      .filter((value): value is number => value !== null);
    if (clocks.length === 0) return null;
    freqMHz = Math.max(...clocks);
  }
  return { isOff: false, loadPct, freqMHz };
}

/** One CPU core: `12%@102`, `17%` (clock after the bracket: `[17%,13%]@408`), null for `off`, undefined if garbage. */
function parseCore(text: string, sharedFreqMHz: number | null): LoadFreq | null | undefined {
  if (text === 'off') return null;
  const match = CORE_RE.exec(text);
  if (match === null) return undefined;
  const loadPct = toFinite(match[1] ?? '');
  const ownFreq = match[2] === undefined ? null : toFinite(match[2]);
  if (loadPct === null || (match[2] !== undefined && ownFreq === null)) return undefined;
  return { loadPct, freqMHz: ownFreq ?? sharedFreqMHz };
}

/** The input power and its label: the first input rail present, else the sum of all rails; nulls without rails. */
function pickInputPower(power: Record<string, PowerRail>): { mw: number | null; label: string | null } {
  for (const name of INPUT_RAILS) {
    const rail = Object.hasOwn(power, name) ? power[name] : undefined;
    if (rail !== undefined) return { mw: rail.nowMW, label: name };
  }
  const rails = Object.values(power);
  if (rails.length === 0) return { mw: null, label: null };
  const sumMW = rails.reduce((sum, rail) => sum + rail.nowMW, 0);
  return Number.isFinite(sumMW) ? { mw: sumMW, label: SUM_OF_RAILS_LABEL } : { mw: null, label: null };
}

/** Parses one tegrastats line into a sample (MiB, MHz, %, °C, mW); `not-stats` for error text or partial lines. */
export function parseTegrastatsLine(line: string): TegrastatsParse {
  // Runs of whitespace (tabs, a trailing "\r\n") count as one space, so the multi-word fields match.
  let rest = String(line).replace(/\s+/g, ' ').trim();
  if (rest === '') return { kind: 'not-stats', reason: 'empty line' };
  const sample = emptySample('tegrastats');
  const unknownTokens: string[] = [];

  const stamp = TIMESTAMP_RE.exec(rest);
  if (stamp !== null) {
    sample.time = toIsoTime(stamp);
    // An impossible date ("13-40-2025 …") stays in the line and ends up in unknownTokens.
    if (sample.time !== null) rest = rest.slice(stamp[0].length);
  }

  /** Cuts the first match of `re` out of the line (leaving a space so neighbours stay apart). */
  const cut = (re: RegExp): RegExpExecArray | null => {
    const match = re.exec(rest);
    if (match !== null) rest = `${rest.slice(0, match.index)} ${rest.slice(match.index + match[0].length)}`;
    return match;
  };

  const ram = cut(RAM_RE);
  if (ram === null) return { kind: 'not-stats', reason: `no RAM field: ${JSON.stringify(rest.slice(0, 60))}` };
  const ramUsedMiB = toMiB(ram[1], ram[3]);
  const ramTotalMiB = toMiB(ram[2], ram[3]);
  if (ramUsedMiB === null || ramTotalMiB === null) {
    return { kind: 'not-stats', reason: `unreadable RAM field: ${JSON.stringify(ram[0].slice(0, 60))}` };
  }
  sample.ram = { usedMiB: ramUsedMiB, totalMiB: ramTotalMiB };

  // SWAP is absent when no swap is configured, and follows CPU on old TX2 lines; `(cached …)` may be missing.
  const swap = cut(SWAP_RE);
  if (swap !== null) {
    const usedMiB = toMiB(swap[1], swap[3]);
    const totalMiB = toMiB(swap[2], swap[3]);
    const cachedMiB = swap[4] === undefined ? null : toMiB(swap[4], swap[5]);
    if (usedMiB !== null && totalMiB !== null) sample.swap = { usedMiB, totalMiB, cachedMiB };
    else unknownTokens.push(swap[0]);
  }
  // IRAM (Nano/TX1 video memory) and MTS (Denver/Carmel task time) are understood but have no place in a Sample.
  cut(IRAM_RE);
  cut(MTS_RE);

  const cpu = cut(CPU_RE);
  if (cpu !== null) {
    const sharedFreqMHz = cpu[2] === undefined ? null : toFinite(cpu[2]);
    const cores = (cpu[1] ?? '').split(',').map((core) => core.trim());
    // `CPU []` would split into one empty core; an empty list is no cores.
    if (!(cores.length === 1 && cores[0] === '')) {
      for (const core of cores) {
        const parsed = parseCore(core, sharedFreqMHz);
        if (parsed === undefined && core !== '') unknownTokens.push(core);
        sample.cpu.push(parsed ?? null);
      }
    }
  }

  const railsMaxMW: Record<string, number> = {};
  const invalidTemps: string[] = [];
  const tokens = rest.split(/\s+/).filter((token) => token !== '');
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    const next = tokens[i + 1];

    const temp = TEMP_RE.exec(token);
    if (temp !== null) {
      const name = temp[1] ?? '';
      const tempC = toFinite(temp[2] ?? '');
      if (tempC === null) unknownTokens.push(token);
      else if (tempC <= MIN_VALID_TEMP_C) invalidTemps.push(name);
      else putUnique(sample.temps, name, tempC);
      continue;
    }

    if (next !== undefined && RAIL_NAME_RE.test(token)) {
      const rail = RAIL_VALUE_RE.exec(next);
      if (rail !== null) {
        const nowMW = toMilliwatts(rail[1], rail[2]);
        const avgMW = toMilliwatts(rail[3], rail[4]);
        const maxMW = toMilliwatts(rail[5], rail[6]);
        if (nowMW !== null && avgMW !== null && (rail[5] === undefined || maxMW !== null)) {
          const key = putUnique(sample.power, token, { nowMW, avgMW });
          if (maxMW !== null) railsMaxMW[key] = maxMW;
          i++;
          continue;
        }
      }
    }

    if (next !== undefined && CLOCK_NAME_RE.test(token)) {
      const clock = parseClockValue(next);
      if (clock !== null && applyClock(sample, token, clock)) {
        i++;
        continue;
      }
    }

    unknownTokens.push(token);
  }

  const input = pickInputPower(sample.power);
  return {
    kind: 'stats',
    sample,
    unknownTokens,
    invalidTemps,
    railsMaxMW,
    inputPowerMW: input.mw,
    inputPowerLabel: input.label,
  };
}

/**
 * Puts a clock field into the sample: GR3D → gpu, EMC → emc, anything else → engines keyed by the name without
 * `_FREQ`. False when it does not fit (a second GR3D, `GR3D_FREQ off`), so the caller keeps it as unknown.
 */
function applyClock(sample: Sample, name: string, clock: ClockValue): boolean {
  // `GR3D_FREQ`/`EMC_FREQ` since L4T 32; L4T 28 (TX1) prints `EMC 1%@408 … GR3D 3%@76`.
  const baseName = name.replace(/_FREQ$/, '');
  if (baseName === 'GR3D' || baseName === 'EMC') {
    const current = baseName === 'GR3D' ? sample.gpu : sample.emc;
    if (clock.isOff || current !== null) return false;
    const value: LoadFreq = { loadPct: clock.loadPct, freqMHz: clock.freqMHz };
    if (baseName === 'GR3D') sample.gpu = value;
    else sample.emc = value;
    return true;
  }
  // `GR3D2_FREQ 35%@0` (early JP5 AGX Orin, second GPC) is kept as engine GR3D2.
  const engine: EngineState = clock.isOff
    ? { state: 'off', loadPct: null, freqMHz: null }
    : { state: 'on', loadPct: clock.loadPct, freqMHz: clock.freqMHz };
  putUnique(sample.engines, baseName, engine);
  return true;
}

/** Splits streamed text into complete lines (LF or CRLF, terminators removed) and the incomplete trailing text. */
export function splitLines(buffer: string): { lines: string[]; rest: string } {
  // A line cut off when tegrastats is killed has no newline yet: it stays in `rest` and is never parsed.
  const parts = String(buffer).split('\n');
  const rest = parts.pop() ?? '';
  return { lines: parts.map((part) => (part.endsWith('\r') ? part.slice(0, -1) : part)), rest };
}

/** Derived panel figures: mean CPU load in % over online cores, online/off core counts, hottest sensor in °C. */
export function summarizeSample(sample: Sample): SampleSummary {
  let cpuOnline = 0;
  let cpuOff = 0;
  let cpuAvgPct: number | null = null;
  let loadCount = 0;
  for (const core of sample.cpu) {
    if (core === null) {
      cpuOff++;
      continue;
    }
    cpuOnline++;
    if (core.loadPct === null) continue;
    loadCount++;
    // A running mean cannot overflow the way a sum of huge values could.
    cpuAvgPct = cpuAvgPct === null ? core.loadPct : cpuAvgPct + (core.loadPct - cpuAvgPct) / loadCount;
  }

  let hottest: { name: string; tempC: number } | null = null;
  const entries = Object.entries(sample.temps);
  const junction = entries.find(([name]) => name.toLowerCase() === 'tj');
  if (junction !== undefined) {
    hottest = { name: junction[0], tempC: junction[1] };
  } else {
    for (const [name, tempC] of entries) {
      // `PMIC@100C` (JP4) and `PMIC@50C` (JP5 Xavier NX) are fixed placeholders, not readings.
      if (name.toLowerCase() === 'pmic') continue;
      if (hottest === null || tempC > hottest.tempC) hottest = { name, tempC };
    }
  }
  return { cpuAvgPct, cpuOnline, cpuOff, hottest };
}
