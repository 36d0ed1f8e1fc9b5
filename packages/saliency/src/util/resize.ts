/**
 * Resampling of float planes (one channel or interleaved). Kept here rather than through sharp
 * because the estimators work on float maps and call it synchronously in hot loops.
 */

/** Area-average downscale (or bilinear when upscaling) of an interleaved float image to dw x dh. */
export function resizeArea(src: Float32Array, w: number, h: number, ch: number, dw: number, dh: number): Float32Array {
  if (dw >= w || dh >= h) return resizeBilinear(src, w, h, ch, dw, dh);
  const out = new Float32Array(dw * dh * ch);
  const sx = w / dw;
  const sy = h / dh;
  const acc = new Float64Array(ch);
  for (let y = 0; y < dh; y++) {
    const y0 = y * sy;
    const y1 = y0 + sy;
    for (let x = 0; x < dw; x++) {
      const x0 = x * sx;
      const x1 = x0 + sx;
      acc.fill(0);
      let wsum = 0;
      for (let yy = Math.floor(y0); yy < Math.min(h, Math.ceil(y1)); yy++) {
        const wy = Math.min(y1, yy + 1) - Math.max(y0, yy);
        for (let xx = Math.floor(x0); xx < Math.min(w, Math.ceil(x1)); xx++) {
          const wgt = wy * (Math.min(x1, xx + 1) - Math.max(x0, xx));
          const o = (yy * w + xx) * ch;
          for (let c = 0; c < ch; c++) acc[c] += src[o + c] * wgt;
          wsum += wgt;
        }
      }
      const o = (y * dw + x) * ch;
      for (let c = 0; c < ch; c++) out[o + c] = acc[c] / wsum;
    }
  }
  return out;
}

/** Bilinear resize with pixel-centre alignment (as OpenCV / MATLAB imresize without antialiasing). */
export function resizeBilinear(src: Float32Array, w: number, h: number, ch: number, dw: number, dh: number): Float32Array {
  const out = new Float32Array(dw * dh * ch);
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
