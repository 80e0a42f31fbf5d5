/**
 * Test helper: writes real GGUF v3 files (ggml/docs/gguf.md): "GGUF", version, tensor count, kv
 * count, typed key/values, tensor infos (name, n_dims, dims, ggml type, offset), padding to
 * general.alignment (default 32), then the tensor data section. The data is left sparse: the file
 * is created with the header and ftruncate'd to its full size, so a 4.7 GB file costs no disk.
 *
 * Block sizes are written out here on purpose (not imported from src/model/core/weights.ts), so the
 * tests check the code against an independent table.
 */
import { open } from 'node:fs/promises';

/** GGUF metadata value types (gguf.md `gguf_metadata_value_type`). */
export const GgufType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
type ScalarType = Exclude<(typeof GgufType)[keyof typeof GgufType], 9>;
type Scalar = number | bigint | boolean | string;

export type GgufKv =
  | { type: ScalarType; value: Scalar }
  | { type: typeof GgufType.ARRAY; itemType: ScalarType; values: readonly Scalar[] };

export const u32 = (value: number): GgufKv => ({ type: GgufType.UINT32, value });
export const u64 = (value: number | bigint): GgufKv => ({ type: GgufType.UINT64, value: BigInt(value) });
export const i32 = (value: number): GgufKv => ({ type: GgufType.INT32, value });
export const f32 = (value: number): GgufKv => ({ type: GgufType.FLOAT32, value });
export const bool = (value: boolean): GgufKv => ({ type: GgufType.BOOL, value });
export const str = (value: string): GgufKv => ({ type: GgufType.STRING, value });
export const arr = (itemType: ScalarType, values: readonly Scalar[]): GgufKv => ({
  type: GgufType.ARRAY,
  itemType,
  values,
});

/** ggml type ids and block sizes (ggml.h `enum ggml_type`, ggml.c type_traits). */
export const T = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q8_0: 8,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  IQ4_XS: 23,
  BF16: 30,
  TQ2_0: 35,
} as const;
const BLOCKS: Record<number, [elements: number, bytes: number]> = {
  [T.F32]: [1, 4],
  [T.F16]: [1, 2],
  [T.Q4_0]: [32, 18],
  [T.Q8_0]: [32, 34],
  [T.Q4_K]: [256, 144],
  [T.Q5_K]: [256, 176],
  [T.Q6_K]: [256, 210],
  [T.IQ4_XS]: [256, 136],
  [T.BF16]: [1, 2],
  [T.TQ2_0]: [256, 66],
};

export interface GgufTensorSpec {
  name: string;
  /** ggml order: ne[0] (the row length) first. */
  shape: readonly number[];
  type: number;
}

/** Bytes of one tensor by the table above. */
export function tensorBytes(t: GgufTensorSpec): number {
  const block = BLOCKS[t.type];
  if (block === undefined) throw new Error(`gguf-writer: no block size for ggml type ${t.type}`);
  const elements = t.shape.reduce((a, b) => a * b, 1);
  if (elements % block[0] !== 0) throw new Error(`gguf-writer: ${t.name} is not whole blocks`);
  return (elements / block[0]) * block[1];
}

export interface WrittenGguf {
  path: string;
  /** Whole file size. */
  size: number;
  /** Where the tensor data section starts. */
  dataOffset: number;
  /** Sum of the tensor sizes (without alignment padding). */
  tensorBytes: number;
}

const pad = (n: number, alignment: number) => Math.ceil(n / alignment) * alignment;

class ByteWriter {
  private chunks: Buffer[] = [];
  length = 0;
  private push(b: Buffer) {
    this.chunks.push(b);
    this.length += b.length;
  }
  bytes(b: Buffer) {
    this.push(b);
  }
  u32(n: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    this.push(b);
  }
  u64(n: number | bigint) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    this.push(b);
  }
  string(s: string) {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  scalar(type: ScalarType, v: Scalar) {
    const b = Buffer.alloc(8);
    switch (type) {
      case GgufType.UINT8:
        return this.push(Buffer.from([Number(v) & 0xff]));
      case GgufType.INT8:
        b.writeInt8(Number(v));
        return this.push(b.subarray(0, 1));
      case GgufType.UINT16:
        b.writeUInt16LE(Number(v));
        return this.push(b.subarray(0, 2));
      case GgufType.INT16:
        b.writeInt16LE(Number(v));
        return this.push(b.subarray(0, 2));
      case GgufType.UINT32:
        return this.u32(Number(v));
      case GgufType.INT32:
        b.writeInt32LE(Number(v));
        return this.push(b.subarray(0, 4));
      case GgufType.FLOAT32:
        b.writeFloatLE(Number(v));
        return this.push(b.subarray(0, 4));
      case GgufType.BOOL:
        return this.push(Buffer.from([v === true ? 1 : 0]));
      case GgufType.STRING:
        return this.string(String(v));
      case GgufType.UINT64:
        return this.u64(BigInt(v));
      case GgufType.INT64:
        b.writeBigInt64LE(BigInt(v));
        return this.push(b);
      case GgufType.FLOAT64:
        b.writeDoubleLE(Number(v));
        return this.push(b);
    }
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** The GGUF header bytes (through the alignment padding) and the tensor layout. */
export function buildGgufHeader(
  kv: Readonly<Record<string, GgufKv>>,
  tensors: readonly GgufTensorSpec[],
  options: { magic?: string; version?: number } = {},
): { header: Buffer; dataBytes: number; tensorBytes: number } {
  const alignmentKv = kv['general.alignment'];
  const alignment = alignmentKv !== undefined && 'value' in alignmentKv ? Number(alignmentKv.value) : 32;
  const w = new ByteWriter();
  w.bytes(Buffer.from(options.magic ?? 'GGUF', 'latin1'));
  w.u32(options.version ?? 3);
  w.u64(tensors.length);
  w.u64(Object.keys(kv).length);
  for (const [key, value] of Object.entries(kv)) {
    w.string(key);
    w.u32(value.type);
    if (value.type === GgufType.ARRAY) {
      w.u32(value.itemType);
      w.u64(value.values.length);
      for (const item of value.values) w.scalar(value.itemType, item);
    } else {
      w.scalar(value.type, value.value);
    }
  }
  // Tensor data: each tensor starts at an aligned offset, the section ends padded (as llama.cpp writes).
  let offset = 0;
  let sum = 0;
  for (const t of tensors) {
    w.string(t.name);
    w.u32(t.shape.length);
    for (const d of t.shape) w.u64(d);
    w.u32(t.type);
    w.u64(offset);
    const bytes = tensorBytes(t);
    sum += bytes;
    offset = pad(offset + bytes, alignment);
  }
  const unpadded = w.concat();
  const header = Buffer.concat([unpadded, Buffer.alloc(pad(unpadded.length, alignment) - unpadded.length)]);
  return { header, dataBytes: offset, tensorBytes: sum };
}

/** Writes a GGUF file: the header, then ftruncate to the full size (a sparse data section). */
export async function writeGguf(
  file: string,
  kv: Readonly<Record<string, GgufKv>>,
  tensors: readonly GgufTensorSpec[],
  options: { magic?: string; version?: number } = {},
): Promise<WrittenGguf> {
  const { header, dataBytes, tensorBytes: sum } = buildGgufHeader(kv, tensors, options);
  const size = header.length + dataBytes;
  const handle = await open(file, 'w');
  try {
    await handle.write(header, 0, header.length, 0);
    await handle.truncate(size);
  } finally {
    await handle.close();
  }
  return { path: file, size, dataOffset: header.length, tensorBytes: sum };
}

// ------------------------------------------------------------------------------------------------
// A GGUF shaped exactly like Qwen/Qwen2-7B-Instruct-GGUF qwen2-7b-instruct-q4_k_m.gguf (shared by tests)

/**
 * llama.cpp's Q4_K_M mix (src/llama-quant.cpp `llama_tensor_get_type`): every 2-D weight Q4_K,
 * except output.weight → Q6_K and attn_v / ffn_down → Q6_K where `use_more_bits(i, n)` holds:
 * i < n/8 || i >= 7n/8 || (i − n/8) % 3 == 2. For 28 layers that is layers 0–2, 5, 8, 11, 14, 17,
 * 20, 23 and 24–27: 14 of the 28 (half). token_embd stays Q4_K; norms and the q/k/v biases F32.
 */
export function wantsMoreBits(i: number, n: number): boolean {
  return i < Math.floor(n / 8) || i >= Math.floor((7 * n) / 8) || (i - Math.floor(n / 8)) % 3 === 2;
}

export function qwen2_7bQ4KM(): { kv: Record<string, GgufKv>; tensors: GgufTensorSpec[] } {
  const n = 28;
  const h = 3584;
  const ffn = 18944;
  const kvDim = 4 * 128;
  const vocab = 152064;
  const kv: Record<string, GgufKv> = {
    'general.architecture': str('qwen2'),
    'general.name': str('qwen2-7b-instruct'),
    'qwen2.block_count': u32(n),
    'qwen2.context_length': u32(32768),
    'qwen2.embedding_length': u32(h),
    'qwen2.feed_forward_length': u32(ffn),
    'qwen2.attention.head_count': u32(28),
    'qwen2.attention.head_count_kv': u32(4),
    'qwen2.rope.freq_base': f32(1000000),
    'qwen2.attention.layer_norm_rms_epsilon': f32(1e-6),
    'general.file_type': u32(15),
    'tokenizer.ggml.model': str('gpt2'),
    'tokenizer.ggml.pre': str('qwen2'),
    // convert_hf_to_gguf.py pads the vocabulary to the embedding's 152064 rows.
    'tokenizer.ggml.tokens': arr(
      GgufType.STRING,
      Array.from({ length: vocab }, (_, i) => `t${i}`),
    ),
    'tokenizer.ggml.token_type': arr(GgufType.INT32, new Array<number>(vocab).fill(1)),
    'general.quantization_version': u32(2),
  };
  const tensors: GgufTensorSpec[] = [{ name: 'token_embd.weight', shape: [h, vocab], type: T.Q4_K }];
  for (let i = 0; i < n; i++) {
    const more = wantsMoreBits(i, n);
    tensors.push(
      { name: `blk.${i}.attn_norm.weight`, shape: [h], type: T.F32 },
      { name: `blk.${i}.attn_q.weight`, shape: [h, h], type: T.Q4_K },
      { name: `blk.${i}.attn_q.bias`, shape: [h], type: T.F32 },
      { name: `blk.${i}.attn_k.weight`, shape: [h, kvDim], type: T.Q4_K },
      { name: `blk.${i}.attn_k.bias`, shape: [kvDim], type: T.F32 },
      { name: `blk.${i}.attn_v.weight`, shape: [h, kvDim], type: more ? T.Q6_K : T.Q4_K },
      { name: `blk.${i}.attn_v.bias`, shape: [kvDim], type: T.F32 },
      { name: `blk.${i}.attn_output.weight`, shape: [h, h], type: T.Q4_K },
      { name: `blk.${i}.ffn_norm.weight`, shape: [h], type: T.F32 },
      { name: `blk.${i}.ffn_gate.weight`, shape: [h, ffn], type: T.Q4_K },
      { name: `blk.${i}.ffn_up.weight`, shape: [h, ffn], type: T.Q4_K },
      { name: `blk.${i}.ffn_down.weight`, shape: [ffn, h], type: more ? T.Q6_K : T.Q4_K },
    );
  }
  tensors.push(
    { name: 'output_norm.weight', shape: [h], type: T.F32 },
    { name: 'output.weight', shape: [h, vocab], type: T.Q6_K },
  );
  return { kv, tensors };
}
