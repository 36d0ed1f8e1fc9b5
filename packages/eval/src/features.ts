/**
 * Feature sets: N feature vectors of dimension D (row-major Float32Array) with their class labels,
 * optionally with the last convolutional map of each image [N, C, h, w] (needed for CAM).
 *
 * File format (little-endian), readable from numpy with frombuffer (see bench/sklearn_probe.py):
 *   8 bytes  magic "DILOFEAT"
 *   uint32   format version (1)
 *   uint32   header length H in bytes
 *   H bytes  UTF-8 JSON header {n, d, classes, ids?, meta?, convMap?: {c, h, w}}, space-padded to a multiple of 4
 *   float32  n*d features
 *   int32    n labels
 *   float32  n*c*h*w conv maps (only when header.convMap is present)
 */
import { promises as fs } from 'node:fs';
import { DiloInputError, writeFileAtomic } from '@dilo/core';

/** Last convolutional maps, [n, c, h, w] row-major. */
export interface ConvMaps {
  c: number;
  h: number;
  w: number;
  data: Float32Array;
}

export interface FeatureSet {
  n: number;
  d: number;
  /** [n, d] row-major */
  data: Float32Array;
  /** class index per row (-1: unlabelled) */
  labels: Int32Array;
  classes: string[];
  /** sample ids, same order as rows */
  ids?: string[];
  /** free-form provenance (extractor, dataset, transform) */
  meta?: Record<string, unknown>;
  convMap?: ConvMaps;
}

const MAGIC = 'DILOFEAT';
const VERSION = 1;

export function checkFeatureSet(f: FeatureSet, name = '<features>'): void {
  if (f.data.length !== f.n * f.d) throw new DiloInputError(name, `feature array has ${f.data.length} values, expected n*d = ${f.n}*${f.d}`);
  if (f.labels.length !== f.n) throw new DiloInputError(name, `${f.labels.length} labels for ${f.n} rows`);
  if (f.ids && f.ids.length !== f.n) throw new DiloInputError(name, `${f.ids.length} ids for ${f.n} rows`);
  if (f.convMap && f.convMap.data.length !== f.n * f.convMap.c * f.convMap.h * f.convMap.w) {
    throw new DiloInputError(name, `conv map has ${f.convMap.data.length} values, expected n*c*h*w`);
  }
}

export function serializeFeatures(f: FeatureSet): Uint8Array {
  checkFeatureSet(f);
  const header: Record<string, unknown> = { n: f.n, d: f.d, classes: f.classes };
  if (f.ids) header.ids = f.ids;
  if (f.meta) header.meta = f.meta;
  if (f.convMap) header.convMap = { c: f.convMap.c, h: f.convMap.h, w: f.convMap.w };
  let json = JSON.stringify(header);
  while (Buffer.byteLength(json) % 4 !== 0) json += ' ';
  const h = Buffer.from(json, 'utf8');
  const conv = f.convMap?.data.length ?? 0;
  const buf = Buffer.alloc(16 + h.length + 4 * (f.data.length + f.n + conv));
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(VERSION, 8);
  buf.writeUInt32LE(h.length, 12);
  h.copy(buf, 16);
  let off = 16 + h.length;
  // copy through typed views: the offsets are multiples of 4 and the machine is little-endian
  new Float32Array(buf.buffer, buf.byteOffset + off, f.data.length).set(f.data);
  off += 4 * f.data.length;
  new Int32Array(buf.buffer, buf.byteOffset + off, f.n).set(f.labels);
  off += 4 * f.n;
  if (f.convMap) new Float32Array(buf.buffer, buf.byteOffset + off, conv).set(f.convMap.data);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

export function deserializeFeatures(bytes: Uint8Array, name = '<features>'): FeatureSet {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 16 || buf.toString('latin1', 0, 8) !== MAGIC) throw new DiloInputError(name, 'not a dilo feature file (bad magic)');
  const version = buf.readUInt32LE(8);
  if (version !== VERSION) throw new DiloInputError(name, `unsupported feature file version ${version}`);
  const hlen = buf.readUInt32LE(12);
  let header: { n: number; d: number; classes: string[]; ids?: string[]; meta?: Record<string, unknown>; convMap?: { c: number; h: number; w: number } };
  try {
    header = JSON.parse(buf.toString('utf8', 16, 16 + hlen));
  } catch (err) {
    throw new DiloInputError(name, `corrupt header: ${(err as Error).message}`, { cause: err });
  }
  const { n, d } = header;
  const conv = header.convMap ? header.convMap.c * header.convMap.h * header.convMap.w * n : 0;
  const expected = 16 + hlen + 4 * (n * d + n + conv);
  if (buf.length !== expected) throw new DiloInputError(name, `truncated or oversized: ${buf.length} bytes, expected ${expected}`);
  // copy out: the source buffer's byte offset need not be 4-aligned
  const copy = (off: number, len: number) => new Uint8Array(buf.subarray(off, off + len)).buffer;
  let off = 16 + hlen;
  const data = new Float32Array(copy(off, 4 * n * d));
  off += 4 * n * d;
  const labels = new Int32Array(copy(off, 4 * n));
  off += 4 * n;
  const f: FeatureSet = { n, d, data, labels, classes: header.classes ?? [] };
  if (header.ids) f.ids = header.ids;
  if (header.meta) f.meta = header.meta;
  if (header.convMap) f.convMap = { ...header.convMap, data: new Float32Array(copy(off, 4 * conv)) };
  checkFeatureSet(f, name);
  return f;
}

export async function writeFeatures(file: string, f: FeatureSet): Promise<void> {
  await writeFileAtomic(file, serializeFeatures(f));
}

export async function readFeatures(file: string): Promise<FeatureSet> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw new DiloInputError(file, `cannot read feature file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  return deserializeFeatures(bytes, file);
}

/** Rows of a feature set (and their conv maps), in the given order. */
export function selectRows(f: FeatureSet, rows: ArrayLike<number>): FeatureSet {
  const m = rows.length;
  const data = new Float32Array(m * f.d);
  const labels = new Int32Array(m);
  const ids = f.ids ? new Array<string>(m) : undefined;
  const cm = f.convMap;
  const per = cm ? cm.c * cm.h * cm.w : 0;
  const conv = cm ? new Float32Array(m * per) : undefined;
  for (let i = 0; i < m; i++) {
    const r = rows[i];
    data.set(f.data.subarray(r * f.d, (r + 1) * f.d), i * f.d);
    labels[i] = f.labels[r];
    if (ids) ids[i] = f.ids![r];
    if (conv) conv.set(cm!.data.subarray(r * per, (r + 1) * per), i * per);
  }
  const out: FeatureSet = { n: m, d: f.d, data, labels, classes: f.classes };
  if (ids) out.ids = ids;
  if (f.meta) out.meta = f.meta;
  if (cm) out.convMap = { c: cm.c, h: cm.h, w: cm.w, data: conv! };
  return out;
}
