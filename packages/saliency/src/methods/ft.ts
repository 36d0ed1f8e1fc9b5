import type { GrayImage, RgbImage } from '@dilo/core';
import { LAB_TABLES, rgbToLab } from '../util/color';
import { toUint8 } from '../util/map';
import { nativeSaliencyKernels } from '../native';

/**
 * Frequency-tuned saliency (Achanta et al., CVPR 2009): the Euclidean distance in Lab between the
 * image mean and each pixel of the image blurred by the 5x5 separable binomial kernel [1 4 6 4 1]/16.
 */
export function ft(img: RgbImage): GrayImage {
  const { width: w, height: h } = img;
  const n = w * h;
  const k = nativeSaliencyKernels();
  if (k) {
    // Lab, blur and distance in one native pass (same bits as the steps below)
    const sal = new Float32Array(n);
    k.ftSaliencyRgb(img.data, w, h, LAB_TABLES.srgbToLinear, LAB_TABLES.f, LAB_TABLES.fSteps, LAB_TABLES.fMax, sal);
    return toUint8(sal, w, h);
  }
  const lab = rgbToLab(img);
  let m0 = 0;
  let m1 = 0;
  let m2 = 0;
  for (let i = 0; i < 3 * n; i += 3) {
    m0 += lab[i];
    m1 += lab[i + 1];
    m2 += lab[i + 2];
  }
  m0 /= n;
  m1 /= n;
  m2 /= n;
  // horizontal [1 4 6 4 1]/16 pass on the interleaved image (edges replicated)
  const tmp = new Float32Array(3 * n);
  for (let y = 0; y < h; y++) {
    const r = y * w;
    for (let x = 0; x < w; x++) {
      const a = 3 * (r + (x < 2 ? 0 : x - 2));
      const b = 3 * (r + (x < 1 ? 0 : x - 1));
      const c = 3 * (r + x);
      const d = 3 * (r + (x + 1 < w ? x + 1 : w - 1));
      const e = 3 * (r + (x + 2 < w ? x + 2 : w - 1));
      tmp[c] = (lab[a] + 4 * lab[b] + 6 * lab[c] + 4 * lab[d] + lab[e]) * 0.0625;
      tmp[c + 1] = (lab[a + 1] + 4 * lab[b + 1] + 6 * lab[c + 1] + 4 * lab[d + 1] + lab[e + 1]) * 0.0625;
      tmp[c + 2] = (lab[a + 2] + 4 * lab[b + 2] + 6 * lab[c + 2] + 4 * lab[d + 2] + lab[e + 2]) * 0.0625;
    }
  }
  // vertical pass fused with the distance to the mean colour
  const sal = new Float32Array(n);
  for (let y = 0; y < h; y++) {
    const ra = 3 * (y < 2 ? 0 : y - 2) * w;
    const rb = 3 * (y < 1 ? 0 : y - 1) * w;
    const rc = 3 * y * w;
    const rd = 3 * (y + 1 < h ? y + 1 : h - 1) * w;
    const re = 3 * (y + 2 < h ? y + 2 : h - 1) * w;
    for (let x = 0, o = 0; x < w; x++, o += 3) {
      const l = (tmp[ra + o] + 4 * tmp[rb + o] + 6 * tmp[rc + o] + 4 * tmp[rd + o] + tmp[re + o]) * 0.0625 - m0;
      const a = (tmp[ra + o + 1] + 4 * tmp[rb + o + 1] + 6 * tmp[rc + o + 1] + 4 * tmp[rd + o + 1] + tmp[re + o + 1]) * 0.0625 - m1;
      const b = (tmp[ra + o + 2] + 4 * tmp[rb + o + 2] + 6 * tmp[rc + o + 2] + 4 * tmp[rd + o + 2] + tmp[re + o + 2]) * 0.0625 - m2;
      sal[y * w + x] = Math.sqrt(l * l + a * a + b * b);
    }
  }
  return toUint8(sal, w, h);
}
