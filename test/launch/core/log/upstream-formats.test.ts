/**
 * The log reducer held to upstream truth: every row of test/fixtures/upstream/vllm-log-formats.json is a start-up
 * line rendered from vLLM's own format string at one version family (V0 0.6.3 to the newest V1 / V2 runner), with
 * the vLLM file, function and commit it comes from. Each row's lines are fed from `initialLogState` and the stage,
 * engine, version, every figure (the rest must stay null) and the failure must be exact. A row marked `known` is a
 * format the parser does not read on purpose; its test asserts the expectation still fails, so a change shows.
 * A new vLLM release is added by adding its rows (README.md, "Adding a new vLLM release's formats").
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { upstreamPath } from '../../../helpers/upstream.js';
import { parseLogLine } from '../../../../src/launch/core/log/reducer.js';
import {
  LAUNCH_STAGES,
  initialLogState,
  type LaunchStage,
  type LogFailureKind,
  type LogFigures,
  type LogState,
} from '../../../../src/launch/core/log/state.js';

/** A size as the table writes it: GiB as vLLM prints it, or plain bytes. */
type Size = { GiB: number } | { B: number };
type Figure = number | string | Size;

interface FormatRow {
  id: string;
  family: 'V0' | 'V1' | 'newest' | 'common';
  versions: string;
  file: string;
  function: string;
  pr?: number;
  commit: string | null;
  commitNote?: string;
  format: string;
  lines: string[];
  known?: string;
  expect: {
    stage: LaunchStage;
    engine?: 'v0' | 'v1';
    version?: string;
    figures: Record<string, Figure>;
    failure?: { kind: LogFailureKind; figures: Record<string, Figure> };
  };
}

const table = JSON.parse(readFileSync(upstreamPath('vllm-log-formats.json'), 'utf8')) as { rows: FormatRow[] };
const rows = table.rows;

/** A table figure as the parser stores it: GiB × 2^30 rounded, bytes as they are. */
function toValue(figure: Figure): number | string {
  if (typeof figure === 'number' || typeof figure === 'string') return figure;
  return 'GiB' in figure ? Math.round(figure.GiB * 2 ** 30) : figure.B;
}

function toValues(figures: Record<string, Figure>): Record<string, number | string> {
  return Object.fromEntries(Object.entries(figures).map(([key, value]) => [key, toValue(value)]));
}

/** The state after a row's lines, fed one by one from the initial state. */
function parseRow(row: FormatRow): LogState {
  return row.lines.reduce<LogState>((state, line, i) => parseLogLine(state, line, i), initialLogState());
}

/** Every expectation of a row, checked exactly. */
function checkRow(row: FormatRow): void {
  const state = parseRow(row);
  expect(state.stage).toBe(row.expect.stage);
  expect(state.figures.engine).toBe(row.expect.engine ?? null);
  expect(state.figures.vllmVersion).toBe(row.expect.version ?? null);
  const expected: LogFigures = {
    ...initialLogState().figures,
    engine: row.expect.engine ?? null,
    vllmVersion: row.expect.version ?? null,
    ...toValues(row.expect.figures),
  };
  expect(state.figures).toEqual(expected);
  if (row.expect.failure === undefined) {
    expect(state.failure).toBeNull();
  } else {
    expect(state.failure?.kind).toBe(row.expect.failure.kind);
    expect(state.failure?.figures).toEqual(toValues(row.expect.failure.figures));
  }
}

describe('the upstream format table', () => {
  it('names, for every row, the vLLM file, function and a 40-hex commit or why none is pinned', () => {
    expect(rows.length).toBeGreaterThanOrEqual(30);
    const ids = new Set<string>();
    for (const row of rows) {
      expect(ids.has(row.id), row.id).toBe(false);
      ids.add(row.id);
      expect(row.file, row.id).toMatch(/^vllm\/.+\.py$/);
      expect(row.function.length, row.id).toBeGreaterThan(0);
      expect(row.format.length, row.id).toBeGreaterThan(0);
      expect(row.lines.length, row.id).toBeGreaterThan(0);
      expect(LAUNCH_STAGES, row.id).toContain(row.expect.stage);
      if (row.commit === null) expect(row.commitNote, row.id).toMatch(/commit not pinned/);
      else expect(row.commit, row.id).toMatch(/^[0-9a-f]{40}$/);
    }
  });

  it('covers V0 0.6.3 through the newest V1 / V2-runner lines, and every failure kind of a start-up', () => {
    const families = new Set(rows.map((row) => row.family));
    expect([...families].sort()).toEqual(['V0', 'V1', 'common', 'newest']);
    expect(rows.some((row) => row.family === 'V0' && row.versions.startsWith('0.6.3'))).toBe(true);
    expect(rows.some((row) => row.file === 'vllm/v1/worker/gpu/model_runner.py')).toBe(true);
    const kinds = new Set(rows.map((row) => row.expect.failure?.kind).filter((kind) => kind !== undefined));
    for (const kind of ['max-len', 'no-cache-blocks', 'startup-free-memory', 'profiling-error'] as const) {
      expect(kinds.has(kind), kind).toBe(true);
    }
  });
});

describe.each(['V0', 'V1', 'newest', 'common'] as const)('%s format rows', (family) => {
  const familyRows = rows.filter((row) => row.family === family);
  const read = familyRows.filter((row) => row.known === undefined);
  const known = familyRows.filter((row) => row.known !== undefined);

  it.each(read.map((row) => [`${row.id} (${row.versions}, ${row.file})`, row] as const))('%s', (_name, row) => {
    checkRow(row);
  });

  if (known.length > 0) {
    // A known gap: the table says what vLLM prints and what the figure would be; the parser leaves it on purpose
    // (the row's `known` says why). When it starts being read, this fails and the row loses its flag.
    it.each(known.map((row) => [`${row.id}: ${row.known ?? ''}`, row] as const))('known gap %s', (_name, row) => {
      expect(() => checkRow(row)).toThrow();
    });
  }
});

describe('the two formats of issue 16, with every figure', () => {
  it('reads weights bytes and seconds from 0.12+ "Model loading took … GiB memory and … seconds"', () => {
    const row = rows.find((r) => r.id === 'v1-weights-0.12');
    expect(row).toBeDefined();
    if (row === undefined) return;
    const state = parseRow(row);
    expect(state.figures.weightsBytes).toBe(Math.round(2.88 * 2 ** 30));
    // The loader's own 12.61 s came first; the model runner's 14.230517 s replaces it.
    expect(state.figures.weightsSeconds).toBe(14.230517);
  });

  it('reads engine v0, version 0.7.3, the engine-config stage and max_seq_len from the V0 engine line', () => {
    const row = rows.find((r) => r.id === 'v0-engine-config-0.7');
    expect(row).toBeDefined();
    if (row === undefined) return;
    const state = parseRow(row);
    expect(state.stage).toBe('engine-config');
    expect(state.stages).toEqual([{ stage: 'engine-config', atMs: 0 }]);
    expect(state.figures.engine).toBe('v0');
    expect(state.figures.vllmVersion).toBe('0.7.3');
    expect(state.figures.maxModelLen).toBe(4096);
  });
});

describe('the newest texts of the issue-16 follow-up, with every figure', () => {
  const rowById = (id: string): FormatRow => {
    const row = rows.find((r) => r.id === id);
    if (row === undefined) throw new Error(`no row ${id}`);
    return row;
  };

  it('reads the version from the 0.15+ logo and plain lines; the "API server" line ends at 0.14', () => {
    expect(parseRow(rowById('server-version-logo')).figures.vllmVersion).toBe('0.23.0');
    expect(parseRow(rowById('server-version-plain')).figures.vllmVersion).toBe('0.18.0');
    expect(rowById('server-version').versions).not.toMatch(/newest/);
  });

  it('reads kind, max len, needed / available GiB and the estimate of the max-len failures with the docs link', () => {
    for (const id of ['v1-fail-max-len-docs-link', 'v1-fail-max-len-cpu-backend']) {
      const row = rowById(id);
      expect(row.lines.join(' '), id).toContain('configuration/conserving_memory/ for more details.');
      const failure = parseRow(row).failure;
      expect(failure?.kind, id).toBe('max-len');
      expect(Object.keys(failure?.figures ?? {}).sort(), id).toEqual(
        ['availableKvBytes', 'estimatedMaxModelLen', 'maxModelLen', 'neededKvBytes'].sort(),
      );
    }
    expect(parseRow(rowById('v1-fail-no-cache-blocks-docs-link')).failure?.kind).toBe('no-cache-blocks');
  });

  it('reads weights and seconds from the %.4f "GiB memory and" runner line', () => {
    const state = parseRow(rowById('v1-weights-memory-0.13'));
    expect(state.figures.weightsBytes).toBe(Math.round(1.9148 * 2 ** 30));
    expect(state.figures.weightsSeconds).toBe(1.154851);
  });
});
