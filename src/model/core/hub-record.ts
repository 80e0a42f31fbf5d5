/**
 * What is read from the Hub and kept in jetson-vllm's cache: config.json with the safetensors headers
 * (a HubRecord) or the header of one GGUF file; their cache text, and a HubRecord turned into a
 * ModelDescription. Pure.
 */
import type { GGUFMetadata, GGUFTensorInfo } from '@huggingface/gguf';
import type { Architecture, QuantVariant } from '../../catalog/core/presets-schema.js';
import { formatBytes } from '../../shared/units.js';
import { parseHfConfig } from './hf-config.js';
import type { HubRef } from './hub-ref.js';
import { safetensorsDtypeBytes, type ModelDescription } from './model-source.js';
import { describeSafetensors, type SafetensorsTensor } from './weights.js';
import { describeCheckpointExtras } from './checkpoint-notes.js';

/** The version of the cache files; a file of another version is not read. */
export const HUB_CACHE_FORMAT = 1;

/** The cached safetensors-metadata.json: where the headers came from, and the headers. */
export interface SafetensorsRecord {
  format: number;
  repo: string;
  revision: string;
  /** The commit the revision resolved to (X-Repo-Commit), when the server said. */
  commit: string | null;
  fetchedAt: string;
  endpoint: string;
  /** Header of each safetensors file, by file path in the repository. */
  files: Record<string, Record<string, unknown>>;
}

/** config.json (as text) and the safetensors headers of one repository at one revision. */
export interface HubRecord {
  configText: string;
  meta: SafetensorsRecord;
}

/** The raw header of a GGUF file on the Hub (metadata and tensor infos as @huggingface/gguf parses them). */
export interface HubGgufHeader {
  /** Every key as parsed (numbers, strings, bigints for 64-bit values, arrays). */
  metadata: GGUFMetadata<{ strict: false }>;
  tensorInfos: GGUFTensorInfo[];
  /** Total size of the .gguf file in bytes. */
  fileBytes: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Returns the record the two cache files hold, or null when either is not valid JSON or of another format. */
export function parseHubRecord(configText: string, metaText: string): HubRecord | null {
  try {
    const meta: unknown = JSON.parse(metaText);
    if (!isObject(meta) || meta.format !== HUB_CACHE_FORMAT || !isObject(meta.files)) return null;
    JSON.parse(configText);
    return { configText, meta: meta as unknown as SafetensorsRecord };
  } catch {
    return null;
  }
}

// GGUF metadata holds 64-bit values as bigints, which JSON cannot: they are kept as { $bigint: "…" }.
const bigintReplacer = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? { $bigint: value.toString() } : value;
const bigintReviver = (_key: string, value: unknown): unknown =>
  isObject(value) && typeof value.$bigint === 'string' && Object.keys(value).length === 1
    ? BigInt(value.$bigint)
    : value;

/** Returns the cache text of a GGUF header (bigints kept). */
export function formatGgufCache(ref: HubRef, file: string, header: HubGgufHeader): string {
  const record = { format: HUB_CACHE_FORMAT, repo: ref.repo, revision: ref.revision ?? 'main', file, header };
  return JSON.stringify(record, bigintReplacer);
}

/** Returns the GGUF header a cache text holds, or null when it is not one of this format. */
export function parseGgufCache(text: string): HubGgufHeader | null {
  try {
    const value: unknown = JSON.parse(text, bigintReviver);
    if (!isObject(value) || value.format !== HUB_CACHE_FORMAT || !isObject(value.header)) return null;
    const header = value.header as unknown as HubGgufHeader;
    if (!Array.isArray(header.tensorInfos) || typeof header.fileBytes !== 'number') return null;
    return header;
  } catch {
    return null;
  }
}

interface Tensors {
  list: SafetensorsTensor[];
  files: number;
  /** A stored lm_head.weight that vLLM does not load (tied embeddings). */
  skippedTied: SafetensorsTensor | null;
  /** Multi-token-prediction tensors vLLM loads only for speculative decoding. */
  skippedMtp: SafetensorsTensor[];
}

/** The tensors of all headers, checked; a stored lm_head is set aside when the embeddings are tied. */
function collectTensors(
  files: Record<string, Record<string, unknown>>,
  isTied: boolean,
  fail: (message: string) => Error,
  skipsMtp = false,
): Tensors {
  const out: Tensors = { list: [], files: 0, skippedTied: null, skippedMtp: [] };
  for (const [file, header] of Object.entries(files)) {
    out.files += 1;
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const shape = isObject(info) ? info.shape : undefined;
      const dtype = isObject(info) ? info.dtype : undefined;
      const offsets = isObject(info) ? info.data_offsets : undefined;
      if (
        typeof dtype !== 'string' ||
        !Array.isArray(shape) ||
        !shape.every((d): d is number => Number.isSafeInteger(d) && (d as number) >= 0)
      )
        throw fail(`the safetensors header of ${file} has a malformed entry for ${name}`);
      const begin: unknown = Array.isArray(offsets) ? offsets[0] : undefined;
      const end: unknown = Array.isArray(offsets) ? offsets[1] : undefined;
      const hasOffsets =
        Array.isArray(offsets) && offsets.length === 2 && typeof begin === 'number' && typeof end === 'number';
      if (hasOffsets && !(Number.isSafeInteger(begin) && Number.isSafeInteger(end) && begin >= 0 && begin <= end))
        throw fail(`the safetensors header of ${file} has invalid data_offsets for ${name}`);
      const range: [number, number] | undefined = hasOffsets ? [begin, end] : undefined;
      const span = range === undefined ? undefined : range[1] - range[0];
      if (safetensorsDtypeBytes(dtype) === null && span === undefined)
        throw fail(`the safetensors header of ${file} has no size for ${name} (${dtype})`);
      const tensor: SafetensorsTensor = {
        name,
        dtype,
        shape,
        ...(range === undefined ? {} : { byteLength: span, dataOffsets: range, file }),
      };
      // vLLM ties lm_head to the embeddings and skips a stored lm_head.weight (load_weights skip_prefixes).
      if (isTied && name === 'lm_head.weight') out.skippedTied = tensor;
      else if (skipsMtp && name.startsWith('mtp.')) out.skippedMtp.push(tensor);
      else out.list.push(tensor);
    }
  }
  return out;
}

/**
 * Whether vLLM's model class for `architecture` skips `mtp.*` checkpoint tensors unless speculative decoding
 * loads them (vllm/model_executor/models/qwen3_next.py and qwen3_5.py `load_weights`:
 * AutoWeightsLoader(self, skip_prefixes=["mtp."])).
 */
export function isMtpSkippedByVllm(architecture: string): boolean {
  return /^Qwen3(Next|_5)/.test(architecture);
}

/**
 * Returns the architecture with the bytes of the mtp.* tensors its checkpoint holds (what speculative decoding adds
 * to the weights); one MTP layer is assumed when config.json named none.
 */
export function withMtpCheckpointBytes(arch: Architecture, bytes: number): Architecture {
  return { ...arch, mtp: { layers: arch.mtp?.layers ?? 1, checkpointBytes: bytes } };
}

/**
 * Returns the description of a Hub model from its record: exact weight bytes (sum of elements × dtype
 * size over all tensors), the architecture, and the quantization from quantization_config. A bad
 * config or header is thrown as `fail(message)`; `sourceNotes` say where the record came from.
 */
export function describeHubRecord(
  ref: HubRef,
  record: HubRecord,
  fail: (message: string) => Error,
  sourceNotes: string[],
): ModelDescription {
  let config: unknown;
  try {
    config = JSON.parse(record.configText);
  } catch {
    throw fail(`${ref.repo}: config.json is not valid JSON`);
  }
  const parsed = parseHfConfig(config, ref.repo);
  if (!parsed.ok) throw fail(`${ref.repo}: ${parsed.problem}`);
  const tensors = collectTensors(
    record.meta.files,
    parsed.arch.tieWordEmbeddings,
    fail,
    isMtpSkippedByVllm(parsed.arch.architecture),
  );
  if (tensors.list.length === 0) throw fail(`${ref.repo}: its safetensors headers list no tensors`);
  const summary = describeSafetensors(tensors.list);
  const quant: QuantVariant = {
    ...parsed.quant,
    repo: ref.repo,
    sizeBytes: summary.totalBytes,
    sizeSource: 'published',
  };
  const dtypes = Object.entries(summary.bytesByDtype)
    .sort((a, b) => b[1] - a[1])
    .map(([dtype, bytes]) => `${dtype} ${formatBytes(bytes)}`)
    .join(', ');
  const notes = [
    `weights ${formatBytes(summary.totalBytes)} from the tensor headers of ${tensors.files} safetensors file${tensors.files === 1 ? '' : 's'} (${tensors.list.length} tensors: ${dtypes})`,
  ];
  if (tensors.skippedTied !== null) {
    const skipped = describeSafetensors([tensors.skippedTied]).totalBytes;
    notes.push(
      `lm_head.weight (${formatBytes(skipped)}) is stored but tied to the embeddings; vLLM does not load it, so it is not counted`,
    );
  }
  if (parsed.quant.method === null && summary.looksQuantized !== null)
    notes.push(
      `config.json has no quantization_config but the tensors look ${summary.looksQuantized} quantized: the plan treats the checkpoint as ${parsed.quant.id}`,
    );
  let mtpBytes: number | null = null;
  if (tensors.skippedMtp.length > 0) {
    const skipped = describeSafetensors(tensors.skippedMtp).totalBytes;
    mtpBytes = skipped;
    notes.push(
      `${tensors.skippedMtp.length} multi-token-prediction tensors (mtp.*, ${formatBytes(skipped)}) are not counted: vLLM loads them only with --speculative-config method "mtp" (load_weights skip_prefixes ["mtp."])`,
    );
  }
  const extras = describeCheckpointExtras(parsed.arch, parsed.quant, tensors.list);
  notes.push(...extras.notes);
  const { commit } = record.meta;
  if (commit !== null && commit !== ref.revision) notes.push(`${ref.revision ?? 'main'} is commit ${commit}`);
  notes.push(...sourceNotes);
  return {
    id: ref.revision === null ? ref.repo : `${ref.repo}@${ref.revision}`,
    name: parsed.name,
    origin: 'hub',
    tokenizerRepo: ref.repo,
    arch: mtpBytes === null ? extras.arch : withMtpCheckpointBytes(extras.arch, mtpBytes),
    quant,
    weightSource: 'tensor headers',
    serveTarget: ref.repo,
    revision: ref.revision,
    unsupportedTensorTypes: [],
    notes,
  };
}
