/**
 * Tensors and storages as PyTorch pickles them: a storage is a flat typed buffer; a tensor is a
 * view of one (offset, sizes, strides), so non-contiguous views read back correctly.
 */
import type { PyObject } from './pickle/unpickler';

export type TorchDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** torch.<X>Storage class name -> dtype (the names torch.save writes in persistent ids). */
export const STORAGE_DTYPES: Readonly<Record<string, TorchDtype>> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

export const ELEMENT_SIZE: Readonly<Record<TorchDtype, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export class TorchStorage implements PyObject {
  readonly pyClass = 'torch.Storage';
  /** raw little-endian bytes, set when the container provides them */
  bytes: Uint8Array | null = null;
  constructor(
    readonly dtype: TorchDtype,
    readonly key: string,
    readonly numel: number,
  ) {}
}

/** IEEE half -> float */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

export class TorchTensor implements PyObject {
  readonly pyClass = 'torch.Tensor';
  constructor(
    readonly storage: TorchStorage,
    /** in elements */
    readonly offset: number,
    readonly shape: number[],
    /** in elements */
    readonly stride: number[],
  ) {}

  get dtype(): TorchDtype {
    return this.storage.dtype;
  }

  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Values in row-major order as float32 (integers converted; int64 beyond 2^53 lose precision). */
  toFloat32(file: string): Float32Array {
    const { storage } = this;
    const bytes = storage.bytes;
    if (!bytes) throw new Error(`${file}: storage ${storage.key} has no data`);
    const es = ELEMENT_SIZE[storage.dtype];
    const n = this.numel;
    // the furthest element the view touches must lie inside the storage
    let last = this.offset;
    for (let d = 0; d < this.shape.length; d++) if (this.shape[d] > 0) last += (this.shape[d] - 1) * this.stride[d];
    if (n > 0 && (last + 1) * es > bytes.length) throw new Error(`${file}: tensor view [${this.shape}] (offset ${this.offset}, strides [${this.stride}]) runs past its storage ${storage.key} (${bytes.length} bytes)`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const read: (i: number) => number = {
      float32: (i: number) => dv.getFloat32(i * 4, true),
      float64: (i: number) => dv.getFloat64(i * 8, true),
      float16: (i: number) => halfToFloat(dv.getUint16(i * 2, true)),
      bfloat16: (i: number) => {
        const b = new DataView(new ArrayBuffer(4));
        b.setUint32(0, dv.getUint16(i * 2, true) << 16);
        return b.getFloat32(0);
      },
      int64: (i: number) => Number(dv.getBigInt64(i * 8, true)),
      int32: (i: number) => dv.getInt32(i * 4, true),
      int16: (i: number) => dv.getInt16(i * 2, true),
      int8: (i: number) => dv.getInt8(i),
      uint8: (i: number) => dv.getUint8(i),
      bool: (i: number) => dv.getUint8(i),
    }[storage.dtype];
    const out = new Float32Array(n);
    const nd = this.shape.length;
    const idx = new Array<number>(nd).fill(0);
    let src = this.offset;
    for (let k = 0; k < n; k++) {
      out[k] = read(src);
      // odometer over the view's dimensions, last fastest
      for (let d = nd - 1; d >= 0; d--) {
        idx[d]++;
        src += this.stride[d];
        if (idx[d] < this.shape[d]) break;
        src -= idx[d] * this.stride[d];
        idx[d] = 0;
      }
    }
    return out;
  }
}

/** A numpy array from a pickle (detectron2 .pkl weights). */
export class NumpyArray implements PyObject {
  readonly pyClass = 'numpy.ndarray';
  shape: number[] = [];
  dtype: NumpyDtype | null = null;
  fortran = false;
  data: Uint8Array | null = null;

  setState(state: unknown): void {
    const items = (state as { items?: unknown[] }).items;
    if (!Array.isArray(items) || items.length < 5) throw new Error('numpy array state is not (version, shape, dtype, fortran, data)');
    const [, shape, dtype, fortran, data] = items as [unknown, { items: unknown[] }, NumpyDtype, boolean, unknown];
    this.shape = shape.items.map(Number);
    this.dtype = dtype;
    this.fortran = Boolean(fortran);
    if (typeof data === 'string') this.data = Uint8Array.from(Buffer.from(data, 'latin1'));
    else if (data instanceof Uint8Array) this.data = data;
    else throw new Error('numpy array data is neither bytes nor a latin1 string (object arrays are refused)');
  }

  toFloat32(file: string): Float32Array {
    if (!this.dtype || !this.data) throw new Error(`${file}: numpy array without state`);
    const dt = this.dtype.dtype();
    const n = this.shape.reduce((a, b) => a * b, 1);
    if (n * ELEMENT_SIZE[dt] !== this.data.length) throw new Error(`${file}: numpy array [${this.shape}] ${dt} has ${this.data.length} bytes`);
    const storage = new TorchStorage(dt, 'numpy', n);
    storage.bytes = this.data;
    // C order: row-major strides; Fortran order: column-major
    const stride = new Array<number>(this.shape.length);
    let s = 1;
    const order = this.shape.map((_, i) => (this.fortran ? i : this.shape.length - 1 - i));
    for (const d of order) {
      stride[d] = s;
      s *= this.shape[d];
    }
    return new TorchTensor(storage, 0, this.shape, stride).toFloat32(file);
  }
}

export class NumpyDtype implements PyObject {
  readonly pyClass = 'numpy.dtype';
  byteOrder = '|';
  constructor(readonly code: string) {}

  setState(state: unknown): void {
    const items = (state as { items?: unknown[] }).items;
    if (Array.isArray(items) && typeof items[1] === 'string') this.byteOrder = items[1];
  }

  dtype(): TorchDtype {
    if (this.byteOrder === '>') throw new Error('big-endian numpy arrays are not supported');
    const map: Record<string, TorchDtype> = { f4: 'float32', f8: 'float64', f2: 'float16', i8: 'int64', i4: 'int32', i2: 'int16', i1: 'int8', u1: 'uint8', b1: 'bool' };
    const dt = map[this.code];
    if (!dt) throw new Error(`numpy dtype ${this.code} is not supported`);
    return dt;
  }
}
