import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { setLeanGradients } from './lean-gradients';
import { maxRelErr, rand, torchAvailable } from './test-util';
import type { TorchBackend } from './backend';

const ok = torchAvailable();
const d = ok ? describe : describe.skip;

d('both convolution gradients in one call (torch backend, lean gradients)', () => {
  afterAll(() => setLeanGradients(true));

  /** counts the joint native calls during f */
  function countJoint<T>(f: () => T): { result: T; joint: number } {
    const b = tf.backend() as TorchBackend;
    const native = b.native;
    let joint = 0;
    const spy = { ...native, Conv2DBackprop: (...a: Parameters<typeof native.Conv2DBackprop>) => (joint++, native.Conv2DBackprop(...a)) };
    Object.defineProperty(b, 'native', { value: spy, configurable: true });
    try {
      return { result: f(), joint };
    } finally {
      Object.defineProperty(b, 'native', { value: native, configurable: true });
    }
  }

  // three convolutions (the first on the input: its data gradient is not needed), one strided
  // with tfjs' asymmetric 'same' padding, a residual add, SGD by tfjs' momentum optimizer
  function train(lean: boolean): { values: number[][]; leaked: number; joint: number } {
    setLeanGradients(lean);
    tf.setBackend('torch');
    const x = rand(1, [2, 7, 7, 3]) as tf.Tensor4D;
    const w1 = tf.variable(rand(2, [3, 3, 3, 4]));
    const w2 = tf.variable(rand(3, [3, 3, 4, 4]));
    const w3 = tf.variable(rand(4, [3, 3, 4, 5]));
    const fc = tf.variable(rand(5, [5, 3]));
    const labels = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
    const before = tf.memory().numTensors;
    const opt = tf.train.momentum(0.1, 0.9);
    const losses: number[] = [];
    const { joint } = countJoint(() => {
      for (let i = 0; i < 2; i++) {
        const loss = opt.minimize(() => {
          const h = tf.relu(tf.conv2d(x, w1 as unknown as tf.Tensor4D, 1, 'same'));
          const r = tf.relu(tf.add(tf.conv2d(h, w2 as unknown as tf.Tensor4D, 1, 'same'), h));
          const s = tf.relu(tf.conv2d(r as tf.Tensor4D, w3 as unknown as tf.Tensor4D, 2, 'same'));
          return tf.losses.softmaxCrossEntropy(labels, tf.matMul(tf.mean(s, [1, 2]), fc)) as tf.Scalar;
        }, true);
        losses.push(loss!.dataSync()[0]);
        loss!.dispose();
      }
    });
    const values = [losses, ...[w1, w2, w3, fc].map((t) => Array.from(t.dataSync()))];
    opt.dispose();
    tf.dispose([w1, w2, w3, fc]);
    const leaked = tf.memory().numTensors - before;
    tf.dispose([x, labels]);
    return { values, leaked, joint };
  }

  it('gives the gradients of the separate calls, uses one call where both are needed, and leaks nothing', () => {
    const separate = train(false);
    const joint = train(true);
    expect(separate.joint).toBe(0);
    expect(joint.joint).toBe(4); // conv2 and conv3, two steps; conv1's input needs no gradient
    separate.values.forEach((v, i) => expect(maxRelErr(joint.values[i], v, 1e-5, 1e-4)).toBeLessThanOrEqual(1));
    expect(joint.leaked).toBe(separate.leaked);
    expect(joint.leaked).toBeLessThanOrEqual(0);
  });

  it('leaves the separate path to convolutions whose filter is not differentiated', () => {
    setLeanGradients(true);
    tf.setBackend('torch');
    const x = rand(6, [1, 5, 5, 2]) as tf.Tensor4D;
    const w = rand(7, [3, 3, 2, 2]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const { result, joint } = countJoint(() => tf.grads((a: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, w, 1, 'same'))))([x]));
    expect(joint).toBe(0);
    setLeanGradients(false);
    const ref = tf.grads((a: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, w, 1, 'same'))))([x]);
    expect(Array.from(result[0].dataSync())).toEqual(Array.from(ref[0].dataSync()));
    tf.dispose([...result, ...ref]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});
