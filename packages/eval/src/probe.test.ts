import * as path from 'node:path';
import { imageFolder, Rng } from '@dilo/core';
import type { FeatureSet } from './features';
import { lbfgs } from './lbfgs';
import { fastLinearProbe, fitLogistic, foldStandardizer } from './probe-fast';
import { mocoLinearProbe, stepLr } from './probe-moco';
import { mocoLinearProbeImages } from './probe-moco-images';
import { randomConvExtractor } from './baselines';
import { linearScores, softmaxCrossEntropy } from './softmax';
import { stratifiedSplit } from './split';
import { applyStandardizer, fitStandardizer } from './standardize';
import { tempDir, writeTinyFolder } from './test-helpers';

/** Gaussian blobs: class c centred at `sep` * e_c (+ an offset to make standardisation matter). */
function blobs(n: number, C: number, D: number, sep: number, seed: number): FeatureSet {
  const rng = new Rng(seed);
  const data = new Float32Array(n * D);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % C;
    labels[i] = c;
    for (let j = 0; j < D; j++) data[i * D + j] = 5 + (j === c ? sep : 0) + rng.normal() * (1 + j);
  }
  return { n, d: D, data, labels, classes: Array.from({ length: C }, (_, c) => `c${c}`) };
}

describe('softmax cross-entropy', () => {
  it('gradient matches central finite differences (weights, bias, weight decay)', () => {
    const rng = new Rng(7);
    const C = 4, D = 5, n = 9, wd = 0.3;
    const X = Float32Array.from({ length: n * D }, () => rng.normal());
    const y = Int32Array.from({ length: n }, () => rng.int(C));
    const p = Float64Array.from({ length: C * D + C }, () => rng.normal());
    const g = new Float64Array(p.length);
    softmaxCrossEntropy(p, g, X, y, C, D, wd);
    const h = 1e-6;
    let maxErr = 0;
    for (let k = 0; k < p.length; k++) {
      const a = Float64Array.from(p);
      const b = Float64Array.from(p);
      a[k] += h;
      b[k] -= h;
      const fd = (softmaxCrossEntropy(a, null, X, y, C, D, wd) - softmaxCrossEntropy(b, null, X, y, C, D, wd)) / (2 * h);
      maxErr = Math.max(maxErr, Math.abs(fd - g[k]));
    }
    expect(maxErr).toBeLessThan(1e-7);
    // and the gradient is not trivially zero
    expect(Math.max(...Array.from(g).map(Math.abs))).toBeGreaterThan(1e-2);
  });

  it('is log(C) at zero weights and stays finite for huge scores', () => {
    const X = Float32Array.from([1, 2]);
    const y = Int32Array.from([1]);
    expect(softmaxCrossEntropy(new Float64Array(3 * 2 + 3), null, X, y, 3, 2, 0)).toBeCloseTo(Math.log(3), 12);
    const p = new Float64Array(3 * 2 + 3);
    p[0] = 1e4; // class 0 wins by a mile
    expect(softmaxCrossEntropy(p, null, X, y, 3, 2, 0)).toBeCloseTo(1e4, 6);
  });
});

describe('lbfgs', () => {
  it('minimises the Rosenbrock function', () => {
    const r = lbfgs((x, g) => {
      const [a, b] = [x[0], x[1]];
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    }, Float64Array.from([-1.2, 1]), { maxIter: 1000, gtol: 1e-8 });
    expect(r.x[0]).toBeCloseTo(1, 4);
    expect(r.x[1]).toBeCloseTo(1, 4);
  });

  it('reaches a zero gradient of the regularised logistic objective', () => {
    const f = blobs(120, 3, 4, 2, 1);
    const rows = Array.from({ length: f.n }, (_, i) => i);
    const fit = fitLogistic(f.data, f.labels, 3, 4, 0.01, rows);
    expect(fit.converged).toBe(true);
    const p = new Float64Array(3 * 4 + 3);
    p.set(fit.model.weight);
    p.set(fit.model.bias, 12);
    const g = new Float64Array(p.length);
    softmaxCrossEntropy(p, g, f.data, f.labels, 3, 4, 0.01);
    expect(Math.max(...Array.from(g).map(Math.abs))).toBeLessThan(1e-5);
  });
});

describe('stratifiedSplit', () => {
  it('holds out the fraction per class, deterministically', () => {
    const labels = Int32Array.from([...Array(50).fill(0), ...Array(30).fill(1), -1]);
    const a = stratifiedSplit(labels, 0.2, 3);
    expect(a.heldOut.filter((i) => labels[i] === 0)).toHaveLength(10);
    expect(a.heldOut.filter((i) => labels[i] === 1)).toHaveLength(6);
    expect(a.fit.length + a.heldOut.length).toBe(80);
    expect(stratifiedSplit(labels, 0.2, 3)).toEqual(a);
    expect(stratifiedSplit(labels, 0.2, 4)).not.toEqual(a);
  });
});

describe('fastLinearProbe', () => {
  it('learns separable blobs, searches the grid, and folds standardisation into raw-feature weights', () => {
    const train = blobs(300, 3, 6, 4, 1);
    const test = blobs(150, 3, 6, 4, 2);
    const r = fastLinearProbe(train, test, { wdGrid: [1e-4, 1e-2, 1] });
    expect(r.top1).toBeGreaterThan(0.9);
    expect(r.top5).toBe(1);
    expect(r.search.map((s) => s.wd)).toEqual([1e-4, 1e-2, 1]);
    // a huge weight decay underfits: its held-out loss is worse than the chosen one
    const chosen = r.search.find((s) => s.wd === r.wd)!;
    expect(r.search.find((s) => s.wd === 1)!.heldOutLoss).toBeGreaterThan(chosen.heldOutLoss);
    // folding: raw-feature scores equal standardised-feature scores of the same fit
    const rows = Array.from({ length: train.n }, (_, i) => i);
    const s = fitStandardizer(train.data, 6, rows);
    const fit = fitLogistic(applyStandardizer(s, train.data, train.n, 6), train.labels, 3, 6, r.wd, rows);
    const a = linearScores(fit.model, applyStandardizer(s, test.data, test.n, 6), test.n);
    const b = linearScores(foldStandardizer(fit.model, s), test.data, test.n);
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 4);
  });

  it('is near chance on random labels', () => {
    const train = blobs(300, 3, 6, 0, 1);
    const test = blobs(300, 3, 6, 0, 2);
    expect(fastLinearProbe(train, test, { wdGrid: [1e-2] }).top1).toBeLessThan(0.5);
  });
});

describe('MoCo-protocol probe', () => {
  it('steps the learning rate x0.1 at the milestones', () => {
    expect([0, 59, 60, 79, 80, 99].map((e) => stepLr(30, e, [60, 80]))).toEqual([30, 30, 3, 3, 0.30000000000000004, 0.30000000000000004]);
  });

  it('learns separable blobs on features with the protocol defaults, deterministically', () => {
    const train = blobs(600, 3, 6, 4, 1);
    const test = blobs(150, 3, 6, 4, 2);
    const r = mocoLinearProbe(train, test, { epochs: 10, lr: 0.1 });
    const reference = fastLinearProbe(train, test, { wdGrid: [1e-3] }).top1;
    expect(r.history).toHaveLength(10);
    expect(r.history[9].lr).toBeCloseTo(0.001, 10);
    expect(r.history[9].loss).toBeLessThan(r.history[0].loss);
    expect(r.top1).toBeGreaterThan(reference - 0.06);
    expect(mocoLinearProbe(train, test, { epochs: 10, lr: 0.1 }).scores).toEqual(r.scores);
  });

  it('trains on augmented images through an extractor', async () => {
    const dir = await tempDir();
    await writeTinyFolder(path.join(dir, 'tr'), ['a', 'b', 'c'], 6, 16, 1);
    await writeTinyFolder(path.join(dir, 'te'), ['a', 'b', 'c'], 3, 16, 2);
    const ex = randomConvExtractor({ channels: 8, kernel: 3 });
    const opts = { crop: 12, epochs: 4, batchSize: 6, lr: 1, store: null, progress: false };
    const [tr, te] = [await imageFolder(path.join(dir, 'tr')), await imageFolder(path.join(dir, 'te'))];
    const r = await mocoLinearProbeImages(ex, tr, te, opts);
    expect(r.history).toHaveLength(4);
    expect(r.n).toBe(9);
    expect(Number.isFinite(r.history[3].loss)).toBe(true);
    expect((await mocoLinearProbeImages(ex, tr, te, opts)).scores).toEqual(r.scores);
  });
});
