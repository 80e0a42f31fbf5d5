/**
 * Reads and validates the preset files (presets/*.yaml). YAML parsing costs ~200 ms on these files, so
 * the build compiles them into bin/dist/presets.json (validated), stamped with each file's size and
 * mtime; at run time that copy is used while the stamps match, and the YAML is read otherwise.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Catalog, PresetFileName } from './core/presets-schema.js';
import { UserError } from '../shared/errors.js';

const NAMES: readonly PresetFileName[] = ['devices', 'models', 'vllm'];
const here = path.dirname(fileURLToPath(import.meta.url));

/** The presets folder shipped beside bin/ (or JETSON_VLLM_PRESETS for tests and packagers). */
export function findPresetsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JETSON_VLLM_PRESETS !== undefined && env.JETSON_VLLM_PRESETS !== '') return env.JETSON_VLLM_PRESETS;
  // The bundle lives in bin/dist/, the sources in src/catalog/: both are two levels below the root.
  return path.resolve(here, '..', '..', 'presets');
}

/** Where the compiled copy lives: beside the bundle. */
export function findCompiledPath(): string {
  return path.resolve(here, '..', '..', 'bin', 'dist', 'presets.json');
}

interface Stamp {
  size: number;
  mtimeMs: number;
}
interface Compiled {
  presetsDir: string;
  stamps: Record<PresetFileName, Stamp>;
  catalog: Catalog;
}

async function stampOf(dir: string, name: PresetFileName): Promise<Stamp | null> {
  try {
    const s = await stat(path.join(dir, `${name}.yaml`));
    return { size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return null;
  }
}

async function loadYamlFile(dir: string, name: PresetFileName): Promise<unknown> {
  const file = path.join(dir, `${name}.yaml`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UserError(
      `preset file ${file} cannot be read`,
      'reinstall jetson-vllm, or point JETSON_VLLM_PRESETS at a presets folder',
    );
  }
  // yaml ships CommonJS for Node: the bundle exposes it as the default export of the chunk.
  const yaml = (await import('yaml')) as typeof import('yaml') & { default?: typeof import('yaml') };
  const parse = yaml.default?.parse ?? yaml.parse;
  let content: unknown;
  try {
    content = parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : 'not YAML';
    throw new UserError(`preset file ${file}: not valid YAML: ${reason}`);
  }
  // zod is loaded only here: the compiled copy was validated when it was written.
  const { parsePresetFile } = await import('./core/presets-schema.js');
  const result = parsePresetFile(name, content);
  if (!result.ok) throw new UserError(`preset file ${file}: ${result.problem}`);
  return result.value;
}

/** Parses and validates the three YAML files; a bad file is a UserError naming file, path and reason. */
export async function loadCatalogFromYaml(dir: string): Promise<Catalog> {
  const [devices, models, vllm] = await Promise.all(NAMES.map((n) => loadYamlFile(dir, n)));
  return {
    devices: (devices as { devices: Catalog['devices'] }).devices,
    models: (models as { models: Catalog['models'] }).models,
    vllm: vllm as Catalog['vllm'],
  };
}

async function readCompiled(dir: string): Promise<Catalog | null> {
  let compiled: Compiled;
  try {
    compiled = JSON.parse(await readFile(findCompiledPath(), 'utf8')) as Compiled;
  } catch {
    return null;
  }
  if (compiled.presetsDir !== dir) return null;
  for (const name of NAMES) {
    const now = await stampOf(dir, name);
    const then = compiled.stamps[name];
    if (now === null || now.size !== then.size || now.mtimeMs !== then.mtimeMs) return null;
  }
  return compiled.catalog;
}

/** Loads the catalog: the compiled copy while it matches the YAML files, else the YAML itself. */
export async function loadCatalog(dir: string = findPresetsDir()): Promise<Catalog> {
  return (await readCompiled(dir)) ?? loadCatalogFromYaml(dir);
}

/** Validates the YAML files and writes the compiled copy (run by `npm run build`). */
export async function compilePresets(dir: string = findPresetsDir()): Promise<string> {
  const catalog = await loadCatalogFromYaml(dir);
  const stamps = {} as Record<PresetFileName, Stamp>;
  for (const name of NAMES) {
    const s = await stampOf(dir, name);
    if (s === null) throw new UserError(`preset file ${path.join(dir, `${name}.yaml`)} cannot be read`);
    stamps[name] = s;
  }
  const out = findCompiledPath();
  const compiled: Compiled = { presetsDir: dir, stamps, catalog };
  await writeFile(out, JSON.stringify(compiled));
  return out;
}
