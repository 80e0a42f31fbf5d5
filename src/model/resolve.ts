/**
 * What `--model` names: a preset id, a local folder, a .gguf file, or a Hugging Face id (optionally
 * with `--gguf FILE` inside that repository). Non-preset references are read from their own metadata.
 */
import os from 'node:os';
import path from 'node:path';
import type { ModelDescription } from './core/model-source.js';
import type { Catalog } from '../catalog/core/presets-schema.js';
import { describeGgufModel } from './core/weights.js';
import { parseModelRef } from './core/hub-ref.js';
import { UserError } from '../shared/errors.js';
import { resolveXdgDir } from '../shared/xdg.js';

/** True when the --model value names a path rather than a preset id or a Hugging Face id. */
export function looksLikePath(ref: string): boolean {
  return ref.startsWith('.') || ref.startsWith('/') || ref.startsWith('~') || ref.endsWith('.gguf');
}

function expandHome(ref: string): string {
  return ref.startsWith('~') ? path.join(os.homedir(), ref.slice(1)) : ref;
}

/**
 * Describes a non-preset model reference; null for a preset id (the catalog has it). Bad references
 * and unreadable files are UserErrors (one line, exit 2).
 */
export async function describeModelRef(
  ref: string,
  options: { gguf?: string; tokenizer?: string },
  catalog: Catalog,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ModelDescription | null> {
  if (options.gguf === undefined && catalog.models.some((m) => m.id === ref)) return null;
  if (looksLikePath(ref)) {
    const file = expandHome(ref);
    if (file.endsWith('.gguf')) {
      const { describeGgufFile } = await import('./local.js');
      return describeGgufFile(file, options.tokenizer ?? null);
    }
    const { describeLocalFolder } = await import('./local.js');
    const { stat } = await import('node:fs/promises');
    const isDir = await stat(file).then(
      (s) => s.isDirectory(),
      () => null,
    );
    if (isDir === null)
      throw new UserError(
        `--model: ${ref} does not exist (give a preset id, a Hugging Face id, a model folder or a .gguf file)`,
        'jetson-vllm models lists the presets',
      );
    if (!isDir)
      throw new UserError(
        `--model: ${ref} is not a folder or a .gguf file (a model folder holds config.json and *.safetensors)`,
      );
    return describeLocalFolder(file);
  }
  // A relative folder that exists ("models/qwen") is a folder, not a Hugging Face id.
  if (options.gguf === undefined) {
    const { stat } = await import('node:fs/promises');
    if (
      await stat(ref).then(
        (s) => s.isDirectory(),
        () => false,
      )
    ) {
      const { describeLocalFolder } = await import('./local.js');
      return describeLocalFolder(ref);
    }
  }
  const hubRef = parseModelRef(ref);
  if (hubRef === null) return null;
  const { describeHubGguf, describeHubModel } = await import('./hub/metadata.js');
  const { hubEnvFromProcess } = await import('./hub/env.js');
  const hubEnv = hubEnvFromProcess(env, resolveXdgDir('cache', env, os.homedir()));
  if (options.gguf === undefined) return describeHubModel(hubRef, hubEnv);
  const header = await describeHubGguf(hubRef, options.gguf, hubEnv);
  const described = describeGgufModel(header.metadata, header.tensorInfos, options.gguf, options.tokenizer ?? null);
  if (!described.ok) throw new UserError(`--gguf: ${hubRef.repo}/${options.gguf}: ${described.problem}`);
  return {
    id: `${hubRef.repo}/${options.gguf}`,
    name: described.name,
    origin: 'hub-gguf',
    tokenizerRepo: options.tokenizer ?? described.baseModelRepo ?? null,
    arch: described.arch,
    quant: {
      ...described.quant,
      repo: hubRef.repo,
      file: options.gguf,
      sizeBytes: described.weightBytes,
      sizeSource: 'published',
    },
    weightSource: 'tensor headers',
    serveTarget: options.gguf,
    revision: hubRef.revision,
    unsupportedTensorTypes: described.unsupportedTensorTypes,
    notes: described.notes,
  };
}
