import { Rng, selectBackend, tf } from '@dilo/core';
import { batchNorm2d, batchNorm2dAutodiff, type BatchNormParams } from './batchnorm';
import { registerWasmTrainingKernels } from './wasm-kernels';

function params(c: number, rng: Rng): BatchNormParams {
  const v = (f: () => number) => tf.variable(tf.tensor1d(Array.from({ length: c }, f)));
  return { gamma: v(() => rng.uniform(0.5, 1.5)), beta: v(() => rng.normal()), runningMean: v(() => 0), runningVar: v(() => 1) };
}

beforeAll(async () => {
  await selectBackend({ backend: 'cpu', log: false });
  await selectBackend({ backend: 'wasm', log: false });
  registerWasmTrainingKernels();
});

describe.each(['cpu', 'wasm'])('batchNorm2d closed-form gradient on %s', (backend) => {
  test.each([1, 2])('matches autodiff of the formula and finite differences (groups %d)', (groups) => {
    tf.setBackend(backend);
    const rng = new Rng(2, [backend, groups]);
    const shape: [number, number, number, number] = [4, 3, 2, 5];
    const xv = Float32Array.from({ length: 120 }, () => rng.normal(0.3, 2));
    const rv = Float32Array.from({ length: 120 }, () => rng.normal());
    const p = params(5, rng);
    const r = tf.tensor4d(rv, shape);
    const lossOf = (f: (x: tf.Tensor4D, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(x as tf.Tensor4D, g, b), r));
    const ours = lossOf((x, g, b) => batchNorm2d(x, { ...p, gamma: g as tf.Variable, beta: b as tf.Variable }, { training: true, groups, updateStats: false }));
    const ref = lossOf((x, g, b) => batchNorm2dAutodiff(x, g, b, groups));
    const x = tf.tensor4d(xv, shape);
    const [gx, gg, gb] = tf.grads(ours)([x, p.gamma, p.beta]).map((t) => t.dataSync());
    const [rx, rg, rb] = tf.grads(ref)([x, p.gamma, p.beta]).map((t) => t.dataSync());
    const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(tol * (1 + Math.abs(b[i])));
    };
    close(gx, rx, 1e-4);
    close(gg, rg, 1e-4);
    close(gb, rb, 1e-4);
    // forward values agree too
    close(ours(x, p.gamma, p.beta).dataSync(), ref(x, p.gamma, p.beta).dataSync(), 1e-5);
    // finite differences on a few inputs (float32: eps 1e-2, loose tolerance)
    const f = (xs: Float32Array) => ref(tf.tensor4d(xs, shape), p.gamma, p.beta).dataSync()[0];
    for (const i of [0, 17, 63, 119]) {
      const a = xv.slice();
      a[i] += 1e-2;
      const b = xv.slice();
      b[i] -= 1e-2;
      expect(Math.abs((f(a) - f(b)) / 2e-2 - gx[i])).toBeLessThan(2e-2);
    }
  });

  test('running statistics follow torch (momentum 0.1, unbiased variance)', () => {
    tf.setBackend(backend);
    const rng = new Rng(3);
    const p = params(2, rng);
    const data = Float32Array.from({ length: 2 * 2 * 2 * 2 }, () => rng.normal(1, 3));
    tf.tidy(() => batchNorm2d(tf.tensor4d(data, [2, 2, 2, 2]), p, { training: true }));
    for (let ch = 0; ch < 2; ch++) {
      const vals = Array.from(data).filter((_, i) => i % 2 === ch);
      const m = vals.reduce((s, v) => s + v, 0) / vals.length;
      const v = vals.reduce((s, x) => s + (x - m) ** 2, 0) / (vals.length - 1);
      expect(p.runningMean.dataSync()[ch]).toBeCloseTo(0.1 * m, 5);
      expect(p.runningVar.dataSync()[ch]).toBeCloseTo(0.9 + 0.1 * v, 4);
    }
  });
});
