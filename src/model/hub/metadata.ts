/**
 * Any Hugging Face model, read from its own metadata: config.json plus the safetensors tensor headers
 * (HTTP range requests through @huggingface/hub), or the header of one GGUF file (@huggingface/gguf).
 * What was read is cached (./cache.ts) so a model planned once can be planned again offline; the
 * requests and their errors are ./transport.ts, the description itself is core/hub-record.ts. I/O.
 */
import path from 'node:path';
import { UserError } from '../../shared/errors.js';
import { isGgufFilePath, isPinned, type HubRef } from '../core/hub-ref.js';
import { describeHubRecord, type HubGgufHeader, type HubRecord } from '../core/hub-record.js';
import type { ModelDescription } from '../core/model-source.js';
import {
  findGgufCacheFile,
  findHubCacheDir,
  readGgufCache,
  readHubCache,
  writeGgufCache,
  writeHubCache,
} from './cache.js';
import type { HubEnv } from './env.js';
import { checkRef, fetchGgufHeader, fetchHubRecord, Transient } from './transport.js';

/**
 * Describes a Hugging Face model from its config.json and safetensors tensor headers: exact weight
 * bytes (sum of elements × dtype size over all tensors), the architecture, and the quantization from
 * quantization_config. Caches what it read; offline (HF_HUB_OFFLINE) or when the endpoint cannot be
 * reached, answers from that cache. Failures are one-line UserErrors.
 */
export async function describeHubModel(ref: HubRef, env: HubEnv): Promise<ModelDescription> {
  const failures = checkRef(ref, env);
  const fail = (message: string): UserError => failures.fail(message);
  const dir = findHubCacheDir(env.cacheDir, ref);
  const what = 'config.json and safetensors headers';
  if (env.isOffline || isPinned(ref)) {
    const cached = await readHubCache(dir);
    if (cached !== null)
      return describeHubRecord(ref, cached, fail, [
        env.isOffline
          ? `HF_HUB_OFFLINE: read from the cache (fetched ${cached.meta.fetchedAt})`
          : `commit ${ref.revision ?? ''} read from the cache (fetched ${cached.meta.fetchedAt})`,
      ]);
    if (env.isOffline) throw failures.offline(what, dir);
  }
  let record: HubRecord;
  try {
    record = await fetchHubRecord(ref, env, failures);
  } catch (error) {
    if (!(error instanceof Transient)) throw error;
    const cached = await readHubCache(dir);
    if (cached === null) throw failures.unreachable(error.message, what);
    return describeHubRecord(ref, cached, fail, [
      `${env.endpoint} could not be reached (${error.message}): read from the cache (fetched ${cached.meta.fetchedAt})`,
    ]);
  }
  const description = describeHubRecord(ref, record, fail, []);
  const cacheProblem = await writeHubCache(dir, record, (text) => failures.scrub(text));
  if (cacheProblem !== null) description.notes.push(cacheProblem);
  return description;
}

/**
 * Reads the header of one GGUF file in a Hub repository with range requests (2 MB chunks), and its total
 * size. Cached like describeHubModel; offline or unreachable, answers from the cache.
 */
export async function describeHubGguf(ref: HubRef, file: string, env: HubEnv): Promise<HubGgufHeader> {
  const failures = checkRef(ref, env);
  if (!isGgufFilePath(file)) throw failures.fail(`"${file}" is not a .gguf file path inside ${ref.repo}`);
  const cacheFile = findGgufCacheFile(findHubCacheDir(env.cacheDir, ref), file);
  const what = `${file} header`;
  if (env.isOffline || isPinned(ref)) {
    const cached = await readGgufCache(cacheFile);
    if (cached !== null) return cached;
    if (env.isOffline) throw failures.offline(what, path.dirname(path.dirname(cacheFile)));
  }
  let header: HubGgufHeader;
  try {
    header = await fetchGgufHeader(ref, file, env, failures);
  } catch (error) {
    if (!(error instanceof Transient)) throw error;
    const cached = await readGgufCache(cacheFile);
    if (cached !== null) return cached;
    throw failures.unreachable(error.message, what);
  }
  await writeGgufCache(cacheFile, ref, file, header);
  return header;
}
