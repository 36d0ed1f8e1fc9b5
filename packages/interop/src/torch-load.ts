/**
 * Read .pth / .pth.tar / .pkl files without running anything from them:
 * - torch.save's zip container (torch >= 1.6): <archive>/data.pkl + <archive>/data/<key> storages;
 * - torch.save's legacy stream (_use_new_zipfile_serialization=False, MoCo's 2020 releases):
 *   magic, protocol and sys-info pickles, the data pickle, the storage-key list, raw storages;
 * - a plain pickle (detectron2 .pkl: numpy arrays).
 * The pickles go through the data-only interpreter (pickle/unpickler.ts) with this allowlist.
 */
import { promises as fs } from 'node:fs';
import { unzipSync } from 'fflate';
import { DiloInputError } from '@dilo/core';
import { GlobalRef, type PyCallable, PyDict, PyTuple, type PyValue, unpickle } from './pickle/unpickler';
import { ELEMENT_SIZE, NumpyArray, NumpyDtype, STORAGE_DTYPES, TorchStorage, TorchTensor } from './tensor';

export type TorchContainer = 'zip' | 'legacy' | 'pickle';

export interface LoadedTorchFile {
  container: TorchContainer;
  value: PyValue;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

function ints(v: PyValue, what: string): number[] {
  if (!(v instanceof PyTuple) && !Array.isArray(v)) throw new Error(`${what} is not a tuple`);
  const items = v instanceof PyTuple ? v.items : v;
  return items.map((x) => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw new Error(`${what} holds ${String(x)}`);
    return x;
  });
}

function rebuildTensor(args: PyValue[]): PyValue {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof TorchStorage)) throw new Error('first argument is not a storage');
  if (typeof offset !== 'number') throw new Error('storage offset is not an integer');
  const shape = ints(size, 'size');
  const strides = ints(stride, 'stride');
  if (shape.length !== strides.length) throw new Error(`size [${shape}] and stride [${strides}] differ in length`);
  return new TorchTensor(storage, offset, shape, strides);
}

/** The globals a weights-only load may name (torch.load(weights_only=True)'s list, plus numpy's reconstruction). */
export function allowedGlobals(): Map<string, PyCallable> {
  const g = new Map<string, PyCallable>();
  const orderedDict: PyCallable = (args) => {
    const d = new PyDict(true);
    const items = args[0];
    if (Array.isArray(items)) for (const p of items) if (p instanceof PyTuple || Array.isArray(p)) d.set((p instanceof PyTuple ? p.items : p)[0], (p instanceof PyTuple ? p.items : p)[1]);
    return d;
  };
  g.set('collections.OrderedDict', orderedDict);
  g.set('torch._utils._rebuild_tensor_v2', rebuildTensor);
  g.set('torch._utils._rebuild_tensor', rebuildTensor);
  g.set('torch._utils._rebuild_parameter', (args) => args[0]);
  g.set('torch._utils._rebuild_parameter_with_state', (args) => args[0]);
  g.set('torch.Size', (args) => (args[0] instanceof PyTuple ? args[0] : new PyTuple(Array.isArray(args[0]) ? args[0] : [])));
  // storage classes appear as values inside persistent ids, never called
  const notCallable: PyCallable = () => {
    throw new Error('storage classes are not constructed from pickles');
  };
  for (const name of Object.keys(STORAGE_DTYPES)) g.set(`torch.${name}`, notCallable);
  g.set('torch.UntypedStorage', notCallable);
  // bytes as Python 3 pickles them at protocol 2: _codecs.encode(latin1 text, 'latin1')
  g.set('_codecs.encode', (args) => {
    if (typeof args[0] !== 'string' || (args[1] !== 'latin1' && args[1] !== 'latin-1')) throw new Error('only latin1 encoding of text is allowed');
    return Uint8Array.from(Buffer.from(args[0], 'latin1'));
  });
  for (const mod of ['numpy.core.multiarray', 'numpy._core.multiarray']) {
    g.set(`${mod}._reconstruct`, (args) => {
      if (!(args[0] instanceof GlobalRef) || args[0].name !== 'numpy.ndarray') throw new Error('only numpy.ndarray is reconstructed');
      return new NumpyArray();
    });
    g.set(`${mod}.scalar`, (args) => {
      const [dtype, data] = args;
      if (!(dtype instanceof NumpyDtype)) throw new Error('scalar without a dtype');
      const a = new NumpyArray();
      a.shape = [];
      a.dtype = dtype;
      a.data = typeof data === 'string' ? Uint8Array.from(Buffer.from(data, 'latin1')) : (data as Uint8Array);
      return a.toFloat32('scalar')[0];
    });
  }
  g.set('numpy.ndarray', () => {
    throw new Error('numpy.ndarray is only an argument of _reconstruct');
  });
  g.set('numpy.dtype', (args) => {
    if (typeof args[0] !== 'string') throw new Error('dtype code is not a string');
    return new NumpyDtype(args[0]);
  });
  return g;
}

function storageFromPid(pid: PyValue, file: string): TorchStorage {
  const items = pid instanceof PyTuple ? pid.items : null;
  if (!items || items[0] !== 'storage' || !(items[1] instanceof GlobalRef)) throw new DiloInputError(file, 'persistent id is not a torch storage reference');
  const cls = items[1].name.replace(/^torch\./, '');
  const dtype = cls === 'UntypedStorage' ? 'uint8' : STORAGE_DTYPES[cls];
  if (!dtype) throw new DiloInputError(file, `unsupported storage type ${items[1].name}`);
  const key = String(items[2]);
  const numel = Number(items[4]);
  if (!Number.isInteger(numel) || numel < 0) throw new DiloInputError(file, `storage ${key} has a bad size ${String(items[4])}`);
  if (items[5] !== undefined && items[5] !== null) throw new DiloInputError(file, `storage ${key} is a legacy storage view (not supported)`);
  return new TorchStorage(dtype, key, numel);
}

function loadZip(bytes: Uint8Array, file: string): LoadedTorchFile {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (err) {
    throw new DiloInputError(file, `not a readable zip archive (${(err as Error).message}); truncated or corrupt .pth?`);
  }
  const pkl = Object.keys(entries).find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw new DiloInputError(file, 'zip archive has no <archive>/data.pkl: not a torch.save file');
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const storages = new Map<string, TorchStorage>();
  const { value } = unpickle(entries[pkl], {
    file,
    globals: allowedGlobals(),
    persistentLoad: (pid) => {
      const s = storageFromPid(pid, file);
      const known = storages.get(s.key);
      if (known) return known;
      const data = entries[`${prefix}data/${s.key}`];
      if (!data) throw new DiloInputError(file, `storage ${s.key} is missing from the archive (${prefix}data/${s.key})`);
      if (data.length < s.numel * ELEMENT_SIZE[s.dtype]) throw new DiloInputError(file, `storage ${s.key}: ${data.length} bytes for ${s.numel} ${s.dtype} values (truncated)`);
      s.bytes = data;
      storages.set(s.key, s);
      return s;
    },
  });
  return { container: 'zip', value };
}

function loadLegacy(bytes: Uint8Array, file: string): LoadedTorchFile {
  const globals = allowedGlobals();
  let pos = unpickle(bytes, { file, globals }).end; // magic
  const proto = unpickle(bytes, { file, globals }, pos);
  if (proto.value !== 1001) throw new DiloInputError(file, `legacy torch file with protocol ${String(proto.value)} (expected 1001)`);
  pos = unpickle(bytes, { file, globals }, proto.end).end; // sys info
  const storages = new Map<string, TorchStorage>();
  const data = unpickle(
    bytes,
    {
      file,
      globals,
      persistentLoad: (pid) => {
        const s = storageFromPid(pid, file);
        const known = storages.get(s.key);
        if (known) return known;
        storages.set(s.key, s);
        return s;
      },
    },
    pos,
  );
  const keys = unpickle(bytes, { file, globals }, data.end);
  if (!Array.isArray(keys.value)) throw new DiloInputError(file, 'legacy torch file: storage key list missing');
  pos = keys.end;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const k of keys.value) {
    const s = storages.get(String(k));
    if (!s) throw new DiloInputError(file, `legacy torch file: storage ${String(k)} listed but never used`);
    if (pos + 8 > bytes.length) throw new DiloInputError(file, `truncated legacy torch file (storage ${s.key})`);
    const numel = Number(dv.getBigInt64(pos, true));
    const n = numel * ELEMENT_SIZE[s.dtype];
    if (numel !== s.numel || pos + 8 + n > bytes.length) throw new DiloInputError(file, `truncated or inconsistent legacy torch file (storage ${s.key}: ${numel} values, ${bytes.length - pos - 8} bytes left)`);
    s.bytes = bytes.subarray(pos + 8, pos + 8 + n);
    pos += 8 + n;
  }
  for (const s of storages.values()) if (!s.bytes) throw new DiloInputError(file, `legacy torch file: storage ${s.key} has no data`);
  return { container: 'legacy', value: data.value };
}

/** Parse the bytes of a torch.save file or a plain pickle. */
export function parseTorchFile(bytes: Uint8Array, file: string): LoadedTorchFile {
  if (bytes.length === 0) throw new DiloInputError(file, 'empty file');
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return loadZip(bytes, file);
  if (bytes[0] !== 0x80) {
    const head = Buffer.from(bytes.subarray(0, 8)).toString('latin1');
    throw new DiloInputError(file, `not a PyTorch checkpoint or pickle (starts with ${JSON.stringify(head)})`);
  }
  const first = unpickle(bytes, { file, globals: allowedGlobals() });
  if (first.value === LEGACY_MAGIC || first.value === Number(LEGACY_MAGIC)) return loadLegacy(bytes, file);
  return { container: 'pickle', value: first.value };
}

export async function loadTorchFile(file: string): Promise<LoadedTorchFile> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw new DiloInputError(file, `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseTorchFile(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
}
