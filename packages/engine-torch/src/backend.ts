import { backend_util, DataStorage, DataType, engine, KernelBackend, TensorInfo, util } from '@tensorflow/tfjs-core';
import { DTYPE_CODE, DTYPE_OF_CODE, Handle, TorchNative } from './native';

type DataId = object;

interface TensorData {
  handle: Handle;
  dtype: DataType;
  refCount: number;
}

export const BACKEND_NAME = 'torch';

function dtypeCode(dtype: DataType): number {
  if (dtype === 'float32' || dtype === 'int32' || dtype === 'bool') return DTYPE_CODE[dtype];
  throw new Error(`the torch backend holds float32, int32 and bool tensors, not ${dtype}`);
}

/**
 * A tfjs backend whose tensors are libtorch tensors held in native memory: one handle per
 * dataId; data are copied only when written from or read into JavaScript.
 */
export class TorchBackend extends KernelBackend {
  readonly data: DataStorage<TensorData>;

  constructor(readonly native: TorchNative) {
    super();
    this.data = new DataStorage<TensorData>(this, engine());
  }

  private fromValues(values: backend_util.BackendValues | null | undefined, shape: number[], dtype: DataType): Handle {
    const code = dtypeCode(dtype);
    const size = util.sizeFromShape(shape);
    if (values == null) return this.native.Fill(shape, 0, code);
    if (Array.isArray(values)) throw new Error('the torch backend does not hold string tensors');
    let typed = values as Float32Array | Int32Array | Uint8Array;
    // tfjs may hand over a typed array of another element type (e.g. Int32Array for bool)
    if (dtype === 'float32' && !(typed instanceof Float32Array)) typed = Float32Array.from(typed);
    else if (dtype === 'int32' && !(typed instanceof Int32Array)) typed = Int32Array.from(typed);
    else if (dtype === 'bool' && !(typed instanceof Uint8Array)) typed = Uint8Array.from(typed, (v) => (v ? 1 : 0));
    if (typed.length !== size) throw new Error(`torch backend: ${typed.length} values for shape [${shape}]`);
    return this.native.FromArray(typed, shape, code);
  }

  override write(values: backend_util.BackendValues, shape: number[], dtype: DataType): DataId {
    const dataId = {};
    this.data.set(dataId, { handle: this.fromValues(values, shape, dtype), dtype, refCount: 1 });
    return dataId;
  }

  override move(dataId: DataId, values: backend_util.BackendValues, shape: number[], dtype: DataType, refCount: number): void {
    this.data.set(dataId, { handle: this.fromValues(values, shape, dtype), dtype, refCount });
  }

  /** The native handle behind a kernel input. */
  handle(t: TensorInfo): Handle {
    const d = this.data.get(t.dataId);
    if (!d) throw new Error('torch backend: tensor data not found (disposed, or on another backend)');
    return d.handle;
  }

  /** Register a native result as a new tensor; shape and dtype come from libtorch. */
  output(h: Handle): TensorInfo {
    const info = this.native.Info(h);
    const dtype = DTYPE_OF_CODE[info[0]];
    const dataId = {};
    this.data.set(dataId, { handle: h, dtype, refCount: 1 });
    return { dataId, shape: info.slice(1), dtype };
  }

  override refCount(dataId: DataId): number {
    return this.data.has(dataId) ? this.data.get(dataId).refCount : 0;
  }

  override incRef(dataId: DataId): void {
    this.data.get(dataId).refCount++;
  }

  decRef(dataId: DataId): void {
    if (this.data.has(dataId)) this.data.get(dataId).refCount--;
  }

  override numDataIds(): number {
    return this.data.numDataIds();
  }

  override async read(dataId: DataId): Promise<backend_util.BackendValues> {
    return this.readSync(dataId);
  }

  override readSync(dataId: DataId): backend_util.BackendValues {
    return this.native.ToArray(this.data.get(dataId).handle);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    if (this.data.has(dataId)) {
      const d = this.data.get(dataId);
      d.refCount--;
      if (!force && d.refCount > 0) return false;
      this.native.Dispose(d.handle);
      this.data.delete(dataId);
    }
    return true;
  }

  disposeIntermediateTensorInfo(t: TensorInfo): void {
    this.disposeData(t.dataId);
  }

  override async time(f: () => void): Promise<{ kernelMs: number }> {
    const start = util.now();
    f();
    return { kernelMs: util.now() - start };
  }

  override timerAvailable(): boolean {
    return true;
  }

  override memory(): { unreliable: boolean; reasons?: string[] } {
    return { unreliable: true, reasons: ['tensor memory is held by libtorch and not counted here'] };
  }

  override floatPrecision(): 16 | 32 {
    return 32;
  }

  /** tfjs disposes every tensor before disposing a backend; nothing else is held. */
  override dispose(): void {}
}
