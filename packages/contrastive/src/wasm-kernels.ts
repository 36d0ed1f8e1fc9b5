import { tf } from '@dilo/core';

/**
 * Training kernels that @tensorflow/tfjs-backend-wasm 4.22 lacks, registered for 'wasm'.
 * Only Conv2DBackpropFilter is missing for ResNet training (found by running a training
 * step: "'Conv2DBackpropFilter' not yet implemented or not found in the registry").
 * The wasm backend object is not exported by tfjs-core, so it is typed here by what is used.
 */
interface WasmBackendLike {
  readSync(dataId: object): Float32Array;
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

interface BackpropFilterAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

interface KernelArgs {
  inputs: { x: tf.TensorInfo; dy: tf.TensorInfo };
  backend: WasmBackendLike;
  attrs: BackpropFilterAttrs;
}

function convInfo(x: tf.TensorInfo, attrs: BackpropFilterAttrs): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat !== 'NHWC') throw new Error(`wasm Conv2DBackpropFilter supports NHWC only, got ${attrs.dataFormat}`);
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad as Parameters<typeof tf.backend_util.computeConv2DInfo>[4],
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/**
 * Reference implementation: dW[kh,kw,ci,co] = sum over n, oh, ow of
 * x[n, oh*s + kh - padTop, ow*s + kw - padLeft, ci] * dy[n, oh, ow, co].
 * Plain loops; correct for every shape, slow.
 */
export function conv2dBackpropFilterPlain({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const info = convInfo(inputs.x, attrs);
  const x = backend.readSync(inputs.x.dataId);
  const dy = backend.readSync(inputs.dy.dataId);
  const [n, H, W, ci] = inputs.x.shape;
  const [, oh, ow, co] = inputs.dy.shape;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const out = backend.makeOutput([kh, kw, ci, co], 'float32');
  const dw = backend.typedArrayFromHeap(out);
  dw.fill(0);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const dyOff = ((b * oh + i) * ow + j) * co;
        for (let r = 0; r < kh; r++) {
          const y = i * sh + r - pt;
          if (y < 0 || y >= H) continue;
          for (let s = 0; s < kw; s++) {
            const xx = j * sw + s - pl;
            if (xx < 0 || xx >= W) continue;
            const xOff = ((b * H + y) * W + xx) * ci;
            const wOff = (r * kw + s) * ci * co;
            for (let c = 0; c < ci; c++) {
              const xv = x[xOff + c];
              if (xv === 0) continue;
              const o = wOff + c * co;
              for (let d = 0; d < co; d++) dw[o + d] += xv * dy[dyOff + d];
            }
          }
        }
      }
    }
  }
  return out;
}

type WasmKernel = (args: { inputs: Record<string, tf.TensorInfo>; backend: WasmBackendLike; attrs: Record<string, unknown> }) => tf.TensorInfo;

function wasmKernel(name: string): WasmKernel {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`the wasm backend has no ${name} kernel`);
  return k.kernelFunc as unknown as WasmKernel;
}

/**
 * Fast path: the filter gradient is itself a convolution, over the batch axis. With
 * x' = x transposed to [ci, H, W, n] as the "image" and dy' = dy transposed to
 * [oh, ow, n, co] as the "filter", a stride-1 convolution with dilation = the forward stride
 * gives [ci, kh, kw, co]; XNNPACK runs it at conv speed instead of a scalar loop.
 * Rows/columns the forward conv never read (bottom/right) are cropped first, because a
 * convolution cannot take a negative padding.
 */
export function conv2dBackpropFilterXnn({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const info = convInfo(inputs.x, attrs);
  const [n, H, W, ci] = inputs.x.shape;
  const [, oh, ow, co] = inputs.dy.shape;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  let pb = kh - H - pt + sh * (oh - 1);
  let pr = kw - W - pl + sw * (ow - 1);
  const transpose = wasmKernel('Transpose');
  const conv = wasmKernel('Conv2D');
  const temps: tf.TensorInfo[] = [];
  try {
    let x = inputs.x;
    if (pb < 0 || pr < 0) {
      const h2 = pb < 0 ? H + pb : H;
      const w2 = pr < 0 ? W + pr : W;
      x = wasmKernel('Slice')({ inputs: { x }, backend, attrs: { begin: [0, 0, 0, 0], size: [n, h2, w2, ci] } });
      temps.push(x);
      pb = Math.max(0, pb);
      pr = Math.max(0, pr);
    }
    const xT = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
    temps.push(xT);
    const dyT = transpose({ inputs: { x: inputs.dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
    temps.push(dyT);
    const g = conv({
      inputs: { x: xT, filter: dyT },
      backend,
      attrs: { strides: [1, 1], pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]], dataFormat: 'NHWC', dilations: [sh, sw], dimRoundingMode: undefined },
    });
    temps.push(g);
    if (g.shape[0] !== ci || g.shape[1] !== kh || g.shape[2] !== kw || g.shape[3] !== co) {
      throw new Error(`Conv2DBackpropFilter: internal shape ${g.shape} != [${ci},${kh},${kw},${co}]`);
    }
    return transpose({ inputs: { x: g }, backend, attrs: { perm: [1, 2, 0, 3] } });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

interface BackpropInputArgs {
  inputs: { dy: tf.TensorInfo; filter: tf.TensorInfo };
  backend: WasmBackendLike;
  attrs: Omit<BackpropFilterAttrs, 'filterShape'> & { inputShape: [number, number, number, number] };
}

/**
 * Conv2DBackpropInput as a forward convolution: the input gradient of a stride-s conv is a
 * stride-1 conv of dy, dilated with s-1 zeros between its pixels, by the filter flipped in
 * space with in/out channels swapped, padded k-1-pad. tfjs-backend-wasm's own kernel is a
 * scalar loop (measured: 60% of a ResNet-18 training step); this runs on XNNPACK.
 */
export function conv2dBackpropInputXnn({ inputs, backend, attrs }: BackpropInputArgs): tf.TensorInfo {
  if (attrs.dataFormat !== 'NHWC') throw new Error(`wasm Conv2DBackpropInput supports NHWC only, got ${attrs.dataFormat}`);
  const [n, H, W, ci] = attrs.inputShape;
  const [kh, kw, , co] = inputs.filter.shape;
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    inputs.filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad as Parameters<typeof tf.backend_util.computeConv2DInfo>[4],
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { strideHeight: sh, strideWidth: sw } = info;
  const [, oh, ow] = inputs.dy.shape;
  const ohd = (oh - 1) * sh + 1;
  const owd = (ow - 1) * sw + 1;
  const pt = kh - 1 - info.padInfo.top;
  const pl = kw - 1 - info.padInfo.left;
  const pb = H + kh - 1 - ohd - pt;
  const pr = W + kw - 1 - owd - pl;
  if (pt < 0 || pl < 0 || pb < 0 || pr < 0) return originalBackpropInput!({ inputs, backend, attrs } as never);
  const temps: tf.TensorInfo[] = [];
  try {
    let dy = inputs.dy;
    if (sh > 1 || sw > 1) {
      const src = backend.readSync(inputs.dy.dataId);
      dy = backend.makeOutput([n, ohd, owd, co], 'float32');
      temps.push(dy);
      const dst = backend.typedArrayFromHeap(dy);
      dst.fill(0);
      for (let b = 0; b < n; b++)
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++) {
            const from = ((b * oh + i) * ow + j) * co;
            dst.set(src.subarray(from, from + co), ((b * ohd + i * sh) * owd + j * sw) * co);
          }
    }
    // filter [kh, kw, ci, co] -> flipped [kh, kw, co, ci]
    const w = backend.readSync(inputs.filter.dataId);
    const wf = backend.makeOutput([kh, kw, co, ci], 'float32');
    temps.push(wf);
    const wd = backend.typedArrayFromHeap(wf);
    for (let a = 0; a < kh; a++)
      for (let b = 0; b < kw; b++) {
        const fromBase = ((kh - 1 - a) * kw + (kw - 1 - b)) * ci * co;
        const toBase = (a * kw + b) * co * ci;
        for (let c = 0; c < ci; c++) for (let d = 0; d < co; d++) wd[toBase + d * ci + c] = w[fromBase + c * co + d];
      }
    return wasmKernel('Conv2D')({
      inputs: { x: dy, filter: wf },
      backend,
      attrs: { strides: [1, 1], pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined },
    });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

let originalBackpropInput: ((args: never) => tf.TensorInfo) | null = null;

export type BackpropFilterImpl = 'xnn' | 'plain';

let registered: BackpropFilterImpl | null = null;

/**
 * Register the missing training kernels for 'wasm' (idempotent; switching impl re-registers).
 * Call after the wasm backend is set up; harmless on other backends.
 */
export function registerWasmTrainingKernels(impl: BackpropFilterImpl = 'xnn'): void {
  if (registered === impl) return;
  if (registered !== null || tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: (impl === 'xnn' ? conv2dBackpropFilterXnn : conv2dBackpropFilterPlain) as unknown as tf.KernelFunc,
  });
  if (!originalBackpropInput) {
    const orig = tf.getKernel('Conv2DBackpropInput', 'wasm');
    if (!orig) throw new Error('the wasm backend has no Conv2DBackpropInput kernel to replace');
    originalBackpropInput = orig.kernelFunc as unknown as (args: never) => tf.TensorInfo;
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    tf.registerKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2dBackpropInputXnn as unknown as tf.KernelFunc });
  }
  registered = impl;
}

/** Put tfjs-backend-wasm's own Conv2DBackpropInput back (for tests comparing the two). */
export function restoreWasmBackpropInput(): void {
  if (!originalBackpropInput) return;
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: originalBackpropInput as unknown as tf.KernelFunc });
  originalBackpropInput = null;
}
