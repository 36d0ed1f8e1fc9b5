import { Rng, selectBackend, tf } from '@dilo/core';
import { registerWasmTrainingKernels, type BackpropFilterImpl } from './wasm-kernels';

// Each registered wasm kernel is checked against the cpu backend and against finite
// differences of the forward convolution (which is linear in the filter, so central
// differences are exact up to float32 rounding).

interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  stride: number;
  pad: number | 'same' | 'valid';
}

const CASES: Case[] = [
  { n: 2, h: 7, w: 6, ci: 3, co: 4, k: 3, stride: 1, pad: 1 },
  { n: 3, h: 8, w: 8, ci: 2, co: 5, k: 3, stride: 2, pad: 1 },
  { n: 2, h: 8, w: 8, ci: 4, co: 3, k: 1, stride: 2, pad: 0 }, // resnet downsample: crops a row/column
  { n: 1, h: 9, w: 9, ci: 3, co: 2, k: 7, stride: 2, pad: 3 }, // ImageNet stem
  { n: 2, h: 5, w: 7, ci: 2, co: 2, k: 3, stride: 1, pad: 'same' },
  { n: 2, h: 6, w: 5, ci: 2, co: 3, k: 2, stride: 2, pad: 'valid' },
];

function randn(rng: Rng, shape: number[]): Float32Array {
  const a = new Float32Array(shape.reduce((p, c) => p * c, 1));
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  return a;
}

function inputGrad(c: Case, x: Float32Array, w: Float32Array, r: Float32Array, backend: string): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const wt = tf.tensor4d(w, [c.k, c.k, c.ci, c.co]);
    const f = (xt: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xt as tf.Tensor4D, wt, c.stride, c.pad), tf.tensor(r, outShape(c))));
    return tf.grad(f)(tf.tensor4d(x, [c.n, c.h, c.w, c.ci])).dataSync() as Float32Array;
  });
}

function filterGrad(c: Case, x: Float32Array, w: Float32Array, r: Float32Array, backend: string): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, [c.n, c.h, c.w, c.ci]);
    const f = (wt: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xt, wt as tf.Tensor4D, c.stride, c.pad), tf.tensor(r, outShape(c))));
    return tf.grad(f)(tf.tensor4d(w, [c.k, c.k, c.ci, c.co])).dataSync() as Float32Array;
  });
}

function outShape(c: Case): number[] {
  const o = (s: number) =>
    c.pad === 'same' ? Math.ceil(s / c.stride) : c.pad === 'valid' ? Math.floor((s - c.k) / c.stride) + 1 : Math.floor((s + 2 * c.pad - c.k) / c.stride) + 1;
  return [c.n, o(c.h), o(c.w), c.co];
}

/** central differences of L = sum(conv(x, w) * r) with respect to w (wrt = 'w') or x */
function finiteDifference(c: Case, x: Float32Array, w: Float32Array, r: Float32Array, wrt: 'w' | 'x' = 'w'): Float32Array {
  tf.setBackend('cpu');
  const loss = (xv: Float32Array, wv: Float32Array) =>
    tf.tidy(() => tf.sum(tf.mul(tf.conv2d(tf.tensor4d(xv, [c.n, c.h, c.w, c.ci]), tf.tensor4d(wv, [c.k, c.k, c.ci, c.co]), c.stride, c.pad), tf.tensor(r, outShape(c)))).dataSync()[0]);
  const v = wrt === 'w' ? w : x;
  const g = new Float32Array(v.length);
  const eps = 0.05;
  for (let i = 0; i < v.length; i++) {
    const vp = v.slice();
    vp[i] += eps;
    const vm = v.slice();
    vm[i] -= eps;
    g[i] = wrt === 'w' ? (loss(x, vp) - loss(x, vm)) / (2 * eps) : (loss(vp, w) - loss(vm, w)) / (2 * eps);
  }
  return g;
}

function maxRelErr(a: Float32Array, b: Float32Array): number {
  let scale = 1e-6;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e / scale;
}

beforeAll(async () => {
  await selectBackend({ backend: 'cpu', log: false });
  await selectBackend({ backend: 'wasm', log: false });
});

describe.each<BackpropFilterImpl>(['xnn', 'plain'])('wasm Conv2DBackpropFilter (%s)', (impl) => {
  beforeAll(() => registerWasmTrainingKernels(impl));
  afterAll(() => registerWasmTrainingKernels('xnn'));

  test.each(CASES.map((c) => [JSON.stringify(c), c] as const))('%s matches cpu and finite differences', (_name, c) => {
    const rng = new Rng(7, [JSON.stringify(c)]);
    const x = randn(rng, [c.n, c.h, c.w, c.ci]);
    const w = randn(rng, [c.k, c.k, c.ci, c.co]);
    const r = randn(rng, outShape(c));
    const onWasm = filterGrad(c, x, w, r, 'wasm');
    const onCpu = filterGrad(c, x, w, r, 'cpu');
    const fd = finiteDifference(c, x, w, r);
    expect(onWasm.length).toBe(w.length);
    expect(maxRelErr(onWasm, onCpu)).toBeLessThan(1e-5);
    expect(maxRelErr(onWasm, fd)).toBeLessThan(2e-3);
  });
});

describe('wasm Conv2DBackpropInput (XNNPACK replacement)', () => {
  beforeAll(() => registerWasmTrainingKernels('xnn'));

  test.each(CASES.map((c) => [JSON.stringify(c), c] as const))('%s matches cpu and finite differences', (_name, c) => {
    const rng = new Rng(11, [JSON.stringify(c)]);
    const x = randn(rng, [c.n, c.h, c.w, c.ci]);
    const w = randn(rng, [c.k, c.k, c.ci, c.co]);
    const r = randn(rng, outShape(c));
    const onWasm = inputGrad(c, x, w, r, 'wasm');
    const onCpu = inputGrad(c, x, w, r, 'cpu');
    const fd = finiteDifference(c, x, w, r, 'x');
    expect(onWasm.length).toBe(x.length);
    expect(maxRelErr(onWasm, onCpu)).toBeLessThan(1e-5);
    expect(maxRelErr(onWasm, fd)).toBeLessThan(2e-3);
  });
});

test('a wasm training step leaks no tensors through the registered kernel', async () => {
  tf.setBackend('wasm');
  registerWasmTrainingKernels('xnn');
  const w = tf.variable(tf.randomNormal([3, 3, 4, 8], 0, 1, 'float32', 1));
  const w2 = tf.variable(tf.randomNormal([3, 3, 8, 8], 0, 1, 'float32', 3));
  const x = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 2);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.conv2d(tf.relu(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 1)), w2 as tf.Tensor4D, 1, 1))));
    tf.dispose([value, ...Object.values(grads)]);
  };
  step(); // the first step may cache constants
  const tensors = tf.memory().numTensors;
  const dataIds = tf.engine().backend.numDataIds();
  for (let i = 0; i < 3; i++) step();
  expect(tf.memory().numTensors).toBe(tensors);
  // the kernel's temporaries live below the engine: count the backend's buffers too
  expect(tf.engine().backend.numDataIds()).toBe(dataIds);
  tf.dispose([w, w2, x]);
});
