import { DiloInputError, type GrayImage, type RgbImage } from '@dilo/core';
import { gaussianBlur } from './box-blur';
import type { Scratch } from './resample';

/**
 * DiLo's copy-paste: out = a * image + (1 - a) * background with a = map / 255 (soft, no
 * threshold), on the full image before any crop. With probability blurProb the map is first
 * Gaussian-blurred with sigma = blurRadius px (PIL GaussianBlur semantics, see box-blur.ts).
 */

/** The map must have the image's size: anything else is a bad input file. */
export function checkMapSize(image: { width: number; height: number }, map: { width: number; height: number }, mapFile: string, imageFile: string): void {
  if (image.width !== map.width || image.height !== map.height) {
    throw new DiloInputError(mapFile, `saliency map is ${map.width}x${map.height} but its image ${imageFile} is ${image.width}x${image.height}: map and image sizes must match`);
  }
}

/** a = map / 255 into alpha (length w*h), blurred with sigma = blurRadius when blur is set. */
export function pasteAlpha(map: GrayImage, blurRadius: number | null, alpha: Float32Array, scratch: Scratch): Float32Array {
  const n = map.width * map.height;
  const inv = 1 / 255;
  for (let q = 0; q < n; q++) alpha[q] = map.data[q] * inv;
  if (blurRadius !== null && blurRadius > 0) gaussianBlur(alpha.subarray(0, n), map.width, map.height, 1, blurRadius, scratch);
  return alpha;
}

/** Composite onto one grey level: out = a * image + (1 - a) * level, 0-255 float HWC. */
export function compositeGrey(image: RgbImage, alpha: Float32Array, level: number, out: Float32Array): void {
  const n = image.width * image.height;
  const src = image.data;
  for (let q = 0, o = 0; q < n; q++, o += 3) {
    const a = alpha[q];
    out[o] = level + a * (src[o] - level);
    out[o + 1] = level + a * (src[o + 1] - level);
    out[o + 2] = level + a * (src[o + 2] - level);
  }
}

/** Composite onto a background image of the same size (HWC, 0-255 float or uint8). */
export function compositeImage(image: RgbImage, alpha: Float32Array, background: Float32Array | Uint8Array, out: Float32Array): void {
  const n = image.width * image.height;
  const src = image.data;
  for (let q = 0, o = 0; q < n; q++, o += 3) {
    const a = alpha[q];
    const b0 = background[o];
    const b1 = background[o + 1];
    const b2 = background[o + 2];
    out[o] = b0 + a * (src[o] - b0);
    out[o + 1] = b1 + a * (src[o + 1] - b1);
    out[o + 2] = b2 + a * (src[o + 2] - b2);
  }
}

/**
 * Remove a natural background's own foreground: bg' = a2 * fill + (1 - a2) * bg, where fill
 * is bg's mean colour weighted by (1 - a2) (its background colour), in place.
 */
export function removeForeground(bg: Float32Array, alpha2: Float32Array, nPix: number): void {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let sw = 0;
  for (let q = 0, o = 0; q < nPix; q++, o += 3) {
    const w = 1 - alpha2[q];
    s0 += w * bg[o];
    s1 += w * bg[o + 1];
    s2 += w * bg[o + 2];
    sw += w;
  }
  if (sw < 1e-6) {
    // all foreground: fall back to the plain mean colour
    s0 = s1 = s2 = 0;
    for (let o = 0; o < nPix * 3; o += 3) {
      s0 += bg[o];
      s1 += bg[o + 1];
      s2 += bg[o + 2];
    }
    sw = nPix;
  }
  const f0 = s0 / sw;
  const f1 = s1 / sw;
  const f2 = s2 / sw;
  for (let q = 0, o = 0; q < nPix; q++, o += 3) {
    const a = alpha2[q];
    bg[o] += a * (f0 - bg[o]);
    bg[o + 1] += a * (f1 - bg[o + 1]);
    bg[o + 2] += a * (f2 - bg[o + 2]);
  }
}
