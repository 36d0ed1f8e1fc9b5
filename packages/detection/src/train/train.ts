import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { DiloInputError, DiloUsageError, JsonlLog, Progress, Rng, type SkipCounts, SkipReport, tf } from '@dilo/core';
import { type ResNetArch, Sgd } from '@dilo/contrastive';
import { defaultDetectorConfig, FasterRcnn } from '../model/faster-rcnn';
import { lastDetectorCheckpoint, loadDetector, saveDetector } from './checkpoint';
import { batchTensor, type DetectionData, dropUnreadableImages, loadDetectionData, prepareImage, trainingBatch } from './data';
import { initialBackbone, parseInit } from './init';
import { learningRateAt, vocSchedule } from './schedule';

export interface DetectTrainConfig {
  /** voc:DIR[:SPLIT] or coco:JSON:IMAGES */
  data: string;
  /** RUN | FILE.dckpt | random | imagenet:FILE */
  init: string;
  arch?: ResNetArch;
  width?: number;
  iters: number;
  /** images per step (detectron2's recipe: 16 over 8 GPUs; 1-2 on a CPU) */
  batch: number;
  /** training short sides, one drawn per image (VOC recipe: 480..800 step 32) */
  shortSides: number[];
  maxSize: number;
  /** random horizontal flip (detectron2's default augmentation); off for overfitting checks */
  flip: boolean;
  /** base lr for this batch (recipe: 0.02 at batch 16, scaled linearly) */
  lr: number;
  warmupIters: number;
  weightDecay: number;
  momentum: number;
  rpnBatchPerImage: number;
  roiBatchPerImage: number;
  freezeAt: number;
  /** RPN proposals kept after NMS in training / at test time (detectron2: 2000 / 1000) */
  trainProposals: number;
  testProposals: number;
  seed: number;
  checkpointEvery: number;
  /** images used to calibrate BN statistics of a random backbone */
  calibrationImages: number;
}

export const VOC_SHORT_SIDES = [480, 512, 544, 576, 608, 640, 672, 704, 736, 768, 800];

export function resolveTrainConfig(c: Partial<DetectTrainConfig> & Pick<DetectTrainConfig, 'data' | 'init' | 'iters'>): DetectTrainConfig {
  const batch = c.batch ?? 2;
  return {
    batch,
    shortSides: VOC_SHORT_SIDES,
    maxSize: 1333,
    flip: true,
    lr: (0.02 * batch) / 16,
    warmupIters: 100,
    weightDecay: 1e-4,
    momentum: 0.9,
    rpnBatchPerImage: 256,
    roiBatchPerImage: 512,
    freezeAt: 2,
    trainProposals: 2000,
    testProposals: 1000,
    seed: 0,
    checkpointEvery: 500,
    calibrationImages: 8,
    ...c,
  };
}

export interface TrainResult {
  run: string;
  iters: number;
  startIter: number;
  seconds: number;
  /** CPU seconds of this process over the loop (user + system): the wall time it would take alone on one core, roughly */
  cpuSeconds: number;
  /** training images per second over this invocation (data loading included) */
  imgPerSec: number;
  lastLoss: number;
  checkpoint: string;
  /** images trained on and inputs left out (one `skip` line each on stderr) */
  inputs: SkipCounts;
}

export interface TrainHooks {
  /** no progress output */
  quiet?: boolean;
  /** stop after this many iterations of this invocation (tests of resume) */
  stopAfter?: number;
  /** where left-out inputs are reported (default: stderr) */
  skips?: SkipReport;
}

export class DetectorDivergedError extends Error {}

/** Fine-tune Faster R-CNN C4 (see docs/reproduction.md, Detection). Resumes from RUN/checkpoints/last.dckpt when resume is set. */
export async function trainDetector(run: string, cfgIn: DetectTrainConfig | null, opts: { resume: boolean; iters?: number } & TrainHooks): Promise<TrainResult> {
  const ckpt = lastDetectorCheckpoint(run);
  const skips = opts.skips ?? new SkipReport();
  let model: FasterRcnn;
  let cfg: DetectTrainConfig;
  let start = 0;
  let data: DetectionData;
  const sgd = new Sgd({ momentum: 0, weightDecay: 0 });
  if (opts.resume) {
    if (!existsSync(ckpt)) throw new DiloInputError(run, 'nothing to resume: no checkpoints/last.dckpt');
    const loaded = await loadDetector(ckpt);
    model = loaded.model;
    cfg = { ...(loaded.state.train as unknown as DetectTrainConfig), ...(opts.iters !== undefined ? { iters: opts.iters } : {}) };
    start = loaded.state.step;
    data = await dropUnreadableImages(loadDetectionData(cfg.data, skips), skips);
    for (const [n, t] of loaded.momentum) sgd.buffers.set(n, tf.variable(t, false));
  } else {
    if (!cfgIn) throw new Error('trainDetector: a config is needed unless resuming');
    cfg = cfgIn;
    if (existsSync(ckpt)) throw new DiloUsageError(`${run} already holds a detector checkpoint; pass --resume to continue it or choose another --out`);
    data = await dropUnreadableImages(loadDetectionData(cfg.data, skips), skips);
    const bb = await initialBackbone(parseInit(cfg.init), { arch: cfg.arch, width: cfg.width });
    const dc = { ...defaultDetectorConfig(bb.config, data.classNames.length), rpnBatchPerImage: cfg.rpnBatchPerImage, roiBatchPerImage: cfg.roiBatchPerImage, freezeAt: cfg.freezeAt };
    dc.rpnTrain = { ...dc.rpnTrain, postNmsTopk: cfg.trainProposals };
    dc.rpnTest = { ...dc.rpnTest, postNmsTopk: cfg.testProposals };
    if (bb.config.smallStem) dc.anchors = { ...dc.anchors, stride: 4 };
    model = new FasterRcnn(dc, new Rng(cfg.seed, ['detector']), bb.params ?? undefined);
    if (bb.calibrate) calibrate(model, await calibrationBatch(data, cfg));
  }
  (sgd.opts as { momentum: number; weightDecay: number }).momentum = cfg.momentum;
  (sgd.opts as { momentum: number; weightDecay: number }).weightDecay = cfg.weightDecay;
  const records = data.records.filter((r) => r.classes.length > 0);
  if (!records.length) throw new DiloInputError(cfg.data, `no image with a (non-crowd) box to train on${skips.skipped ? ` (${skips.skipped} input(s) skipped)` : ''}`);
  skips.processed = records.length;
  mkdirSync(path.join(run, 'checkpoints'), { recursive: true });
  const log = new JsonlLog(path.join(run, 'metrics.jsonl'));
  log.write(opts.resume ? 'resume' : 'start', { step: start, config: cfg, detector: model.config, images: records.length, classes: data.classNames.length });
  const schedule = vocSchedule(cfg.iters, cfg.lr, cfg.warmupIters);
  const rng = new Rng(cfg.seed, ['detect-train']);
  const vars = model.trainable();
  const byTfName = new Map([...vars].map(([n, v]) => [v.name, n]));
  const end = opts.stopAfter !== undefined ? Math.min(cfg.iters, start + opts.stopAfter) : cfg.iters;
  const progress = new Progress({ label: 'detect train', total: Math.max(0, end - start), silent: opts.quiet });
  const save = (step: number) =>
    saveDetector(ckpt, model, sgd, { config: model.config, classNames: data.classNames, categoryIds: data.categoryIds, step, train: cfg as unknown as Record<string, unknown> });
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  let lastLoss = NaN;
  let images = 0;
  for (let it = start; it < end; it++) {
    const batch = await trainingBatch(records, it, cfg.batch, cfg.shortSides, cfg.maxSize, cfg.flip !== false, rng.stream('data'));
    const x = batchTensor(batch);
    const lr = learningRateAt(schedule, it);
    const parts: Record<string, number> = {};
    const { value, grads } = tf.variableGrads(() => {
      const l = model.losses(x, batch.map((b) => b.target), rng.stream('sample', it));
      for (const [k, v] of Object.entries(l)) parts[k] = (v as tf.Scalar).dataSync()[0]!;
      return tf.addN(Object.values(l)) as tf.Scalar;
    }, [...vars.values()]);
    const loss = value.dataSync()[0]!;
    const named = new Map(Object.entries(grads).map(([k, g]) => [byTfName.get(k)!, g]));
    if (!Number.isFinite(loss)) {
      tf.dispose([x, value, ...Object.values(grads)]);
      log.write('diverged', { iter: it, loss, parts });
      throw new DetectorDivergedError(`detect train: loss is ${loss} at iteration ${it} (${JSON.stringify(parts)}); the last checkpoint is ${ckpt}`);
    }
    sgd.step(vars, named, lr);
    tf.dispose([x, value, ...Object.values(grads)]);
    images += batch.length;
    lastLoss = loss;
    const sec = (Date.now() - t0) / 1000;
    log.write('iter', { iter: it + 1, lr, loss, ...parts, short: batch.map((b) => Math.min(b.height, b.width)), imgPerSec: images / sec });
    progress.tick(1, { loss, lr, 'img/s': images / sec });
    if ((it + 1) % cfg.checkpointEvery === 0 || it + 1 === end) await save(it + 1);
  }
  if (end === start && !existsSync(ckpt)) await save(start);
  progress.stop();
  const seconds = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const result = { run, iters: end, startIter: start, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, imgPerSec: seconds > 0 ? images / seconds : 0, lastLoss, checkpoint: ckpt, inputs: skips.counts() };
  log.write('end', { ...result });
  sgd.dispose();
  model.dispose();
  return result;
}

async function calibrationBatch(data: DetectionData, cfg: DetectTrainConfig) {
  const rng = new Rng(cfg.seed, ['calibrate']);
  const recs = data.records.filter((r) => r.classes.length > 0);
  const pick = rng.permutation(recs.length).slice(0, Math.max(1, cfg.calibrationImages));
  const short = cfg.shortSides[Math.floor(cfg.shortSides.length / 2)]!;
  return Promise.all(pick.map((i) => prepareImage(recs[i]!, short, cfg.maxSize, false)));
}

/** BN statistics of a random backbone from training images: the trunk on the images, res5 on their gt-box ROI features. */
function calibrate(model: FasterRcnn, images: Awaited<ReturnType<typeof calibrationBatch>>): void {
  // One image at a time would give per-image statistics; the padded batch gives pooled ones.
  const x = batchTensor(images);
  model.calibrateBatchNorm(x, images.map((im) => im.target));
  x.dispose();
}
