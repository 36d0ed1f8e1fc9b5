/**
 * The MoCo linear-evaluation protocol (facebookresearch/moco main_lincls.py): a new fc layer
 * (weights N(0, 0.01), bias 0) on the frozen encoder, SGD lr 30, momentum 0.9, weight decay 0,
 * batch 256, 100 epochs, lr x0.1 at epochs 60 and 80 (milestones scale with --epochs).
 * Two drivers share the SGD loop: on cached features (no augmentation), and on images through a
 * FeatureExtractor with RandomResizedCrop + horizontal flip for training (probe-moco-images.ts).
 */
import { Rng } from '@dilo/core';
import type { FeatureSet } from './features';
import { accuracy, numClasses, type Accuracy } from './metrics';
import { linearScores, softmaxCrossEntropy, unpackParams, type LinearModel } from './softmax';

export interface MocoProbeOptions {
  epochs?: number;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  batchSize?: number;
  /** epochs at which lr is multiplied by 0.1 (default: 60% and 80% of the epochs, i.e. 60/80 of 100) */
  milestones?: number[];
  seed?: number;
  onEpoch?: (e: EpochLog) => void;
}

export interface EpochLog {
  epoch: number;
  lr: number;
  loss: number;
  trainTop1: number;
  testTop1?: number;
}

export interface MocoProbeResult extends Accuracy {
  method: 'moco-sgd';
  epochs: number;
  history: EpochLog[];
  model: LinearModel;
  scores: Float64Array;
}

export function resolveMocoOptions(o: MocoProbeOptions) {
  const epochs = o.epochs ?? 100;
  return {
    epochs,
    lr: o.lr ?? 30,
    momentum: o.momentum ?? 0.9,
    weightDecay: o.weightDecay ?? 0,
    batchSize: o.batchSize ?? 256,
    milestones: o.milestones ?? [Math.round(epochs * 0.6), Math.round(epochs * 0.8)],
    seed: o.seed ?? 0,
  };
}

/** Learning rate of an epoch under step decay (x0.1 at each milestone reached). */
export function stepLr(base: number, epoch: number, milestones: number[]): number {
  return base * Math.pow(0.1, milestones.filter((m) => epoch >= m).length);
}

/** SGD with momentum on a linear softmax classifier, PyTorch semantics (v = mu v + g; p -= lr v). */
export class LinearSgd {
  readonly params: Float64Array;
  private readonly velocity: Float64Array;
  private readonly grad: Float64Array;

  constructor(
    readonly numClasses: number,
    readonly dim: number,
    private readonly momentum: number,
    private readonly weightDecay: number,
    seed: number,
  ) {
    const rng = new Rng(seed, ['eval', 'moco-probe', 'fc-init']);
    this.params = new Float64Array(numClasses * dim + numClasses);
    for (let k = 0; k < numClasses * dim; k++) this.params[k] = rng.normal(0, 0.01);
    this.velocity = new Float64Array(this.params.length);
    this.grad = new Float64Array(this.params.length);
  }

  /** One step on a batch X [n, D]; returns the batch's mean loss (before the step). */
  step(X: Float32Array, y: Int32Array, lr: number): number {
    const loss = softmaxCrossEntropy(this.params, this.grad, X, y, this.numClasses, this.dim, this.weightDecay);
    for (let k = 0; k < this.params.length; k++) {
      this.velocity[k] = this.momentum * this.velocity[k] + this.grad[k];
      this.params[k] -= lr * this.velocity[k];
    }
    return loss;
  }

  model(): LinearModel {
    return unpackParams(this.params, this.numClasses, this.dim);
  }
}

/** The MoCo probe on fixed (cached) features: no augmentation possible, everything else as the protocol. */
export function mocoLinearProbe(train: FeatureSet, test: FeatureSet, opts: MocoProbeOptions = {}): MocoProbeResult {
  const o = resolveMocoOptions(opts);
  const C = numClasses(train, test);
  const D = train.d;
  const sgd = new LinearSgd(C, D, o.momentum, o.weightDecay, o.seed);
  const rows = Array.from({ length: train.n }, (_, i) => i).filter((i) => train.labels[i] >= 0);
  const history: EpochLog[] = [];
  const X = new Float32Array(o.batchSize * D);
  const Y = new Int32Array(o.batchSize);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const lr = stepLr(o.lr, epoch, o.milestones);
    const perm = new Rng(o.seed, ['eval', 'moco-probe', 'epoch', epoch]).shuffle([...rows]);
    let lossSum = 0;
    for (let start = 0; start < perm.length; start += o.batchSize) {
      const idx = perm.slice(start, start + o.batchSize);
      idx.forEach((r, i) => {
        X.set(train.data.subarray(r * D, (r + 1) * D), i * D);
        Y[i] = train.labels[r];
      });
      lossSum += sgd.step(X.subarray(0, idx.length * D), Y.subarray(0, idx.length), lr) * idx.length;
    }
    const log: EpochLog = { epoch: epoch + 1, lr, loss: lossSum / perm.length, trainTop1: accuracy(linearScores(sgd.model(), train.data, train.n), train.labels, C).top1 };
    history.push(log);
    opts.onEpoch?.(log);
  }
  const model = sgd.model();
  const scores = linearScores(model, test.data, test.n);
  return { method: 'moco-sgd', ...accuracy(scores, test.labels, C), epochs: o.epochs, history, model, scores };
}
