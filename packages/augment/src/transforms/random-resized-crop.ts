import type { Rng } from '@dilo/core';
import type { RrcConfig } from '../config';

/** A crop box in source pixels: top row i, left column j, height h, width w. */
export interface CropBox {
  i: number;
  j: number;
  h: number;
  w: number;
}

/** Python 3's round(): halves go to the even neighbour (torchvision's int(round(x))). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * torchvision 0.14 RandomResizedCrop.get_params: up to 10 attempts with area ~ U(scale) x area
 * and log-uniform aspect ratio; a box that fits is placed uniformly. Otherwise the fallback
 * is a centre crop with the image's ratio clamped into [min(ratio), max(ratio)].
 */
export function sampleCrop(width: number, height: number, cfg: RrcConfig, rng: Rng): CropBox {
  const area = width * height;
  const logR0 = Math.log(cfg.ratio[0]);
  const logR1 = Math.log(cfg.ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(cfg.scale[0], cfg.scale[1]);
    const aspect = Math.exp(rng.uniform(logR0, logR1));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const i = rng.int(height - h + 1);
      const j = rng.int(width - w + 1);
      return { i, j, h, w };
    }
  }
  return centreCropFallback(width, height, cfg.ratio);
}

export function centreCropFallback(width: number, height: number, ratio: [number, number]): CropBox {
  const inRatio = width / height;
  const rMin = Math.min(ratio[0], ratio[1]);
  const rMax = Math.max(ratio[0], ratio[1]);
  let w: number;
  let h: number;
  if (inRatio < rMin) {
    w = width;
    h = roundHalfEven(w / rMin);
  } else if (inRatio > rMax) {
    h = height;
    w = roundHalfEven(h * rMax);
  } else {
    w = width;
    h = height;
  }
  return { i: Math.floor((height - h) / 2), j: Math.floor((width - w) / 2), h, w };
}
