import type { Rng } from '@dilo/core';
import type { ColorJitterConfig } from '../config';

/**
 * ColorJitter with torchvision 0.14's formulas for float images (here on the 0-255 scale,
 * clamped to [0, 255] after every op as torchvision clamps to [0, 1]):
 *   brightness f: x' = clamp(f x)                          (blend with black)
 *   contrast   f: x' = clamp(f x + (1 - f) mean(gray(x)))  (mean over the whole image)
 *   saturation f: x' = clamp(f x + (1 - f) gray(x))        (per pixel)
 *   hue        h: H' = (H + h) mod 1 in torchvision's HSV (_rgb2hsv / _hsv2rgb)
 * gray = 0.2989 R + 0.587 G + 0.114 B (torchvision's ITU-R 601-2 constants). The four ops run
 * in the order of a random permutation, as ColorJitter.forward does.
 */

export const BRIGHTNESS = 0;
export const CONTRAST = 1;
export const SATURATION = 2;
export const HUE = 3;

export interface JitterParams {
  /** op ids (BRIGHTNESS..HUE) in application order; ops whose range is 0 are left out */
  order: number[];
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
}

/** ColorJitter.get_params: a permutation of the four ops, then factors uniform in [max(0, 1-v), 1+v] and hue in [-v, v]. */
export function sampleJitter(cfg: ColorJitterConfig, rng: Rng): JitterParams {
  const perm = rng.permutation(4);
  const brightness = cfg.brightness > 0 ? rng.uniform(Math.max(0, 1 - cfg.brightness), 1 + cfg.brightness) : 1;
  const contrast = cfg.contrast > 0 ? rng.uniform(Math.max(0, 1 - cfg.contrast), 1 + cfg.contrast) : 1;
  const saturation = cfg.saturation > 0 ? rng.uniform(Math.max(0, 1 - cfg.saturation), 1 + cfg.saturation) : 1;
  const hue = cfg.hue > 0 ? rng.uniform(-cfg.hue, cfg.hue) : 0;
  const active = [cfg.brightness > 0, cfg.contrast > 0, cfg.saturation > 0, cfg.hue > 0];
  return { order: perm.filter((op) => active[op]), brightness, contrast, saturation, hue };
}

export const GRAY_R = 0.2989;
export const GRAY_G = 0.587;
export const GRAY_B = 0.114;

/**
 * Apply ops order[from..to) to every pixel of an HWC float RGB buffer (0-255) in one pass.
 * Returns the sum of the result's gray values (what a following contrast op needs).
 */
function applyRange(buf: Float32Array, nPix: number, p: JitterParams, from: number, to: number, contrastMean: number): number {
  const ops = p.order;
  const fb = p.brightness;
  const fc = p.contrast;
  const fs = p.saturation;
  const fh = p.hue;
  const cm = (1 - fc) * contrastMean;
  let graySum = 0;
  for (let q = 0, o = 0; q < nPix; q++, o += 3) {
    let r = buf[o];
    let g = buf[o + 1];
    let b = buf[o + 2];
    for (let k = from; k < to; k++) {
      const op = ops[k];
      if (op === BRIGHTNESS) {
        r = clamp255(fb * r);
        g = clamp255(fb * g);
        b = clamp255(fb * b);
      } else if (op === CONTRAST) {
        r = clamp255(fc * r + cm);
        g = clamp255(fc * g + cm);
        b = clamp255(fc * b + cm);
      } else if (op === SATURATION) {
        const l = (1 - fs) * (GRAY_R * r + GRAY_G * g + GRAY_B * b);
        r = clamp255(fs * r + l);
        g = clamp255(fs * g + l);
        b = clamp255(fs * b + l);
      } else {
        // hue: torchvision's _rgb2hsv, H' = (H + hue) mod 1, _hsv2rgb, simplified exactly:
        // v = max, v(1 - s) = min, so only the middle channel moves: the three outputs are
        // max, min and min + (max - min) * f (rising) or max - (max - min) * f (falling).
        const maxc = r > g ? (r > b ? r : b) : g > b ? g : b;
        const minc = r < g ? (r < b ? r : b) : g < b ? g : b;
        const cr = maxc - minc;
        if (cr === 0) continue; // grey pixel: hue does not matter (s = 0)
        let h: number;
        if (maxc === r) h = (g - b) / cr;
        else if (maxc === g) h = 2 + (b - r) / cr;
        else h = 4 + (r - g) / cr;
        // fmod(h / 6 + 1, 1) then (h + hue) mod 1, with floor (JS % on doubles is a slow call)
        h = h / 6 + 1;
        h -= Math.floor(h);
        h += fh;
        h -= Math.floor(h);
        const h6 = h * 6;
        const i = Math.floor(h6);
        const f = h6 - i;
        const up = minc + cr * f;
        const down = maxc - cr * f;
        switch (i >= 6 ? i - 6 : i) {
          case 0: r = maxc; g = up; b = minc; break;
          case 1: r = down; g = maxc; b = minc; break;
          case 2: r = minc; g = maxc; b = up; break;
          case 3: r = minc; g = down; b = maxc; break;
          case 4: r = up; g = minc; b = maxc; break;
          default: r = maxc; g = minc; b = down; break;
        }
      }
    }
    buf[o] = r;
    buf[o + 1] = g;
    buf[o + 2] = b;
    graySum += GRAY_R * r + GRAY_G * g + GRAY_B * b;
  }
  return graySum;
}

function clamp255(x: number): number {
  return x < 0 ? 0 : x > 255 ? 255 : x;
}

/** Mean gray value of an HWC float RGB buffer. */
export function grayMean(buf: Float32Array, nPix: number): number {
  let s = 0;
  for (let o = 0; o < nPix * 3; o += 3) s += GRAY_R * buf[o] + GRAY_G * buf[o + 1] + GRAY_B * buf[o + 2];
  return s / nPix;
}

/**
 * ColorJitter in place. Fused: the ops before contrast run in one pass that also sums the gray
 * values contrast needs; contrast and the ops after it run in a second pass.
 */
export function applyJitter(buf: Float32Array, nPix: number, p: JitterParams): void {
  const ci = p.order.indexOf(CONTRAST);
  if (ci < 0) {
    applyRange(buf, nPix, p, 0, p.order.length, 0);
    return;
  }
  const mean = ci === 0 ? grayMean(buf, nPix) : applyRange(buf, nPix, p, 0, ci, 0) / nPix;
  applyRange(buf, nPix, p, ci, p.order.length, mean);
}

/** RandomGrayscale's transform: every channel set to 0.2989 R + 0.587 G + 0.114 B. */
export function applyGrayscale(buf: Float32Array, nPix: number): void {
  for (let o = 0; o < nPix * 3; o += 3) {
    const l = GRAY_R * buf[o] + GRAY_G * buf[o + 1] + GRAY_B * buf[o + 2];
    buf[o] = l;
    buf[o + 1] = l;
    buf[o + 2] = l;
  }
}
