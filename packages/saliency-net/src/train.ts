import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { DiloInputError, DiloUsageError, JsonlLog, Progress, Rng, tf, writeFileAtomic } from '@dilo/core';
import { loadParamMap, paramMapTensors, readCheckpoint, registerWasmTrainingKernels, saveCheckpoint, Sgd, toTorchLayout, torchShape, type CheckpointTensor } from '@dilo/contrastive';
import { SALIENCY_NET_FILE, type SaliencyNetRunInfo } from '@dilo/saliency';
import { UNet, UNET_DEFAULTS, unetStride, type UNetConfig } from './unet';
import { saliencyLoss } from './loss';
import { batchArrays, IMAGENET_MEAN, IMAGENET_STD, keepMostConfident, type PseudoMaskedSet } from './pseudo-set';
import { unetToOnnx } from './onnx-export';
import { drawNoisePlan, noisyBatchArrays, STUDENT_NOISE, type StudentNoiseConfig } from './student-noise';

/** Everything that defines a training run (saved in its checkpoint; --resume must match it). */
export interface SaliencyNetConfig {
  unet: UNetConfig;
  /** square input side, pixels (a multiple of 2^(levels-1)) */
  size: number;
  epochs: number;
  batch: number;
  /** peak learning rate of SGD (momentum, cosine decay to 0 over all steps, linear warm-up) */
  lr: number;
  warmupSteps: number;
  momentum: number;
  weightDecay: number;
  iouWeight: number;
  /** BCE per pixel weighted by the pseudo-mask's confidence |2t - 1| (see saliencyLoss) */
  confidenceWeighted: boolean;
  /** train on this fraction of the images, those with the most confident pseudo-masks (1: all) */
  keepFraction: number;
  /**
   * input noise of the student: 'flip' (horizontal flips only) or 'noisy' (random resized crop,
   * colour jitter and greyscale as well, STUDENT_NOISE; the mask is cropped with the image)
   */
  augment: 'flip' | 'noisy';
  /** the noise ranges when augment is 'noisy' (default STUDENT_NOISE) */
  noise?: StudentNoiseConfig;
  seed: number;
  /** the unsupervised methods whose maps are the targets (recorded, not used here) */
  pseudo: string[];
}

export const SALIENCY_NET_DEFAULTS: Omit<SaliencyNetConfig, 'pseudo'> = {
  unet: UNET_DEFAULTS,
  size: 96,
  epochs: 6,
  batch: 32,
  lr: 0.05,
  warmupSteps: 100,
  momentum: 0.9,
  weightDecay: 1e-4,
  iouWeight: 1,
  confidenceWeighted: false,
  keepFraction: 1,
  augment: 'flip',
  seed: 0,
};

export function validateSaliencyNetConfig(c: SaliencyNetConfig): void {
  const bad = (m: string): never => {
    throw new DiloUsageError(m);
  };
  const s = unetStride(c.unet);
  if (!Number.isInteger(c.size) || c.size < s || c.size % s !== 0) bad(`--size must be a positive multiple of ${s} (the U-Net's ${c.unet.levels - 1} poolings), got ${c.size}`);
  if (!Number.isInteger(c.epochs) || c.epochs < 1) bad(`--epochs must be a positive integer, got ${c.epochs}`);
  if (!Number.isInteger(c.batch) || c.batch < 2) bad(`--batch must be an integer >= 2 (batch norm), got ${c.batch}`);
  if (!(c.lr > 0)) bad(`--lr must be positive, got ${c.lr}`);
  if (!(c.momentum >= 0 && c.momentum < 1)) bad(`--momentum must be in [0, 1), got ${c.momentum}`);
  if (!(c.weightDecay >= 0)) bad(`--weight-decay must be >= 0, got ${c.weightDecay}`);
  if (c.augment !== 'flip' && c.augment !== 'noisy') bad(`--augment must be flip or noisy, got '${String(c.augment)}'`);
  if (c.noise) {
    const n = c.noise;
    const range = (r: unknown, lo: number, hi: number) => Array.isArray(r) && r.length === 2 && r.every((v) => typeof v === 'number' && v >= lo && v <= hi) && r[0] <= r[1];
    if (!range(n.scale, 1e-3, 1)) bad(`--noise scale must be [min, max] within (0, 1], got ${JSON.stringify(n.scale)}`);
    if (!range(n.ratio, 1e-3, 1e3)) bad(`--noise ratio must be [min, max] of positive aspect ratios, got ${JSON.stringify(n.ratio)}`);
    if (!(n.jitter >= 0 && n.jitter < 1)) bad(`--noise jitter must be in [0, 1), got ${n.jitter}`);
    for (const k of ['jitterP', 'greyP'] as const) if (!(n[k] >= 0 && n[k] <= 1)) bad(`--noise ${k} must be a probability, got ${n[k]}`);
  }
  if (!(c.keepFraction > 0 && c.keepFraction <= 1)) bad(`--keep must be in (0, 1], got ${c.keepFraction}`);
  if (!Number.isInteger(c.warmupSteps) || c.warmupSteps < 0) bad(`--warmup-steps must be a non-negative integer, got ${c.warmupSteps}`);
}

/** linear warm-up, then cosine to 0 at the last step */
export function saliencyNetLr(c: SaliencyNetConfig, step: number, totalSteps: number): number {
  if (step < c.warmupSteps) return (c.lr * (step + 1)) / c.warmupSteps;
  const t = (step - c.warmupSteps) / Math.max(1, totalSteps - c.warmupSteps);
  return c.lr * 0.5 * (1 + Math.cos(Math.PI * t));
}

export interface TrainSaliencyNetOptions {
  config: SaliencyNetConfig;
  data: PseudoMaskedSet;
  /** run folder: checkpoint.dckpt, metrics.jsonl, model.onnx, saliency-net.json */
  out: string;
  resume?: boolean;
  /** stop after this many steps in total (a checkpoint is written; --resume continues) */
  maxSteps?: number;
  /** write a checkpoint every this many steps (default 200) and at each epoch's end */
  checkpointEvery?: number;
  quiet?: boolean;
}

export interface TrainSaliencyNetResult {
  steps: number;
  totalSteps: number;
  finished: boolean;
  /** mean loss over the last epoch run (or the last 50 steps) */
  loss: number;
  bce: number;
  iou: number;
  imagesPerSecond: number;
  seconds: number;
  resumedFrom: number;
  params: number;
  /** images trained on (after --keep) */
  images: number;
  onnx?: string;
}

const CKPT = 'checkpoint.dckpt';

/** SHA-256 of every tensor: the MoCo checkpoint's own hash covers only encoder weights */
function tensorsHash(ts: readonly CheckpointTensor[]): string {
  const h = createHash('sha256');
  for (const t of ts) h.update(t.name).update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return h.digest('hex');
}

/**
 * One training step: forward in training mode (BN batch statistics, running statistics updated),
 * loss, backward, SGD. Returns the loss and its two terms, read back once.
 */
export function saliencyNetStep(net: UNet, sgd: Sgd, x: tf.Tensor4D, target: tf.Tensor4D, lr: number, iouWeight: number, confidenceWeighted = false): { loss: number; bce: number; iou: number } {
  const params = new Map([...net.params.params].map(([name, e]) => [name, e.variable]));
  const [total, bce, iou] = tf.tidy(() => {
    let parts: tf.Scalar[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const l = saliencyLoss(net.forward(x, { training: true }), target, iouWeight, confidenceWeighted);
      parts = [tf.keep(l.bce), tf.keep(l.iou)];
      return l.total;
    }, [...params.values()]);
    sgd.step(params, new Map([...params].map(([name, v]) => [name, grads[v.name]])), lr);
    return [value, ...parts];
  });
  const read = (t: tf.Tensor): number => {
    const v = t.dataSync()[0];
    t.dispose();
    return v;
  };
  return { loss: read(total), bce: read(bce), iou: read(iou) };
}

/** the images of step `step` of `epoch` and their flips: a function of the seed only */
let permCache: { key: string; perm: number[] } | null = null;

export function stepBatch(c: SaliencyNetConfig, n: number, epoch: number, stepInEpoch: number): { indices: number[]; flips: boolean[] } {
  // one permutation per epoch, drawn once (not at every step)
  const key = `${c.seed}/${epoch}/${n}`;
  if (permCache?.key !== key) permCache = { key, perm: new Rng(c.seed).stream('epoch', epoch, 'order').permutation(n) };
  const perm = permCache.perm;
  const indices = perm.slice(stepInEpoch * c.batch, (stepInEpoch + 1) * c.batch);
  const flipRng = new Rng(c.seed).stream('epoch', epoch, 'step', stepInEpoch, 'flip');
  return { indices, flips: indices.map(() => flipRng.bernoulli(0.5)) };
}

/** the network input and target of one step: flips only, or each sample's noise plan (a function of the seed) */
export function stepArrays(c: SaliencyNetConfig, data: PseudoMaskedSet, epoch: number, stepInEpoch: number): { x: Float32Array; y: Float32Array; n: number } {
  const { indices, flips } = stepBatch(c, data.n, epoch, stepInEpoch);
  if (c.augment === 'flip') return { ...batchArrays(data, indices, flips), n: indices.length };
  const noiseRng = new Rng(c.seed).stream('epoch', epoch, 'step', stepInEpoch, 'noise');
  const plans = indices.map((_, j) => drawNoisePlan(noiseRng.stream(j), data.size, c.noise ?? STUDENT_NOISE));
  return { ...noisyBatchArrays(data, indices, plans), n: indices.length };
}

export async function trainSaliencyNet(opts: TrainSaliencyNetOptions): Promise<TrainSaliencyNetResult> {
  const c = opts.config;
  validateSaliencyNetConfig(c);
  if (opts.data.size !== c.size) throw new Error(`data were loaded at ${opts.data.size} px, the config says ${c.size}`);
  // the selection is a function of the pseudo-masks only, so a resumed run selects the same images
  const data = keepMostConfident(opts.data, c.keepFraction);
  if (data.n < c.batch) throw new DiloUsageError(`${data.n} images (of ${opts.data.n} usable, --keep ${c.keepFraction}), fewer than one batch of ${c.batch}`);
  // tfjs-backend-wasm has no Conv2DBackpropFilter: the trainer brings its own, as pretrain does
  if (tf.getBackend() === 'wasm') registerWasmTrainingKernels();
  mkdirSync(opts.out, { recursive: true });
  const ckptFile = path.join(opts.out, CKPT);
  const net = new UNet(c.unet, new Rng(c.seed));
  const sgd = new Sgd({ momentum: c.momentum, weightDecay: c.weightDecay });
  // drop the last partial batch (BN statistics of a few images are noise)
  const stepsPerEpoch = Math.floor(data.n / c.batch);
  const totalSteps = stepsPerEpoch * c.epochs;
  let step = 0;
  if (existsSync(ckptFile)) {
    if (!opts.resume) throw new DiloInputError(opts.out, 'already holds a saliency-network run (use --resume to continue it, or another --out)');
    const { header, tensors } = await readCheckpoint(ckptFile);
    const st = header.state as { config: SaliencyNetConfig; step: number; n: number; tensorsSha256: string };
    if (tensorsHash([...tensors.values()]) !== st.tensorsSha256) throw new DiloInputError(ckptFile, 'tensors do not match their SHA-256 (corrupt file)');
    if (JSON.stringify(st.config) !== JSON.stringify(c)) throw new DiloUsageError(`--resume: ${ckptFile} was trained with ${JSON.stringify(st.config)}; this run asks for ${JSON.stringify(c)}`);
    if (st.n !== data.n) throw new DiloUsageError(`--resume: the run was trained on ${st.n} images, ${data.n} are selected now`);
    loadParamMap('net.', net.params, tensors, ckptFile);
    sgd.loadBuffers(net.params, tensors, 'optimizer.momentum_buffer.', ckptFile);
    step = st.step;
  } else if (opts.resume) throw new DiloInputError(ckptFile, '--resume: no checkpoint to resume');
  const resumedFrom = step;
  let lastSaved = step;
  const save = async (): Promise<void> => {
    lastSaved = step;
    const tensors = [...paramMapTensors('net.', net.params), ...momentumTensors(sgd, net)];
    await saveCheckpoint(ckptFile, { config: c, step, n: data.n, tensorsSha256: tensorsHash(tensors) }, tensors);
  };
  const log = new JsonlLog(path.join(opts.out, 'metrics.jsonl'));
  if (step === 0) log.write('start', { config: c, images: data.n, usable: opts.data.n, stepsPerEpoch, totalSteps, params: net.params.count() });
  else log.write('resume', { step });
  const stopAt = Math.min(totalSteps, opts.maxSteps ?? totalSteps);
  const progress = new Progress({ label: 'saliency train', total: totalSteps, silent: opts.quiet });
  progress.tick(step);
  const every = opts.checkpointEvery ?? 200;
  const recent: { loss: number; bce: number; iou: number }[] = [];
  const t0 = Date.now();
  let images = 0;
  try {
    while (step < stopAt) {
      const epoch = Math.floor(step / stepsPerEpoch);
      const inEpoch = step % stepsPerEpoch;
      const { x, y, n } = stepArrays(c, data, epoch, inEpoch);
      const S = c.size;
      const lr = saliencyNetLr(c, step, totalSteps);
      const { loss, bce, iou } = tf.tidy(() => saliencyNetStep(net, sgd, tf.tensor4d(x, [n, S, S, 3]), tf.tensor4d(y, [n, S, S, 1]), lr, c.iouWeight, c.confidenceWeighted));
      if (!Number.isFinite(loss)) throw new Error(`loss is ${loss} at step ${step + 1} (lr ${lr}); the last checkpoint (step ${lastSaved}) is intact. Lower --lr.`);
      step++;
      images += n;
      recent.push({ loss, bce, iou });
      if (recent.length > Math.max(50, stepsPerEpoch)) recent.shift();
      const ips = images / ((Date.now() - t0) / 1000);
      log.write('step', { step, epoch, lr, loss, bce, iou, imgPerSec: ips });
      progress.tick(1, { loss: loss.toFixed(4), 'img/s': ips.toFixed(1) });
      if (step % every === 0 || step % stepsPerEpoch === 0) await save();
    }
    if (step % every !== 0 && step % stepsPerEpoch !== 0) await save();
  } finally {
    progress.stop();
  }
  const seconds = (Date.now() - t0) / 1000;
  const mean = (k: 'loss' | 'bce' | 'iou'): number => (recent.length ? recent.reduce((s, r) => s + r[k], 0) / recent.length : NaN);
  const result: TrainSaliencyNetResult = { steps: step, totalSteps, finished: step >= totalSteps, loss: mean('loss'), bce: mean('bce'), iou: mean('iou'), imagesPerSecond: images / Math.max(seconds, 1e-9), seconds, resumedFrom, params: net.params.count(), images: data.n };
  if (result.finished) {
    // the export and its descriptor come last: `net:RUN` only sees finished runs
    const onnxName = 'model.onnx';
    await writeFileAtomic(path.join(opts.out, onnxName), unetToOnnx(net));
    const info: SaliencyNetRunInfo = { format: 'dilo-saliency-net', version: 1, onnx: onnxName, inputSize: c.size, mean: IMAGENET_MEAN, std: IMAGENET_STD, config: c, images: data.n, finalLoss: result.loss, checkpoint: CKPT };
    await writeFileAtomic(path.join(opts.out, SALIENCY_NET_FILE), JSON.stringify(info, null, 2) + '\n');
    result.onnx = path.join(opts.out, onnxName);
    log.write('finish', { ...result });
  }
  net.dispose();
  sgd.dispose();
  return result;
}

function momentumTensors(sgd: Sgd, net: UNet): CheckpointTensor[] {
  const out: CheckpointTensor[] = [];
  for (const [name, e] of net.params.params) {
    // buffers share their parameter's layout; before the first step they are zero (torch's start)
    const buf = sgd.buffers.get(name);
    const t = buf ? toTorchLayout(e.kind, buf) : null;
    out.push({ name: `optimizer.momentum_buffer.${name}`, kind: e.kind, shape: torchShape(e.kind, e.variable.shape), data: t ? (t.dataSync() as Float32Array) : new Float32Array(e.variable.size) });
    t?.dispose();
  }
  return out;
}
