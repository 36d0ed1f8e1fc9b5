import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { DiloUsageError, jobProgress, printJsonResult, selectBackend, SkipReport, type BackendName } from '@dilo/core';
import { isMethodName, METHOD_NAMES, runSaliencyJob, type MethodName } from '@dilo/saliency';
import { loadPseudoMaskedSet } from './pseudo-set';
import { SALIENCY_NET_DEFAULTS, trainSaliencyNet, type SaliencyNetConfig } from './train';
import { STUDENT_NOISE, type StudentNoiseConfig } from './student-noise';

interface TrainArgs {
  images?: string;
  pseudo: string;
  out?: string;
  size: number;
  base: number;
  levels: number;
  epochs: number;
  batch: number;
  lr: number;
  'warmup-steps': number;
  momentum: number;
  'weight-decay': number;
  'iou-weight': number;
  'confidence-weight': boolean;
  keep: number;
  augment: 'flip' | 'noisy';
  noise?: string;
  seed: number;
  resume: boolean;
  'max-steps'?: number;
  'checkpoint-every': number;
  workers: number;
  backend: string;
  json: boolean;
}

/**
 * `--pseudo`: '+'-separated sources of the targets, each a registry method computed here into
 * RUN/pseudo/<method> (cached by image bytes) or `maps:DIR`, maps computed before.
 */
/** --noise: JSON merged over STUDENT_NOISE (only its keys; ranges are checked with the config) */
export function noiseConfig(json: string | undefined): StudentNoiseConfig {
  if (json === undefined) return { ...STUDENT_NOISE };
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw new DiloUsageError(`--noise is not JSON: ${json}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new DiloUsageError(`--noise must be a JSON object, got ${json}`);
  const unknown = Object.keys(v).filter((k) => !(k in STUDENT_NOISE));
  if (unknown.length) throw new DiloUsageError(`--noise: unknown key(s) ${unknown.join(', ')} (have: ${Object.keys(STUDENT_NOISE).join(', ')})`);
  return { ...STUDENT_NOISE, ...(v as Partial<StudentNoiseConfig>) };
}

export function parsePseudoSpec(spec: string): { method?: MethodName; dir?: string; label: string }[] {
  const parts = spec.split('+').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new DiloUsageError('--pseudo needs at least one method (rbd, mc, rbd+mc) or maps:DIR');
  return parts.map((p) => {
    if (p.startsWith('maps:')) {
      const dir = p.slice(5);
      if (!dir) throw new DiloUsageError('--pseudo maps:DIR needs a folder');
      return { dir, label: `maps:${dir}` };
    }
    if (!isMethodName(p) || p === 'onnx') throw new DiloUsageError(`--pseudo: '${p}' is not an unsupervised method (known: ${METHOD_NAMES.filter((m) => m !== 'onnx').join(', ')}; or maps:DIR)`);
    return { method: p, label: p };
  });
}

export const saliencyTrainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'Train a saliency network (U-Net) on unsupervised pseudo-masks of the images themselves, no labels; exports ONNX for --method net:RUN',
  builder: (y: Argv) =>
    y
      .option('images', { type: 'string', describe: 'training images (recursive folder)' })
      .option('pseudo', { type: 'string', default: 'rbd', describe: "pseudo-mask sources, '+'-separated and averaged: rbd, mc, gs, mbd, ... or maps:DIR" })
      .option('out', { type: 'string', describe: 'run folder (checkpoint.dckpt, metrics.jsonl, model.onnx, saliency-net.json)' })
      .option('size', { type: 'number', default: SALIENCY_NET_DEFAULTS.size, describe: 'square input side in pixels (multiple of 2^(levels-1))' })
      .option('base', { type: 'number', default: SALIENCY_NET_DEFAULTS.unet.base, describe: 'channels of the first U-Net stage (doubling per stage)' })
      .option('levels', { type: 'number', default: SALIENCY_NET_DEFAULTS.unet.levels, describe: 'U-Net stages' })
      .option('epochs', { type: 'number', default: SALIENCY_NET_DEFAULTS.epochs })
      .option('batch', { type: 'number', default: SALIENCY_NET_DEFAULTS.batch })
      .option('lr', { type: 'number', default: SALIENCY_NET_DEFAULTS.lr, describe: 'peak SGD learning rate (warm-up, then cosine to 0)' })
      .option('warmup-steps', { type: 'number', default: SALIENCY_NET_DEFAULTS.warmupSteps })
      .option('momentum', { type: 'number', default: SALIENCY_NET_DEFAULTS.momentum })
      .option('weight-decay', { type: 'number', default: SALIENCY_NET_DEFAULTS.weightDecay })
      .option('iou-weight', { type: 'number', default: SALIENCY_NET_DEFAULTS.iouWeight, describe: 'weight of the IoU term next to BCE (BASNet hybrid loss without SSIM)' })
      .option('confidence-weight', { type: 'boolean', default: SALIENCY_NET_DEFAULTS.confidenceWeighted, describe: "weight each pixel's BCE by the pseudo-mask's confidence |2t - 1| (unsure pixels count less)" })
      .option('keep', { type: 'number', default: SALIENCY_NET_DEFAULTS.keepFraction, describe: 'train on this fraction of the images: those whose pseudo-masks are the most confident (mean |2t - 1|)' })
      .option('augment', { type: 'string', choices: ['flip', 'noisy'], default: SALIENCY_NET_DEFAULTS.augment, describe: "the student's input noise: flips only, or 'noisy' (random resized crop 0.4-1, colour jitter 0.4 p 0.8, greyscale p 0.2; the mask is cropped with the image)" })
      .option('noise', { type: 'string', describe: 'with --augment noisy: JSON over the default ranges, e.g. \'{"scale":[1,1]}\' for colour noise only (keys scale, ratio, jitter, jitterP, greyP)' })
      .option('seed', { type: 'number', default: SALIENCY_NET_DEFAULTS.seed })
      .option('resume', { type: 'boolean', default: false, describe: 'continue the run in --out (same settings)' })
      .option('max-steps', { type: 'number', describe: 'stop after this many steps in total (checkpointed; --resume continues)' })
      .option('checkpoint-every', { type: 'number', default: 200, describe: 'steps between checkpoints (also at each epoch end)' })
      .option('workers', { type: 'number', default: 2, describe: 'worker threads for computing pseudo-masks' })
      .option('backend', { type: 'string', default: 'auto', describe: 'tensor backend: auto, torch, wasm, cpu, tensorflow' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object as the last line' }) as unknown as Argv<TrainArgs>,
  handler: async (a) => {
    if (!a.images || !a.out) throw new DiloUsageError('saliency train needs --images DIR and --out RUN');
    if (a.noise !== undefined && a.augment !== 'noisy') throw new DiloUsageError('--noise sets the ranges of --augment noisy; add --augment noisy (or drop --noise)');
    const sources = parsePseudoSpec(a.pseudo);
    const config: SaliencyNetConfig = {
      unet: { base: a.base, levels: a.levels },
      size: a.size,
      epochs: a.epochs,
      batch: a.batch,
      lr: a.lr,
      warmupSteps: a['warmup-steps'],
      momentum: a.momentum,
      weightDecay: a['weight-decay'],
      iouWeight: a['iou-weight'],
      confidenceWeighted: a['confidence-weight'],
      keepFraction: a.keep,
      augment: a.augment,
      ...(a.augment === 'noisy' ? { noise: noiseConfig(a.noise) } : {}),
      seed: a.seed,
      pseudo: sources.map((s) => s.label),
    };
    const skips = new SkipReport();
    // 1. pseudo-masks, each method once per image (cached by the image's bytes)
    const mapDirs: string[] = [];
    for (const s of sources) {
      if (s.dir) {
        if (!existsSync(s.dir)) throw new DiloUsageError(`--pseudo maps:${s.dir}: no such folder`);
        mapDirs.push(s.dir);
        continue;
      }
      const out = path.join(a.out, 'pseudo', s.method!);
      const progress = jobProgress(`pseudo-masks ${s.method}`);
      const r = await runSaliencyJob({
        method: s.method!,
        images: a.images,
        out,
        workers: a.workers,
        cacheDir: path.join(a.out, 'pseudo', '.cache'),
        onProgress: progress.onProgress,
      }).finally(progress.stop);
      for (const f of r.failures) skips.skip(f.file, f.problem);
      mapDirs.push(out);
    }
    // 2. images and fused pseudo-masks in memory, at the network's input size
    const loadProgress = jobProgress('load');
    const data = await loadPseudoMaskedSet({
      images: a.images,
      mapDirs,
      size: a.size,
      report: skips,
      onProgress: loadProgress.onProgress,
    }).finally(loadProgress.stop);
    skips.processed = data.n;
    // 3. train
    await selectBackend({ backend: a.backend as BackendName | 'auto' });
    const r = await trainSaliencyNet({ config, data, out: a.out, resume: a.resume, maxSteps: a['max-steps'], checkpointEvery: a['checkpoint-every'] });
    const result = { out: a.out, ...r, loss: +r.loss.toFixed(5), bce: +r.bce.toFixed(5), iou: +r.iou.toFixed(5), imagesPerSecond: +r.imagesPerSecond.toFixed(2), seconds: +r.seconds.toFixed(1), method: r.finished ? `net:${a.out}` : null, ...skips.counts() };
    if (a.json) printJsonResult(result);
    else {
      process.stdout.write(`saliency net: ${r.steps}/${r.totalSteps} steps on ${r.images} of ${data.n} images (${skips.summary()}), loss ${result.loss} (bce ${result.bce}, iou ${result.iou}), ${result.imagesPerSecond} img/s\n`);
      process.stdout.write(r.finished ? `exported ${r.onnx}; use it with: dilo saliency --method net:${a.out} --images DIR --out DIR\n` : `stopped at step ${r.steps}; continue with --resume\n`);
    }
  },
};
