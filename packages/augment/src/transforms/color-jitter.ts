import type { Rng } from '@dilo/core';
import type { ColorJitterConfig } from '../config';
import type { NormalizeTarget } from './normalize';

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
/** RandomGrayscale as a fourth op id, so a jitter + grayscale run is one pass */
export const GRAYSCALE = 4;

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

/** The source of one op on locals r, g, b (0-255 floats); see the formulas above. */
const OP_SOURCE: Record<number, string> = {
  [BRIGHTNESS]: `
    r = fb * r; g = fb * g; b = fb * b;
    if (r > 255) r = 255; if (g > 255) g = 255; if (b > 255) b = 255;`,
  [CONTRAST]: `
    r = fc * r + cm; g = fc * g + cm; b = fc * b + cm;
    r = r < 0 ? 0 : r > 255 ? 255 : r; g = g < 0 ? 0 : g > 255 ? 255 : g; b = b < 0 ? 0 : b > 255 ? 255 : b;`,
  [SATURATION]: `
    l = fs1 * (${GRAY_R} * r + ${GRAY_G} * g + ${GRAY_B} * b);
    r = fs * r + l; g = fs * g + l; b = fs * b + l;
    r = r < 0 ? 0 : r > 255 ? 255 : r; g = g < 0 ? 0 : g > 255 ? 255 : g; b = b < 0 ? 0 : b > 255 ? 255 : b;`,
  [GRAYSCALE]: `
    l = ${GRAY_R} * r + ${GRAY_G} * g + ${GRAY_B} * b; r = l; g = l; b = l;`,
  // torchvision's _rgb2hsv, H' = (H + hue) mod 1, _hsv2rgb, simplified exactly: v = max and
  // v (1 - s) = min, so only the middle channel moves, to min + (max - min) f (rising) or
  // max - (max - min) f (falling). Grey pixels (max = min) have s = 0 and stay.
  [HUE]: `
    maxc = r > g ? (r > b ? r : b) : g > b ? g : b;
    minc = r < g ? (r < b ? r : b) : g < b ? g : b;
    cr = maxc - minc;
    if (cr > 0) {
      if (maxc === r) h = (g - b) / cr; else if (maxc === g) h = 2 + (b - r) / cr; else h = 4 + (r - g) / cr;
      h = h / 6 + 1; h -= Math.floor(h); h += fh; h -= Math.floor(h);
      h *= 6; i = Math.floor(h); f = cr * (h - i);
      switch (i) {
        case 0: r = maxc; g = minc + f; b = minc; break;
        case 1: r = maxc - f; g = maxc; b = minc; break;
        case 2: r = minc; g = maxc; b = minc + f; break;
        case 3: r = minc; g = maxc - f; b = maxc; break;
        case 4: r = minc + f; g = minc; b = maxc; break;
        case 5: r = maxc; g = minc; b = maxc - f; break;
        default: r = maxc; g = minc; b = minc; break; // i = 6 only when h rounded up to 1, i.e. h = 0
      }
    }`,
};

type Kernel = (buf: Float32Array, nPix: number, fb: number, fc: number, cm: number, fs: number, fh: number, t: KernelTarget | null) => number;
const kernels = new Map<string, Kernel>();

/** A NormalizeTarget with the image width and per-channel affine folded in. */
interface KernelTarget {
  out: Float32Array;
  o0: number;
  o1: number;
  o2: number;
  width: number;
  flip: boolean;
  a0: number;
  a1: number;
  a2: number;
  b0: number;
  b1: number;
  b2: number;
}

/**
 * One pass applying `ops` in order to every pixel, returning the sum of the result's gray
 * values. The loop is generated once per op sequence (a few hundred at most) so that V8
 * compiles straight-line code with r, g, b in registers: no per-pixel dispatch or closures.
 * With `mode` 'out' the pass is the view's last: it writes the normalised CHW output (mirrored
 * when t.flip: column x0 + dx * x, no extra variant) instead of updating buf.
 */
function kernel(ops: readonly number[], mode: 'inPlace' | 'out'): Kernel {
  const key = `${ops.join(',')}|${mode}`;
  let k = kernels.get(key);
  if (!k) {
    const write =
      mode === 'inPlace'
        ? 'buf[o] = r; buf[o + 1] = g; buf[o + 2] = b;'
        : `const d = row + x0 + dx * x;
           out[t.o0 + d] = r * a0 + b0; out[t.o1 + d] = g * a1 + b1; out[t.o2 + d] = b * a2 + b2;`;
    const body = `
      const fs1 = 1 - fs;
      const width = t ? t.width : nPix, height = t ? nPix / t.width : 1, out = t ? t.out : buf;
      const x0 = t && t.flip ? width - 1 : 0, dx = t && t.flip ? -1 : 1;
      const a0 = t ? t.a0 : 0, a1 = t ? t.a1 : 0, a2 = t ? t.a2 : 0, b0 = t ? t.b0 : 0, b1 = t ? t.b1 : 0, b2 = t ? t.b2 : 0;
      let graySum = 0, l = 0, maxc = 0, minc = 0, cr = 0, h = 0, i = 0, f = 0;
      for (let y = 0, o = 0; y < height; y++) {
        const row = y * width;
        for (let x = 0; x < width; x++, o += 3) {
          let r = buf[o], g = buf[o + 1], b = buf[o + 2];
          ${ops.map((op) => OP_SOURCE[op]).join('\n')}
          ${write}
          graySum += ${GRAY_R} * r + ${GRAY_G} * g + ${GRAY_B} * b;
        }
      }
      return graySum;`;
    k = new Function('buf', 'nPix', 'fb', 'fc', 'cm', 'fs', 'fh', 't', body) as Kernel;
    kernels.set(key, k);
  }
  return k;
}

function kernelTarget(t: NormalizeTarget, width: number, height: number): KernelTarget {
  const plane = width * height;
  return {
    out: t.out,
    o0: t.offset,
    o1: t.offset + plane,
    o2: t.offset + 2 * plane,
    width,
    flip: t.flip,
    a0: 1 / (255 * t.std[0]),
    a1: 1 / (255 * t.std[1]),
    a2: 1 / (255 * t.std[2]),
    b0: -t.mean[0] / t.std[0],
    b1: -t.mean[1] / t.std[1],
    b2: -t.mean[2] / t.std[2],
  };
}

const NO_JITTER: JitterParams = { order: [], brightness: 1, contrast: 1, saturation: 1, hue: 0 };

/**
 * A run of colour ops (jitter ops and/or GRAYSCALE, in order) over an HWC float image: one pass,
 * or two when contrast (which needs the mean gray of the image before it) is not first. With a
 * target the last pass writes the normalised CHW output and buf is left partly updated.
 */
export function applyColourOps(buf: Float32Array, width: number, height: number, ops: readonly number[], p: JitterParams | null, target: NormalizeTarget | null = null): void {
  const q = p ?? NO_JITTER;
  const nPix = width * height;
  const run = (from: number, to: number, mean: number, last: boolean): number => {
    const t = last && target ? kernelTarget(target, width, height) : null;
    const mode = t ? 'out' : 'inPlace';
    return kernel(ops.slice(from, to), mode)(buf, nPix, q.brightness, q.contrast, (1 - q.contrast) * mean, q.saturation, q.hue, t);
  };
  const ci = ops.indexOf(CONTRAST);
  if (ci < 0) {
    run(0, ops.length, 0, true);
    return;
  }
  const mean = ci === 0 ? grayMean(buf, nPix) : run(0, ci, 0, false) / nPix;
  run(ci, ops.length, mean, true);
}

/** Mean gray value of an HWC float RGB buffer. */
export function grayMean(buf: Float32Array, nPix: number): number {
  let s = 0;
  for (let o = 0; o < nPix * 3; o += 3) s += GRAY_R * buf[o] + GRAY_G * buf[o + 1] + GRAY_B * buf[o + 2];
  return s / nPix;
}

/** ColorJitter in place (see applyColourOps). */
export function applyJitter(buf: Float32Array, nPix: number, p: JitterParams): void {
  applyColourOps(buf, nPix, 1, p.order, p);
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
