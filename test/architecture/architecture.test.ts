/**
 * The layout of DESIGN.md §4 holds: no import cycle between files (nor, by the level rule, between areas),
 * every import follows the area order, core/ and shared/ stay pure, no file or folder grows into several.
 * Each rule is shown catching a planted violation, so a green run means the rule is alive.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { checkImport } from '../../eslint-rules/area-order.js';
import { ROOT } from '../helpers/catalog.js';
import { findCycles, listSourceFiles, readImportGraph } from '../helpers/import-graph.js';

const SRC = path.join(ROOT, 'src');
const rel = (file: string): string => path.relative(SRC, file).split(path.sep).join('/');

describe('import cycles', () => {
  it('src/ has none between files', () => {
    const cycles = findCycles(readImportGraph(SRC)).map((c) => c.map(rel));
    expect(cycles).toEqual([]);
  });

  it('a planted cycle a → b → c → a (static imports) is found, and a file importing into it is not part of it', () => {
    const dir = path.join(ROOT, 'test', 'fixtures', 'architecture');
    const cycles = findCycles(readImportGraph(dir)).map((c) => c.map((f) => path.relative(dir, f)));
    expect(cycles).toEqual([['cycle/a.ts', 'cycle/b.ts', 'cycle/c.ts']]);
  });

  it('a dynamic import and a self-import close a cycle too', () => {
    const graph = new Map([
      ['x', ['y']],
      ['y', ['x']],
      ['self', ['self']],
      ['free', ['x']],
    ]);
    expect(findCycles(graph)).toEqual([['x', 'y'], ['self']]);
  });
});

describe('the area order', () => {
  it('every import in src/ follows it (the same check as the lint rule, over the whole graph)', () => {
    const problems: string[] = [];
    for (const [file, targets] of readImportGraph(SRC)) {
      for (const target of targets) {
        const problem = checkImport(rel(file), rel(target));
        if (problem !== null) problems.push(problem);
      }
    }
    expect(problems).toEqual([]);
  });

  it.each([
    ['device/core/identify.ts', 'plan/core/plan.ts', 'may not import the higher area plan/'],
    ['model/hub.ts', 'device/detect.ts', 'same level'],
    ['monitor/sources.ts', 'doctor/core/checks.ts', 'same level'],
    ['shared/units.ts', 'process/exec.ts', 'is pure'],
    ['process/exec.ts', 'catalog/load.ts', 'may not import the higher area catalog/'],
    ['plan/core/plan.ts', 'model/hub.ts', 'is pure'],
    ['launch/core/session.ts', 'wizard/core/wizard.ts', 'may not import the higher area wizard/'],
  ])('%s → %s is refused (%s)', (from, to, why) => {
    expect(checkImport(from, to)).toContain(why);
  });

  it.each([
    ['plan/core/plan.ts', 'device/core/resolved-device.ts'],
    ['wizard/ui/run.tsx', 'launch/prepare.ts'],
    ['launch/core/diagnosis.ts', 'shared/units.ts'],
    ['process/exec.ts', 'shared/errors.ts'],
    ['cli.tsx', 'wizard/ui/run.tsx'],
    ['doctor/core/checks.ts', 'launch/core/history.ts'],
  ])('%s → %s is allowed', (from, to) => {
    expect(checkImport(from, to)).toBeNull();
  });
});

describe('the lint rules of eslint.config.js catch a planted violation', () => {
  // The project's own configuration, without type information (the planted files do not exist on disk).
  const eslint = new ESLint({
    cwd: ROOT,
    overrideConfig: [{ ...tseslint.configs.disableTypeChecked, files: ['**/*.ts', '**/*.tsx'] }],
  });
  const lint = async (file: string, code: string): Promise<string[]> => {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
    return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
  };

  it('an upward import: a device core importing the planner', async () => {
    const messages = await lint(
      'src/device/core/planted.ts',
      "import { buildPlan } from '../../plan/core/plan.js';\nexport const planted = buildPlan;\n",
    );
    expect(messages).toEqual([
      expect.stringMatching(/^jetson\/area-order: device\/ may not import the higher area plan\//),
    ]);
  });

  it('an import between two areas of one level: monitor → doctor', async () => {
    const messages = await lint(
      'src/monitor/planted.ts',
      "export const load = async (): Promise<unknown> => import('../doctor/doctor-command.js');\n",
    );
    expect(messages).toEqual([
      expect.stringMatching(/^jetson\/area-order: monitor\/ and doctor\/ are on the same level/),
    ]);
  });

  it('a core importing its own shell', async () => {
    const messages = await lint('src/launch/core/planted.ts', "export { startServer } from '../runtime.js';\n");
    expect(messages).toEqual([expect.stringMatching(/^jetson\/area-order: launch\/core\/planted\.ts is pure/)]);
  });

  it('a core reaching for node:fs, a timer and the clock', async () => {
    const messages = await lint(
      'src/plan/core/planted.ts',
      "import { readFileSync } from 'node:fs';\nexport const x = (): unknown => [readFileSync, setTimeout, Date.now()];\n",
    );
    expect(messages.map((m) => m.split(':')[0])).toEqual([
      'no-restricted-imports',
      'no-restricted-globals',
      'no-restricted-properties',
    ]);
  });

  it('a child process started outside src/process/: execa or node:child_process, static or dynamic', async () => {
    const code =
      "import { execa } from 'execa';\nexport const x = execa;\nexport const y = async (): Promise<unknown> => import('node:child_process');\n";
    const messages = await lint('src/launch/planted.ts', code);
    expect(messages).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*child processes go through src\/process\//),
      expect.stringMatching(/^no-restricted-syntax: child processes go through src\/process\//),
    ]);
    expect(await lint('src/process/planted.ts', code)).toEqual([]);
  });

  it('the same imports in the right places pass', async () => {
    expect(
      await lint('src/plan/core/planted.ts', "import { GiB } from '../../shared/units.js';\nexport const x = GiB;\n"),
    ).toEqual([]);
    expect(
      await lint(
        'src/wizard/ui/planted.ts',
        "import { buildPlan } from '../../plan/core/plan.js';\nexport const x = buildPlan;\n",
      ),
    ).toEqual([]);
  });
});

describe('no file or folder that is several', () => {
  it('no source file in src/ is over 700 lines', () => {
    const long = listSourceFiles(SRC)
      .map((f) => ({ file: rel(f), lines: readFileSync(f, 'utf8').split('\n').length }))
      .filter((f) => f.lines > 700);
    expect(long).toEqual([]);
  });

  it('no folder in src/ holds more than 15 files directly', () => {
    const crowded: string[] = [];
    const visit = (dir: string): void => {
      const entries = readdirSync(dir, { withFileTypes: true });
      const files = entries.filter((e) => e.isFile()).length;
      if (files > 15) crowded.push(`${rel(dir) || 'src'}: ${files}`);
      for (const e of entries) if (e.isDirectory()) visit(path.join(dir, e.name));
    };
    visit(SRC);
    expect(crowded).toEqual([]);
  });
});
