import { Scratch } from './resample';
import type { NormalizeTarget } from './normalize';

/**
 * Gaussian blur with PIL's ImageFilter.GaussianBlur(radius) semantics, which is what MoCo v2's
 * GaussianBlur (sigma ~ U[0.1, 2]) and DiLo's map blur (radius 5) call: `radius` IS the
 * Gaussian's standard deviation sigma, and the blur is PIL's extended box blur, three passes
 * per axis (Gwosdek et al. 2011), whose variance equals sigma^2.
 * Kernel: each pass is a box of fractional radius r = boxRadius(sigma) (integer part l, the two
 * outermost taps weighted by r - l), so three passes give an effective kernel of 6l + 7 taps per
 * axis: 7 for sigma < sqrt(2), 13 for sigma in [sqrt(2), sqrt(6)) (MoCo v2's range ends at 2),
 * 31 at sigma 5 (DiLo's map blur).
 * Edges replicate the border pixel, as PIL does. Unlike PIL the passes stay float (no uint8
 * rounding between passes). Cost per pixel does not depend on sigma.
 */

export const BLUR_PASSES = 3;

/** Column accumulators, one per thread (module state is per worker). */
let colAcc = new Float64Array(0);

/** PIL's _gaussian_blur_radius(radius, passes): the fractional box radius of one pass. */
export function boxRadius(sigma: number, passes = BLUR_PASSES): number {
  const sigma2 = (sigma * sigma) / passes;
  const L = Math.sqrt(12 * sigma2 + 1);
  const l = Math.floor((L - 1) / 2);
  const a = ((2 * l + 1) * (l * (l + 1) - 3 * sigma2)) / (6 * (sigma2 - (l + 1) * (l + 1)));
  return l + a;
}

/**
 * All horizontal passes of one row, in a padded line buffer (ri + 1 replicated pixels each
 * side): the row stays in L1 cache across passes. Specialised for 3 interleaved channels
 * (views) and 1 channel (maps) so the running sums live in registers.
 */
function blurRows3(buf: Float32Array, width: number, height: number, r: number, passes: number, la: Float32Array, lb: Float32Array): void {
  const ri = Math.floor(r);
  const pad = ri + 1;
  const ww = 1 / (2 * r + 1);
  const fw = (r - ri) * ww;
  const rowLen = width * 3;
  const padLen = pad * 3;
  const end = padLen + rowLen;
  for (let y = 0; y < height; y++) {
    const row = y * rowLen;
    let a = la;
    let b = lb;
    for (let q = 0; q < rowLen; q++) a[padLen + q] = buf[row + q];
    for (let pass = 0; pass < passes; pass++) {
      const e0 = a[padLen];
      const e1 = a[padLen + 1];
      const e2 = a[padLen + 2];
      const l0 = a[end - 3];
      const l1 = a[end - 2];
      const l2 = a[end - 1];
      for (let k = 0; k < padLen; k += 3) {
        a[k] = e0;
        a[k + 1] = e1;
        a[k + 2] = e2;
        a[end + k] = l0;
        a[end + k + 1] = l1;
        a[end + k + 2] = l2;
      }
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      for (let k = -ri; k <= ri; k++) {
        const o = padLen + k * 3;
        s0 += a[o];
        s1 += a[o + 1];
        s2 += a[o + 2];
      }
      // out[x] = ww * sum(x-ri..x+ri) + fw * (in[x-ri-1] + in[x+ri+1])
      for (let o = padLen, lo = padLen - padLen, hi = padLen + padLen; o < end; o += 3, lo += 3, hi += 3) {
        const h0 = a[hi];
        const h1 = a[hi + 1];
        const h2 = a[hi + 2];
        b[o] = s0 * ww + (a[lo] + h0) * fw;
        b[o + 1] = s1 * ww + (a[lo + 1] + h1) * fw;
        b[o + 2] = s2 * ww + (a[lo + 2] + h2) * fw;
        s0 += h0 - a[lo + 3];
        s1 += h1 - a[lo + 4];
        s2 += h2 - a[lo + 5];
      }
      const t = a;
      a = b;
      b = t;
    }
    for (let q = 0; q < rowLen; q++) buf[row + q] = a[padLen + q];
  }
}

function blurRows1(buf: Float32Array, width: number, height: number, r: number, passes: number, la: Float32Array, lb: Float32Array): void {
  const ri = Math.floor(r);
  const pad = ri + 1;
  const ww = 1 / (2 * r + 1);
  const fw = (r - ri) * ww;
  const end = pad + width;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let a = la;
    let b = lb;
    for (let q = 0; q < width; q++) a[pad + q] = buf[row + q];
    for (let pass = 0; pass < passes; pass++) {
      const e = a[pad];
      const l = a[end - 1];
      for (let k = 0; k < pad; k++) {
        a[k] = e;
        a[end + k] = l;
      }
      let s = 0;
      for (let k = -ri; k <= ri; k++) s += a[pad + k];
      for (let o = pad, lo = 0, hi = 2 * pad; o < end; o++, lo++, hi++) {
        const h = a[hi];
        b[o] = s * ww + (a[lo] + h) * fw;
        s += h - a[lo + 1];
      }
      const t = a;
      a = b;
      b = t;
    }
    for (let q = 0; q < width; q++) buf[row + q] = a[pad + q];
  }
}

/** One vertical pass: a running sum per column, advanced row by row so memory is read in order. */
function blurColsPass(src: Float32Array, dst: Float32Array, width: number, height: number, c: number, r: number, acc: Float64Array): void {
  const ri = Math.floor(r);
  const ww = 1 / (2 * r + 1);
  const fw = (r - ri) * ww;
  const rowLen = width * c;
  const last = height - 1;
  acc.fill(0, 0, rowLen);
  for (let k = -ri; k <= ri; k++) {
    const s = (k < 0 ? 0 : k > last ? last : k) * rowLen;
    for (let q = 0; q < rowLen; q++) acc[q] += src[s + q];
  }
  for (let y = 0; y < height; y++) {
    const ylo = y - ri - 1;
    const yhi = y + ri + 1;
    const ydrop = y - ri;
    const lo = (ylo < 0 ? 0 : ylo > last ? last : ylo) * rowLen;
    const hi = (yhi < 0 ? 0 : yhi > last ? last : yhi) * rowLen;
    const drop = (ydrop < 0 ? 0 : ydrop > last ? last : ydrop) * rowLen;
    const out = y * rowLen;
    for (let q = 0; q < rowLen; q++) {
      const vhi = src[hi + q];
      dst[out + q] = acc[q] * ww + (src[lo + q] + vhi) * fw;
      acc[q] += vhi - src[drop + q];
    }
  }
}

/** The last vertical pass of a 3-channel image, writing the normalised CHW view (see NormalizeTarget). */
function blurColsPassToChw(src: Float32Array, width: number, height: number, r: number, acc: Float64Array, t: NormalizeTarget): void {
  const ri = Math.floor(r);
  const ww = 1 / (2 * r + 1);
  const fw = (r - ri) * ww;
  const rowLen = width * 3;
  const last = height - 1;
  const plane = width * height;
  const a0 = 1 / (255 * t.std[0]);
  const a1 = 1 / (255 * t.std[1]);
  const a2 = 1 / (255 * t.std[2]);
  const b0 = -t.mean[0] / t.std[0];
  const b1 = -t.mean[1] / t.std[1];
  const b2 = -t.mean[2] / t.std[2];
  const out = t.out;
  const o0 = t.offset;
  const o1 = o0 + plane;
  const o2 = o1 + plane;
  acc.fill(0, 0, rowLen);
  for (let k = -ri; k <= ri; k++) {
    const s = (k < 0 ? 0 : k > last ? last : k) * rowLen;
    for (let q = 0; q < rowLen; q++) acc[q] += src[s + q];
  }
  for (let y = 0; y < height; y++) {
    const ylo = y - ri - 1;
    const yhi = y + ri + 1;
    const ydrop = y - ri;
    const lo = (ylo < 0 ? 0 : ylo > last ? last : ylo) * rowLen;
    const hi = (yhi < 0 ? 0 : yhi > last ? last : yhi) * rowLen;
    const drop = (ydrop < 0 ? 0 : ydrop > last ? last : ydrop) * rowLen;
    const row = y * width;
    for (let x = 0, q = 0; x < width; x++, q += 3) {
      const d = row + (t.flip ? width - 1 - x : x);
      const h0 = src[hi + q];
      const h1 = src[hi + q + 1];
      const h2 = src[hi + q + 2];
      out[o0 + d] = (acc[q] * ww + (src[lo + q] + h0) * fw) * a0 + b0;
      out[o1 + d] = (acc[q + 1] * ww + (src[lo + q + 1] + h1) * fw) * a1 + b1;
      out[o2 + d] = (acc[q + 2] * ww + (src[lo + q + 2] + h2) * fw) * a2 + b2;
      acc[q] += h0 - src[drop + q];
      acc[q + 1] += h1 - src[drop + q + 1];
      acc[q + 2] += h2 - src[drop + q + 2];
    }
  }
}

/**
 * Gaussian blur (PIL semantics, see above) of an HWC float buffer with c channels, in place;
 * or, with a target (3 channels only), the blurred view is written there normalised (CHW) and
 * buf is left as scratch.
 */
export function gaussianBlur(buf: Float32Array, width: number, height: number, c: number, sigma: number, scratch: Scratch, passes = BLUR_PASSES, target: NormalizeTarget | null = null): void {
  if (!(sigma > 0)) {
    if (target) throw new RangeError('gaussianBlur: a target needs sigma > 0');
    return;
  }
  if (target && c !== 3) throw new RangeError('gaussianBlur: a normalised target needs 3 channels');
  const r = boxRadius(sigma, passes);
  const n = width * height * c;
  const pad = Math.floor(r) + 1;
  const lineLen = (width + 2 * pad) * c;
  // one scratch region: a ping-pong image and two padded lines; the column sums are float64
  // so the running sums do not drift
  const all = scratch.get(n + 2 * lineLen);
  const tmp = all.subarray(0, n);
  const la = all.subarray(n, n + lineLen);
  const lb = all.subarray(n + lineLen, n + 2 * lineLen);
  if (colAcc.length < width * c) colAcc = new Float64Array(width * c);
  const acc = colAcc;
  if (c === 3) blurRows3(buf, width, height, r, passes, la, lb);
  else if (c === 1) blurRows1(buf, width, height, r, passes, la, lb);
  else throw new RangeError(`gaussianBlur: 1 or 3 channels, got ${c}`);
  let a = buf;
  let b = tmp;
  const colPasses = target ? passes - 1 : passes;
  for (let i = 0; i < colPasses; i++) {
    blurColsPass(a, b, width, height, c, r, acc);
    const t = a;
    a = b;
    b = t;
  }
  if (target) blurColsPassToChw(a, width, height, r, acc, target);
  else if (a !== buf) buf.set(a);
}
