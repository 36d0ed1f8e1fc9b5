import { selectBackend, tf } from '@dilo/core';
import { softmaxCrossEntropy, weightedBceWithLogits, weightedSmoothL1 } from '../model/losses';
import { resizedSize } from './data';
import { learningRateAt, vocSchedule } from './schedule';

beforeAll(async () => {
  await selectBackend({ backend: 'cpu', log: false });
});

test('losses equal their definitions on hand-computed values', () => {
  // BCE(x=2, y=1) = log(1 + e^-2); BCE(x=-1, y=0) = log(1 + e^-1); the third is masked out
  const bce = weightedBceWithLogits(tf.tensor1d([2, -1, 5]), tf.tensor1d([1, 0, 0]), tf.tensor1d([1, 1, 0])).dataSync()[0]!;
  expect(bce).toBeCloseTo(Math.log(1 + Math.exp(-2)) + Math.log(1 + Math.exp(-1)), 6);
  // |d| = 0.5 and 2: beta 0 -> 2.5; beta 1 -> 0.5 * 0.25 + (2 - 0.5) = 1.625
  const x = tf.tensor1d([1.5, 3]);
  const t = tf.tensor1d([1, 1]);
  const w = tf.tensor1d([1, 1]);
  expect(weightedSmoothL1(x, t, w, 0).dataSync()[0]).toBeCloseTo(2.5, 6);
  expect(weightedSmoothL1(x, t, w, 1).dataSync()[0]).toBeCloseTo(1.625, 6);
  // rows [0, 0] -> log 2 each; mean over 2 rows
  const ce = softmaxCrossEntropy(tf.tensor2d([0, 0, 1, 3], [2, 2]), tf.tensor2d([1, 0, 0, 1], [2, 2])).dataSync()[0]!;
  expect(ce).toBeCloseTo((Math.log(2) + Math.log(1 + Math.exp(-2))) / 2, 6);
});

test('WarmupMultiStepLR at the VOC recipe (24k: warmup 100, x0.1 at 18k and 22k)', () => {
  const s = vocSchedule(24000, 0.02, 100);
  expect(s.steps).toEqual([18000, 22000]);
  expect(learningRateAt(s, 0)).toBeCloseTo(0.02 * 0.001, 12);
  expect(learningRateAt(s, 50)).toBeCloseTo(0.02 * (0.001 * 0.5 + 0.5), 12);
  expect(learningRateAt(s, 100)).toBeCloseTo(0.02, 12);
  expect(learningRateAt(s, 17999)).toBeCloseTo(0.02, 12);
  expect(learningRateAt(s, 18000)).toBeCloseTo(0.002, 12);
  expect(learningRateAt(s, 22000)).toBeCloseTo(0.0002, 12);
});

test('ResizeShortestEdge sizes (short side, long side capped)', () => {
  expect(resizedSize(375, 500, 800, 1333)).toEqual({ height: 800, width: 1067, scale: 800 / 375 });
  expect(resizedSize(200, 1000, 800, 1333)).toEqual({ height: 267, width: 1333, scale: 1.333 });
});
