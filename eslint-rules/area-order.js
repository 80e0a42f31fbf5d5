/**
 * The architecture of ../DESIGN.md §4 as a lint rule: one area per domain, imports go one way.
 *
 *   shared, process → catalog → model, device → plan → launch → monitor, doctor → wizard → cli
 *
 * - An area imports only its own files, `shared/`, and areas on a lower level (never one on its own level).
 * - A `core/` folder and `shared/` are pure: they import only `core/` folders and `shared/`
 *   (the package and built-in side of purity is `no-restricted-imports` in eslint.config.js).
 * Plain JavaScript so ESLint loads it as is; test/architecture.test.ts uses the same functions on the whole graph.
 */
import path from 'node:path';

/** Each area's level: lower levels never import higher ones. */
/** @type {Record<string, number>} */
export const AREA_LEVELS = {
  shared: 0,
  process: 0,
  catalog: 1,
  model: 2,
  device: 2,
  plan: 3,
  launch: 4,
  monitor: 5,
  doctor: 5,
  wizard: 6,
  cli: 7,
};

/**
 * The area of a path relative to src/ (forward slashes): its first folder; `cli.tsx` is the cli's.
 * null for a path outside the areas (src/stubs/, a build-time alias).
 * @param {string} srcRelative
 * @returns {string | null}
 */
export function areaOf(srcRelative) {
  const first = srcRelative.split('/')[0];
  if (first === 'cli.tsx') return 'cli';
  return Object.hasOwn(AREA_LEVELS, first) ? first : null;
}

/**
 * True for a file of a pure folder: `<area>/core/…` or `shared/…`.
 * @param {string} srcRelative
 */
export function isPure(srcRelative) {
  const parts = srcRelative.split('/');
  return parts[0] === 'shared' || (parts.length > 2 && parts[1] === 'core');
}

/**
 * Why an import from one src file to another breaks the architecture, or null when it keeps it.
 * Both paths are relative to src/ with forward slashes.
 * @param {string} fromRel
 * @param {string} toRel
 * @returns {string | null}
 */
export function checkImport(fromRel, toRel) {
  const from = areaOf(fromRel);
  const to = areaOf(toRel);
  if (from === null || to === null) return null;
  if (isPure(fromRel) && !isPure(toRel)) {
    return `${fromRel} is pure (a core/ or shared/ file) and may import only core/ and shared/ files, not ${toRel}`;
  }
  if (from === to || to === 'shared') return null;
  const fromLevel = AREA_LEVELS[from];
  const toLevel = AREA_LEVELS[to];
  if (toLevel === fromLevel) {
    return `${from}/ and ${to}/ are on the same level and must not import each other (${fromRel} → ${toRel})`;
  }
  if (toLevel > fromLevel) {
    return `${from}/ may not import the higher area ${to}/ (${fromRel} → ${toRel}); imports go shared, process → catalog → model, device → plan → launch → monitor, doctor → wizard → cli`;
  }
  return null;
}

/**
 * Where a relative specifier points, relative to src/; null outside src/ or for a package.
 * @param {string} srcDir
 * @param {string} filename
 * @param {string} specifier
 */
function targetOf(srcDir, filename, specifier) {
  if (!specifier.startsWith('.')) return null;
  const target = path.resolve(path.dirname(filename), specifier);
  const rel = path.relative(srcDir, target);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return rel.split(path.sep).join('/');
}

/** @type {import('eslint').Rule.RuleModule} */
export const areaOrderRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports follow the area order of DESIGN.md §4 and core/ stays pure' },
    schema: [],
  },
  create(context) {
    const filename = context.filename;
    const srcDir = path.join(context.cwd, 'src');
    const fromRel = path.relative(srcDir, filename).split(path.sep).join('/');
    if (fromRel.startsWith('..') || path.isAbsolute(fromRel)) return {};
    /**
     * @param {import('estree').Node} node
     * @param {import('estree').Node | null | undefined} source
     */
    const check = (node, source) => {
      if (source?.type !== 'Literal') return;
      const specifier = source.value;
      if (typeof specifier !== 'string') return;
      const toRel = targetOf(srcDir, filename, specifier);
      if (toRel === null) return;
      const problem = checkImport(fromRel, toRel);
      if (problem !== null) context.report({ node, message: problem });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
    };
  },
};

export default { rules: { 'area-order': areaOrderRule } };
