import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { setLeanGradients } from './lean-gradients';
import { rand } from './test-util';

// pure JavaScript: runs on the cpu backend, with or without the addon
describe('lean gradients (early release during the backward pass)', () => {
  afterAll(() => setLeanGradients(false));

  // residual block + batch norm as plain ops + a customGrad loss (softmaxCrossEntropy) + a
  // gradient w.r.t. an intermediate tensor the tape produced
  function step(lean: boolean): { values: number[][]; leaked: number } {
    setLeanGradients(lean);
    tf.setBackend('cpu');
    const x = rand(1, [2, 6, 6, 3]) as tf.Tensor4D;
    const w1 = tf.variable(rand(2, [3, 3, 3, 4]));
    const w2 = tf.variable(rand(3, [3, 3, 4, 4]));
    const fc = tf.variable(rand(4, [4, 3]));
    const labels = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
    const before = tf.memory().numTensors;
    const opt = tf.train.momentum(0.1, 0.9);
    const lossValues: number[] = [];
    for (let i = 0; i < 2; i++) {
      const loss = opt.minimize(() => {
        const h = tf.relu(tf.conv2d(x, w1 as unknown as tf.Tensor4D, 1, 'same'));
        const { mean, variance } = tf.moments(h, [0, 1, 2]);
        const n = tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, 1e-5)));
        const r = tf.relu(tf.add(tf.conv2d(n as tf.Tensor4D, w2 as unknown as tf.Tensor4D, 1, 'same'), h));
        const logits = tf.matMul(tf.mean(tf.maxPool(r as tf.Tensor4D, 2, 2, 'valid'), [1, 2]), fc);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      }, true);
      lossValues.push(loss!.dataSync()[0]);
      loss!.dispose();
    }
    const g = tf.grads((a: tf.Tensor) => tf.sum(tf.square(tf.tanh(a))))([x]);
    const values = [lossValues, ...[w1, w2, fc, ...g].map((t) => Array.from(t.dataSync()))];
    tf.dispose(g);
    opt.dispose();
    tf.dispose([w1, w2, fc]);
    const leaked = tf.memory().numTensors - before;
    tf.dispose([x, labels]);
    return { values, leaked };
  }

  it('gives the same results and leaks nothing', () => {
    const plain = step(false);
    const lean = step(true);
    expect(lean.values).toEqual(plain.values);
    expect(lean.leaked).toBe(plain.leaked);
    expect(lean.leaked).toBeLessThanOrEqual(0);
  });

  it('keeps a caller-supplied dy intact', () => {
    setLeanGradients(true);
    tf.setBackend('cpu');
    const a = tf.tensor([1, 2, 3]);
    const dy = tf.tensor([1, 1, 2]);
    const { value, grads } = tf.engine().gradients(() => tf.mul(tf.exp(a), 2), [a], dy);
    expect(Array.from(grads[0].dataSync())).toEqual(Array.from(tf.mul(tf.exp(a), tf.mul(dy, 2)).dataSync()));
    expect(dy.isDisposed).toBe(false);
    expect(Array.from(dy.dataSync())).toEqual([1, 1, 2]);
    tf.dispose([a, dy, value, ...grads]);
  });
});
