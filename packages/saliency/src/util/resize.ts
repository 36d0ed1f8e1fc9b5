/**
 * Resampling of float planes (one channel or interleaved). Kept here rather than through sharp
 * because the estimators work on float maps and call it synchronously in hot loops.
 */

import { nativeSaliencyKernels } from '../native';

/** Source spans and weights of an area-average reduction of n samples to m (m < n). */
function areaTaps(n: number, m: number): { start: Int32Array; count: Int32Array; weights: Float32Array; stride: number } {
  const scale = n / m;
  const stride = Math.ceil(scale) + 1;
  const start = new Int32Array(m);
  const count = new Int32Array(m);
  const weights = new Float32Array(m * stride);
  for (let o = 0; o < m; o++) {
    const a = o * scale;
    const b = a + scale;
    const i0 = Math.floor(a);
    const i1 = Math.min(n, Math.ceil(b));
    start[o] = i0;
    count[o] = i1 - i0;
    for (let i = i0; i < i1; i++) weights[o * stride + i - i0] = (Math.min(b, i + 1) - Math.max(a, i)) / scale;
  }
  return { start, count, weights, stride };
}

/** Area-average downscale (or bilinear when upscaling) of an interleaved float image to dw x dh; separable, rows then columns. */
export function resizeArea(src: Float32Array | Uint8Array, w: number, h: number, ch: number, dw: number, dh: number): Float32Array {
  if (dw >= w || dh >= h) return resizeBilinear(src instanceof Float32Array ? src : Float32Array.from(src), w, h, ch, dw, dh);
  const k = nativeSaliencyKernels();
  if (k) {
    const out = new Float32Array(dw * dh * ch);
    k.resizeAreaDown(src, w, h, ch, dw, dh, out);
    return out;
  }
  const tx = areaTaps(w, dw);
  const ty = areaTaps(h, dh);
  // horizontal: h rows of dw
  const tmp = new Float32Array(h * dw * ch);
  for (let y = 0; y < h; y++) {
    const row = y * w * ch;
    const orow = y * dw * ch;
    for (let x = 0; x < dw; x++) {
      const s0 = tx.start[x];
      const n = tx.count[x];
      const wo = x * tx.stride;
      for (let c = 0; c < ch; c++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += src[row + (s0 + k) * ch + c] * tx.weights[wo + k];
        tmp[orow + x * ch + c] = acc;
      }
    }
  }
  // vertical
  const out = new Float32Array(dh * dw * ch);
  const rowLen = dw * ch;
  for (let y = 0; y < dh; y++) {
    const s0 = ty.start[y];
    const n = ty.count[y];
    const wo = y * ty.stride;
    const orow = y * rowLen;
    for (let k = 0; k < n; k++) {
      const wk = ty.weights[wo + k];
      const irow = (s0 + k) * rowLen;
      for (let j = 0; j < rowLen; j++) out[orow + j] += tmp[irow + j] * wk;
    }
  }
  return out;
}

/** Bilinear resize with pixel-centre alignment (as OpenCV / MATLAB imresize without antialiasing). */
export function resizeBilinear(src: Float32Array, w: number, h: number, ch: number, dw: number, dh: number): Float32Array {
  const out = new Float32Array(dw * dh * ch);
  const k = nativeSaliencyKernels();
  if (k) {
    k.resizeBilinear(src, w, h, ch, dw, dh, out);
    return out;
  }
  const sx = w / dw;
  const sy = h / dh;
  const x0s = new Int32Array(dw);
  const x1s = new Int32Array(dw);
  const fxs = new Float32Array(dw);
  for (let x = 0; x < dw; x++) {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
    x0s[x] = Math.floor(fx);
    x1s[x] = Math.min(w - 1, x0s[x] + 1);
    fxs[x] = fx - x0s[x];
  }
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(h - 1, y0 + 1);
    const ty = fy - y0;
    if (ch === 1) {
      const r0 = y0 * w;
      const r1 = y1 * w;
      const o = y * dw;
      for (let x = 0; x < dw; x++) {
        const a = src[r0 + x0s[x]];
        const b = src[r0 + x1s[x]];
        const c = src[r1 + x0s[x]];
        const d = src[r1 + x1s[x]];
        const tx = fxs[x];
        const top = a + (b - a) * tx;
        out[o + x] = top + (c + (d - c) * tx - top) * ty;
      }
      continue;
    }
    for (let x = 0; x < dw; x++) {
      const a = (y0 * w + x0s[x]) * ch;
      const b = (y0 * w + x1s[x]) * ch;
      const c = (y1 * w + x0s[x]) * ch;
      const d = (y1 * w + x1s[x]) * ch;
      const tx = fxs[x];
      const o = (y * dw + x) * ch;
      for (let k = 0; k < ch; k++) {
        const top = src[a + k] + (src[b + k] - src[a + k]) * tx;
        const bot = src[c + k] + (src[d + k] - src[c + k]) * tx;
        out[o + k] = top + (bot - top) * ty;
      }
    }
  }
  return out;
}

/** Separable convolution of a one-channel plane with a symmetric kernel, edges replicated. */
export function convolveSeparable(src: Float32Array, w: number, h: number, kernel: Float32Array | number[]): Float32Array {
  const r = (kernel.length - 1) >> 1;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) {
        const xx = x + k < 0 ? 0 : x + k >= w ? w - 1 : x + k;
        s += src[row + xx] * kernel[k + r];
      }
      tmp[row + x] = s;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) {
        const yy = y + k < 0 ? 0 : y + k >= h ? h - 1 : y + k;
        s += tmp[yy * w + x] * kernel[k + r];
      }
      out[y * w + x] = s;
    }
  }
  return out;
}

/** Normalised 1-D Gaussian of the given size and sigma. */
export function gaussianKernel(size: number, sigma: number): Float32Array {
  const k = new Float32Array(size);
  const c = (size - 1) / 2;
  let s = 0;
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    s += k[i];
  }
  for (let i = 0; i < size; i++) k[i] /= s;
  return k;
}

/**
 * Bilinear upscale of a small one-channel map straight to a min-max normalised 8-bit image
 * (one pass, no full-size float buffer). Bilinear weights are convex, so the output range is the
 * input's and normalising before or after interpolation is the same.
 */
export function upscaleToUint8(src: Float32Array, w: number, h: number, dw: number, dh: number): Uint8Array {
  const k = nativeSaliencyKernels();
  if (k) {
    const big = new Uint8Array(dw * dh);
    k.upscaleToUint8(src, w, h, dw, dh, big);
    return big;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < w * h; i++) {
    if (src[i] < lo) lo = src[i];
    if (src[i] > hi) hi = src[i];
  }
  const out = new Uint8Array(dw * dh);
  if (!(hi > lo)) return out;
  const s = 255 / (hi - lo);
  const norm = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) norm[i] = (src[i] - lo) * s + 0.5;
  const big = resizeBilinear(norm, w, h, 1, dw, dh);
  for (let i = 0; i < big.length; i++) out[i] = big[i] | 0;
  return out;
}

/** Grey (Rec. 601 weights, MATLAB rgb2gray) of an RGB image binned into an sw x sh grid by box averaging (sw <= width, sh <= height). */
export function greyBinned(data: Uint8Array, w: number, h: number, sw: number, sh: number): Float32Array {
  const k = nativeSaliencyKernels();
  if (k) {
    const binned = new Float32Array(sw * sh);
    k.greyBinned(data, w, h, sw, sh, binned);
    return binned;
  }
  const xbin = new Int32Array(w);
  for (let x = 0; x < w; x++) xbin[x] = Math.min(sw - 1, Math.floor((x * sw) / w));
  const acc = new Float64Array(sw * sh);
  const cnt = new Float64Array(sw * sh);
  for (let y = 0; y < h; y++) {
    const row = Math.min(sh - 1, Math.floor((y * sh) / h)) * sw;
    let i = 3 * y * w;
    for (let x = 0; x < w; x++, i += 3) {
      const b = row + xbin[x];
      acc[b] += 0.2989 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
      cnt[b]++;
    }
  }
  const out = new Float32Array(sw * sh);
  for (let i = 0; i < out.length; i++) out[i] = acc[i] / (255 * cnt[i]);
  return out;
}
