import type { GrayImage, RgbImage } from '@dilo/core';
import { slic, SUPERPIXEL_METHOD_SLIC_ITERATIONS, type SlicOptions } from '../superpixel/slic';
import { superpixelGraph, type SuperpixelGraph } from '../superpixel/graph';
import { solveSymmetric } from '../util/linalg';

/**
 * Saliency by absorbing Markov chain (Jiang et al., ICCV 2013). Settings the paper leaves open
 * follow the authors' public MATLAB code: 250 SLIC superpixels with compactness 20, a graph of
 * 8-neighbours plus the superpixels facing each other across opposite image borders, extended to
 * two hops; edge weight exp(-10 d) + 1e-5 with d the Lab distance min-max normalised over edges;
 * the image-border superpixels duplicated as absorbing nodes; superpixels with almost no
 * affinity (row sum < 1.1) set aside as outliers; and when the absorbed-time histogram is spread
 * ("entropy" >= 2) the absorbed time re-weighted by the inverse equilibrium distribution.
 */
export interface McParams {
  slic?: SlicOptions;
  /** edge weight scale theta (reference: 10) */
  theta?: number;
  /** use the equilibrium re-weighting when the map is not decisive (reference: on) */
  equilibrium?: boolean;
}

export const MC_DEFAULTS = {
  slic: { superpixels: 250, compactness: 20, iterations: SUPERPIXEL_METHOD_SLIC_ITERATIONS } as SlicOptions,
  theta: 10,
  equilibrium: true,
};

/** MC graph: 8-adjacency plus opposite-border links, then two hops (reference: find_connect_superpixel_DoubleIn_Opposite). */
function mcLinks(g: SuperpixelGraph): { first: Uint8Array; second: Uint8Array } {
  const { count: n, labels, width: w, height: h } = g;
  const first = g.adjacency; // 8-connected (built with connectivity 8), no diagonal
  const opp = first.slice();
  for (let x = 0; x < w; x++) {
    const a = labels[x];
    const b = labels[(h - 1) * w + x];
    if (a !== b) opp[a * n + b] = opp[b * n + a] = 1;
  }
  for (let y = 0; y < h; y++) {
    const a = labels[y * w];
    const b = labels[y * w + w - 1];
    if (a !== b) opp[a * n + b] = opp[b * n + a] = 1;
  }
  const second = opp.slice();
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      if (!opp[i * n + k]) continue;
      for (let j = 0; j < n; j++) if (opp[k * n + j]) second[i * n + j] = 1;
    }
  }
  for (let i = 0; i < n; i++) second[i * n + i] = 0;
  return { first, second };
}

export function mcOnGraph(g: SuperpixelGraph, p: typeof MC_DEFAULTS): Float64Array {
  const n = g.count;
  const lab = g.meanPixelLab;
  const { first, second } = mcLinks(g);
  // affinity matrix W (with unit diagonal)
  const W = new Float64Array(n * n);
  let dmin = Infinity;
  let dmax = -Infinity;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (!second[i * n + j]) continue;
      const d = Math.sqrt((lab[3 * i] - lab[3 * j]) ** 2 + (lab[3 * i + 1] - lab[3 * j + 1]) ** 2 + (lab[3 * i + 2] - lab[3 * j + 2]) ** 2);
      W[i * n + j] = d;
      if (d < dmin) dmin = d;
      if (d > dmax) dmax = d;
    }
  }
  const range = dmax - dmin;
  for (let i = 0; i < n; i++) {
    W[i * n + i] = 1;
    for (let j = i + 1; j < n; j++) {
      if (!second[i * n + j]) continue;
      const dn = range > 0 ? (W[i * n + j] - dmin) / range : 0;
      W[i * n + j] = W[j * n + i] = Math.exp(-p.theta * dn) + 1e-5;
    }
  }
  const rowSum = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += W[i * n + j];
    rowSum[i] = s;
  }
  // 0 transient, 1 image-border (also duplicated as absorbing), 2 outlier
  const kind = new Uint8Array(n);
  for (let i = 0; i < n; i++) kind[i] = g.boundary[i];
  for (let i = 0; i < n; i++) if (rowSum[i] < 1.1) kind[i] = 2;
  const tIdx: number[] = [];
  for (let i = 0; i < n; i++) if (kind[i] < 2) tIdx.push(i);
  const t = tIdx.length;
  // D = row sum of W (over all superpixels) + affinity to the absorbing copies of border superpixels
  const D = new Float64Array(t);
  for (let a = 0; a < t; a++) {
    const i = tIdx[a];
    let base = 0;
    for (let j = 0; j < n; j++) if (kind[j] === 1) base += W[i * n + j];
    D[a] = rowSum[i] + base;
  }
  // absorbed time y = (I - D^-1 W)^-1 c  <=>  (D - W) y = D c, with D - W symmetric
  const build = (): Float64Array => {
    const m = new Float64Array(t * t);
    for (let a = 0; a < t; a++) {
      for (let b = 0; b < t; b++) m[a * t + b] = -W[tIdx[a] * n + tIdx[b]];
      m[a * t + a] += D[a];
    }
    return m;
  };
  const y = Float64Array.from(D);
  solveSymmetric(build(), t, [y]);
  normalise(y);
  let sal = y;
  if (p.equilibrium && spreadEntropy(y) >= 2) {
    // re-weight by the inverse of the stationary distribution c_i = rowSum_i / sum(rowSum)
    let sumD = 0;
    for (let a = 0; a < t; a++) sumD += rowSum[tIdx[a]];
    const rW = new Float64Array(t);
    let sumR = 0;
    for (let a = 0; a < t; a++) {
      rW[a] = sumD / rowSum[tIdx[a]];
      sumR += rW[a];
    }
    const rhs = new Float64Array(t);
    for (let a = 0; a < t; a++) rhs[a] = D[a] * (rW[a] / sumR);
    solveSymmetric(build(), t, [rhs]);
    normalise(rhs);
    sal = rhs;
  }
  const out = new Float64Array(n);
  for (let a = 0; a < t; a++) out[tIdx[a]] = sal[a];
  // an outlier is salient when one of its neighbours is clearly salient
  for (let i = 0; i < n; i++) {
    if (kind[i] !== 2) continue;
    for (let j = 0; j < n; j++) {
      if (first[i * n + j] && kind[j] !== 2 && out[j] > 0.3) {
        out[i] = 1;
        break;
      }
    }
  }
  return out;
}

/** Min-max normalise in place (reference: normalize). */
function normalise(v: Float64Array): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) {
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  const r = hi - lo;
  for (let i = 0; i < v.length; i++) v[i] = r > 0 ? (v[i] - lo) / r : 0;
}

/** The reference's "entropy": mass of a 10-bin histogram weighted by distance from the ends. */
export function spreadEntropy(v: Float64Array): number {
  const hist = new Float64Array(11);
  for (const x of v) hist[Math.floor(x * 10)]++;
  hist[9] += hist[10];
  let e = 0;
  for (let j = 1; j <= 10; j++) e += (hist[j - 1] / v.length) * Math.min(j, 11 - j);
  return e;
}

export function mc(img: RgbImage, params: McParams = {}): GrayImage {
  const p = { ...MC_DEFAULTS, ...params, slic: { ...MC_DEFAULTS.slic, ...params.slic } };
  const sp = slic(img, p.slic);
  const g = superpixelGraph(img, sp, { connectivity: 8, boundaryBand: 1 });
  const s = mcOnGraph(g, p);
  // the reference writes the normalised absorbed time without re-scaling (already in [0,1])
  const data = new Uint8Array(img.width * img.height);
  const lut = Uint8Array.from(s, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
  for (let i = 0; i < data.length; i++) data[i] = lut[g.labels[i]];
  return { width: img.width, height: img.height, data };
}
