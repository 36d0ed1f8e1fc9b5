/**
 * Write what torch.save writes (zip container, torch >= 1.6): <archive>/data.pkl, one storage per
 * tensor under <archive>/data/<key>, <archive>/version. Tensors are rebuilt by
 * torch._utils._rebuild_tensor_v2 from persistent ids ('storage', torch.FloatStorage, key, 'cpu', n).
 */
import { zipSync, type Zippable } from 'fflate';
import { PickleWriter } from './pickle/pickler';

export interface SaveTensor {
  readonly dtype: 'float32' | 'int64';
  /** torch layout */
  readonly shape: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

export type SaveValue = SaveTensor | SaveDict | string | number | boolean | null;

export interface SaveDict {
  /** OrderedDict (a state_dict) or a plain dict */
  readonly ordered: boolean;
  readonly entries: ReadonlyArray<readonly [string, SaveValue]>;
}

function isTensor(v: SaveValue): v is SaveTensor {
  return typeof v === 'object' && v !== null && 'shape' in v;
}

function contiguousStride(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/** The bytes of a torch.save zip holding `value` (archive folder name as torch uses: 'archive'). */
export function encodeTorchZip(value: SaveValue, archive = 'archive'): Uint8Array {
  const w = new PickleWriter(2);
  const storages: Uint8Array[] = [];
  const emit = (v: SaveValue): void => {
    if (v === null) w.none();
    else if (typeof v === 'string') w.str(v);
    else if (typeof v === 'boolean') w.bool(v);
    else if (typeof v === 'number') w.int(v);
    else if (isTensor(v)) {
      const n = v.shape.reduce((a, b) => a * b, 1);
      if (v.data.length !== n) throw new RangeError(`tensor [${v.shape}] has ${v.data.length} values`);
      const key = String(storages.length);
      storages.push(new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength).slice());
      w.global('torch._utils', '_rebuild_tensor_v2').mark();
      w.mark().str('storage').global('torch', v.dtype === 'float32' ? 'FloatStorage' : 'LongStorage').str(key).str('cpu').int(n).tuple().binPersId();
      w.int(0).intTuple(v.shape).intTuple(contiguousStride(v.shape)).bool(false);
      w.global('collections', 'OrderedDict').emptyTuple().reduce();
      w.tuple().reduce();
    } else {
      if (v.ordered) w.global('collections', 'OrderedDict').emptyTuple().reduce();
      else w.emptyDict();
      w.put();
      if (v.entries.length) {
        w.mark();
        for (const [k, x] of v.entries) {
          w.str(k);
          emit(x);
        }
        w.setItems();
      }
    }
  };
  emit(value);
  const files: Zippable = {
    [`${archive}/data.pkl`]: [w.finish(), { level: 0 }],
    [`${archive}/version`]: [Buffer.from('3\n'), { level: 0 }],
  };
  storages.forEach((s, i) => (files[`${archive}/data/${i}`] = [s, { level: 0 }]));
  return zipSync(files);
}
