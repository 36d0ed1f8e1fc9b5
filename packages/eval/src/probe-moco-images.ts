/**
 * The MoCo linear probe with its training augmentation: every epoch, each training image gets a
 * fresh RandomResizedCrop + flip (seeded by epoch and sample index), goes through the frozen
 * extractor, and the fc layer takes an SGD step per batch of 256. Testing uses the MoCo test
 * transform (resize crop/0.875, centre crop) on cached features.
 */
import { decodeImage, Rng, type Manifest, type ArtifactStore, Progress } from '@dilo/core';
import type { FeatureExtractor } from './extractor';
import { extractFeatureSet } from './extract';
import { accuracy, numClasses } from './metrics';
import { LinearSgd, resolveMocoOptions, stepLr, type EpochLog, type MocoProbeOptions, type MocoProbeResult } from './probe-moco';
import { randomResizedCropFlip } from './random-resized-crop';
import { linearScores } from './softmax';
import { mocoTestTransform, toBatch } from './transform';

export interface MocoImageProbeOptions extends MocoProbeOptions {
  /** training crop / test crop side (224 in the paper; scale down for small images) */
  crop: number;
  store?: ArtifactStore | null;
  progress?: boolean;
}

export async function mocoLinearProbeImages(extractor: FeatureExtractor, train: Manifest, test: Manifest, opts: MocoImageProbeOptions): Promise<MocoProbeResult> {
  const o = resolveMocoOptions(opts);
  const testSet = (await extractFeatureSet(test, extractor, { transform: mocoTestTransform(opts.crop), store: opts.store, progress: opts.progress === false ? false : 'probe test features' })).features;
  const trainLabels = Int32Array.from(train.samples.map((s) => s.label));
  const C = numClasses({ classes: train.classes, labels: trainLabels }, testSet);
  const rows = train.samples.map((_, i) => i).filter((i) => trainLabels[i] >= 0);
  let sgd: LinearSgd | null = null;
  const history: EpochLog[] = [];
  const progress = opts.progress === false ? null : new Progress({ label: 'moco probe (images)', total: o.epochs * rows.length });
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const lr = stepLr(o.lr, epoch, o.milestones);
      const perm = new Rng(o.seed, ['eval', 'moco-probe', 'epoch', epoch]).shuffle([...rows]);
      let lossSum = 0;
      let correct = 0;
      for (let start = 0; start < perm.length; start += o.batchSize) {
        const idx = perm.slice(start, start + o.batchSize);
        const imgs = await Promise.all(
          idx.map(async (i) => randomResizedCropFlip(await decodeImage(train.samples[i].image), opts.crop, new Rng(o.seed, ['eval', 'moco-probe', 'aug', epoch, i]))),
        );
        const out = await extractor.extract(toBatch(imgs));
        sgd ??= new LinearSgd(C, out.d, o.momentum, o.weightDecay, o.seed);
        const y = Int32Array.from(idx.map((i) => trainLabels[i]));
        // training accuracy on the augmented batch, before the step (as main_lincls logs it)
        correct += accuracy(linearScores(sgd.model(), out.pooled, idx.length), y, C).top1 * idx.length;
        lossSum += sgd.step(out.pooled, y, lr) * idx.length;
        progress?.tick(idx.length, { epoch: epoch + 1, loss: lossSum / (start + idx.length) });
      }
      const log: EpochLog = { epoch: epoch + 1, lr, loss: lossSum / perm.length, trainTop1: correct / perm.length };
      history.push(log);
      opts.onEpoch?.(log);
    }
  } finally {
    progress?.stop();
  }
  if (!sgd) throw new RangeError('no labelled training images');
  const model = sgd.model();
  const scores = linearScores(model, testSet.data, testSet.n);
  return { method: 'moco-sgd', ...accuracy(scores, testSet.labels, C), epochs: o.epochs, history, model, scores };
}
