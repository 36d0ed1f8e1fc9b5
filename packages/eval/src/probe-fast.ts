/**
 * Fast linear probe on cached features: standardised features, multinomial logistic regression
 * (softmax cross-entropy + L2 weight decay) solved with L-BFGS. The weight decay is chosen on a
 * stratified held-out split of the training set (best held-out top-1, ties to the lower held-out
 * loss), then the model is refit on the whole training set and evaluated once on the test set.
 *
 * The objective matches scikit-learn's LogisticRegression(multinomial, lbfgs) with
 * C = 1 / (wd * N): sklearn minimises C * sum CE + ||W||^2 / 2.
 */
import type { FeatureSet } from './features';
import { lbfgs } from './lbfgs';
import { accuracy, numClasses, type Accuracy } from './metrics';
import { linearScores, packParams, softmaxCrossEntropy, unpackParams, type LinearModel } from './softmax';
import { stratifiedSplit } from './split';
import { allRows, applyStandardizer, fitStandardizer, type Standardizer } from './standardize';

export const DEFAULT_WD_GRID = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];

export interface FastProbeOptions {
  wdGrid?: number[];
  /** fraction of the training set held out for the weight-decay search */
  holdout?: number;
  seed?: number;
  maxIter?: number;
  onStep?: (event: { phase: 'search' | 'refit'; wd: number; heldOutTop1?: number }) => void;
}

export interface WdTrial {
  wd: number;
  heldOutTop1: number;
  heldOutLoss: number;
  iterations: number;
}

export interface FastProbeResult extends Accuracy {
  method: 'lbfgs-logreg';
  wd: number;
  search: WdTrial[];
  trainTop1: number;
  iterations: number;
  converged: boolean;
  /** the classifier on raw (unstandardised) features: used for CAM */
  model: LinearModel;
  standardizer: Standardizer;
  /** the split used for the search (row indices of the training set) */
  split: { fit: number[]; heldOut: number[] };
  /** [n_test, C] scores */
  scores: Float64Array;
}

export interface FitResult {
  model: LinearModel;
  iterations: number;
  converged: boolean;
  loss: number;
}

/** Multinomial logistic regression on already standardised X over `rows`. */
export function fitLogistic(X: Float32Array, y: Int32Array, C: number, D: number, wd: number, rows: number[], opts: { init?: LinearModel; maxIter?: number } = {}): FitResult {
  const x0 = opts.init ? packParams(opts.init) : new Float64Array(C * D + C);
  const X64 = Float64Array.from(X); // all-double inner loops are faster in V8 than mixed float/double
  const rowIdx = Int32Array.from(rows);
  const r = lbfgs((p, g) => softmaxCrossEntropy(p, g, X64, y, C, D, wd, rowIdx), x0, { maxIter: opts.maxIter ?? 500, gtol: 1e-6, ftol: 1e-12 });
  return { model: unpackParams(r.x, C, D), iterations: r.iterations, converged: r.converged, loss: r.f };
}

/** Fold a standardiser into the weights: scores on raw features equal scores on standardised ones. */
export function foldStandardizer(m: LinearModel, s: Standardizer): LinearModel {
  const { numClasses: C, dim: D } = m;
  const weight = new Float64Array(C * D);
  const bias = Float64Array.from(m.bias);
  for (let c = 0; c < C; c++) {
    for (let j = 0; j < D; j++) {
      weight[c * D + j] = m.weight[c * D + j] / s.std[j];
      bias[c] -= (m.weight[c * D + j] * s.mean[j]) / s.std[j];
    }
  }
  return { numClasses: C, dim: D, weight, bias };
}

export function fastLinearProbe(train: FeatureSet, test: FeatureSet, opts: FastProbeOptions = {}): FastProbeResult {
  if (train.d !== test.d) throw new RangeError(`train features have d=${train.d}, test features d=${test.d}`);
  const grid = [...(opts.wdGrid ?? DEFAULT_WD_GRID)].sort((a, b) => b - a); // strong to weak: warm starts
  if (grid.length === 0 || grid.some((w) => !(w >= 0))) throw new RangeError('weight-decay grid must hold non-negative numbers');
  const C = numClasses(train, test);
  const D = train.d;
  const split = stratifiedSplit(train.labels, opts.holdout ?? 0.2, opts.seed ?? 0);
  const sFit = fitStandardizer(train.data, D, split.fit);
  const Xs = applyStandardizer(sFit, train.data, train.n, D);
  const search: WdTrial[] = [];
  let init: LinearModel | undefined;
  for (const wd of grid) {
    const fit = fitLogistic(Xs, train.labels, C, D, wd, split.fit, { init, maxIter: opts.maxIter });
    init = fit.model;
    const heldX = new Float32Array(split.heldOut.length * D);
    split.heldOut.forEach((r, i) => heldX.set(Xs.subarray(r * D, (r + 1) * D), i * D));
    const heldY = Int32Array.from(split.heldOut.map((r) => train.labels[r]));
    const sc = linearScores(fit.model, heldX, split.heldOut.length);
    const heldOutLoss = softmaxCrossEntropy(packParams(fit.model), null, heldX, heldY, C, D, 0);
    const trial = { wd, heldOutTop1: accuracy(sc, heldY, C).top1, heldOutLoss, iterations: fit.iterations };
    search.push(trial);
    opts.onStep?.({ phase: 'search', wd, heldOutTop1: trial.heldOutTop1 });
  }
  const best = search.reduce((a, b) => (b.heldOutTop1 > a.heldOutTop1 || (b.heldOutTop1 === a.heldOutTop1 && b.heldOutLoss < a.heldOutLoss) ? b : a));
  opts.onStep?.({ phase: 'refit', wd: best.wd });
  const rows = allRows(train.n).filter((i) => train.labels[i] >= 0);
  const sAll = fitStandardizer(train.data, D, rows);
  const Xa = applyStandardizer(sAll, train.data, train.n, D);
  const fit = fitLogistic(Xa, train.labels, C, D, best.wd, rows, { maxIter: opts.maxIter });
  const model = foldStandardizer(fit.model, sAll);
  const scores = linearScores(model, test.data, test.n);
  const trainScores = linearScores(model, train.data, train.n);
  return {
    method: 'lbfgs-logreg',
    ...accuracy(scores, test.labels, C),
    wd: best.wd,
    search: search.sort((a, b) => a.wd - b.wd),
    trainTop1: accuracy(trainScores, train.labels, C).top1,
    iterations: fit.iterations,
    converged: fit.converged,
    model,
    standardizer: sAll,
    split,
    scores,
  };
}
