import { SaliencyEvaluator } from './evaluator';
import { fMeasure, thresholdCounts, prCurve, adaptiveThreshold } from './fmeasure';
import { eMeasureBinary, eMeasureFromCounts, sMeasure } from './region';
import type { GrayImage } from '@dilo/core';

const img = (w: number, h: number, v: number[]): GrayImage => ({ width: w, height: h, data: Uint8Array.from(v) });

describe('F-measure pieces', () => {
  it('F with beta^2 = 0.3', () => {
    expect(fMeasure(1, 1)).toBeCloseTo(1);
    expect(fMeasure(0.5, 1)).toBeCloseTo(0.65 / 1.15, 12);
    expect(fMeasure(0, 0)).toBe(0);
  });
  it('threshold counts and PR curve (pred >= t is foreground)', () => {
    const c = thresholdCounts(Uint8Array.from([255, 128, 0, 0]), Uint8Array.from([1, 0, 0, 0]));
    expect([c.tp[0], c.fp[0]]).toEqual([1, 3]);
    expect([c.tp[128], c.fp[128]]).toEqual([1, 1]);
    expect([c.tp[129], c.fp[129]]).toEqual([1, 0]);
    const { precision, recall } = prCurve(c);
    expect(precision[0]).toBeCloseTo(0.25);
    expect(precision[100]).toBeCloseTo(0.5);
    expect(precision[200]).toBeCloseTo(1);
    expect(recall[255]).toBeCloseTo(1);
    expect(adaptiveThreshold(Uint8Array.from([255, 128, 0, 0]))).toBeCloseTo((2 * 383) / 4 / 255, 12);
  });
});

describe('S-measure (hand-computed)', () => {
  it('special cases: empty and full ground truth, perfect map', () => {
    expect(sMeasure(Float64Array.from([0.2, 0.4, 0, 0]), Uint8Array.from([0, 0, 0, 0]), 2, 2)).toBeCloseTo(0.85);
    expect(sMeasure(Float64Array.from([0.2, 0.4, 0, 0]), Uint8Array.from([1, 1, 1, 1]), 2, 2)).toBeCloseTo(0.15);
    const gt = Uint8Array.from([0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
    expect(sMeasure(Float64Array.from(gt), gt, 4, 3)).toBeCloseTo(1, 10);
  });
  it('a 4x1 case worked by hand: object 0.782859, region 0 -> 0.391430', () => {
    // object: x = 0.75, sigma = sqrt(0.125) on both sides -> 1.5 / (0.5625 + 1 + 0.353553)
    // region: centroid splits after column 2; both blocks have zero covariance -> 0
    expect(sMeasure(Float64Array.from([1, 0.5, 0.5, 0]), Uint8Array.from([1, 1, 0, 0]), 4, 1)).toBeCloseTo(0.5 * (1.5 / (0.5625 + 1 + Math.sqrt(0.125))), 6);
  });
});

describe('E-measure (hand-computed)', () => {
  it('a 4-pixel case: (0.924556 + 0.01 + 2 x 0.81) / 3', () => {
    const fm = Uint8Array.from([1, 1, 0, 0]);
    const gt = Uint8Array.from([1, 0, 0, 0]);
    const expected = ((1 + 0.75 / 0.8125) ** 2 / 4 + 0.01 + 2 * 0.81) / 3;
    expect(eMeasureBinary(fm, gt, 4)).toBeCloseTo(expected, 6);
    expect(eMeasureFromCounts(1, 1, 0, 2)).toBeCloseTo(expected, 6);
  });
  it('perfect match gives n / (n - 1); empty ground truth counts background agreement', () => {
    expect(eMeasureBinary(Uint8Array.from([1, 0, 0, 0]), Uint8Array.from([1, 0, 0, 0]), 4)).toBeCloseTo(4 / 3, 6);
    expect(eMeasureFromCounts(0, 1, 0, 3)).toBeCloseTo(3 / 3, 6);
  });
});

describe('SaliencyEvaluator', () => {
  it('scores one image as worked by hand', () => {
    const ev = new SaliencyEvaluator();
    const s = ev.add(img(2, 2, [255, 128, 0, 0]), img(2, 2, [255, 0, 0, 0]));
    expect(s.mae).toBeCloseTo(128 / 255 / 4, 10);
    expect(s.maxF).toBeCloseTo(1);
    expect(s.adaptiveF).toBeCloseTo(1); // threshold 0.751 keeps only the object pixel
    expect(s.E).toBeCloseTo(4 / 3, 6);
    const r = ev.result();
    const f0 = (1.3 * 0.25) / (0.3 * 0.25 + 1);
    const fMid = 0.65 / 1.15;
    expect(r.meanF).toBeCloseTo((f0 + 128 * fMid + 127) / 256, 10);
    expect(r.n).toBe(1);
  });

  it('max-F is taken on the dataset-mean PR curve, not averaged per image', () => {
    const ev = new SaliencyEvaluator();
    ev.add(img(2, 2, [255, 128, 0, 0]), img(2, 2, [255, 0, 0, 0]));
    ev.add(img(2, 2, [0, 0, 0, 255]), img(2, 2, [255, 255, 0, 0]));
    const r = ev.result();
    // mean P/R at t >= 129: P = 0.5, R = 0.5 -> F = 0.5 (per-image maxima would average to 0.75)
    expect(r.maxF).toBeCloseTo(0.5, 10);
    expect(r.mae).toBeCloseTo((128 / 255 / 4 + 3 / 4) / 2, 10);
    expect(r.n).toBe(2);
  });

  it('binarises ground truth at > 128 and refuses mismatched sizes', () => {
    const ev = new SaliencyEvaluator();
    expect(ev.add(img(2, 1, [255, 0]), img(2, 1, [129, 128])).mae).toBeCloseTo(0);
    expect(() => ev.add(img(2, 1, [0, 0]), img(1, 2, [0, 0]))).toThrow(/2x1.*1x2/);
  });
});
