/**
 * Render tests for the wizard's screens and components (ink-testing-library), with real plans from
 * the real catalog and detections from the fake board roots, and the whole App driven by key presses.
 * Assertions use meaningful text (verdict words, ids, bar letters), not the exact layout, except for
 * the budget bar whose characters are its contract.
 */
import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BudgetItem, BudgetKey } from '../../../src/plan/core/budget.js';
import { examineSystem } from '../../../src/doctor/doctor-command.js';
import type { Plan } from '../../../src/plan/core/plan.js';
import { recipeFileName, type Recipe } from '../../../src/plan/core/recipe.js';
import {
  buildFitsTable,
  detectedDevice,
  findFirstFittingQuant,
  listDevices,
  listModels,
  listQuants,
  planForState,
  resolveChoice,
  summarizeDetection,
  type FitClass,
} from '../../../src/wizard/core/wizard-view.js';
import {
  createWizardState,
  REVIEW_ACTIONS,
  wizardReducer,
  type Detection,
  type ListState,
  type ReviewAction,
  type WizardEvent,
  type WizardFlags,
  type WizardState,
} from '../../../src/wizard/core/wizard.js';
import { GiB } from '../../../src/shared/units.js';
import { App } from '../../../src/wizard/ui/App.js';
import { BAR_LETTERS, BudgetBar } from '../../../src/wizard/ui/components/BudgetBar.js';
import { Frame } from '../../../src/wizard/ui/components/Frame.js';
import { buildHelpLines, HelpOverlay } from '../../../src/wizard/ui/components/HelpOverlay.js';
import { ColorContext } from '../../../src/wizard/ui/components/Styled.js';
import type { Detector } from '../../../src/wizard/ui/hooks/useDetection.js';
import type { RecipeWriter } from '../../../src/wizard/ui/hooks/useRecipeSaver.js';
import { BudgetScreen } from '../../../src/wizard/ui/screens/BudgetScreen.js';
import { DeviceScreen } from '../../../src/wizard/ui/screens/DeviceScreen.js';
import { ModelScreen } from '../../../src/wizard/ui/screens/ModelScreen.js';
import { QuantScreen } from '../../../src/wizard/ui/screens/QuantScreen.js';
import { ReviewScreen } from '../../../src/wizard/ui/screens/ReviewScreen.js';
import { loadTestCatalog, planFor } from '../../helpers/catalog.js';
import { flat, KEY, lineWith, plain, press, pressAndWait, tick, waitForFrame, waitUntil } from '../../helpers/ink.js';
import { recordedHost } from '../../helpers/recorded-host.js';

type Done = Extract<Detection, { status: 'done' }>;

const catalog = loadTestCatalog();
const MODEL = 'qwen2-7b-instruct';
const FRESH: ListState = { cursor: 0, filter: '', isFiltering: false };
const VERDICT_WORDS = /FITS|TIGHT|WILL BE KILLED|vLLM WILL REFUSE (TO START|THIS MODEL)/;
const noFlags = (): WizardFlags => ({ knobs: {}, defaults: 'planner' });
const noop = (): void => undefined;

/** What the wizard's detector returns for a fake board root (the chain run.tsx uses). */
async function detectionOf(board: string): Promise<Done> {
  const { facts, identification, checks } = await examineSystem(recordedHost(board), catalog);
  return summarizeDetection(facts, identification, checks);
}

const detections = new Map<string, Done>();
function detection(board: string): Done {
  const d = detections.get(board);
  if (d === undefined) throw new Error(`no detection for ${board}`);
  return d;
}

beforeAll(async () => {
  for (const board of ['orin-nx-16gb-jp62', 'orin-nano-8gb-jp62', 'nano-jp46', 'x86-plain', 'x86-rtx4090']) {
    detections.set(board, await detectionOf(board));
  }
});

afterEach(() => {
  cleanup();
});

/** Renders without colour (as with NO_COLOR); `frame()` is the last frame without style codes. */
function show(node: ReactNode): ReturnType<typeof render> & { frame: () => string } {
  const r = render(<ColorContext.Provider value={false}>{node}</ColorContext.Provider>);
  return Object.assign(r, { frame: () => plain(r.lastFrame()) });
}

const run = (state: WizardState, ...events: WizardEvent[]): WizardState => events.reduce(wizardReducer, state);

function withDetection(d: Detection): WizardState {
  const s = createWizardState(noFlags(), catalog);
  return d.status === 'done' ? run(s, { type: 'detectionFinished', detection: d }) : s;
}

/** A preset device as the views resolve it. */
function preset(id: string) {
  const resolved = resolveChoice({ kind: 'preset', id }, catalog, null);
  if (resolved === null) throw new Error(`no device ${id}`);
  return resolved;
}

function model(id: string) {
  const m = catalog.models.find((x) => x.id === id);
  if (m === undefined) throw new Error(`no model ${id}`);
  return m;
}

/** The budget state for a preset device, model and quantization (for the what-fits table). */
function budgetState(device: string, modelId: string, quant: string, flags: Partial<WizardFlags> = {}): WizardState {
  const s = createWizardState({ ...noFlags(), device, model: modelId, quant, ...flags }, catalog);
  expect(s.step).toBe('budget');
  return s;
}

const TABLE_CONTEXTS = [2048, 4096, 8192, 16384, 32768];
const TABLE_SEQS = [1, 2, 4, 8, 16];
const tableFor = (s: WizardState) => buildFitsTable(s, catalog, TABLE_CONTEXTS, TABLE_SEQS);

const count = (text: string, ch: string): number => text.split(ch).length - 1;

// ---------------------------------------------------------------------------------------------------

describe('DeviceScreen', () => {
  function deviceScreen(
    d: Detection,
    list: ListState = FRESH,
    onChoose: (row: ReturnType<typeof listDevices>[number]) => void = noop,
    onHighlight: (index: number) => void = noop,
  ) {
    const rows = listDevices(catalog, withDetection(d), list.filter);
    const r = show(
      <DeviceScreen
        detection={d}
        rows={rows}
        list={list}
        listHeight={40}
        onChoose={onChoose}
        onHighlight={onHighlight}
      />,
    );
    return { ...r, rows };
  }

  it('while detecting: says so and already lists the presets to pick from', () => {
    const { frame, rows } = deviceScreen({ status: 'loading' });
    expect(frame()).toContain('Detecting');
    // The first row is a placeholder for this device, so the rows do not shift when detection ends.
    expect(rows[0]).toEqual({ choice: { kind: 'detected' }, label: 'This device (detecting…)' });
    expect(rows.slice(1).every((r) => r.choice.kind === 'preset')).toBe(true);
    for (const id of ['nano-4gb', 'orin-nx-16gb', 'agx-thor', 'rtx-4090']) expect(frame()).toContain(id);
  });

  it('a detected Jetson: its name, each fact with its source, and the detected device first in the list', () => {
    const d = detection('orin-nx-16gb-jp62');
    const { frame, rows } = deviceScreen(d);
    const f = frame();
    expect(f).not.toContain('Detecting');
    expect(f).toContain('Jetson Orin NX 16GB');
    expect(d.rows.map((r) => r.label)).toEqual(['memory', 'L4T', 'CUDA', 'power']);
    for (const row of d.rows) {
      const line = lineWith(f, row.value);
      expect(line, row.label).toBeDefined();
      expect(line).toContain(row.label);
      expect(line).toContain(row.source);
    }
    expect(f).toContain('36.4.3');
    expect(rows[0]?.choice).toEqual({ kind: 'detected' });
    const first = rows[0]?.label ?? '';
    expect(f).toContain(first);
    expect(f.indexOf(first)).toBeLessThan(f.indexOf('nano-4gb'));
    expect(d.warnings).toEqual([]);
    expect(f).not.toContain('fix:');
  });

  it('a detected Jetson with problems: each warning and its fix (none where there is no fix)', () => {
    for (const board of ['orin-nano-8gb-jp62', 'nano-jp46']) {
      const d = detection(board);
      const f = deviceScreen(d).frame();
      expect(f).toContain(d.identification.name);
      expect(d.warnings.length).toBeGreaterThan(2);
      for (const w of d.warnings) {
        const line = lineWith(f, w.summary.slice(0, 40));
        expect(line, w.summary).toBeDefined();
        if (w.status === 'fail') expect(line).toContain('✗');
        if (w.fix !== null) expect(lineWith(f, `fix: ${w.fix.slice(0, 30)}`), w.fix).toBeDefined();
      }
      const fixes = d.warnings.filter((w) => w.fix !== null).length;
      expect(count(f, 'fix:'), board).toBe(fixes);
    }
    // The Nano's JetPack check fails without a fix: one fewer "fix:" line than warnings.
    expect(detection('nano-jp46').warnings.some((w) => w.fix === null)).toBe(true);
  });

  it('checks that would push the list off the screen: a line each, and d shows each fix whole (never cut)', async () => {
    const d = detection('orin-nano-8gb-jp62');
    const rows = listDevices(catalog, withDetection(d), '');
    const r = show(
      <DeviceScreen detection={d} rows={rows} list={FRESH} listHeight={6} onChoose={noop} onHighlight={noop} />,
    );
    const compact = r.frame();
    expect(compact).toContain('d: the checks with their fixes, whole');
    expect(compact).not.toContain('fix:');
    expect(compact).toContain('❯ This device');
    const details = await pressAndWait(r.stdin, r.lastFrame, 'd', (f) => f.includes('d: back to the list'));
    const fixes = d.warnings.filter((w) => w.fix !== null);
    expect(fixes.length).toBeGreaterThan(2);
    for (const w of fixes) expect(flat(plain(details))).toContain(flat(`fix: ${w.fix ?? ''}`));
    expect(plain(details)).not.toContain('…');
    expect(plain(details)).not.toContain('❯ This device');
    await pressAndWait(r.stdin, r.lastFrame, 'd', (f) => f.includes('d: the checks with their fixes, whole'));
  });

  it('not a Jetson and no GPU: says so, and the list holds only presets', () => {
    const d = detection('x86-plain');
    expect(d.identification.kind).toBe('none');
    const { frame, rows } = deviceScreen(d);
    expect(frame()).toMatch(/not a Jetson/i);
    expect(frame()).toContain('nvidia-smi is not installed');
    expect(rows.every((r) => r.choice.kind === 'preset')).toBe(true);
  });

  it('a discrete GPU: named, marked as not a Jetson, with its GPU facts', () => {
    const d = detection('x86-rtx4090');
    const f = deviceScreen(d).frame();
    expect(f).toContain('NVIDIA GeForce RTX 4090');
    expect(f).toMatch(/not a Jetson/i);
    expect(lineWith(f, 'GPU')).toContain('cc 8.9');
  });

  it('detection failed: the reason, and the presets to pick from', () => {
    const f = deviceScreen({ status: 'failed', reason: 'cannot read /proc/meminfo' }).frame();
    expect(f).toMatch(/detection failed/i);
    expect(f).toContain('cannot read /proc/meminfo');
    expect(f).toContain('orin-nx-16gb');
  });

  it('filtering: only matching rows; no match says so with the filter', () => {
    const d = detection('orin-nx-16gb-jp62');
    const some = deviceScreen(d, { cursor: 0, filter: 'orin nx', isFiltering: true });
    expect(some.rows.map((r) => r.choice)).toEqual([
      { kind: 'detected' },
      { kind: 'preset', id: 'orin-nx-8gb' },
      { kind: 'preset', id: 'orin-nx-16gb' },
    ]);
    expect(some.frame()).toContain('orin nx');
    expect(some.frame()).toContain('orin-nx-8gb');
    expect(some.frame()).not.toContain('nano-4gb');
    const none = deviceScreen(d, { cursor: 0, filter: 'zzz', isFiltering: true });
    expect(none.rows).toEqual([]);
    expect(none.frame()).toMatch(/no device matches/i);
    expect(none.frame()).toContain('zzz');
  });

  it('reports the highlighted row and the chosen one', async () => {
    const onChoose = vi.fn();
    const onHighlight = vi.fn();
    const { stdin, lastFrame, frame, rows } = deviceScreen(
      detection('orin-nx-16gb-jp62'),
      FRESH,
      onChoose,
      onHighlight,
    );
    const before = frame();
    await pressAndWait(stdin, lastFrame, KEY.down, (f) => f !== before);
    expect(onHighlight).toHaveBeenLastCalledWith(1);
    press(stdin, KEY.enter);
    await waitUntil(() => onChoose.mock.calls.length > 0);
    expect(onChoose).toHaveBeenCalledWith(rows[1]);
  });
});

describe('ModelScreen', () => {
  const MARK: Record<FitClass, string> = {
    fits: 'fits',
    tight: 'tight',
    'too-big': 'too big',
    unsupported: 'no variant runs',
  };

  function modelScreen(deviceId: string, list: ListState = FRESH, onChoose: (id: string) => void = noop) {
    const device = preset(deviceId);
    const rows = listModels(catalog, device, list.filter, null);
    const r = show(
      <ModelScreen
        deviceName={device.name}
        rows={rows}
        list={list}
        listHeight={catalog.models.length}
        onChoose={onChoose}
        onHighlight={noop}
      />,
    );
    return { ...r, rows, device };
  }

  it.each([
    ['orin-nano-8gb', ['fits', 'too-big']],
    ['orin-nano-4gb', ['tight', 'too-big']],
    ['nano-4gb', ['unsupported']],
  ] as const)('on %s: every model with whether it can fit at all', (deviceId, classes) => {
    const { frame, rows, device } = modelScreen(deviceId);
    const f = frame();
    expect(f).toContain(device.name);
    expect(rows).toHaveLength(catalog.models.length);
    for (const c of classes)
      expect(
        rows.some((r) => r.fit === c),
        c,
      ).toBe(true);
    for (const row of rows) {
      const line = lineWith(f, `${row.model.id} `);
      expect(line, row.model.id).toBeDefined();
      expect(line).toContain(MARK[row.fit]);
    }
  });

  it('filtering: only matching models; no match says so', () => {
    const some = modelScreen('orin-nx-16gb', { cursor: 0, filter: 'llama', isFiltering: true });
    expect(some.rows.length).toBeGreaterThan(1);
    expect(some.rows.every((r) => r.model.id.includes('llama'))).toBe(true);
    for (const r of some.rows) expect(some.frame()).toContain(r.model.id);
    expect(some.frame()).not.toContain('qwen');
    const none = modelScreen('orin-nx-16gb', { cursor: 0, filter: 'zzz', isFiltering: false });
    expect(none.frame()).toMatch(/no model matches/i);
    expect(none.frame()).toContain('zzz');
  });

  it('Enter chooses the highlighted model', async () => {
    const onChoose = vi.fn();
    const { stdin, rows } = modelScreen('orin-nx-16gb', FRESH, onChoose);
    press(stdin, KEY.enter);
    await waitUntil(() => onChoose.mock.calls.length > 0);
    expect(onChoose).toHaveBeenCalledWith(rows[0]?.model.id);
  });
});

describe('QuantScreen', () => {
  function quantScreen(deviceId: string, modelId: string, cursor = 0, onChoose: (id: string) => void = noop) {
    const device = preset(deviceId);
    const m = model(modelId);
    const rows = listQuants(catalog, device, m, null);
    const r = show(
      <QuantScreen
        modelName={m.name}
        deviceName={device.name}
        rows={rows}
        cursor={cursor}
        listHeight={40}
        onChoose={onChoose}
        onHighlight={noop}
      />,
    );
    return { ...r, rows, m, device };
  }

  it('a variant the GPU cannot run shows why', () => {
    const { frame, rows } = quantScreen('nano-4gb', 'qwen2.5-7b-instruct');
    expect(rows.every((r) => r.fit === 'unsupported' && r.reason !== null)).toBe(true);
    const f = flat(frame());
    for (const r of rows) {
      expect(f).toContain(r.quant.id);
      expect(f).toContain(flat(r.reason ?? ''));
    }
    expect(f).toContain('cannot run');
    expect(f).toContain('compute capability');
  });

  it('a variant that does not fit, and a tight one with the context it leaves', () => {
    const { frame, rows, m, device } = quantScreen('orin-nano-8gb', 'qwen2.5-7b-instruct');
    const f = frame();
    expect(f).toContain(m.name);
    expect(f).toContain(device.name);
    const tooBig = rows.filter((r) => r.fit === 'too-big');
    const tight = rows.filter((r) => r.fit === 'tight');
    expect(tooBig.length).toBeGreaterThan(0);
    expect(tight.length).toBeGreaterThan(0);
    for (const r of tooBig) expect(lineWith(f, `${r.quant.id} `)).toContain('does not fit');
    for (const r of tight) {
      expect(r.maxContext).toBeGreaterThan(0);
      const line = lineWith(f, `${r.quant.id} `);
      expect(line).toContain(`up to ${r.maxContext}`);
      expect(line).toContain('tight');
    }
  });

  it('variants that fit show the context they leave, and the highlighted one its source', () => {
    const probe = quantScreen('agx-orin-64gb', 'qwen2.5-7b-instruct');
    const gguf = probe.rows.findIndex((r) => r.quant.file !== undefined);
    expect(gguf).toBeGreaterThan(0);
    cleanup();
    const { frame, rows } = quantScreen('agx-orin-64gb', 'qwen2.5-7b-instruct', gguf);
    const f = frame();
    for (const r of rows) {
      expect(r.fit).toBe('fits');
      const line = lineWith(f, `${r.quant.id} `);
      expect(line).toContain(`up to ${r.maxContext}`);
      expect(line).not.toContain('tight');
    }
    const current = rows[gguf];
    expect(f).toContain(current?.quant.repo);
    expect(f).toContain(current?.quant.file);
  });

  it('starts on the first variant that fits this device, not on one that would not fit', () => {
    const device = preset('orin-nano-8gb');
    const rows = listQuants(catalog, device, model('qwen2.5-7b-instruct'), null);
    // The first row does not fit here (that is what the start moves past).
    expect(rows[0]?.fit).toBe('too-big');
    const first = findFirstFittingQuant(rows);
    expect(first).toBeGreaterThan(0);
    expect(['fits', 'tight']).toContain(rows[first]?.fit);
    expect(rows.slice(0, first).some((r) => r.fit === 'fits')).toBe(false);
    const { frame } = quantScreen('orin-nano-8gb', 'qwen2.5-7b-instruct', first);
    expect(lineWith(frame(), '❯')).toContain(`${rows[first]?.quant.id} `);
    // Nothing fits (a board that cannot run it): the first row, the list saying why each does not.
    cleanup();
    const none = listQuants(catalog, preset('nano-4gb'), model('qwen2.5-7b-instruct'), null);
    expect(findFirstFittingQuant(none)).toBe(0);
  });

  it('Enter chooses the highlighted variant', async () => {
    const onChoose = vi.fn();
    const { stdin, lastFrame, frame, rows } = quantScreen('agx-orin-64gb', MODEL, 0, onChoose);
    const before = frame();
    await pressAndWait(stdin, lastFrame, KEY.down, (f) => f !== before);
    press(stdin, KEY.enter);
    await waitUntil(() => onChoose.mock.calls.length > 0);
    expect(onChoose).toHaveBeenCalledWith(rows[1]?.quant.id);
  });
});

describe('BudgetScreen', () => {
  const base = {
    device: 'orin-nx-16gb',
    model: MODEL,
    quant: 'gguf-q4_k_m',
    vllmVersion: '0.6.3',
    maxModelLen: '200',
    maxNumSeqs: '1',
  };
  const fitsTable = () => tableFor(budgetState('orin-nx-16gb', MODEL, 'gguf-q4_k_m', { vllmVersion: '0.6.3' }));

  function budgetScreen(
    plan: { ok: true; plan: Plan } | { ok: false; message: string },
    options: {
      focus?: number;
      defaults?: 'planner' | 'vllm';
      userKnobs?: string[];
      table?: ReturnType<typeof tableFor>;
    } = {},
  ) {
    return show(
      <BudgetScreen
        plan={plan}
        focus={options.focus ?? 0}
        defaults={options.defaults ?? 'planner'}
        userKnobs={new Set(options.userKnobs ?? [])}
        table={options.table ?? null}
        width={98}
      />,
    );
  }

  it('fits: the verdict, what was planned, the bar, the knobs (focused and set), and the table', () => {
    const plan = planFor(base);
    expect(plan.verdict).toBe('fits');
    const table = fitsTable();
    const f = budgetScreen({ ok: true, plan }, { userKnobs: ['maxModelLen', 'maxNumSeqs'], table }).frame();
    expect(f).toContain('FITS');
    expect(f).not.toMatch(/TIGHT|WILL BE KILLED|WILL REFUSE/);
    expect(f).toContain(plan.model.name);
    expect(f).toContain('gguf-q4_k_m');
    expect(f).toContain(plan.device.name);
    expect(f).toContain('0.6.3');
    const bar = f.split('\n').find((l) => l.startsWith('['));
    expect(bar).toMatch(/^\[[ORCWAGSKMP]+·*\]$/);
    expect(bar).toContain('W');
    const len = lineWith(f, 'max-model-len');
    expect(len).toContain('200');
    expect(len).toContain('set');
    expect(len).toContain('›');
    expect(lineWith(f, 'max-num-seqs')).not.toContain('›');
    expect(lineWith(f, 'kv-cache-dtype')).not.toContain('set');
    expect(table?.cells.flat()).toContain('fits');
    expect(count(f, '✓')).toBeGreaterThan(1);
  });

  it('a number being typed shows on the focused knob in place of its value, without "set"', () => {
    const plan = planFor(base);
    const f = show(
      <BudgetScreen
        plan={{ ok: true, plan }}
        focus={0}
        defaults="planner"
        userKnobs={new Set(['maxModelLen', 'maxNumSeqs'])}
        entry="12"
        table={null}
        width={80}
      />,
    ).frame();
    const len = lineWith(f, 'max-model-len');
    expect(len).toContain('12▏');
    expect(len).toContain('Enter set');
    expect(len).not.toContain(' 200');
    expect(len).not.toContain('Enter set set');
    expect(len).not.toContain('200 set');
    // Other knobs still show theirs.
    expect(lineWith(f, 'max-num-seqs')).toContain('set');
  });

  it('moves the focus marker to the focused knob', () => {
    const f = budgetScreen({ ok: true, plan: planFor(base) }, { focus: 2 }).frame();
    expect(lineWith(f, 'enforce-eager')).toContain('›');
    expect(lineWith(f, 'max-model-len')).not.toContain('›');
  });

  it('tight', () => {
    const plan = planFor({ ...base, gpuMemoryUtilization: '0.82' });
    expect(plan.verdict).toBe('tight');
    const f = budgetScreen({ ok: true, plan }).frame();
    expect(f).toContain('TIGHT');
    expect(f).not.toMatch(/FITS|WILL BE KILLED|WILL REFUSE/);
  });

  it("will be killed (vLLM's defaults): the bar runs past the memory, after a |", () => {
    const plan = planFor({ ...base, vllmDefaults: true });
    expect(plan.verdict).toBe('oom');
    expect(plan.budget.totalBytes).toBeGreaterThan(plan.budget.limitBytes);
    const f = budgetScreen({ ok: true, plan }, { defaults: 'vllm' }).frame();
    expect(f).toContain('WILL BE KILLED');
    expect(f).not.toMatch(/FITS|TIGHT|WILL REFUSE/);
    const bar = f.split('\n').find((l) => l.startsWith('['));
    expect(bar).toMatch(/^\[[ORCWAGSKMP]+\|[ORCWAGSKMP]+$/);
  });

  it('vLLM will refuse to start: says so with the message vLLM would print', () => {
    const plan = planFor({ ...base, maxModelLen: '32768', numGpuBlocksOverride: '1' });
    expect(plan.verdict).toBe('max-len');
    expect(plan.refusal?.reason).toBe('max-len');
    const f = budgetScreen({ ok: true, plan }).frame();
    expect(f).toContain('vLLM WILL REFUSE TO START');
    expect(flat(f)).toContain(flat(plan.refusal?.message ?? 'no refusal'));
  });

  it("a release that cannot load the model: its own verdict, and vLLM's sentence with the release that can", () => {
    const plan = planFor({ device: 'agx-orin-64gb', model: 'qwen3.5-9b', vllmVersion: '0.16.0' });
    expect(plan.verdict).toBe('unsupported');
    const f = budgetScreen({ ok: true, plan }).frame();
    expect(f).toContain('vLLM WILL REFUSE THIS MODEL');
    expect(f).not.toContain('vLLM WILL REFUSE TO START');
    expect(flat(f)).toContain("Model architectures ['Qwen3_5ForConditionalGeneration'] are not supported for now.");
  });

  it('no plan: the reason, and no verdict', () => {
    const state = budgetState('nano-4gb', 'qwen2.5-7b-instruct', 'bf16');
    const outcome = planForState(state, catalog, '/hf', '/work');
    expect(outcome?.ok).toBe(false);
    if (outcome === null || outcome.ok) throw new Error('expected no plan');
    const f = budgetScreen(outcome).frame();
    expect(f).toContain('No plan');
    expect(flat(f)).toContain(flat(outcome.message));
    expect(f).not.toMatch(VERDICT_WORDS);
  });

  it('nothing fits in the table: every cell is a ✗', () => {
    const state = budgetState('orin-nano-8gb', 'qwen2.5-7b-instruct', 'bf16');
    const table = tableFor(state);
    expect(table).not.toBeNull();
    const cells = table?.cells.flat() ?? [];
    expect(cells).toHaveLength(TABLE_CONTEXTS.length * TABLE_SEQS.length);
    expect(cells.every((c) => c === 'oom' || c === 'max-len')).toBe(true);
    const outcome = planForState(state, catalog, '/hf', '/work');
    if (outcome?.ok !== true) throw new Error('expected a plan');
    const f = budgetScreen(outcome, { table }).frame();
    // At most the legend holds a ✓ or a ~; every cell is a ✗.
    expect(count(f, '✓')).toBeLessThanOrEqual(1);
    expect(count(f, '~')).toBeLessThanOrEqual(1);
    expect(count(f, '✗')).toBeGreaterThanOrEqual(cells.length);
  });
});

describe('ReviewScreen', () => {
  const plan = planFor({
    device: 'orin-nx-16gb',
    model: MODEL,
    quant: 'gguf-q4_k_m',
    vllmVersion: '0.6.3',
    maxModelLen: '200',
    maxNumSeqs: '1',
  });
  const flagNotes = plan.notes.filter((n) => n.startsWith('--'));

  function reviewScreen(notesHeight: number, onAction: (a: ReviewAction) => void = noop) {
    return show(<ReviewScreen plan={plan} notesHeight={notesHeight} onAction={onAction} />);
  }

  it('the verdict, the exact command, the reason for every flag, and the four actions', () => {
    expect(plan.verdict).toBe('fits');
    expect(flagNotes.length).toBeGreaterThan(2);
    const f = reviewScreen(50).frame();
    expect(f).toContain('FITS');
    expect(flat(f)).toContain(flat(plan.command));
    for (const n of flagNotes) expect(f).toContain(n.slice(0, 40));
    for (const word of [/launch/i, /copy/i, /save/i, /back/i]) expect(f).toMatch(word);
  });

  it('says how many reasons it left out when they do not fit (every reason counts: flags first, then the rest)', () => {
    const f = reviewScreen(1).frame();
    expect(f).toContain(flagNotes[0]?.slice(0, 40));
    expect(f).not.toContain(flagNotes[1]?.slice(0, 40));
    expect(f).toContain(`${plan.notes.length - 1} more`);
  });

  it('PgDn and PgUp scroll through every reason, each whole (wrapped, never cut with …)', async () => {
    const { stdin, lastFrame, frame } = reviewScreen(4);
    const all = [...flagNotes, ...plan.notes.filter((n) => !n.startsWith('--'))];
    const seen = new Set<string>();
    for (let page = 0; page < all.length; page++) {
      const f = flat(frame());
      for (const n of all) if (f.includes(flat(n))) seen.add(n);
      if (seen.size === all.length) break;
      const before = frame();
      await pressAndWait(stdin, lastFrame, ']', (x) => x !== before);
    }
    expect([...seen].sort()).toEqual([...all].sort());
    expect(frame()).not.toContain('…');
    const before = frame();
    await pressAndWait(stdin, lastFrame, '[', (x) => x !== before);
    expect(frame()).toMatch(/reasons \d+–\d+ of \d+/);
  });

  it.each(REVIEW_ACTIONS.map((a, i) => [a, i] as const))('offers %s as action %i', async (action, index) => {
    const onAction = vi.fn();
    const { stdin, lastFrame, frame } = reviewScreen(3, onAction);
    for (let i = 0; i < index; i++) {
      const before = frame();
      await pressAndWait(stdin, lastFrame, KEY.down, (f) => f !== before);
    }
    press(stdin, KEY.enter);
    await waitUntil(() => onAction.mock.calls.length > 0);
    expect(onAction.mock.calls).toEqual([[action]]);
  });
});

describe('BudgetBar', () => {
  const item = (key: BudgetKey, gib: number): BudgetItem => ({
    key,
    label: key,
    bytes: gib * GiB,
    why: '',
    isEstimate: false,
  });
  const bar = (items: BudgetItem[], limitGiB: number, width: number): string[] =>
    show(<BudgetBar items={items} limitBytes={limitGiB * GiB} width={width} />)
      .frame()
      .split('\n');

  it('fills each item with its letter and the free part with "·", closed by "]"', () => {
    const lines = bar(
      [item('os', 2), item('runtime', 1), item('weights', 4), item('activations', 0), item('kvCache', 1)],
      10,
      20,
    );
    expect(lines[0]).toBe('[OOOORRWWWWWWWWKK····]');
    // The legend says GiB as every other screen does.
    expect(lines[1]).toBe(
      'O OS 2.00 GiB  R runtime 1.00 GiB  W weights 4.00 GiB  K KV cache 1.00 GiB  · free 2.00 GiB',
    );
  });

  it('wraps the legend by whole entries: no wrapped line starts with a space or cuts an entry', () => {
    const lines = show(
      <Box width={40}>
        <BudgetBar
          items={[item('os', 2), item('runtime', 1), item('weights', 4), item('kvCache', 1)]}
          limitBytes={10 * GiB}
          width={20}
        />
      </Box>,
    )
      .frame()
      .split('\n');
    expect(lines.slice(1)).toEqual([
      'O OS 2.00 GiB  R runtime 1.00 GiB',
      'W weights 4.00 GiB  K KV cache 1.00 GiB',
      '· free 2.00 GiB',
    ]);
  });

  it('puts what is over the memory after a "|", with no closing bracket', () => {
    const lines = bar([item('os', 2), item('weights', 10)], 10, 12);
    expect(lines[0]).toBe('[OOWWWWWWWW|WW');
    expect(lines[1]).toBe('O OS 2.00 GiB  W weights 10.00 GiB  · free 0.00 GiB');
    const after = bar([item('os', 4), item('weights', 6), item('kvCache', 2)], 10, 12);
    expect(after[0]).toBe('[OOOOWWWWWW|KK');
  });

  it('splits the cells by largest remainder, exactly filling the width', () => {
    expect(bar([item('os', 1), item('runtime', 1), item('weights', 1)], 3, 10)[0]).toBe('[OOOORRRWWW]');
  });

  it('has one distinct letter per budget item', () => {
    const keys = Object.keys(BAR_LETTERS) as BudgetKey[];
    const lines = bar(
      keys.map((k) => item(k, 1)),
      keys.length,
      keys.length,
    );
    expect(lines[0]).toBe(`[${keys.map((k) => BAR_LETTERS[k].letter).join('')}]`);
    expect(lines[0]).toBe('[ORCWAGSKMP]');
  });
});

describe('HelpOverlay', () => {
  const STEPS = ['device', 'model', 'quant', 'budget', 'review', 'launch'] as const;
  /** The overlay in its frame at 80 columns, as the App shows it. */
  const helpFrame = (step: (typeof STEPS)[number]): string =>
    show(
      <Frame step={step} hints="? or Esc close the help  q quit" notice={null} width={80}>
        <HelpOverlay step={step} />
      </Frame>,
    ).frame();

  it('fits 80×24 on every screen: no line over 80 columns, none cut, at most 24 lines', () => {
    for (const step of STEPS) {
      for (const line of buildHelpLines(step)) expect(line.length, `${step}: ${line}`).toBeLessThanOrEqual(80);
      const f = helpFrame(step);
      expect(f.split('\n').length, step).toBeLessThanOrEqual(24);
      expect(f, step).not.toContain('…');
      for (const line of buildHelpLines(step)) expect(flat(f), step).toContain(flat(line));
      cleanup();
    }
  });

  it('on the budget: every bar letter, the free and over marks, "set", "tight", the typed-number and reset keys', () => {
    const f = helpFrame('budget');
    for (const meta of Object.values(BAR_LETTERS)) expect(f).toMatch(new RegExp(`\\b${meta.letter} \\w`));
    expect(f).toContain('OS and other processes');
    expect(f).toContain('KV cache');
    expect(f).toContain('· free memory');
    expect(f).toContain('|');
    expect(f).toMatch(/^set\s+a knob you changed/m);
    expect(f).toMatch(/TIGHT/);
    expect(f).toContain('1-9');
    expect(f).toContain('e.g. 200');
    expect(f).toMatch(/^ {2}0 +put the focused knob back to the planner's choice/m);
    expect(f).toContain('Esc cancels');
  });

  it('on the launch: s, q, r, Enter and l', () => {
    const f = helpFrame('launch');
    for (const k of ['s', 'q', 'r', 'Enter', 'l']) expect(f).toMatch(new RegExp(`^ {2}${k} +\\w`, 'm'));
    expect(lineWith(f, '  s ')).toContain('stop the server');
    expect(lineWith(f, '  r ')).toContain('retry');
    expect(lineWith(f, '  Enter ')).toContain('live panel');
    expect(lineWith(f, '  l ')).toContain('log');
  });

  it('on the review: PgDn and PgUp; on the device: d and /', () => {
    expect(lineWith(helpFrame('review'), 'PgDn PgUp')).toContain('every reason');
    cleanup();
    const device = helpFrame('device');
    expect(device).toMatch(/^ {2}d +the checks of this device with their fixes/m);
    expect(device).toMatch(/^ {2}\/ +filter/m);
  });
});

describe('Frame', () => {
  const frameWith = (notice: string | null): string =>
    show(
      <Frame step="budget" hints="←→ change  q quit" notice={notice} width={80}>
        <Text>the screen body</Text>
      </Frame>,
    ).frame();

  it('shows the steps in order on top, then the screen, the notice and the key hints', () => {
    const f = frameWith('Recipe saved to /r.json');
    const top = f.split('\n')[0] ?? '';
    const at = ['Device', 'Model', 'Quantization', 'Budget', 'Review', 'Launch'].map((s) => top.indexOf(s));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    const order = ['the screen body', 'Recipe saved to /r.json', '←→ change  q quit'].map((t) => f.indexOf(t));
    expect(order.every((i) => i > top.length)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('without a notice shows one line less and the same hints', () => {
    const withNotice = frameWith('Recipe saved to /r.json').split('\n');
    const without = frameWith(null).split('\n');
    expect(without).toHaveLength(withNotice.length - 1);
    expect(without.join('\n')).toContain('←→ change  q quit');
    expect(without.join('\n')).not.toContain('Recipe saved');
  });
});

// ---------------------------------------------------------------------------------------------------

describe('App', () => {
  interface Started extends ReturnType<typeof render> {
    exits: { code: number; print: string | null }[];
    saves: { recipe: Recipe; fileName: string }[];
    frame: () => string;
  }

  function start(options: { detect?: Detector; flags?: WizardFlags } = {}): Started {
    const exits: Started['exits'] = [];
    const saves: Started['saves'] = [];
    const orinNx = detection('orin-nx-16gb-jp62');
    const detect: Detector = options.detect ?? (() => Promise.resolve(orinNx));
    const writeRecipe: RecipeWriter = (recipe, fileName) => {
      saves.push({ recipe, fileName });
      return Promise.resolve(`/recipes/${fileName}`);
    };
    const r = render(
      <App
        catalog={catalog}
        flags={options.flags ?? noFlags()}
        detect={detect}
        writeRecipe={writeRecipe}
        now={() => new Date(0)}
        hfCacheDir="/hf"
        workDir="/work"
        isColor={false}
        onExit={(e) => exits.push(e)}
      />,
    );
    return Object.assign(r, { exits, saves, frame: () => plain(r.lastFrame()) });
  }

  /** The variant the quantization list starts on for the first model on the detected Orin NX: the first that fits. */
  function walkedQuant(): string {
    const m = catalog.models[0];
    const here = run(
      createWizardState(noFlags(), catalog),
      { type: 'detectionFinished', detection: detection('orin-nx-16gb-jp62') },
      { type: 'deviceChosen', device: { kind: 'detected' } },
    );
    const device = resolveChoice({ kind: 'detected' }, catalog, detectedDevice(here));
    if (m === undefined || device === null) throw new Error('no first model or device');
    const rows = listQuants(catalog, device, m, null);
    return rows[findFirstFittingQuant(rows)]?.quant.id ?? '';
  }

  /** The plan the walk below arrives at: detected Orin NX, the first model, its first variant that fits. */
  function walkedPlan(): Plan {
    const state = run(
      createWizardState(noFlags(), catalog),
      { type: 'detectionFinished', detection: detection('orin-nx-16gb-jp62') },
      { type: 'deviceChosen', device: { kind: 'detected' } },
      { type: 'modelChosen', id: catalog.models[0]?.id ?? '' },
      { type: 'quantChosen', id: walkedQuant() },
      { type: 'reviewOpened' },
    );
    const outcome = planForState(state, catalog, '/hf', '/work');
    if (outcome?.ok !== true) throw new Error('the walked state has no plan');
    return outcome.plan;
  }

  /** Enter on every step: the detected device, the first model, the first variant, then the review. */
  async function walkToReview(app: Started): Promise<string> {
    const { stdin, lastFrame } = app;
    const first = catalog.models[0];
    const second = catalog.models[1];
    if (first === undefined || second === undefined) throw new Error('the catalog has too few models');
    await waitForFrame(lastFrame, (f) => f.includes('Jetson Orin NX 16GB') && !f.includes('Detecting'));
    const model = await pressAndWait(stdin, lastFrame, KEY.enter, (f) => f.includes(second.id));
    expect(model).toContain('Jetson Orin NX 16GB');
    const quant = await pressAndWait(stdin, lastFrame, KEY.enter, (f) => !f.includes(second.id));
    expect(quant).toContain(first.name);
    for (const q of first.quants) expect(quant).toContain(q.id);
    const budget = await pressAndWait(stdin, lastFrame, KEY.enter, (f) => f.includes('max-model-len'));
    expect(budget).toMatch(VERDICT_WORDS);
    return pressAndWait(stdin, lastFrame, KEY.enter, (f) => flat(f).includes('vllm serve'));
  }

  it('shows "Detecting" until the injected detector resolves, then the detected device', async () => {
    let release: () => void = noop;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const d = detection('orin-nx-16gb-jp62');
    const signals: AbortSignal[] = [];
    const app = start({
      detect: async (signal) => {
        signals.push(signal);
        await gate;
        return d;
      },
    });
    expect(plain(app.frames[0])).toContain('Detecting');
    await tick();
    await tick();
    expect(app.frame()).toContain('Detecting');
    // The presets list names (Jetson Orin NX 16GB among them); the detected device is not there yet.
    expect(app.frame()).not.toContain('This device: Jetson Orin NX 16GB');
    release();
    const f = await waitForFrame(app.lastFrame, (x) => x.includes('This device: Jetson Orin NX 16GB'));
    expect(f).not.toContain('Detecting');
    expect(f).toContain('36.4.3');
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(false);
  });

  it('the quantization list opens on the first variant that fits (--model on a board where the first does not)', async () => {
    const app = start({ flags: { ...noFlags(), device: 'orin-nano-8gb', model: 'qwen2.5-7b-instruct' } });
    const rows = listQuants(catalog, preset('orin-nano-8gb'), model('qwen2.5-7b-instruct'), null);
    const first = rows[findFirstFittingQuant(rows)]?.quant.id ?? '';
    const f = await waitForFrame(app.lastFrame, (x) => x.includes('choose the quantization'));
    expect(lineWith(f, '❯')).toContain(`${first} `);
    expect(lineWith(f, '❯')).not.toContain('does not fit');
    // Enter takes it to the budget.
    const budget = await pressAndWait(app.stdin, app.lastFrame, KEY.enter, (x) => x.includes('max-model-len'));
    expect(budget).toContain(first);
  });

  it('shows why detection failed', async () => {
    const app = start({ detect: () => Promise.reject(new Error('no /proc here')) });
    const f = await waitForFrame(app.lastFrame, (x) => x.includes('no /proc here'));
    expect(f).toMatch(/detection failed/i);
  });

  it('walks device → model → quantization → budget → review with Enter, and q exits with 0', async () => {
    const app = start();
    const review = await walkToReview(app);
    const plan = walkedPlan();
    expect(review).toContain(VERDICT_WORDS.exec(review)?.[0]);
    expect(flat(review)).toContain(flat(plan.command));
    expect(app.exits).toEqual([]);
    press(app.stdin, 'q');
    await waitUntil(() => app.exits.length > 0, 4000, 'onExit');
    expect(app.exits).toEqual([{ code: 0, print: null }]);
  });

  it('copy ends the wizard with the command to print', async () => {
    const app = start();
    const review = await walkToReview(app);
    await pressAndWait(app.stdin, app.lastFrame, KEY.down, (f) => f !== review);
    press(app.stdin, KEY.enter);
    await waitUntil(() => app.exits.length > 0, 4000, 'onExit');
    expect(app.exits).toEqual([{ code: 0, print: walkedPlan().command }]);
    // The last frame is empty: Ink erases the review, so the command printed after it stands alone.
    await waitForFrame(app.lastFrame, (f) => f.trim() === '');
  });

  it('quitting leaves the last screen as it was (only Copy clears it)', async () => {
    const app = start();
    const f0 = await waitForFrame(app.lastFrame, (f) => f.includes('Jetson Orin NX 16GB'));
    const before = app.frames.length;
    press(app.stdin, 'q');
    await waitUntil(() => app.exits.length > 0, 4000, 'onExit');
    await tick();
    // The frames Ink wrote from q on. Under CI=true (is-in-ci) Ink adds one bare '\n' when it unmounts in
    // place of the last frame; that trailer is Ink's, not the wizard's, so it is left out.
    const after = app.frames.slice(before).filter((f) => f !== '\n');
    expect(after.length).toBeGreaterThan(0);
    expect(plain(after.at(-1))).toContain('jetson-vllm');
    expect(f0).toContain('q quit');
  });

  it('save writes the recipe once and shows where it went', async () => {
    const app = start();
    let f = await walkToReview(app);
    for (let i = 0; i < 2; i++) {
      const before = f;
      f = await pressAndWait(app.stdin, app.lastFrame, KEY.down, (x) => x !== before);
    }
    press(app.stdin, KEY.enter);
    const plan = walkedPlan();
    const fileName = recipeFileName(plan);
    await waitForFrame(app.lastFrame, (x) => x.includes(`/recipes/${fileName}`));
    expect(app.saves).toHaveLength(1);
    expect(app.saves[0]?.fileName).toBe(fileName);
    expect(app.saves[0]?.recipe).toMatchObject({
      kind: 'jetson-vllm-recipe',
      savedAt: '1970-01-01T00:00:00.000Z',
      model: plan.model.id,
      quant: plan.quant.id,
      command: plan.command,
    });
    expect(app.exits).toEqual([]);
  });

  it('flags open at the budget; → changes the focused knob, Esc goes back to the variants', async () => {
    const app = start({ flags: { ...noFlags(), device: 'orin-nx-16gb', model: MODEL, quant: 'gguf-q4_k_m' } });
    const f0 = await waitForFrame(app.lastFrame, (f) => f.includes('max-model-len'));
    expect(f0).toMatch(VERDICT_WORDS);
    const valueOf = (f: string): number => Number(/max-model-len\s+(\d+)/.exec(f)?.[1]);
    const v0 = valueOf(f0);
    expect(lineWith(f0, 'max-model-len')).not.toContain('set');
    const f1 = await pressAndWait(app.stdin, app.lastFrame, KEY.right, (f) => valueOf(f) !== v0);
    expect(lineWith(f1, 'max-model-len')).toContain('set');
    const v1 = valueOf(f1);
    const f2 = await pressAndWait(app.stdin, app.lastFrame, 'l', (f) => valueOf(f) !== v1);
    expect(valueOf(f2)).toBeGreaterThan(v1);
    // ↓ moves the focus to the next knob.
    const f3 = await pressAndWait(
      app.stdin,
      app.lastFrame,
      KEY.down,
      (f) => lineWith(f, 'max-num-seqs')?.includes('›') === true,
    );
    expect(lineWith(f3, 'max-model-len')).not.toContain('›');
    const back = await pressAndWait(app.stdin, app.lastFrame, KEY.escape, (f) => !f.includes('max-model-len'));
    expect(back).toContain('gguf-q4_k_m');
    expect(back).toContain('bf16');
    // Back on the variants, the cursor is on the one chosen before.
    expect(lineWith(back, '❯')).toContain('gguf-q4_k_m ');
    expect(app.exits).toEqual([]);
  });

  it('a number typed on a knob: digits then Enter set it (200), 0 puts it back to the planner, Esc cancels', async () => {
    const app = start({ flags: { ...noFlags(), device: 'orin-nx-16gb', model: MODEL, quant: 'gguf-q4_k_m' } });
    const f0 = await waitForFrame(app.lastFrame, (f) => f.includes('max-model-len'));
    const valueOf = (f: string): number => Number(/max-model-len\s+(\d+)/.exec(f)?.[1]);
    const planned = valueOf(f0);
    expect(planned).not.toBe(200);
    // The keys are in the hints.
    expect(f0).toContain('1-9 type');
    expect(f0).toContain('0 reset');
    let f = '';
    for (const [i, ch] of [...'200'].entries()) {
      const typed = '200'.slice(0, i + 1);
      f = await pressAndWait(
        app.stdin,
        app.lastFrame,
        ch,
        (x) => lineWith(x, 'max-model-len')?.includes(`${typed}▏`) === true,
      );
    }
    // While typing: the entry on the knob, the typing keys in the hints, the old value not yet replaced.
    expect(f).toContain('Enter set');
    expect(f).toContain('Esc cancel');
    f = await pressAndWait(app.stdin, app.lastFrame, KEY.enter, (x) => valueOf(x) === 200 && !x.includes('▏'));
    expect(lineWith(f, 'max-model-len')).toContain('set');
    expect(f).toMatch(VERDICT_WORDS);
    // 0: the planner's choice again, no longer "set".
    f = await pressAndWait(app.stdin, app.lastFrame, '0', (x) => valueOf(x) === planned);
    expect(lineWith(f, 'max-model-len')).not.toContain('set');
    // Esc while typing cancels the number and stays on the budget.
    await pressAndWait(app.stdin, app.lastFrame, '7', (x) => x.includes('7▏'));
    f = await pressAndWait(app.stdin, app.lastFrame, KEY.escape, (x) => !x.includes('Esc cancel'));
    expect(f).toContain('max-model-len');
    expect(valueOf(f)).toBe(planned);
    // Out of range: a one-line notice, the old value kept.
    await pressAndWait(app.stdin, app.lastFrame, '9', (x) => x.includes('9▏'));
    for (const ch of '999999') press(app.stdin, ch);
    await waitForFrame(app.lastFrame, (x) => x.includes('9999999▏'));
    f = await pressAndWait(app.stdin, app.lastFrame, KEY.enter, (x) => x.includes('was not set'));
    expect(lineWith(f, 'was not set')).toContain('max-model-len takes a whole number from 1 to');
    expect(valueOf(f)).toBe(planned);
    // ? on the budget explains the budget's keys and bar; Esc closes it.
    f = await pressAndWait(app.stdin, app.lastFrame, '?', (x) => x.includes('Budget — keys'));
    expect(f).toContain('W model weights');
    await pressAndWait(app.stdin, app.lastFrame, KEY.escape, (x) => x.includes('max-model-len  '));
    expect(app.exits).toEqual([]);
  });

  it('typing a filter takes q as text; Esc clears the filter, then q quits', async () => {
    const app = start();
    await waitForFrame(app.lastFrame, (f) => f.includes('Jetson Orin NX 16GB'));
    press(app.stdin, '/');
    await waitForFrame(app.lastFrame, (f) => f.includes('Filter'));
    let f = '';
    let typed = '';
    for (const ch of 'xav') {
      typed += ch;
      const text = typed;
      f = await pressAndWait(app.stdin, app.lastFrame, ch, (x) => x.includes(text));
    }
    expect(f).toContain('xavier-nx-8gb');
    expect(f).not.toContain('nano-4gb');
    f = await pressAndWait(app.stdin, app.lastFrame, 'q', (x) => x.includes('xavq'));
    expect(f).toMatch(/no device matches/i);
    expect(app.exits).toEqual([]);
    f = await pressAndWait(app.stdin, app.lastFrame, KEY.escape, (x) => x.includes('nano-4gb'));
    expect(f).not.toContain('xavq');
    expect(f).toContain('Jetson Orin NX 16GB');
    press(app.stdin, 'q');
    await waitUntil(() => app.exits.length > 0, 4000, 'onExit');
    expect(app.exits).toEqual([{ code: 0, print: null }]);
  });

  it('? shows the help and Esc closes it', async () => {
    const app = start();
    const f0 = await waitForFrame(app.lastFrame, (f) => f.includes('Jetson Orin NX 16GB'));
    const help = await pressAndWait(app.stdin, app.lastFrame, '?', (f) => !f.includes('nano-4gb'));
    expect(help).not.toBe(f0);
    // The help of the screen it was opened on.
    expect(help).toContain('Device — keys');
    expect(help).toContain('? or Esc close the help');
    await pressAndWait(app.stdin, app.lastFrame, KEY.escape, (f) => f.includes('nano-4gb'));
    expect(app.exits).toEqual([]);
  });
});
