/**
 * jetson-vllm's own cache of what was read from the Hub, so a model planned once can be planned again
 * offline: <cacheDir>/hub/<org>/<name>/<revision>/ holds config.json, safetensors-metadata.json and
 * gguf/<file>.json. Files are written through a temporary file and a rename (never half-written); a
 * file that cannot be read or parsed, or is not a regular file, is a miss. I/O.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HubRef } from '../core/hub-ref.js';
import {
  formatGgufCache,
  parseGgufCache,
  parseHubRecord,
  type HubGgufHeader,
  type HubRecord,
} from '../core/hub-record.js';

/** The cache folder of one repository at one revision (main by default). */
export function findHubCacheDir(cacheDir: string, ref: HubRef): string {
  return path.join(cacheDir, 'hub', ...ref.repo.split('/'), encodeURIComponent(ref.revision ?? 'main'));
}

/** The cache file of one GGUF file's header, inside the folder of findHubCacheDir. */
export function findGgufCacheFile(dir: string, file: string): string {
  return path.join(dir, 'gguf', `${encodeURIComponent(file)}.json`);
}

/** Past this a cached file is not ours (a safetensors metadata file of the largest models is a few MiB). */
export const HUB_CACHE_FILE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * The text of a cached file, or null (a miss) when it is missing, unreadable, not a regular file (a FIFO
 * put there would make the read wait for a writer forever, a device may never end) or past the limit.
 */
async function readText(file: string): Promise<string | null> {
  try {
    const info = await stat(file);
    if (!info.isFile() || info.size > HUB_CACHE_FILE_LIMIT_BYTES) return null;
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, file);
}

/** The cached config.json and safetensors headers, or null when they are missing or unreadable. */
export async function readHubCache(dir: string): Promise<HubRecord | null> {
  const configText = await readText(path.join(dir, 'config.json'));
  const metaText = await readText(path.join(dir, 'safetensors-metadata.json'));
  if (configText === null || metaText === null) return null;
  return parseHubRecord(configText, metaText);
}

/**
 * Writes the cache; a failure only costs a note (the description is already good), returned through
 * `scrub` so it never shows the token. null when written.
 */
export async function writeHubCache(
  dir: string,
  record: HubRecord,
  scrub: (text: string) => string,
): Promise<string | null> {
  try {
    await writeAtomic(path.join(dir, 'config.json'), record.configText);
    await writeAtomic(path.join(dir, 'safetensors-metadata.json'), JSON.stringify(record.meta));
    return null;
  } catch (error) {
    const reason = error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : 'unknown';
    return scrub(`could not write the cache ${dir} (${reason}); the next offline run cannot use it`);
  }
}

/** The cached header of a GGUF file, or null when it is missing or unreadable. */
export async function readGgufCache(file: string): Promise<HubGgufHeader | null> {
  const text = await readText(file);
  return text === null ? null : parseGgufCache(text);
}

/** Writes a GGUF header to the cache; a failure is ignored (the header is good, only a later offline run misses it). */
export async function writeGgufCache(
  cacheFile: string,
  ref: HubRef,
  file: string,
  header: HubGgufHeader,
): Promise<void> {
  try {
    await writeAtomic(cacheFile, formatGgufCache(ref, file, header));
  } catch {
    // The header is good; only a later offline run misses it.
  }
}
