import type { RgbImage } from '@dilo/core';
import { nativeSaliencyKernels } from '../native';

/**
 * sRGB (D65) to CIE L*a*b*, the conversion of Achanta's SLIC code and of colorspace.m used by the
 * RBD/GS reference code: L in [0,100], a/b roughly [-128,127].
 */
const SRGB_TO_LINEAR = (() => {
  const t = new Float64Array(256);
  for (let i = 0; i < 256; i++) {
    const c = i / 255;
    t[i] = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  }
  return t;
})();

const EPS = 0.008856;
const KAPPA = 903.3;
const XR = 0.950456;
const ZR = 1.088754;

function f(t: number): number {
  return t > EPS ? Math.cbrt(t) : (KAPPA * t + 16) / 116;
}

// f() tabulated on [0, F_MAX] and linearly interpolated: X/Z of 8-bit sRGB stay below 1.001 after
// white-point division, and the interpolation error is below 1e-5 (5e-4 in L), so per-pixel
// conversion needs no cube roots.
const F_STEPS = 8192;
const F_MAX = 1.05;
const F_TABLE = (() => {
  const t = new Float64Array(F_STEPS + 2);
  for (let i = 0; i <= F_STEPS + 1; i++) t[i] = f((i / F_STEPS) * F_MAX);
  return t;
})();

// multiplications by reciprocals rather than divisions: the native kernel mirrors this exactly,
// and divisions were most of its per-pixel time
const F_SCALE = F_STEPS / F_MAX;
const INV_XR = 1 / XR;
const INV_ZR = 1 / ZR;

function fFast(t: number): number {
  const u = t * F_SCALE;
  if (!(u >= 0 && u < F_STEPS)) return f(t);
  const i = u | 0;
  const r = u - i;
  return F_TABLE[i] + r * (F_TABLE[i + 1] - F_TABLE[i]);
}

/** Lab of one linear-RGB triple, written into out[o..o+2]. */
function linearToLab(r: number, g: number, b: number, out: Float32Array | Float64Array, o: number): void {
  const x = (r * 0.4124564 + g * 0.3575761 + b * 0.1804375) / XR;
  const y = r * 0.2126729 + g * 0.7151522 + b * 0.072175;
  const z = (r * 0.0193339 + g * 0.119192 + b * 0.9503041) / ZR;
  const fx = f(x);
  const fy = f(y);
  const fz = f(z);
  out[o] = 116 * fy - 16;
  out[o + 1] = 500 * (fx - fy);
  out[o + 2] = 200 * (fy - fz);
}

/** The tables rgbToLab interpolates (the native kernels take them, so both use the same numbers). */
export const LAB_TABLES = { srgbToLinear: SRGB_TO_LINEAR, f: F_TABLE, fSteps: F_STEPS, fMax: F_MAX } as const;

/** Lab of every pixel, interleaved (length w*h*3). Colours repeat a lot, so a small memo keyed on the packed RGB saves the cube roots. */
export function rgbToLab(img: RgbImage, out = new Float32Array(img.width * img.height * 3)): Float32Array {
  const d = img.data;
  const n = img.width * img.height;
  const k = nativeSaliencyKernels();
  if (k) {
    k.rgbToLab(d, n, out, SRGB_TO_LINEAR, F_TABLE, F_STEPS, F_MAX);
    return out;
  }
  let lastKey = -1;
  for (let i = 0, o = 0; i < n; i++, o += 3) {
    const key = (d[o] << 16) | (d[o + 1] << 8) | d[o + 2];
    if (key === lastKey) {
      out[o] = out[o - 3];
      out[o + 1] = out[o - 2];
      out[o + 2] = out[o - 1];
      continue;
    }
    lastKey = key;
    const r = SRGB_TO_LINEAR[d[o]];
    const g = SRGB_TO_LINEAR[d[o + 1]];
    const b = SRGB_TO_LINEAR[d[o + 2]];
    const fx = fFast((r * 0.4124564 + g * 0.3575761 + b * 0.1804375) * INV_XR);
    const fy = fFast(r * 0.2126729 + g * 0.7151522 + b * 0.072175);
    const fz = fFast((r * 0.0193339 + g * 0.119192 + b * 0.9503041) * INV_ZR);
    out[o] = 116 * fy - 16;
    out[o + 1] = 500 * (fx - fy);
    out[o + 2] = 200 * (fy - fz);
  }
  return out;
}

/** Lab of an sRGB colour given as floats in 0-255 (e.g. a superpixel's mean RGB). */
export function rgbFloatToLab(r: number, g: number, b: number, out: Float64Array, o: number): void {
  const lin = (c: number): number => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  linearToLab(lin(r), lin(g), lin(b), out, o);
}
