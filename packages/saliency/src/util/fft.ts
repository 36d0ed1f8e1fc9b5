/**
 * In-place radix-2 complex FFT (iterative Cooley-Tukey), for the power-of-two sizes spectral
 * residual uses; other sizes fall back to a direct DFT.
 */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (n <= 1) return;
  if ((n & (n - 1)) !== 0) {
    dft(re, im, inverse);
    return;
  }
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = ((inverse ? 2 : -2) * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      const half = len >> 1;
      for (let k = 0; k < half; k++) {
        const a = i + k;
        const b = a + half;
        const xr = re[b] * cr - im[b] * ci;
        const xi = re[b] * ci + im[b] * cr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
  if (inverse) {
    for (let i = 0; i < n; i++) {
      re[i] /= n;
      im[i] /= n;
    }
  }
}

const TWIDDLES = new Map<number, { cos: Float64Array; sin: Float64Array }>();

function twiddles(n: number, inverse: boolean): { cos: Float64Array; sin: Float64Array } {
  const key = inverse ? -n : n;
  let t = TWIDDLES.get(key);
  if (!t) {
    const cos = new Float64Array(n);
    const sin = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const a = ((inverse ? 2 : -2) * Math.PI * i) / n;
      cos[i] = Math.cos(a);
      sin[i] = Math.sin(a);
    }
    t = { cos, sin };
    TWIDDLES.set(key, t);
  }
  return t;
}

function dft(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  const or = new Float64Array(n);
  const oi = new Float64Array(n);
  const { cos, sin } = twiddles(n, inverse);
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let t = 0; t < n; t++) {
      const idx = (k * t) % n;
      const c = cos[idx];
      const s = sin[idx];
      sr += re[t] * c - im[t] * s;
      si += re[t] * s + im[t] * c;
    }
    or[k] = inverse ? sr / n : sr;
    oi[k] = inverse ? si / n : si;
  }
  re.set(or);
  im.set(oi);
}

/** 2-D FFT of a rows x cols complex array (row-major), in place. */
export function fft2(re: Float64Array, im: Float64Array, rows: number, cols: number, inverse = false): void {
  const rr = new Float64Array(cols);
  const ri = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    rr.set(re.subarray(o, o + cols));
    ri.set(im.subarray(o, o + cols));
    fft(rr, ri, inverse);
    re.set(rr, o);
    im.set(ri, o);
  }
  const cr = new Float64Array(rows);
  const ci = new Float64Array(rows);
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) {
      cr[r] = re[r * cols + c];
      ci[r] = im[r * cols + c];
    }
    fft(cr, ci, inverse);
    for (let r = 0; r < rows; r++) {
      re[r * cols + c] = cr[r];
      im[r * cols + c] = ci[r];
    }
  }
}
