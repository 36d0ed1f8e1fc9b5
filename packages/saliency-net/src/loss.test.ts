import { selectBackend, tf } from '@dilo/core';
import { saliencyLoss } from './loss';

beforeAll(async () => {
  await selectBackend({ backend: 'cpu', log: false });
});

test('BCE and IoU terms equal a hand computation', () => {
  // one image of 2 pixels: logits 0 and ln 3 (p = 0.5, 0.75), targets 1 and 0
  const z = tf.tensor4d([0, Math.log(3)], [1, 1, 2, 1]);
  const t = tf.tensor4d([1, 0], [1, 1, 2, 1]);
  const l = saliencyLoss(z, t);
  const bce = (-Math.log(0.5) - Math.log(1 - 0.75)) / 2;
  // inter = 0.5, union = (0.5 + 0.75 + 1) - 0.5 = 1.75
  const iou = 1 - 0.5 / 1.75;
  expect(l.bce.dataSync()[0]).toBeCloseTo(bce, 5);
  expect(l.iou.dataSync()[0]).toBeCloseTo(iou, 5);
  expect(l.total.dataSync()[0]).toBeCloseTo(bce + iou, 5);
  expect(saliencyLoss(z, t, 0.5).total.dataSync()[0]).toBeCloseTo(bce + 0.5 * iou, 5);
});

test('BCE stays finite for large logits', () => {
  const z = tf.tensor4d([80, -80, 80, -80], [1, 2, 2, 1]);
  const t = tf.tensor4d([1, 0, 0, 1], [1, 2, 2, 1]);
  const v = saliencyLoss(z, t).bce.dataSync()[0];
  expect(Number.isFinite(v)).toBe(true);
  expect(v).toBeCloseTo(40, 3); // two pixels right (0), two wrong by 80 each
});

/** central finite differences of the total loss on a fixed 2x3x3 case, against tf.grad */
function expectGradientMatchesFiniteDifferences(confidenceWeighted: boolean, fz: number, ft: number): void {
  const n = 2 * 3 * 3;
  const zs = Array.from({ length: n }, (_, i) => Math.sin(i * fz) * 2);
  const ts = Array.from({ length: n }, (_, i) => (Math.cos(i * ft) + 1) / 2);
  const target = tf.tensor4d(ts, [2, 3, 3, 1]);
  const f = (z: tf.Tensor4D): tf.Scalar => saliencyLoss(z, target, 1, confidenceWeighted).total;
  const g = tf.grad((z: tf.Tensor) => f(z as tf.Tensor4D))(tf.tensor4d(zs, [2, 3, 3, 1])).dataSync();
  const eps = 1e-2;
  for (let i = 0; i < n; i++) {
    const up = zs.slice();
    const dn = zs.slice();
    up[i] += eps;
    dn[i] -= eps;
    const fd = (f(tf.tensor4d(up, [2, 3, 3, 1])).dataSync()[0] - f(tf.tensor4d(dn, [2, 3, 3, 1])).dataSync()[0]) / (2 * eps);
    expect(Math.abs(g[i] - fd)).toBeLessThan(2e-3 + 1e-2 * Math.abs(fd));
  }
}

test('the gradient of the loss matches central finite differences', () => {
  expectGradientMatchesFiniteDifferences(false, 1.7, 0.9);
});

test('confidence weighting: each pixel BCE counts |2t - 1|, a 0.5 target not at all', () => {
  // 3 pixels: targets 1, 0.5, 0.25 (weights 1, 0, 0.5), logits 0, 2, ln 3
  const z = tf.tensor4d([0, 2, Math.log(3)], [1, 1, 3, 1]);
  const t = tf.tensor4d([1, 0.5, 0.25], [1, 1, 3, 1]);
  const bcePx = (p: number, y: number): number => -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
  const want = (1 * bcePx(0.5, 1) + 0.5 * bcePx(0.75, 0.25)) / 1.5;
  const l = saliencyLoss(z, t, 1, true);
  expect(l.bce.dataSync()[0]).toBeCloseTo(want, 5);
  // the IoU term does not change with the weighting
  expect(l.iou.dataSync()[0]).toBeCloseTo(saliencyLoss(z, t, 1, false).iou.dataSync()[0], 6);
  // changing the logit of the 0.5 pixel changes nothing
  const z2 = tf.tensor4d([0, -5, Math.log(3)], [1, 1, 3, 1]);
  expect(saliencyLoss(z2, t, 0, true).total.dataSync()[0]).toBeCloseTo(saliencyLoss(z, t, 0, true).total.dataSync()[0], 6);
});

test('the gradient of the confidence-weighted loss matches central finite differences', () => {
  expectGradientMatchesFiniteDifferences(true, 1.3, 0.7);
});
