/**
 * Reads and validates the preset files (presets/*.yaml) from disk. The only I/O around the catalog.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parsePresetFile, type Catalog, type PresetFileName } from '../core/presets-schema.js';
import { UserError } from '../cli/errors.js';

/** The presets folder shipped beside bin/ (or JETSON_VLLM_PRESETS for tests and packagers). */
export function findPresetsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JETSON_VLLM_PRESETS !== undefined && env.JETSON_VLLM_PRESETS !== '') return env.JETSON_VLLM_PRESETS;
  // The bundle lives in bin/dist/, the sources in src/presets/: both are two levels below the root.
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'presets');
}

async function loadFile<K extends PresetFileName>(dir: string, name: K): Promise<unknown> {
  const file = path.join(dir, `${name}.yaml`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UserError(`preset file ${file} cannot be read`, 'reinstall jetson-vllm, or point JETSON_VLLM_PRESETS at a presets folder');
  }
  let content: unknown;
  try {
    content = parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : 'not YAML';
    throw new UserError(`preset file ${file}: not valid YAML: ${reason}`);
  }
  const result = parsePresetFile(name, content);
  if (!result.ok) throw new UserError(`preset file ${file}: ${result.problem}`);
  return result.value;
}

/** Loads the three preset files; a bad file is a UserError naming file, path and reason. */
export async function loadCatalog(dir: string = findPresetsDir()): Promise<Catalog> {
  const [devices, models, vllm] = await Promise.all([
    loadFile(dir, 'devices'),
    loadFile(dir, 'models'),
    loadFile(dir, 'vllm'),
  ]);
  return {
    devices: (devices as { devices: Catalog['devices'] }).devices,
    models: (models as { models: Catalog['models'] }).models,
    vllm: vllm as Catalog['vllm'],
  };
}
