import { backend_util, DataType, slice_util, TensorInfo, util } from '@tensorflow/tfjs-core';
import { DTYPE_CODE, UNARY } from '../native';
import { register } from './kernel';

export function registerShapeKernels(): void {
  register('Reshape', ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const shape = util.inferFromImplicitShape(attrs.shape as number[], util.sizeFromShape(x.shape));
    return backend.output(backend.native.Reshape(backend.handle(x), shape));
  });
  register('ExpandDims', ({ inputs, backend, attrs }) => {
    const x = inputs.input!;
    const dim = attrs.dim as number;
    const shape = x.shape.slice();
    shape.splice(dim < 0 ? x.shape.length + dim + 1 : dim, 0, 1);
    return backend.output(backend.native.Reshape(backend.handle(x), shape));
  });
  register('Transpose', ({ inputs, backend, attrs }) => backend.output(backend.native.Transpose(backend.handle(inputs.x!), attrs.perm as number[])));
  register('Slice', ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const [begin, size] = slice_util.parseSliceParams(x as never, attrs.begin as number[], attrs.size as number[]);
    return backend.output(backend.native.Slice(backend.handle(x), begin, size));
  });
  register('Concat', ({ inputs, backend, attrs }) => {
    const ts = Object.values(inputs) as TensorInfo[];
    const axis = util.parseAxisParam(attrs.axis as number, ts[0].shape)[0];
    const nonEmpty = ts.filter((t) => util.sizeFromShape(t.shape) > 0);
    if (nonEmpty.length === 0) return null;
    return backend.output(backend.native.Concat(nonEmpty.map((t) => backend.handle(t)), axis));
  });
  register('Pack', ({ inputs, backend, attrs }) => {
    const ts = Object.values(inputs) as TensorInfo[];
    const axis = (attrs.axis as number) < 0 ? ts[0].shape.length + 1 + (attrs.axis as number) : (attrs.axis as number);
    return backend.output(backend.native.Stack(ts.map((t) => backend.handle(t)), axis));
  });
  register('Unpack', ({ inputs, backend, attrs }) => {
    const x = inputs.value!;
    const axis = util.parseAxisParam(attrs.axis as number, x.shape)[0];
    return backend.native.Unstack(backend.handle(x), axis).map((h) => backend.output(h));
  });
  register('SplitV', ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const axis = util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const sizes = backend_util.prepareSplitSize(x, attrs.numOrSizeSplits as number | number[], axis);
    return backend.native.Split(backend.handle(x), sizes, axis).map((h) => backend.output(h));
  });
  register('PadV2', ({ inputs, backend, attrs }) => {
    const p = (attrs.paddings as [number, number][]).flat();
    return backend.output(backend.native.Pad(backend.handle(inputs.x!), p, attrs.constantValue as number));
  });
  register('Tile', ({ inputs, backend, attrs }) => backend.output(backend.native.Tile(backend.handle(inputs.x!), attrs.reps as number[])));
  register('Reverse', ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const dims = util.parseAxisParam(attrs.dims as number | number[], x.shape);
    if (dims.length === 0) return backend.output(backend.native.Unary(UNARY.Identity, backend.handle(x)));
    return backend.output(backend.native.Reverse(backend.handle(x), dims));
  });
  register('GatherV2', ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    if ((attrs.batchDims as number) !== 0 && attrs.batchDims !== undefined) return null;
    const axis = util.parseAxisParam(attrs.axis as number, x.shape)[0];
    return backend.output(backend.native.Gather(backend.handle(x), backend.handle(inputs.indices!), axis));
  });
  register('UnsortedSegmentSum', ({ inputs, backend, attrs }) =>
    backend.output(backend.native.SegmentSum(backend.handle(inputs.x!), backend.handle(inputs.segmentIds!), attrs.numSegments as number)));
  register('OneHot', ({ inputs, backend, attrs }) => {
    const dtype = (attrs.dtype as DataType) ?? 'int32';
    if (dtype !== 'float32' && dtype !== 'int32') return null;
    return backend.output(backend.native.OneHot(backend.handle(inputs.indices!), attrs.depth as number, attrs.onValue as number, attrs.offValue as number, DTYPE_CODE[dtype]));
  });
}
