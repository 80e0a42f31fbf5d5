/**
 * Local models read from their own metadata: a folder (config.json + safetensors headers) or a
 * single GGUF file. Reads only headers (positioned reads), never whole weight files.
 */
import type { Stats } from 'node:fs';
import { open, readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { gguf } from '@huggingface/gguf';
import { UserError } from '../shared/errors.js';
import { parseHfConfig } from './core/hf-config.js';
import type { ModelDescription } from './core/model-source.js';
import { safetensorsDtypeBytes } from './core/model-source.js';
import { estimateWeightBytes } from './core/quantization.js';
import { describeGgufModel, describeSafetensors, type SafetensorsTensor } from './core/weights.js';
import { describeCheckpointExtras } from './core/checkpoint-notes.js';
import { isMtpSkippedByVllm, withMtpCheckpointBytes } from './core/hub-record.js';

/** safetensors refuses headers above 100 MB (safetensors/src/tensor.rs MAX_HEADER_SIZE). */
const MAX_SAFETENSORS_HEADER = 100_000_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

async function statOrNull(file: string) {
  try {
    return await stat(file);
  } catch {
    return null;
  }
}

/** What a path that is not a regular file is, for the message ("a FIFO", "a folder", …). */
function describeKind(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'a special file';
}

/**
 * Checks that `file` is a regular file (a symbolic link to one is: the Hugging Face cache is made of them)
 * before it is opened: opening a FIFO waits for a writer forever, a device may never end. A UserError
 * naming the file (`shown`) otherwise, and when it does not exist.
 */
export async function checkRegularFile(file: string, shown: string, flag = '--model'): Promise<void> {
  const info = await statOrNull(file);
  if (info === null) throw new UserError(`${flag}: ${shown} cannot be read (it does not exist)`);
  if (!info.isFile()) {
    throw new UserError(`${flag}: ${shown} is ${describeKind(info)}, not a regular file: give the file itself`);
  }
}

/**
 * Reads a safetensors header: the u64 little-endian length, then that many bytes of JSON. Checks
 * the length against the file size, every tensor's dtype/shape/data_offsets, and that the data they
 * describe is in the file. A bad file → UserError("--model: <file> is not a valid safetensors file: …").
 */
export async function readSafetensorsHeader(file: string): Promise<(SafetensorsTensor & { shape: number[] })[]> {
  const invalid = (reason: string) => new UserError(`--model: ${file} is not a valid safetensors file: ${reason}`);
  await checkRegularFile(file, file);
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    throw new UserError(`--model: ${file} cannot be read`);
  }
  try {
    const size = (await handle.stat()).size;
    if (size < 8) throw invalid(`it has ${size} bytes, fewer than the 8-byte header length`);
    const lengthBytes = Buffer.alloc(8);
    await handle.read(lengthBytes, 0, 8, 0);
    const headerLength = lengthBytes.readBigUInt64LE(0);
    if (headerLength > BigInt(MAX_SAFETENSORS_HEADER)) {
      throw invalid(`the header length ${headerLength} is above the 100 MB limit (file has ${size} bytes)`);
    }
    const length = Number(headerLength);
    if (length < 2) throw invalid(`the header length is ${length}`);
    if (8 + length > size) throw invalid(`truncated: the header needs ${8 + length} bytes, file has ${size}`);
    const header = Buffer.alloc(length);
    const { bytesRead } = await handle.read(header, 0, length, 8);
    if (bytesRead !== length) throw invalid(`truncated: the header needs ${8 + length} bytes, file has ${size}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(header));
    } catch {
      throw invalid('the header is not JSON');
    }
    if (!isObject(parsed)) throw invalid('the header is not a JSON object');
    const dataSize = size - 8 - length;
    const tensors: (SafetensorsTensor & { shape: number[] })[] = [];
    let dataEnd = 0;
    for (const [name, entry] of Object.entries(parsed)) {
      if (name === '__metadata__') continue;
      if (!isObject(entry)) throw invalid(`tensor ${name} is not an object`);
      const { dtype, shape, data_offsets: offsets } = entry;
      if (typeof dtype !== 'string') throw invalid(`tensor ${name} has no dtype`);
      if (!Array.isArray(shape) || !shape.every((d): d is number => Number.isSafeInteger(d) && (d as number) >= 0)) {
        throw invalid(`tensor ${name} has no valid shape`);
      }
      const [begin, end] = Array.isArray(offsets) && offsets.length === 2 ? (offsets as unknown[]) : [];
      if (
        typeof begin !== 'number' ||
        typeof end !== 'number' ||
        !Number.isSafeInteger(begin) ||
        !Number.isSafeInteger(end) ||
        begin < 0 ||
        begin > end
      ) {
        throw invalid(`tensor ${name} has no valid data_offsets`);
      }
      const elements = shape.reduce((a, b) => a * b, 1);
      const dtypeBytes = safetensorsDtypeBytes(dtype);
      if (dtypeBytes !== null && dtypeBytes * elements !== end - begin) {
        throw invalid(
          `tensor ${name} (${dtype} [${shape.join(', ')}]) needs ${dtypeBytes * elements} bytes but its data_offsets span ${end - begin}`,
        );
      }
      dataEnd = Math.max(dataEnd, end);
      tensors.push({ name, dtype, shape, byteLength: end - begin, dataOffsets: [begin, end], file });
    }
    if (dataEnd > dataSize) {
      throw invalid(`truncated: expected ${8 + length + dataEnd} bytes, file has ${size}`);
    }
    return tensors;
  } finally {
    await handle.close();
  }
}

async function readJson(file: string, shown: string): Promise<unknown> {
  await checkRegularFile(file, shown);
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    throw new UserError(`--model: ${shown} is not valid JSON`);
  }
}

/** The shard files a model.safetensors.index.json names (its weight_map values). */
function shardsOfIndex(index: unknown, shown: string): string[] {
  if (!isObject(index) || !isObject(index.weight_map)) {
    throw new UserError(`--model: ${shown} has no weight_map`);
  }
  const shards = new Set<string>();
  for (const value of Object.values(index.weight_map)) {
    if (typeof value !== 'string' || value.includes('/') || value.includes('\\')) {
      throw new UserError(`--model: ${shown}: weight_map names "${String(value)}", not a file in the folder`);
    }
    shards.add(value);
  }
  return [...shards].sort();
}

/**
 * Describes a local model folder: config.json for the architecture and quantization, the
 * safetensors headers (through model.safetensors.index.json, else every *.safetensors) for the
 * exact weight bytes, or — with no weights present — bytes computed from the parameter count.
 */
export async function describeLocalFolder(dir: string): Promise<ModelDescription> {
  const resolved = path.resolve(dir);
  const info = await statOrNull(resolved);
  if (info === null) throw new UserError(`--model: ${dir} does not exist`);
  if (!info.isDirectory()) throw new UserError(`--model: ${dir} is not a folder`);
  const entries = (await readdir(resolved)).sort();
  if (!entries.includes('config.json')) {
    throw new UserError(
      `--model: ${dir} has no config.json (a model folder needs config.json and *.safetensors)`,
      'download the whole repository, not only the weights',
    );
  }
  const config = await readJson(path.join(resolved, 'config.json'), path.join(dir, 'config.json'));
  const name = path.basename(resolved);
  const parsed = parseHfConfig(config, name);
  if (!parsed.ok) throw new UserError(`--model: ${dir}: ${parsed.problem}`);
  const notes: string[] = [];

  let shardFiles: string[];
  const indexName = 'model.safetensors.index.json';
  if (entries.includes(indexName)) {
    const shown = path.join(dir, indexName);
    const index = await readJson(path.join(resolved, indexName), shown);
    shardFiles = shardsOfIndex(index, shown);
    const missing = shardFiles.filter((s) => !entries.includes(s));
    if (missing.length > 0) {
      throw new UserError(`--model: ${shown} names ${missing.join(', ')}, missing from the folder`);
    }
  } else {
    shardFiles = entries.filter((e) => e.endsWith('.safetensors'));
  }

  let weightSource: ModelDescription['weightSource'];
  let quant = { ...parsed.quant, repo: resolved };
  let arch = parsed.arch;
  if (shardFiles.length > 0) {
    const tensors: SafetensorsTensor[] = [];
    for (const shard of shardFiles) tensors.push(...(await readSafetensorsHeader(path.join(dir, shard))));
    // Qwen3-Next / Qwen3.5 keep multi-token-prediction weights vLLM loads only for speculative decoding.
    const skipsMtp = isMtpSkippedByVllm(parsed.arch.architecture);
    const mtp = skipsMtp ? tensors.filter((t) => t.name.startsWith('mtp.')) : [];
    if (mtp.length > 0) {
      arch = withMtpCheckpointBytes(arch, describeSafetensors(mtp).totalBytes);
      tensors.splice(0, tensors.length, ...tensors.filter((t) => !t.name.startsWith('mtp.')));
      notes.push(
        `${mtp.length} multi-token-prediction tensors (mtp.*, ${describeSafetensors(mtp).totalBytes} bytes) are not counted: vLLM loads them only with --speculative-config method "mtp"`,
      );
    }
    const summary = describeSafetensors(tensors);
    weightSource = 'tensor headers';
    quant = { ...quant, sizeBytes: summary.totalBytes, sizeSource: 'published' };
    notes.push(
      `weights ${summary.totalBytes} bytes from the headers of ${shardFiles.length} safetensors file${shardFiles.length === 1 ? '' : 's'} (${Object.entries(
        summary.bytesByDtype,
      )
        .map(([dtype, bytes]) => `${dtype} ${bytes}`)
        .join(', ')})`,
    );
    if (summary.looksQuantized !== null && quant.method === null) {
      notes.push(`the tensors look quantized (${summary.looksQuantized}) but config.json has no quantization_config`);
    }
    if (summary.looksQuantized === null && (quant.method === 'awq' || quant.method === 'gptq')) {
      notes.push(`config.json says ${quant.method} but no tensor is an int32 qweight/qzeros`);
    }
    if (summary.unknownDtypes.length > 0) {
      notes.push(`dtypes sized from their data_offsets: ${summary.unknownDtypes.join(', ')}`);
    }
    if (summary.overlapping.length > 0) {
      notes.push(
        `${summary.overlapping.length} tensor${summary.overlapping.length === 1 ? '' : 's'} (${summary.overlapping.slice(0, 3).join(', ')}${summary.overlapping.length > 3 ? ', …' : ''}) overlap another's data_offsets: the shared bytes are counted once`,
      );
    }
    const extras = describeCheckpointExtras(arch, quant, tensors);
    arch = extras.arch;
    notes.push(...extras.notes);
  } else {
    const estimate = estimateWeightBytes(parsed.arch, quant);
    weightSource = 'computed from parameters';
    quant = { ...quant, sizeBytes: estimate.weightBytes, sizeSource: 'computed' };
    const others = entries.filter((e) => /\.(bin|pt|pth)$/.test(e));
    notes.push(
      `weights computed from parameters (${estimate.why}): the folder has no *.safetensors${
        others.length > 0 ? ` (only ${others.join(', ')})` : ''
      }`,
    );
  }

  return {
    id: dir,
    name: parsed.name,
    origin: 'folder',
    tokenizerRepo: null,
    arch,
    quant,
    weightSource,
    serveTarget: resolved,
    revision: null,
    unsupportedTensorTypes: [],
    notes,
  };
}

/** "-00001-of-00003.gguf": one part of a split GGUF. */
const SPLIT_GGUF = /-(\d{5})-of-(\d{5})\.gguf$/i;

/**
 * Describes a single local GGUF file from its header (@huggingface/gguf, range reads): architecture,
 * exact weight bytes from the tensor types, unsupported tensor types. The file must hold the whole
 * data section its tensor infos describe. Split files are refused: vLLM loads one file only.
 */
export async function describeGgufFile(file: string, tokenizerRepo: string | null): Promise<ModelDescription> {
  const base = path.basename(file);
  const split = SPLIT_GGUF.exec(base);
  if (split !== null) {
    throw new UserError(
      `--model: ${file} is part ${Number(split[1])} of ${Number(split[2])} of a split GGUF; vLLM needs a single file: merge the parts with gguf-split --merge`,
      `llama-gguf-split --merge ${base.replace(SPLIT_GGUF, '-00001-of-$2.gguf')} ${base.replace(SPLIT_GGUF, '.gguf')}`,
    );
  }
  const resolved = path.resolve(file);
  const info = await statOrNull(resolved);
  if (info === null) throw new UserError(`--model: ${file} does not exist`);
  if (!info.isFile())
    throw new UserError(`--model: ${file} is ${describeKind(info)}, not a regular file: give the .gguf file itself`);
  const size = info.size;

  const handle = await open(resolved, 'r');
  const head = Buffer.alloc(8);
  try {
    await handle.read(head, 0, 8, 0);
  } finally {
    await handle.close();
  }
  if (size < 4 || head.toString('latin1', 0, 4) !== 'GGUF') {
    throw new UserError(`--model: ${file} is not a GGUF file (it does not start with "GGUF")`);
  }
  if (size < 24) throw new UserError(`--model: ${file} is not a valid GGUF file: truncated: ${size} bytes`);

  let parsed;
  try {
    parsed = await gguf(resolved, { allowLocalFile: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UserError(`--model: ${file} is not a valid GGUF file: ${reason.replace(/\s+/g, ' ')}`);
  }
  // The reader pads past the end of the file with zeros, so a cut header parses "successfully".
  const headerEnd = Math.max(parsed.tensorInfoByteRange[1], Number(parsed.tensorDataOffset));
  if (headerEnd > size) {
    throw new UserError(
      `--model: ${file} is not a valid GGUF file: truncated: expected ${headerEnd} bytes of header, file has ${size}`,
    );
  }
  const metadata = parsed.metadata as Record<string, unknown>;
  const described = describeGgufModel(metadata, parsed.tensorInfos, base, tokenizerRepo);
  if (!described.ok) throw new UserError(`--model: ${file}: ${described.problem}`);
  const expected = Number(parsed.tensorDataOffset) + described.dataBytes;
  if (expected > size) {
    throw new UserError(
      `--model: ${file} is not a valid GGUF file: truncated: expected ${expected} bytes, file has ${size}`,
      'the download was probably cut short: download it again',
    );
  }

  return {
    id: file,
    name: described.name,
    origin: 'gguf',
    tokenizerRepo: tokenizerRepo ?? described.baseModelRepo,
    arch: described.arch,
    quant: { ...described.quant, repo: resolved },
    weightSource: 'tensor headers',
    serveTarget: resolved,
    revision: null,
    unsupportedTensorTypes: described.unsupportedTensorTypes,
    notes: described.notes,
  };
}
