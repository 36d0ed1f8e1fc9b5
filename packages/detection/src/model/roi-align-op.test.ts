import { selectBackend, tf } from '@dilo/core';
import { roiAlign, roiAlignGrad } from './roi-align';
import { roiAlignOp } from './roi-align-op';

test('roiAlignOp: forward and tfjs gradient are the host kernels (the feature map gets roiAlignGrad of dy)', async () => {
  await selectBackend({ backend: 'cpu', log: false });
  const shape = { n: 2, h: 5, w: 6, c: 3 };
  const feat = Float32Array.from({ length: 2 * 5 * 6 * 3 }, (_, i) => Math.sin(i));
  const rois = [0, 3, 4, 40, 50, 1, 10, 0, 90, 70];
  const o = { outH: 2, outW: 3, spatialScale: 1 / 16, samplingRatio: 0, aligned: true };
  const x = tf.tensor4d(feat, [2, 5, 6, 3]);
  const dy = tf.tensor4d(Float32Array.from({ length: 2 * 2 * 3 * 3 }, (_, i) => Math.cos(i)), [2, 2, 3, 3]);
  const y = roiAlignOp(x, rois, o);
  const want = roiAlign(feat, shape, rois, o);
  Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(roiAlignOp(t as tf.Tensor4D, rois, o), dy)))(x);
  const wantG = roiAlignGrad(dy.dataSync(), shape, rois, o);
  Array.from(g.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(wantG[i]!, 5));
  expect(Array.from(wantG).some((v) => v !== 0)).toBe(true);
});
