import type { Rng } from '@dilo/core';
import { IMAGENET_MEAN, IMAGENET_STD, type PseudoMaskedSet } from './pseudo-set';

/**
 * "Noisy student" input noise for the self-distilled saliency network: the teacher (RBD, MC)
 * labelled the clean image, the student sees a cropped, colour-jittered copy and must still
 * produce the (equally cropped) teacher mask. Without noise a student from scratch learns to
 * imitate the teacher's prior; with it, it has to find the object from its appearance
 * (Xie et al., "Self-training with Noisy Student", CVPR 2020).
 */
export interface StudentNoisePlan {
  /** crop box in the stored image, pixels (float), resampled bilinearly to the full side */
  crop: { x0: number; y0: number; w: number; h: number };
  flip: boolean;
  /** factors as torchvision's ColorJitter (1 = unchanged) */
  brightness: number;
  contrast: number;
  saturation: number;
  grey: boolean;
}

/** The noise settings (data, not code): RandomResizedCrop and ColorJitter ranges as MoCo's views. */
export interface StudentNoiseConfig {
  /** area fraction of the crop, [min, max] */
  scale: [number, number];
  /** aspect ratio w/h of the crop, [min, max] (sampled log-uniform) */
  ratio: [number, number];
  /** jitter strength s: factors in [1 - s, 1 + s], applied with probability jitterP */
  jitter: number;
  jitterP: number;
  greyP: number;
}

export const STUDENT_NOISE: StudentNoiseConfig = { scale: [0.4, 1], ratio: [3 / 4, 4 / 3], jitter: 0.4, jitterP: 0.8, greyP: 0.2 };

/** The identity plan with a horizontal flip or not: the plain (flip-only) training input. */
export function flipOnlyPlan(size: number, flip: boolean): StudentNoisePlan {
  return { crop: { x0: 0, y0: 0, w: size, h: size }, flip, brightness: 1, contrast: 1, saturation: 1, grey: false };
}

/** Draw one sample's plan (torchvision's RandomResizedCrop: 10 tries, then the whole image). */
export function drawNoisePlan(rng: Rng, size: number, cfg: StudentNoiseConfig = STUDENT_NOISE): StudentNoisePlan {
  const area = size * size;
  let crop = { x0: 0, y0: 0, w: size, h: size };
  for (let t = 0; t < 10; t++) {
    const a = area * rng.uniform(cfg.scale[0], cfg.scale[1]);
    const r = Math.exp(rng.uniform(Math.log(cfg.ratio[0]), Math.log(cfg.ratio[1])));
    const w = Math.sqrt(a * r), h = Math.sqrt(a / r);
    if (w <= size && h <= size) {
      crop = { x0: rng.uniform(0, size - w), y0: rng.uniform(0, size - h), w, h };
      break;
    }
  }
  const jitter = rng.bernoulli(cfg.jitterP);
  const f = () => (jitter ? rng.uniform(1 - cfg.jitter, 1 + cfg.jitter) : 1);
  const brightness = f(), contrast = f(), saturation = f();
  return { crop, flip: rng.bernoulli(0.5), brightness, contrast, saturation, grey: rng.bernoulli(cfg.greyP) };
}

/**
 * One batch with each sample's plan applied: network input NHWC float ((x / 255 - mean) / std)
 * and target NHWC [.., 1] in 0-1. The crop and flip move image and pseudo-mask together; the
 * colour noise touches the image only. Output pixel (r, c) samples the crop at its pixel centre.
 */
export function noisyBatchArrays(set: PseudoMaskedSet, indices: readonly number[], plans: readonly StudentNoisePlan[]): { x: Float32Array; y: Float32Array } {
  const S = set.size;
  const x = new Float32Array(indices.length * S * S * 3);
  const y = new Float32Array(indices.length * S * S);
  const rgb = new Float32Array(S * S * 3);
  indices.forEach((idx, j) => {
    const p = plans[j];
    const img = set.images.subarray(idx * S * S * 3, (idx + 1) * S * S * 3);
    const mask = set.masks.subarray(idx * S * S, (idx + 1) * S * S);
    const ob = j * S * S;
    for (let r = 0; r < S; r++) {
      const sy = Math.min(S - 1, Math.max(0, p.crop.y0 + ((r + 0.5) * p.crop.h) / S - 0.5));
      const y0 = Math.floor(sy), y1 = Math.min(S - 1, y0 + 1), fy = sy - y0;
      for (let c = 0; c < S; c++) {
        const cc = p.flip ? S - 1 - c : c;
        const sx = Math.min(S - 1, Math.max(0, p.crop.x0 + ((cc + 0.5) * p.crop.w) / S - 0.5));
        const x0 = Math.floor(sx), x1 = Math.min(S - 1, x0 + 1), fx = sx - x0;
        const w00 = (1 - fy) * (1 - fx), w01 = (1 - fy) * fx, w10 = fy * (1 - fx), w11 = fy * fx;
        const a = y0 * S + x0, b = y0 * S + x1, d = y1 * S + x0, e = y1 * S + x1;
        const o = r * S + c;
        for (let ch = 0; ch < 3; ch++) rgb[o * 3 + ch] = (w00 * img[a * 3 + ch] + w01 * img[b * 3 + ch] + w10 * img[d * 3 + ch] + w11 * img[e * 3 + ch]) / 255;
        y[ob + o] = (w00 * mask[a] + w01 * mask[b] + w10 * mask[d] + w11 * mask[e]) / 255;
      }
    }
    jitterColours(rgb, p);
    for (let o = 0; o < S * S; o++) {
      for (let ch = 0; ch < 3; ch++) x[(ob + o) * 3 + ch] = (rgb[o * 3 + ch] - IMAGENET_MEAN[ch]) / IMAGENET_STD[ch];
    }
  });
  return { x, y };
}

const luma = (px: Float32Array, o: number): number => 0.299 * px[o * 3] + 0.587 * px[o * 3 + 1] + 0.114 * px[o * 3 + 2];
const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** brightness, contrast, saturation (torchvision's definitions, in that order), then greyscale; in place on 0-1 RGB */
function jitterColours(px: Float32Array, p: StudentNoisePlan): void {
  const n = px.length / 3;
  if (p.brightness !== 1) for (let i = 0; i < px.length; i++) px[i] = clamp01(px[i] * p.brightness);
  if (p.contrast !== 1) {
    let m = 0;
    for (let o = 0; o < n; o++) m += luma(px, o);
    m /= n;
    for (let i = 0; i < px.length; i++) px[i] = clamp01(p.contrast * px[i] + (1 - p.contrast) * m);
  }
  if (p.saturation !== 1 || p.grey) {
    for (let o = 0; o < n; o++) {
      const g = luma(px, o);
      for (let ch = 0; ch < 3; ch++) {
        const v = p.grey ? g : clamp01(p.saturation * px[o * 3 + ch] + (1 - p.saturation) * g);
        px[o * 3 + ch] = v;
      }
    }
  }
}
