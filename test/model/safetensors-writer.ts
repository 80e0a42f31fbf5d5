/**
 * Test helper: writes real safetensors files (the format of huggingface/safetensors): an 8-byte
 * little-endian header length, the JSON header {"__metadata__": {…}, name: {dtype, shape,
 * data_offsets: [begin, end]}} padded with spaces to 8 bytes, then the data buffer. The data is
 * left sparse (ftruncate), so multi-GB shapes cost no disk.
 *
 * Dtype sizes are written out here (not imported from src/), so the tests check the code against an
 * independent table.
 */
import { open } from 'node:fs/promises';

const DTYPE_BYTES: Record<string, number> = {
  F64: 8,
  I64: 8,
  F32: 4,
  I32: 4,
  F16: 2,
  BF16: 2,
  I16: 2,
  U8: 1,
  I8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};

export interface SafetensorsSpec {
  name: string;
  dtype: string;
  shape: readonly number[];
}

export interface WrittenSafetensors {
  path: string;
  size: number;
  headerLength: number;
  /** Bytes of the data buffer (the sum of the tensors). */
  dataBytes: number;
}

export function specBytes(t: SafetensorsSpec): number {
  const size = DTYPE_BYTES[t.dtype];
  if (size === undefined) throw new Error(`safetensors-writer: no size for ${t.dtype}`);
  return size * t.shape.reduce((a, b) => a * b, 1);
}

/** The header bytes (length prefix included) and the data size. */
export function buildSafetensorsHeader(
  tensors: readonly SafetensorsSpec[],
  metadata: Record<string, string> = { format: 'pt' },
): { header: Buffer; dataBytes: number } {
  const json: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const bytes = specBytes(t);
    json[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let body = Buffer.from(JSON.stringify(json), 'utf8');
  const padded = Math.ceil(body.length / 8) * 8;
  body = Buffer.concat([body, Buffer.alloc(padded - body.length, 0x20)]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(body.length));
  return { header: Buffer.concat([length, body]), dataBytes: offset };
}

/** Writes a safetensors file: the header, then ftruncate to the full size (a sparse data buffer). */
export async function writeSafetensors(
  file: string,
  tensors: readonly SafetensorsSpec[],
  metadata?: Record<string, string>,
): Promise<WrittenSafetensors> {
  const { header, dataBytes } = buildSafetensorsHeader(tensors, metadata);
  const size = header.length + dataBytes;
  const handle = await open(file, 'w');
  try {
    await handle.write(header, 0, header.length, 0);
    await handle.truncate(size);
  } finally {
    await handle.close();
  }
  return { path: file, size, headerLength: header.length - 8, dataBytes };
}
