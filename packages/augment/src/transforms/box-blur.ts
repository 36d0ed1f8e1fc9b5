import { Scratch } from './resample';

/**
 * Gaussian blur with PIL's ImageFilter.GaussianBlur(radius) semantics, which is what MoCo v2's
 * GaussianBlur (sigma ~ U[0.1, 2]) and DiLo's map blur (radius 5) call: `radius` IS the
 * Gaussian's standard deviation sigma, and the blur is PIL's extended box blur, three passes
 * per axis (Gwosdek et al. 2011), whose variance equals sigma^2.
 * Kernel: each pass is a box of fractional radius r = boxRadius(sigma) (integer part l, the two
 * outermost taps weighted by r - l); three passes give an effective kernel of 3(2l+3) - 2
 * taps per axis, e.g. 9 taps at sigma 1, 15 at sigma 2, 39 at sigma 5 (DiLo's map blur).
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
 * side): the row stays in L1 cache across passes. c channels are interleaved; running sums
 * are kept per channel.
 */
function blurRows(buf: Float32Array, width: number, height: number, c: number, r: number, passes: number, la: Float32Array, lb: Float32Array): void {
  const ri = Math.floor(r);
  const pad = ri + 1;
  const ww = 1 / (2 * r + 1);
  const fw = (r - ri) * ww;
  const rowLen = width * c;
  const padLen = pad * c;
  for (let y = 0; y < height; y++) {
    const row = y * rowLen;
    let src = la;
    let dst = lb;
    for (let q = 0; q < rowLen; q++) src[padLen + q] = buf[row + q];
    for (let pass = 0; pass < passes; pass++) {
      // replicate the border pixels into the pads
      for (let k = 0; k < pad; k++) {
        for (let ch = 0; ch < c; ch++) {
          src[k * c + ch] = src[padLen + ch];
          src[padLen + rowLen + k * c + ch] = src[padLen + rowLen - c + ch];
        }
      }
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        for (let k = -ri; k <= ri; k++) sum += src[padLen + k * c + ch];
        // out[x] = ww * sum(x-ri..x+ri) + fw * (in[x-ri-1] + in[x+ri+1])
        let lo = padLen - (ri + 1) * c + ch;
        let hi = padLen + (ri + 1) * c + ch;
        const end = padLen + rowLen;
        for (let o = padLen + ch; o < end; o += c, lo += c, hi += c) {
          const vhi = src[hi];
          dst[o] = sum * ww + (src[lo] + vhi) * fw;
          sum += vhi - src[lo + c];
        }
      }
      const t = src;
      src = dst;
      dst = t;
    }
    for (let q = 0; q < rowLen; q++) buf[row + q] = src[padLen + q];
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

/** Gaussian blur (PIL semantics, see above) of an HWC float buffer with c channels, in place. */
export function gaussianBlur(buf: Float32Array, width: number, height: number, c: number, sigma: number, scratch: Scratch, passes = BLUR_PASSES): void {
  if (!(sigma > 0)) return;
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
  blurRows(buf, width, height, c, r, passes, la, lb);
  let a = buf;
  let b = tmp;
  for (let i = 0; i < passes; i++) {
    blurColsPass(a, b, width, height, c, r, acc);
    const t = a;
    a = b;
    b = t;
  }
  if (a !== buf) buf.set(a);
}
