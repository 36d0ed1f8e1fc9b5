import * as fs from 'node:fs';
import * as path from 'node:path';

/** An opaque reference to a torch tensor living in native memory. */
export type Handle = { readonly __torchHandle: unique symbol };
type H = Handle;
type Opt = Handle | undefined;

/** The addon's functions (native/addon.cc). Codes for dtypes and ops are below. */
export interface TorchNative {
  FromArray(values: Float32Array | Int32Array | Uint8Array, shape: number[], dtype: number): H;
  ToArray(h: H): Float32Array | Int32Array | Uint8Array;
  /** [dtypeCode, ...shape] */
  Info(h: H): number[];
  Dispose(h: H): void;
  SetNumThreads(n: number): void;
  GetNumThreads(): number;
  Config(): string;
  Unary(op: number, x: H, alpha?: number): H;
  Binary(op: number, a: H, b: H): H;
  AddN(xs: H[]): H;
  Cast(x: H, dtype: number): H;
  Where(cond: H, a: H, b: H): H;
  Clip(x: H, min: number, max: number): H;
  Fill(shape: number[], value: number, dtype: number): H;
  FillLike(x: H, value: number): H;
  Reduce(op: number, x: H, axes: number[], keepDims: boolean): H;
  Softmax(x: H, dim: number): H;
  LogSoftmax(x: H, dim: number): H;
  Reshape(x: H, shape: number[]): H;
  Transpose(x: H, perm: number[]): H;
  Slice(x: H, begin: number[], size: number[]): H;
  StridedSlice(x: H, begin: number[], end: number[], strides: number[], outShape: number[]): H;
  Concat(xs: H[], axis: number): H;
  Stack(xs: H[], axis: number): H;
  Unstack(x: H, axis: number): H[];
  Split(x: H, sizes: number[], axis: number): H[];
  Pad(x: H, paddings: number[], value: number): H;
  Tile(x: H, reps: number[]): H;
  Reverse(x: H, dims: number[]): H;
  Gather(x: H, indices: H, axis: number): H;
  SegmentSum(x: H, ids: H, n: number): H;
  OneHot(indices: H, depth: number, on: number, off: number, dtype: number): H;
  Range(start: number, stop: number, step: number, dtype: number): H;
  MatMul(a: H, b: H, transposeA: boolean, transposeB: boolean): H;
  /** pads: [top, bottom, left, right] */
  Conv2D(x: H, w: H, strides: number[], dilations: number[], pads: number[], depthwise: boolean, bias?: Opt): H;
  Conv2DBackpropInput(dy: H, w: H, inShape: number[], strides: number[], dilations: number[], pads: number[], depthwise: boolean): H;
  Conv2DBackpropFilter(x: H, dy: H, filterShape: number[], strides: number[], dilations: number[], pads: number[], depthwise: boolean): H;
  /** [dx, dfilter] in one backward call */
  Conv2DBackprop(x: H, dy: H, filter: H, strides: number[], dilations: number[], pads: number[], depthwise: boolean): H[];
  MaxPool(x: H, filter: number[], strides: number[], pads: number[]): H;
  MaxPoolGrad(dy: H, x: H, y: H, filter: number[], strides: number[], pads: number[]): H;
  AvgPool(x: H, filter: number[], strides: number[], pads: number[]): H;
  AvgPoolGrad(dy: H, x: H, filter: number[], strides: number[], pads: number[]): H;
  BatchNorm(x: H, mean: H, variance: H, scale: Opt, offset: Opt, eps: number): H;
  /** [y, mean, invstd]; y = relu?(bn(x) + residual?) */
  BatchNormTrain(x: H, scale: H, offset: H, eps: number, residual: Opt, relu: boolean, groups: number): H[];
  /** [dx, dscale, doffset, dresidual]; y given when the forward applied ReLU */
  BatchNormTrainGrad(dy: H, x: H, scale: H, mean: H, invstd: H, eps: number, y: Opt, groups: number): H[];
  /** relu?(x * scale + shift + residual?) in one output */
  ScaleShift(x: H, scale: H, shift: H, residual: Opt, relu: boolean): H;
  /** [p', buf'] of torch.optim.SGD with momentum and weight decay */
  SgdMomentum(p: H, g: H, buf: H, lr: number, momentum: number, weightDecay: number): H[];
  /** a + w * (b - a) */
  Lerp(a: H, b: H, w: number): H;
  /** in-place updates: false (nothing changed) when the memory is shared */
  SgdMomentumInPlace(p: H, g: H, buf: H, lr: number, momentum: number, weightDecay: number): boolean;
  LerpInPlace(a: H, b: H, w: number): boolean;
}

export const DTYPE_CODE = { float32: 0, int32: 1, bool: 2 } as const;
export const DTYPE_OF_CODE = ['float32', 'int32', 'bool'] as const;

export const UNARY = {
  Neg: 0, Abs: 1, Exp: 2, Log: 3, Sqrt: 4, Rsqrt: 5, Square: 6, Relu: 7, Relu6: 8, Sigmoid: 9, Tanh: 10,
  Floor: 11, Ceil: 12, Round: 13, Sign: 14, Reciprocal: 15, Step: 16, Log1p: 17, Expm1: 18, Sin: 19, Cos: 20,
  Elu: 21, Softplus: 22, LogicalNot: 23, IsNan: 24, LeakyRelu: 25, Erf: 26, Selu: 27, IsInf: 28, IsFinite: 29,
  Identity: 30,
} as const;

export const BINARY = {
  Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, Pow: 6, SquaredDifference: 7, FloorDiv: 8,
  Mod: 9, Equal: 10, NotEqual: 11, Less: 12, LessEqual: 13, Greater: 14, GreaterEqual: 15, LogicalAnd: 16,
  LogicalOr: 17, Atan2: 18, EluGrad: 20, Prelu: 22,
} as const;

export const REDUCE = { Sum: 0, Mean: 1, Max: 2, Min: 3, Prod: 4, Any: 5, All: 6, ArgMax: 7, ArgMin: 8 } as const;

/** Where the addon is built: <package>/build/Release (node-gyp's layout), from src/, dist/ or dist-bench/src/. */
export function addonPath(): string {
  const rel = path.join('build', 'Release', 'dilo_torch.node');
  const cands = [path.join(__dirname, '..', rel), path.join(__dirname, '..', '..', rel)];
  return cands.find((c) => fs.existsSync(c)) ?? cands[0];
}

export type NativeLoad = { native: TorchNative; error: null } | { native: null; error: string };

let cached: NativeLoad | null = null;

/** Load the addon once; on failure the reason names the file and the problem. */
export function loadNative(): NativeLoad {
  if (cached) return cached;
  const file = addonPath();
  if (!fs.existsSync(file)) {
    cached = { native: null, error: `${file} does not exist (the addon was not built: install libtorch-dev, then run \`pnpm nx run engine-torch:build-native\`)` };
  } else {
    try {
      cached = { native: require(file) as TorchNative, error: null };
    } catch (err) {
      cached = { native: null, error: `${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
    }
  }
  return cached;
}
