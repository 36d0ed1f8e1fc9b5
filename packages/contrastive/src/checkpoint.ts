import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { DiloInputError, writeFileAtomic } from '@dilo/core';
import { type ParamKind, type ParamMap, fromTorchLayout, toTorchLayout, torchShape } from './params';

/**
 * Checkpoint file (.dckpt), documented in docs/pretraining.md:
 *   bytes 0-7   magic "DILOCKPT"
 *   bytes 8-11  uint32 LE: length L of the JSON header in bytes
 *   bytes 12..  the JSON header (UTF-8), padded with spaces so the blob starts at a multiple of 8
 *   then        the blob: every tensor's float32 LE values, back to back, in header order
 * Tensors are in torch layout (conv [out, in, kh, kw], linear [out, in]) and named like a
 * PyTorch state_dict: encoder_q.layer1.0.conv1.weight, encoder_k..., optimizer.momentum_buffer.
 * encoder_q..., queue ([dim, K]).
 */
export const CHECKPOINT_MAGIC = 'DILOCKPT';
export const CHECKPOINT_VERSION = 1;

export interface TensorRecord {
  name: string;
  kind: ParamKind;
  /** torch layout */
  shape: number[];
  /** offset in float32 elements from the blob start */
  offset: number;
}

export interface CheckpointHeader {
  format: 'dilo-moco-checkpoint';
  version: number;
  /** run-specific JSON state (config, step, epoch, RNG states, queue pointer, ...) */
  state: Record<string, unknown>;
  tensors: TensorRecord[];
  /** SHA-256 (hex) of the float32 bytes of the tensors named encoder_q.* and encoder_k.* */
  weightsSha256: string;
}

export interface CheckpointTensor {
  name: string;
  kind: ParamKind;
  /** torch-layout shape */
  shape: number[];
  data: Float32Array;
}

/** The tensors of a ParamMap (params then buffers), in torch layout, prefixed. */
export function paramMapTensors(prefix: string, map: ParamMap): CheckpointTensor[] {
  const out: CheckpointTensor[] = [];
  for (const e of [...map.params.values(), ...map.buffers.values()]) {
    const t = toTorchLayout(e.kind, e.variable);
    out.push({ name: prefix + e.name, kind: e.kind, shape: torchShape(e.kind, e.variable.shape), data: t.dataSync() as Float32Array });
    t.dispose();
  }
  return out;
}

/** Copy saved tensors named prefix + name into a ParamMap; every entry must be present with its shape. */
export function loadParamMap(prefix: string, map: ParamMap, tensors: Map<string, CheckpointTensor>, file: string): void {
  for (const e of [...map.params.values(), ...map.buffers.values()]) {
    const t = tensors.get(prefix + e.name);
    if (!t) throw new DiloInputError(file, `checkpoint has no tensor ${prefix + e.name}`);
    const want = torchShape(e.kind, e.variable.shape);
    if (t.shape.join(',') !== want.join(',')) throw new DiloInputError(file, `tensor ${t.name} has shape [${t.shape}], the model needs [${want}]`);
    const v = fromTorchLayout(e.kind, t.data, t.shape);
    e.variable.assign(v);
    v.dispose();
  }
}

function weightsHash(tensors: readonly CheckpointTensor[]): string {
  const h = createHash('sha256');
  for (const t of tensors) {
    if (t.name.startsWith('encoder_q.') || t.name.startsWith('encoder_k.')) h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}

export function encodeCheckpoint(state: Record<string, unknown>, tensors: readonly CheckpointTensor[]): { bytes: Buffer; header: CheckpointHeader } {
  let offset = 0;
  const records: TensorRecord[] = tensors.map((t) => {
    const r = { name: t.name, kind: t.kind, shape: t.shape, offset };
    if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new Error(`tensor ${t.name}: ${t.data.length} values for shape [${t.shape}]`);
    offset += t.data.length;
    return r;
  });
  const header: CheckpointHeader = { format: 'dilo-moco-checkpoint', version: CHECKPOINT_VERSION, state, tensors: records, weightsSha256: weightsHash(tensors) };
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - ((12 + json.length) % 8)) % 8;
  json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const bytes = Buffer.alloc(12 + json.length + offset * 4);
  bytes.write(CHECKPOINT_MAGIC, 0, 'latin1');
  bytes.writeUInt32LE(json.length, 8);
  json.copy(bytes, 12);
  const blob = new Float32Array(bytes.buffer, bytes.byteOffset + 12 + json.length, offset);
  tensors.forEach((t, i) => blob.set(t.data, records[i].offset));
  return { bytes, header };
}

/** Write atomically: a kill during the write leaves the previous checkpoint intact. */
export async function saveCheckpoint(file: string, state: Record<string, unknown>, tensors: readonly CheckpointTensor[]): Promise<CheckpointHeader> {
  const { bytes, header } = encodeCheckpoint(state, tensors);
  await writeFileAtomic(file, bytes);
  return header;
}

export async function readCheckpoint(file: string): Promise<{ header: CheckpointHeader; tensors: Map<string, CheckpointTensor> }> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw new DiloInputError(file, `cannot read checkpoint (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== CHECKPOINT_MAGIC) throw new DiloInputError(file, 'not a dilo checkpoint (bad magic)');
  const len = bytes.readUInt32LE(8);
  if (12 + len > bytes.length) throw new DiloInputError(file, 'truncated checkpoint header');
  let header: CheckpointHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', 12, 12 + len)) as CheckpointHeader;
  } catch (err) {
    throw new DiloInputError(file, `checkpoint header is not JSON (${String(err)})`);
  }
  if (header.format !== 'dilo-moco-checkpoint' || header.version !== CHECKPOINT_VERSION) {
    throw new DiloInputError(file, `unsupported checkpoint format ${header.format} v${header.version}`);
  }
  const start = 12 + len;
  // copy into an aligned buffer: Buffer pools may not be 4-byte aligned
  const total = header.tensors.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
  if (start + total * 4 > bytes.length) throw new DiloInputError(file, `truncated checkpoint: ${bytes.length} bytes, header needs ${start + total * 4}`);
  const blob = new Float32Array(total);
  new Uint8Array(blob.buffer).set(bytes.subarray(start, start + total * 4));
  const tensors = new Map<string, CheckpointTensor>();
  for (const r of header.tensors) {
    const size = r.shape.reduce((a, b) => a * b, 1);
    tensors.set(r.name, { name: r.name, kind: r.kind, shape: r.shape, data: blob.subarray(r.offset, r.offset + size) });
  }
  const hash = weightsHash([...tensors.values()]);
  if (hash !== header.weightsSha256) throw new DiloInputError(file, 'checkpoint weights do not match their SHA-256 (corrupt file)');
  return { header, tensors };
}

