/**
 * Crop + resize in one separable pass with PIL's BILINEAR filter (what torchvision 0.14 uses
 * on PIL images): a triangle kernel of support 1, widened by the scale factor when shrinking
 * (antialiasing), pixel centres at +0.5, taps clamped to the crop, weights normalised.
 * Unlike PIL the intermediate rows stay float (PIL rounds them to uint8).
 */

/** Filter taps of one axis: for output k, `count[k]` weights starting at source index `start[k]`. */
export interface AxisCoeffs {
  start: Int32Array;
  count: Int32Array;
  /** outSize x ksize weights */
  weights: Float32Array;
  ksize: number;
}

/**
 * PIL precompute_coeffs for the window [in0, in1) of the source axis, taps limited to
 * [lo, hi) (the crop for RandomResizedCrop, the whole image for a box resize).
 */
export function axisCoeffs(in0: number, in1: number, lo: number, hi: number, outSize: number): AxisCoeffs {
  const scale = (in1 - in0) / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filterscale; // bilinear support 1.0 x filterscale
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    // PIL truncates (int)(x + 0.5) toward zero; relative to lo that is floor for x >= lo - 0.5
    let xmin = Math.trunc(center - support + 0.5 - lo) + lo;
    if (xmin < lo) xmin = lo;
    let xmax = Math.trunc(center + support + 0.5 - lo) + lo;
    if (xmax > hi) xmax = hi;
    const n = Math.max(0, xmax - xmin);
    let ww = 0;
    const base = xx * ksize;
    for (let x = 0; x < n; x++) {
      let t = (x + xmin - center + 0.5) * ss;
      if (t < 0) t = -t;
      const w = t < 1 ? 1 - t : 0;
      weights[base + x] = w;
      ww += w;
    }
    if (ww !== 0) for (let x = 0; x < n; x++) weights[base + x] /= ww;
    start[xx] = xmin;
    count[xx] = n;
  }
  return { start, count, weights, ksize };
}

/** Scratch buffer that grows, so steady-state views allocate nothing. */
export class Scratch {
  private buf = new Float32Array(0);
  get(n: number): Float32Array {
    if (this.buf.length < n) this.buf = new Float32Array(Math.max(n, Math.ceil(this.buf.length * 1.25)));
    return this.buf;
  }
}

/**
 * Resample an RGB HWC source (uint8 or float) of width srcW into dst (outW x outH x 3 float,
 * 0-255 scale) using the given axis coefficients; `tmp` holds the horizontal pass.
 */
export function resampleRgb(
  src: Uint8Array | Float32Array,
  srcW: number,
  cx: AxisCoeffs,
  cy: AxisCoeffs,
  dst: Float32Array,
  tmpScratch: Scratch,
): void {
  const outW = cx.start.length;
  const outH = cy.start.length;
  // source rows the vertical taps touch
  const rowLo = cy.start[0];
  let rowHi = rowLo;
  for (let y = 0; y < outH; y++) rowHi = Math.max(rowHi, cy.start[y] + cy.count[y]);
  const nRows = rowHi - rowLo;
  const rowLen = outW * 3;
  const tmp = tmpScratch.get(nRows * rowLen);
  const kx = cx.ksize;
  const wx = cx.weights;
  for (let r = 0; r < nRows; r++) {
    const srcRow = (rowLo + r) * srcW * 3;
    const tRow = r * rowLen;
    for (let x = 0; x < outW; x++) {
      const n = cx.count[x];
      let s = srcRow + cx.start[x] * 3;
      const wb = x * kx;
      const t = tRow + x * 3;
      if (n === 2) {
        // upscaling: two taps
        const w0 = wx[wb];
        const w1 = wx[wb + 1];
        tmp[t] = w0 * src[s] + w1 * src[s + 3];
        tmp[t + 1] = w0 * src[s + 1] + w1 * src[s + 4];
        tmp[t + 2] = w0 * src[s + 2] + w1 * src[s + 5];
        continue;
      }
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      for (let k = 0; k < n; k++, s += 3) {
        const w = wx[wb + k];
        a0 += w * src[s];
        a1 += w * src[s + 1];
        a2 += w * src[s + 2];
      }
      tmp[t] = a0;
      tmp[t + 1] = a1;
      tmp[t + 2] = a2;
    }
  }
  const ky = cy.ksize;
  const wy = cy.weights;
  for (let y = 0; y < outH; y++) {
    const n = cy.count[y];
    const r0 = cy.start[y] - rowLo;
    const wb = y * ky;
    const d = y * rowLen;
    if (n === 2) {
      // the common upscaling case: two rows, one fused loop
      const w0 = wy[wb];
      const w1 = wy[wb + 1];
      const t0 = r0 * rowLen;
      const t1 = t0 + rowLen;
      for (let q = 0; q < rowLen; q++) dst[d + q] = w0 * tmp[t0 + q] + w1 * tmp[t1 + q];
      continue;
    }
    for (let q = 0; q < rowLen; q++) dst[d + q] = 0;
    for (let k = 0; k < n; k++) {
      const w = wy[wb + k];
      const t = (r0 + k) * rowLen;
      for (let q = 0; q < rowLen; q++) dst[d + q] += w * tmp[t + q];
    }
  }
}

/** The same for a one-channel source (maps). */
export function resampleGray(src: Uint8Array | Float32Array, srcW: number, cx: AxisCoeffs, cy: AxisCoeffs, dst: Float32Array, tmpScratch: Scratch): void {
  const outW = cx.start.length;
  const outH = cy.start.length;
  const rowLo = cy.start[0];
  let rowHi = rowLo;
  for (let y = 0; y < outH; y++) rowHi = Math.max(rowHi, cy.start[y] + cy.count[y]);
  const nRows = rowHi - rowLo;
  const tmp = tmpScratch.get(nRows * outW);
  for (let r = 0; r < nRows; r++) {
    const srcRow = (rowLo + r) * srcW;
    for (let x = 0; x < outW; x++) {
      const n = cx.count[x];
      const s = srcRow + cx.start[x];
      const wb = x * cx.ksize;
      let a = 0;
      for (let k = 0; k < n; k++) a += cx.weights[wb + k] * src[s + k];
      tmp[r * outW + x] = a;
    }
  }
  for (let y = 0; y < outH; y++) {
    const n = cy.count[y];
    const r0 = cy.start[y] - rowLo;
    const wb = y * cy.ksize;
    for (let x = 0; x < outW; x++) {
      let a = 0;
      for (let k = 0; k < n; k++) a += cy.weights[wb + k] * tmp[(r0 + k) * outW + x];
      dst[y * outW + x] = a;
    }
  }
}

/** Crop box (i, j, h, w) of an RGB image resized to outW x outH: RandomResizedCrop's resize. */
export function cropResizeRgb(src: Uint8Array | Float32Array, srcW: number, box: { i: number; j: number; h: number; w: number }, outW: number, outH: number, dst: Float32Array, tmp: Scratch): void {
  resampleRgb(src, srcW, axisCoeffs(box.j, box.j + box.w, box.j, box.j + box.w, outW), axisCoeffs(box.i, box.i + box.h, box.i, box.i + box.h, outH), dst, tmp);
}
