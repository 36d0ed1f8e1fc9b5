import type { Rng } from '@dilo/core';
import type { AugmentConfig } from './config';
import { sampleCrop, type CropBox } from './transforms/random-resized-crop';
import { sampleJitter, type JitterParams } from './transforms/color-jitter';

/** Where a pasted view's background comes from, with its random draws. */
export type BackgroundPlan =
  | { kind: 'grey'; level: number }
  /** texture file index; u, v in [0, 1) place the crop inside the cover-resized texture */
  | { kind: 'texture'; file: number; u: number; v: number }
  /** another training sample's index; u, v place the crop */
  | { kind: 'natural'; index: number; u: number; v: number; removeForeground: boolean };

/** Every random decision of one view, drawn before any pixel is touched. */
export interface ViewPlan {
  paste: { background: BackgroundPlan; blurMap: boolean } | null;
  crop: CropBox;
  jitter: JitterParams | null;
  grayscale: boolean;
  blurSigma: number | null;
  flip: boolean;
}

export interface PlanContext {
  width: number;
  height: number;
  /** whether this sample has a saliency map (no map: never pasted) */
  hasMap: boolean;
  /** the sample's index and the dataset size, for natural backgrounds */
  index: number;
  datasetSize: number;
}

/**
 * Draw a view's plan from its Rng stream. Each step uses its own child stream, so changing one
 * step's settings never shifts another step's random numbers.
 */
export function planView(cfg: AugmentConfig, ctx: PlanContext, rng: Rng): ViewPlan {
  let paste: ViewPlan['paste'] = null;
  if (cfg.paste && ctx.hasMap) {
    const r = rng.stream('paste');
    if (r.bernoulli(cfg.paste.p)) {
      const bgSpec = cfg.paste.background;
      let background: BackgroundPlan;
      if (bgSpec.kind === 'grey') background = { kind: 'grey', level: r.int(255) };
      else if (bgSpec.kind === 'texture') background = { kind: 'texture', file: r.int(bgSpec.files.length), u: r.float(), v: r.float() };
      else {
        if (ctx.datasetSize < 2) throw new RangeError('natural backgrounds need at least two training images');
        let other = r.int(ctx.datasetSize - 1);
        if (other >= ctx.index) other++;
        background = { kind: 'natural', index: other, u: r.float(), v: r.float(), removeForeground: bgSpec.removeForeground };
      }
      paste = { background, blurMap: r.bernoulli(cfg.paste.blurProb) };
    }
  }
  const crop = sampleCrop(ctx.width, ctx.height, cfg.rrc, rng.stream('crop'));
  const rj = rng.stream('jitter');
  const jitter = rj.bernoulli(cfg.colorJitter.p) ? sampleJitter(cfg.colorJitter, rj) : null;
  const grayscale = rng.stream('grayscale').bernoulli(cfg.grayscaleP);
  let blurSigma: number | null = null;
  if (cfg.blur) {
    const rb = rng.stream('blur');
    if (rb.bernoulli(cfg.blur.p)) blurSigma = rb.uniform(cfg.blur.sigma[0], cfg.blur.sigma[1]);
  }
  const flip = rng.stream('flip').bernoulli(cfg.flipP);
  return { paste, crop, jitter, grayscale, blurSigma, flip };
}
