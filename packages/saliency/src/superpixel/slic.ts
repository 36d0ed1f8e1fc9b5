import type { RgbImage } from '@dilo/core';
import { rgbToLab } from '../util/color';
import { nativeSaliencyKernels } from '../native';

export interface SlicOptions {
  /** target superpixel area in pixels (default 600, as the RBD/GS reference code uses); ignored when `superpixels` is set */
  pixelsPerSuperpixel?: number;
  /** target number of superpixels (overrides pixelsPerSuperpixel) */
  superpixels?: number;
  /** spatial vs colour weight m of SLIC (default 20, the value of the RBD and MC reference code) */
  compactness?: number;
  /** k-means iterations (default 10, as Achanta's reference implementation) */
  iterations?: number;
  /** relabel so each superpixel is one 4-connected region, merging fragments below a quarter of the target size (default true) */
  enforceConnectivity?: boolean;
}

/**
 * SLIC settings of the superpixel methods. 600 px per superpixel (250 superpixels for MC) and
 * compactness 20 are the reference code's; 5 k-means iterations instead of the reference's 10 is
 * a speed choice: on SOD it changes max-F by less than 0.02 either way (docs/benchmarks.md) and
 * makes the whole method about 1.4x faster. Pass `slic: { iterations: 10 }` for the reference.
 */
export const SUPERPIXEL_METHOD_SLIC_ITERATIONS = 5;

export interface SlicResult {
  width: number;
  height: number;
  /** superpixel index of every pixel, 0..count-1, row-major */
  labels: Int32Array;
  count: number;
  /** the Lab image it was computed on (interleaved), reused by callers that need pixel colours */
  lab: Float32Array;
}

/**
 * SLIC superpixels (Achanta et al., TPAMI 2012), following the authors' reference C++ code:
 * grid seeds moved to the lowest gradient of their 3x3 neighbourhood, localised k-means in a
 * 2S x 2S window with distance d_lab^2 + (m/S)^2 d_xy^2, then connectivity enforcement.
 */
export function slic(img: RgbImage, opts: SlicOptions = {}): SlicResult {
  const { width: w, height: h } = img;
  const n = w * h;
  const lab = rgbToLab(img);
  const k = Math.max(1, opts.superpixels ?? Math.round(n / (opts.pixelsPerSuperpixel ?? 600)));
  const m = opts.compactness ?? 20;
  const iterations = opts.iterations ?? 10;
  const step = Math.max(1, Math.floor(Math.sqrt(n / k) + 0.5));

  // --- seeds on a grid, spread so the remainder is shared between strips (reference code) ---
  let xstrips = Math.floor(0.5 + w / step);
  let ystrips = Math.floor(0.5 + h / step);
  xstrips = Math.max(1, xstrips);
  ystrips = Math.max(1, ystrips);
  let xerr = w - step * xstrips;
  if (xerr < 0) {
    xstrips = Math.max(1, xstrips - 1);
    xerr = w - step * xstrips;
  }
  let yerr = h - step * ystrips;
  if (yerr < 0) {
    ystrips = Math.max(1, ystrips - 1);
    yerr = h - step * ystrips;
  }
  const xerrPer = xerr / xstrips;
  const yerrPer = yerr / ystrips;
  const half = step >> 1;
  const ns = xstrips * ystrips;
  const sl = new Float64Array(ns);
  const sa = new Float64Array(ns);
  const sb = new Float64Array(ns);
  const sx = new Float64Array(ns);
  const sy = new Float64Array(ns);
  let s = 0;
  for (let y = 0; y < ystrips; y++) {
    const ye = Math.floor(y * yerrPer);
    for (let x = 0; x < xstrips; x++) {
      const xe = Math.floor(x * xerrPer);
      const px = Math.min(w - 1, x * step + half + xe);
      const py = Math.min(h - 1, y * step + half + ye);
      const i = py * w + px;
      sl[s] = lab[3 * i];
      sa[s] = lab[3 * i + 1];
      sb[s] = lab[3 * i + 2];
      sx[s] = px;
      sy[s] = py;
      s++;
    }
  }
  perturbSeeds(lab, w, h, sl, sa, sb, sx, sy);

  // --- localised k-means ---
  // planar copies: the hot loop reads three contiguous streams instead of a strided one
  const L = new Float32Array(n);
  const A = new Float32Array(n);
  const B = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    L[i] = lab[3 * i];
    A[i] = lab[3 * i + 1];
    B[i] = lab[3 * i + 2];
  }
  const labels = new Int32Array(n).fill(-1);
  const dist = new Float64Array(n);
  const offset = step < 10 ? Math.floor(step * 1.5) : step;
  const invwt = 1 / ((step / m) * (step / m));
  const suml = new Float64Array(ns);
  const suma = new Float64Array(ns);
  const sumb = new Float64Array(ns);
  const sumx = new Float64Array(ns);
  const sumy = new Float64Array(ns);
  const cnt = new Float64Array(ns);
  const kernels = nativeSaliencyKernels();
  for (let it = 0; it < iterations; it++) {
    if (kernels) kernels.slicAssign(L, A, B, w, h, sl, sa, sb, sx, sy, offset, invwt, labels, dist);
    else assign(L, A, B, w, h, sl, sa, sb, sx, sy, offset, invwt, labels, dist);
    suml.fill(0);
    suma.fill(0);
    sumb.fill(0);
    sumx.fill(0);
    sumy.fill(0);
    cnt.fill(0);
    accumulate(L, A, B, w, h, labels, suml, suma, sumb, sumx, sumy, cnt);
    for (let c = 0; c < ns; c++) {
      if (cnt[c] === 0) continue;
      const inv = 1 / cnt[c];
      sl[c] = suml[c] * inv;
      sa[c] = suma[c] * inv;
      sb[c] = sumb[c] * inv;
      sx[c] = sumx[c] * inv;
      sy[c] = sumy[c] * inv;
    }
  }
  // with 0 iterations (or an unreachable pixel) fall back to the nearest grid cell
  for (let i = 0; i < n; i++) if (labels[i] < 0) labels[i] = nearestSeed(i % w, Math.floor(i / w), sx, sy);

  if (opts.enforceConnectivity === false) {
    const { labels: compact, count } = compactLabels(labels, ns);
    return { width: w, height: h, labels: compact, count, lab };
  }
  const { labels: connected, count } = enforceConnectivity(labels, w, h, k);
  return { width: w, height: h, labels: connected, count, lab };
}


/** One assignment step: each seed claims the pixels of its window that are closer to it than to any other seed so far. */
function assign(
  L: Float32Array, A: Float32Array, B: Float32Array, w: number, h: number,
  sl: Float64Array, sa: Float64Array, sb: Float64Array, sx: Float64Array, sy: Float64Array,
  offset: number, invwt: number, labels: Int32Array, dist: Float64Array,
): void {
  const ns = sl.length;
  dist.fill(3.4e38);
  for (let c = 0; c < ns; c++) {
    const cx = sx[c];
    const cy = sy[c];
    const cl = sl[c];
    const ca = sa[c];
    const cb = sb[c];
    const y1 = Math.max(0, Math.floor(cy - offset));
    const y2 = Math.min(h, Math.ceil(cy + offset));
    const x1 = Math.max(0, Math.floor(cx - offset));
    const x2 = Math.min(w, Math.ceil(cx + offset));
    for (let y = y1; y < y2; y++) {
      const dy = y - cy;
      const dyw = dy * dy * invwt;
      let i = y * w + x1;
      for (let x = x1; x < x2; x++, i++) {
        const dl = L[i] - cl;
        const da = A[i] - ca;
        const db = B[i] - cb;
        const dx = x - cx;
        const d = dl * dl + da * da + db * db + dx * dx * invwt + dyw;
        if (d < dist[i]) {
          dist[i] = d;
          labels[i] = c;
        }
      }
    }
  }
}

/**
 * Per-cluster sums of Lab and position. Labels come in horizontal runs (a superpixel is ~S pixels
 * wide), so sums are kept in locals along a run and flushed when the label changes.
 */
function accumulate(
  L: Float32Array, A: Float32Array, B: Float32Array, w: number, h: number, labels: Int32Array,
  suml: Float64Array, suma: Float64Array, sumb: Float64Array, sumx: Float64Array, sumy: Float64Array, cnt: Float64Array,
): void {
  for (let y = 0; y < h; y++) {
    let i = y * w;
    const end = i + w;
    while (i < end) {
      const c = labels[i];
      const start = i;
      let l = 0;
      let a = 0;
      let b = 0;
      while (i < end && labels[i] === c) {
        l += L[i];
        a += A[i];
        b += B[i];
        i++;
      }
      if (c < 0) continue;
      const run = i - start;
      const x0 = start - y * w;
      suml[c] += l;
      suma[c] += a;
      sumb[c] += b;
      // sum of x over the run x0 .. x0+run-1
      sumx[c] += run * x0 + (run * (run - 1)) / 2;
      sumy[c] += run * y;
      cnt[c] += run;
    }
  }
}

function nearestSeed(x: number, y: number, sx: Float64Array, sy: Float64Array): number {
  let best = 0;
  let bd = Infinity;
  for (let c = 0; c < sx.length; c++) {
    const d = (sx[c] - x) ** 2 + (sy[c] - y) ** 2;
    if (d < bd) {
      bd = d;
      best = c;
    }
  }
  return best;
}

/** Move each seed to the lowest Lab gradient in its 3x3 neighbourhood, so seeds avoid edges and noisy pixels. */
function perturbSeeds(lab: Float32Array, w: number, h: number, sl: Float64Array, sa: Float64Array, sb: Float64Array, sx: Float64Array, sy: Float64Array): void {
  const grad = (x: number, y: number): number => {
    if (x < 1 || y < 1 || x >= w - 1 || y >= h - 1) return Infinity;
    const l = 3 * (y * w + x - 1);
    const r = 3 * (y * w + x + 1);
    const t = 3 * ((y - 1) * w + x);
    const b = 3 * ((y + 1) * w + x);
    let g = 0;
    for (let c = 0; c < 3; c++) g += (lab[l + c] - lab[r + c]) ** 2 + (lab[t + c] - lab[b + c]) ** 2;
    return g;
  };
  for (let s = 0; s < sx.length; s++) {
    const ox = sx[s];
    const oy = sy[s];
    let best = grad(ox, oy);
    let bx = ox;
    let by = oy;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const g = grad(ox + dx, oy + dy);
        if (g < best) {
          best = g;
          bx = ox + dx;
          by = oy + dy;
        }
      }
    }
    if (bx !== ox || by !== oy) {
      const i = 3 * (by * w + bx);
      sl[s] = lab[i];
      sa[s] = lab[i + 1];
      sb[s] = lab[i + 2];
      sx[s] = bx;
      sy[s] = by;
    }
  }
}

/** Renumber labels 0..count-1 in order of first appearance (drops seeds that own no pixel). */
function compactLabels(labels: Int32Array, ns: number): { labels: Int32Array; count: number } {
  const map = new Int32Array(ns).fill(-1);
  let count = 0;
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (map[l] < 0) map[l] = count++;
    out[i] = map[l];
  }
  return { labels: out, count };
}

const DX4 = [-1, 0, 1, 0];
const DY4 = [0, -1, 0, 1];

/**
 * Achanta's EnforceLabelConnectivity: flood-fill each 4-connected piece with a fresh label; a piece
 * smaller than a quarter of the target superpixel area joins the label of a neighbour found before it.
 */
export function enforceConnectivity(labels: Int32Array, w: number, h: number, k: number): { labels: Int32Array; count: number } {
  const n = w * h;
  const minSize = Math.floor(n / k) >> 2;
  const out = new Int32Array(n).fill(-1);
  // coordinates queued alongside indices: no division per visited pixel
  const qx = new Int32Array(n);
  const qy = new Int32Array(n);
  let label = 0;
  let adjLabel = 0;
  for (let sy = 0, start = 0; sy < h; sy++) {
    for (let sx = 0; sx < w; sx++, start++) {
      if (out[start] >= 0) continue;
      out[start] = label;
      // a neighbour already relabelled: where a too-small piece goes
      for (let d = 0; d < 4; d++) {
        const x = sx + DX4[d];
        const y = sy + DY4[d];
        if (x >= 0 && x < w && y >= 0 && y < h) {
          const j = y * w + x;
          if (out[j] >= 0) adjLabel = out[j];
        }
      }
      const old = labels[start];
      let head = 0;
      let tail = 0;
      qx[tail] = sx;
      qy[tail++] = sy;
      while (head < tail) {
        const x0 = qx[head];
        const y0 = qy[head++];
        const i = y0 * w + x0;
        if (x0 > 0 && out[i - 1] < 0 && labels[i - 1] === old) {
          out[i - 1] = label;
          qx[tail] = x0 - 1;
          qy[tail++] = y0;
        }
        if (x0 < w - 1 && out[i + 1] < 0 && labels[i + 1] === old) {
          out[i + 1] = label;
          qx[tail] = x0 + 1;
          qy[tail++] = y0;
        }
        if (y0 > 0 && out[i - w] < 0 && labels[i - w] === old) {
          out[i - w] = label;
          qx[tail] = x0;
          qy[tail++] = y0 - 1;
        }
        if (y0 < h - 1 && out[i + w] < 0 && labels[i + w] === old) {
          out[i + w] = label;
          qx[tail] = x0;
          qy[tail++] = y0 + 1;
        }
      }
      if (tail <= minSize && label > 0) {
        for (let q = 0; q < tail; q++) out[qy[q] * w + qx[q]] = adjLabel;
      } else {
        label++;
      }
    }
  }
  return { labels: out, count: label };
}
