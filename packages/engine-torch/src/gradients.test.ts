import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { maxRelErr, rand, torchAvailable } from './test-util';
import { batchNormTrain } from './ops/batch-norm';
import { registerTorchBackend, setTorchThreads, torchBackendReason, torchThreads } from './register';

const ok = torchAvailable();
const d = ok ? describe : describe.skip;

const values = (ts: tf.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));

d('fused training batch norm', () => {
  // torch runs the fused ATen kernels; cpu runs the same formula as plain tfjs ops
  function run(backend: string, withTail: boolean, groups: number): number[][] {
    tf.setBackend(backend);
    return tf.tidy(() => {
      const x = rand(1, [4, 5, 4, 6]);
      const g = rand(2, [6], 0.5, 1.5) as tf.Tensor1D;
      const b = rand(3, [6]) as tf.Tensor1D;
      const res = rand(4, [4, 5, 4, 6]);
      const dy = rand(5, [4, 5, 4, 6]);
      const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor, rr: tf.Tensor) =>
        batchNormTrain(xx, gg as tf.Tensor1D, bb as tf.Tensor1D, withTail ? { relu: true, residual: rr, epsilon: 1e-3, groups } : { epsilon: 1e-3, groups }).y;
      const { mean, variance } = batchNormTrain(x, g, b, { epsilon: 1e-3, groups });
      expect(mean.shape).toEqual(groups === 1 ? [6] : [groups, 6]);
      const y = f(x, g, b, res);
      const loss = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor, rr?: tf.Tensor) => tf.sum(tf.mul(f(xx, gg, bb, rr ?? res), dy));
      const grads = withTail ? tf.grads(loss)([x, g, b, res]) : tf.grads(loss)([x, g, b]);
      return values([y, mean, variance, ...grads]);
    });
  }
  // groups: shuffle-BN, each batch slice with its own statistics (MoCo's key encoder)
  it.each([[false, 1], [true, 1], [false, 2], [true, 2]])('matches plain ops forward and backward (relu + residual: %s, groups %d)', (withTail, groups) => {
    const want = run('cpu', withTail, groups);
    const got = run('torch', withTail, groups);
    const names = ['y', 'mean', 'variance', 'dx', 'dscale', 'doffset', 'dresidual'].slice(0, want.length);
    expect(got.length).toBe(want.length);
    names.forEach((n, i) => {
      const e = maxRelErr(got[i], want[i], 1e-4, 1e-3);
      if (e > 1) throw new Error(`${n}: error ${e.toFixed(2)}x tolerance`);
    });
  });
});

d('gradients through the full tfjs path match finite differences', () => {
  // a small ResNet-like head: strided 'same' conv (asymmetric padding), fused BN + ReLU,
  // max pool, global mean, dense, log-softmax cross-entropy
  const net = (x: tf.Tensor, w: tf.Tensor, g: tf.Tensor, b: tf.Tensor, fc: tf.Tensor): tf.Scalar => {
    const h = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same');
    const a = batchNormTrain(h, g as tf.Tensor1D, b as tf.Tensor1D, { relu: true }).y as tf.Tensor4D;
    const p = tf.mean(tf.maxPool(a, 2, 1, 'same'), [1, 2]);
    const logits = tf.matMul(p, fc);
    const labels = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
    return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  };

  it('for the input, filter, batch-norm scale and dense weights', () => {
    tf.setBackend('torch');
    tf.tidy(() => {
      const params = [rand(10, [2, 7, 6, 3]), rand(11, [3, 3, 3, 4]), rand(12, [4], 0.5, 1.5), rand(13, [4]), rand(14, [4, 3])];
      const analytic = tf.grads(net)(params);
      const h = 1e-2;
      for (let p = 0; p < params.length; p++) {
        if (p === 3) continue; // offset: its gradient passes ReLU only, covered by the scale
        const base = Array.from(params[p].dataSync());
        const grad = analytic[p].dataSync();
        for (const i of [0, Math.floor(base.length / 2), base.length - 1]) {
          const at = (delta: number) => {
            const v = base.slice();
            v[i] += delta;
            const args = params.slice();
            args[p] = tf.tensor(v, params[p].shape);
            return net(args[0], args[1], args[2], args[3], args[4]).dataSync()[0];
          };
          const numeric = (at(h) - at(-h)) / (2 * h);
          expect(Math.abs(grad[i] - numeric)).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
        }
      }
    });
  });
});

d('registration', () => {
  it('reports success and honours the thread count', () => {
    expect(registerTorchBackend({ threads: 1 })).toBe(true);
    expect(torchBackendReason()).toBeNull();
    expect(torchThreads()).toBe(1);
    setTorchThreads(2);
    expect(torchThreads()).toBe(2);
  });

  it('keeps tensors in native memory: no leak over repeated steps', () => {
    tf.setBackend('torch');
    const x = rand(20, [2, 4, 4, 3]);
    const w = tf.variable(rand(21, [3, 3, 3, 2]));
    const step = () => tf.tidy(() => tf.grads((a: tf.Tensor) => tf.sum(tf.relu(tf.conv2d(a as tf.Tensor4D, w as unknown as tf.Tensor4D, 1, 'same'))))([x]));
    tf.dispose(step());
    const before = [tf.memory().numTensors, tf.engine().backend.numDataIds()];
    for (let i = 0; i < 5; i++) tf.dispose(step());
    expect([tf.memory().numTensors, tf.engine().backend.numDataIds()]).toEqual(before);
    tf.dispose([x, w]);
  });
});

d('fused batch norm in a training loop', () => {
  it('frees everything each step (with and without residual)', () => {
    tf.setBackend('torch');
    const x = rand(30, [2, 4, 4, 3]);
    const res = rand(31, [2, 4, 4, 3]);
    const g = tf.variable(rand(32, [3], 0.5, 1.5));
    const b = tf.variable(rand(33, [3]));
    const opt = tf.train.sgd(0.1);
    const step = () =>
      opt.minimize(() => {
        const y1 = batchNormTrain(x, g as unknown as tf.Tensor1D, b as unknown as tf.Tensor1D, { relu: true }).y;
        const y2 = batchNormTrain(y1, g as unknown as tf.Tensor1D, b as unknown as tf.Tensor1D, { relu: true, residual: res }).y;
        return tf.sum(tf.square(y2)) as tf.Scalar;
      });
    step();
    const before = [tf.memory().numTensors, tf.engine().backend.numDataIds()];
    for (let i = 0; i < 3; i++) step();
    expect([tf.memory().numTensors, tf.engine().backend.numDataIds()]).toEqual(before);
  });
});
