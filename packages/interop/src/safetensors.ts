/**
 * safetensors (huggingface.co/docs/safetensors): u64 LE header length N, N bytes of JSON
 * {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {str: str}} (space-padded),
 * then the tensors' little-endian bytes. No code, by design.
 */
import { promises as fs } from 'node:fs';
import { DiloInputError } from '@dilo/core';
import { TorchStorage, TorchTensor, type TorchDtype } from './tensor';

const DTYPES: Record<string, TorchDtype> = { F32: 'float32', F64: 'float64', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool' };

export interface SafetensorsEntry {
  name: string;
  dtype: 'F32' | 'I64';
  shape: readonly number[];
  data: Float32Array | BigInt64Array;
}

export function encodeSafetensors(entries: readonly SafetensorsEntry[], metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const e of entries) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (n !== e.data.length) throw new RangeError(`${e.name}: ${e.data.length} values for [${e.shape}]`);
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.data.byteLength] };
    offset += e.data.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const out = Buffer.alloc(8 + json.length + offset);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  let at = 8 + json.length;
  for (const e of entries) {
    Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).copy(out, at);
    at += e.data.byteLength;
  }
  return out;
}

export async function readSafetensors(file: string): Promise<{ tensors: Map<string, TorchTensor>; metadata: Record<string, string> }> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw new DiloInputError(file, `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (bytes.length < 8) throw new DiloInputError(file, 'not a safetensors file (shorter than its header length)');
  const n = Number(bytes.readBigUInt64LE(0));
  if (8 + n > bytes.length) throw new DiloInputError(file, `not a safetensors file, or truncated (header of ${n} bytes, file of ${bytes.length})`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(bytes.toString('utf8', 8, 8 + n));
  } catch {
    throw new DiloInputError(file, 'safetensors header is not JSON');
  }
  const base = 8 + n;
  const tensors = new Map<string, TorchTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, h] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = h as unknown as Record<string, string>;
      continue;
    }
    const dtype = DTYPES[h.dtype];
    if (!dtype) throw new DiloInputError(file, `${name}: unsupported dtype ${h.dtype}`);
    const [b, e] = h.data_offsets;
    if (!(b >= 0 && e >= b && base + e <= bytes.length)) throw new DiloInputError(file, `${name}: data offsets [${b}, ${e}] outside the file (truncated?)`);
    const numel = h.shape.reduce((a, c) => a * c, 1);
    const s = new TorchStorage(dtype, name, numel);
    s.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset + base + b, e - b);
    const stride = new Array<number>(h.shape.length);
    let acc = 1;
    for (let d = h.shape.length - 1; d >= 0; d--) {
      stride[d] = acc;
      acc *= h.shape[d];
    }
    tensors.set(name, new TorchTensor(s, 0, h.shape, stride));
  }
  return { tensors, metadata };
}
