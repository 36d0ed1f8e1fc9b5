import type { GrayImage, RgbImage } from '@dilo/core';
import { rgbToLab } from '../util/color';
import { toUint8 } from '../util/map';

/**
 * Frequency-tuned saliency (Achanta et al., CVPR 2009): the Euclidean distance in Lab between the
 * image mean and each pixel of the image blurred by the 5x5 separable binomial kernel [1 4 6 4 1]/16.
 */
export function ft(img: RgbImage): GrayImage {
  const { width: w, height: h } = img;
  const n = w * h;
  const lab = rgbToLab(img);
  const mean = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    mean[0] += lab[3 * i];
    mean[1] += lab[3 * i + 1];
    mean[2] += lab[3 * i + 2];
  }
  const sal = new Float32Array(n);
  const plane = new Float32Array(n);
  const tmp = new Float32Array(n);
  for (let c = 0; c < 3; c++) {
    const m = mean[c] / n;
    for (let i = 0; i < n; i++) plane[i] = lab[3 * i + c];
    binomialBlur(plane, tmp, w, h);
    for (let i = 0; i < n; i++) {
      const d = plane[i] - m;
      sal[i] += d * d;
    }
  }
  for (let i = 0; i < n; i++) sal[i] = Math.sqrt(sal[i]);
  return toUint8(sal, w, h);
}

/** In-place separable [1 4 6 4 1]/16 blur of a plane, edges replicated. */
function binomialBlur(p: Float32Array, tmp: Float32Array, w: number, h: number): void {
  const cl = (v: number, hi: number): number => (v < 0 ? 0 : v > hi ? hi : v);
  for (let y = 0; y < h; y++) {
    const r = y * w;
    for (let x = 0; x < w; x++) {
      if (x >= 2 && x < w - 2) {
        const i = r + x;
        tmp[i] = (p[i - 2] + 4 * p[i - 1] + 6 * p[i] + 4 * p[i + 1] + p[i + 2]) * 0.0625;
      } else {
        tmp[r + x] = (p[r + cl(x - 2, w - 1)] + 4 * p[r + cl(x - 1, w - 1)] + 6 * p[r + x] + 4 * p[r + cl(x + 1, w - 1)] + p[r + cl(x + 2, w - 1)]) * 0.0625;
      }
    }
  }
  for (let y = 0; y < h; y++) {
    const a = cl(y - 2, h - 1) * w;
    const b = cl(y - 1, h - 1) * w;
    const c = y * w;
    const d = cl(y + 1, h - 1) * w;
    const e = cl(y + 2, h - 1) * w;
    for (let x = 0; x < w; x++) p[c + x] = (tmp[a + x] + 4 * tmp[b + x] + 6 * tmp[c + x] + 4 * tmp[d + x] + tmp[e + x]) * 0.0625;
  }
}
