import type { GrayImage, RgbImage } from '@dilo/core';
import { fft2 } from '../util/fft';
import { convolveSeparable, gaussianKernel, greyBinned, resizeArea, upscaleToUint8 } from '../util/resize';

/**
 * Spectral residual (Hou & Zhang, CVPR 2007), following the paper's MATLAB listing: grey image
 * scaled to 64 x 64 (the working size of OpenCV's implementation; the listing keeps the aspect at
 * 64 px wide, which would need a non-power-of-two FFT for little difference), log amplitude minus its 3x3 average, back-transformed with the original
 * phase, squared, smoothed by a Gaussian (sigma 2.5; the listing's 10x10 window is taken as 11x11
 * so the kernel is centred), then scaled back to the image size.
 */
export interface SrParams {
  /** working width and height (OpenCV: 64 x 64) */
  width?: number;
  height?: number;
  /** Gaussian smoothing sigma at working scale (reference: 2.5) */
  sigma?: number;
}

export const SR_DEFAULTS = { width: 64, height: 64, sigma: 2.5 };

export function sr(img: RgbImage, params: SrParams = {}): GrayImage {
  const p = { ...SR_DEFAULTS, ...params };
  const { width: w, height: h, data } = img;
  const sw = p.width;
  const sh = p.height;
  let small: Float32Array;
  if (w >= sw && h >= sh) small = greyBinned(data, w, h, sw, sh);
  else {
    const grey = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) grey[i] = (0.2989 * data[3 * i] + 0.587 * data[3 * i + 1] + 0.114 * data[3 * i + 2]) / 255;
    small = resizeArea(grey, w, h, 1, sw, sh);
  }
  const n = sw * sh;
  const re = Float64Array.from(small);
  const im = new Float64Array(n);
  fft2(re, im, sh, sw);
  const logAmp = new Float32Array(n);
  const phase = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    logAmp[i] = Math.log(Math.sqrt(re[i] * re[i] + im[i] * im[i]) + 1e-12);
    phase[i] = Math.atan2(im[i], re[i]);
  }
  const avg = convolveSeparable(logAmp, sw, sh, [1 / 3, 1 / 3, 1 / 3]);
  for (let i = 0; i < n; i++) {
    const mag = Math.exp(logAmp[i] - avg[i]);
    re[i] = mag * Math.cos(phase[i]);
    im[i] = mag * Math.sin(phase[i]);
  }
  fft2(re, im, sh, sw, true);
  const sal = new Float32Array(n);
  for (let i = 0; i < n; i++) sal[i] = re[i] * re[i] + im[i] * im[i];
  const smooth = convolveSeparable(sal, sw, sh, gaussianKernel(11, p.sigma));
  return { width: w, height: h, data: upscaleToUint8(smooth, sw, sh, w, h) };
}
