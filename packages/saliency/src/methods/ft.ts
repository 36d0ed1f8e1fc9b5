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
  for (let c = 0; c < 3; c++) mean[c] /= n;
  // separable binomial blur of the interleaved Lab image, edges replicated
  const tmp = new Float32Array(3 * n);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const xm2 = row + Math.max(0, x - 2);
      const xm1 = row + Math.max(0, x - 1);
      const xp1 = row + Math.min(w - 1, x + 1);
      const xp2 = row + Math.min(w - 1, x + 2);
      const o = 3 * (row + x);
      for (let c = 0; c < 3; c++) {
        tmp[o + c] = (lab[3 * xm2 + c] + 4 * lab[3 * xm1 + c] + 6 * lab[o + c] + 4 * lab[3 * xp1 + c] + lab[3 * xp2 + c]) * 0.0625;
      }
    }
  }
  const sal = new Float32Array(n);
  for (let y = 0; y < h; y++) {
    const ym2 = Math.max(0, y - 2) * w;
    const ym1 = Math.max(0, y - 1) * w;
    const yp1 = Math.min(h - 1, y + 1) * w;
    const yp2 = Math.min(h - 1, y + 2) * w;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let c = 0; c < 3; c++) {
        const b = (tmp[3 * (ym2 + x) + c] + 4 * tmp[3 * (ym1 + x) + c] + 6 * tmp[3 * (row + x) + c] + 4 * tmp[3 * (yp1 + x) + c] + tmp[3 * (yp2 + x) + c]) * 0.0625;
        s += (b - mean[c]) ** 2;
      }
      sal[row + x] = Math.sqrt(s);
    }
  }
  return toUint8(sal, w, h);
}
