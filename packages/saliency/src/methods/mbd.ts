import type { GrayImage, RgbImage } from '@dilo/core';
import { rgbToLab } from '../util/color';
import { resizeArea, upscaleToUint8 } from '../util/resize';
import { nativeSaliencyKernels } from '../native';

/**
 * Minimum barrier distance saliency (Zhang et al., "Minimum Barrier Salient Object Detection at
 * 80 FPS", ICCV 2015): FastMBD raster scans from the image-border seeds on each Lab channel,
 * summed; then the paper's centre bias and sigmoid contrast enhancement. The image is first
 * scaled so its longer side is 300 px, as in the paper.
 */
export interface MbdParams {
  /** longer side of the working image (paper: 300) */
  maxSide?: number;
  /** raster-scan passes (paper: 3) */
  passes?: number;
  /** multiply by a centre-bias map (paper: on) */
  centreBias?: boolean;
  /** sigmoid slope of the contrast enhancement (paper: 10); 0 disables it */
  contrast?: number;
}

export const MBD_DEFAULTS = { maxSide: 300, passes: 3, centreBias: true, contrast: 10 };

/** FastMBD on one channel: D(x) = min over raster neighbours y of max(U(y), I(x)) - min(L(y), I(x)). */
export function fastMbd(img: Float32Array, w: number, h: number, passes: number): Float32Array {
  const n = w * h;
  const k = nativeSaliencyKernels();
  if (k) {
    const out = new Float32Array(n);
    k.fastMbd(img, w, h, passes, out);
    return out;
  }
  const D = new Float32Array(n).fill(3.4e38);
  const U = Float32Array.from(img);
  const L = Float32Array.from(img);
  for (let x = 0; x < w; x++) {
    D[x] = 0;
    D[(h - 1) * w + x] = 0;
  }
  for (let y = 0; y < h; y++) {
    D[y * w] = 0;
    D[y * w + w - 1] = 0;
  }
  for (let pass = 0; pass < passes; pass++) {
    // forward passes look up and left, backward passes down and right
    const step = pass % 2 === 0 ? 1 : -1;
    const y0 = step > 0 ? 1 : h - 2;
    const x0 = step > 0 ? 1 : w - 2;
    const rowOff = step * w;
    for (let yy = 0; yy < h - 2; yy++) {
      const y = y0 + step * yy;
      let i = y * w + x0;
      for (let xx = 0; xx < w - 2; xx++, i += step) {
        const v = img[i];
        let d = D[i];
        let j = i - rowOff;
        let u = U[j] > v ? U[j] : v;
        let l = L[j] < v ? L[j] : v;
        if (u - l < d) {
          d = u - l;
          D[i] = d;
          U[i] = u;
          L[i] = l;
        }
        j = i - step;
        u = U[j] > v ? U[j] : v;
        l = L[j] < v ? L[j] : v;
        if (u - l < d) {
          D[i] = u - l;
          U[i] = u;
          L[i] = l;
        }
      }
    }
  }
  return D;
}

/** FastMBD of each Lab channel, summed, max-normalised, times the centre bias, max-normalised. */
function combineChannels(lab: Float32Array, sw: number, sh: number, passes: number, centreBias: boolean, sal: Float32Array): void {
  const n = sw * sh;
  const chan = new Float32Array(n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) chan[i] = lab[3 * i + c];
    const d = fastMbd(chan, sw, sh, passes);
    for (let i = 0; i < n; i++) sal[i] += d[i];
  }
  let hi = 0;
  for (let i = 0; i < n; i++) if (sal[i] > hi) hi = sal[i];
  if (hi > 0) for (let i = 0; i < n; i++) sal[i] /= hi;
  if (centreBias) {
    // 1 at the centre, falling linearly to 0 at the corners (distance over half the diagonal)
    const cx = (sw - 1) / 2;
    const cy = (sh - 1) / 2;
    const r = Math.sqrt(cx * cx + cy * cy) || 1;
    for (let y = 0; y < sh; y++) for (let x = 0; x < sw; x++) sal[y * sw + x] *= 1 - Math.sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy)) / r;
    hi = 0;
    for (let i = 0; i < n; i++) if (sal[i] > hi) hi = sal[i];
    if (hi > 0) for (let i = 0; i < n; i++) sal[i] /= hi;
  }
}

export function mbd(img: RgbImage, params: MbdParams = {}): GrayImage {
  const p = { ...MBD_DEFAULTS, ...params };
  const { width: w, height: h } = img;
  const scale = Math.min(1, p.maxSide / Math.max(w, h));
  const sw = Math.max(3, Math.round(w * scale));
  const sh = Math.max(3, Math.round(h * scale));
  // scale first, then convert the small image to Lab
  const small = sw === w && sh === h ? img.data : resizeArea(img.data, w, h, 3, sw, sh);
  const small8 = new Uint8Array(small.length);
  for (let i = 0; i < small.length; i++) small8[i] = small[i] + 0.5;
  const lab = rgbToLab({ width: sw, height: sh, data: small8 });
  const n = sw * sh;
  const sal = new Float32Array(n);
  const k = nativeSaliencyKernels();
  if (k) k.mbdCombine(lab, sw, sh, p.passes, p.centreBias ? 1 : 0, sal);
  else combineChannels(lab, sw, sh, p.passes, p.centreBias, sal);
  if (p.contrast > 0) {
    // sigmoid around the map's mean: pushes background down and the object up
    let mean = 0;
    for (let i = 0; i < n; i++) mean += sal[i];
    mean /= n;
    const t = Math.min(0.5, 2 * mean);
    for (let i = 0; i < n; i++) sal[i] = 1 / (1 + Math.exp(-p.contrast * (sal[i] - t)));
  }
  return { width: w, height: h, data: upscaleToUint8(sal, sw, sh, w, h) };
}
