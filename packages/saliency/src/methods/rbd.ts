import type { GrayImage, RgbImage } from '@dilo/core';
import { slic, SUPERPIXEL_METHOD_SLIC_ITERATIONS, type SlicOptions } from '../superpixel/slic';
import { distanceMatrix, indicesOf, superpixelGraph, type SuperpixelGraph } from '../superpixel/graph';
import { otsuThreshold, solveSymmetric } from '../util/linalg';
import { allPairsShortestPaths, graphFromMatrix } from '../util/shortest-paths';
import { superpixelsToMap } from '../util/map';

/**
 * Constants below are those of the authors' public MATLAB code (Zhu et al., "Saliency Optimization
 * from Robust Background Detection", CVPR 2014) where the paper leaves them open.
 */
export interface RbdParams {
  slic?: SlicOptions;
  /** width of the image-border band whose superpixels are "boundary" (reference: 8 px) */
  boundaryBand?: number;
  /** sigma turning boundary connectivity into background probability (reference: 1) */
  bdConSigma?: number;
  /** spatial sigma of the weighted contrast (reference: 0.4, on coordinates normalised to [0,1]) */
  spaSigma?: number;
  /** regulariser weight mu in the optimisation (reference: 0.1) */
  mu?: number;
  /** background term weight (reference: 5) */
  bgLambda?: number;
  /** superpixels with boundary connectivity above this get background weight 1000 (reference: 3) */
  highBdCon?: number;
}

export const RBD_DEFAULTS: Required<Omit<RbdParams, 'slic'>> & { slic: SlicOptions } = {
  slic: { pixelsPerSuperpixel: 600, compactness: 20, iterations: SUPERPIXEL_METHOD_SLIC_ITERATIONS },
  boundaryBand: 8,
  bdConSigma: 1,
  spaSigma: 0.4,
  mu: 0.1,
  bgLambda: 5,
  highBdCon: 3,
};

/** Adjacency with its diagonal set, as the reference's GetAdjMatrix returns it. */
function withDiagonal(adj: Uint8Array, n: number): Uint8Array {
  const a = adj.slice();
  for (let i = 0; i < n; i++) a[i * n + i] = 1;
  return a;
}

/** Statistics of neighbour colour distances that set the clipping value and sigmas (reference: EstimateDynamicParas). */
export function dynamicParams(adj: Uint8Array, colDist: Float64Array, n: number): { clipVal: number; geoSigma: number; neiSigma: number } {
  // 1-ring minimum distances
  let meanMin1 = 0;
  const top: number[] = [];
  for (let i = 0; i < n; i++) {
    let m = Infinity;
    for (let j = 0; j < n; j++) {
      if (j === i || !adj[i * n + j]) continue;
      const d = colDist[i * n + j];
      if (d < m) m = d;
      if (j < i) top.push(d);
    }
    meanMin1 += Number.isFinite(m) ? m : 0;
  }
  meanMin1 /= n;
  top.sort((a, b) => b - a);
  const k = Math.round(0.01 * top.length);
  let meanTop = 0;
  for (let i = 0; i < k; i++) meanTop += top[i];
  meanTop = k > 0 ? meanTop / k : NaN; // MATLAB's mean([]) is NaN, which min() then ignores
  // 2-ring minimum distances
  const ring2 = twoRing(withDiagonal(adj, n), n);
  let meanMin2 = 0;
  for (let i = 0; i < n; i++) {
    let m = Infinity;
    for (let j = 0; j < n; j++) if (j !== i && ring2[i * n + j] && colDist[i * n + j] < m) m = colDist[i * n + j];
    meanMin2 += Number.isFinite(m) ? m : 0;
  }
  meanMin2 /= n;
  const minNan = (...v: number[]): number => Math.min(...v.filter((x) => !Number.isNaN(x)));
  const geoSigma = Math.max(minNan(10, meanMin1 * 3, meanTop / 10), 5);
  const neiSigma = minNan(3 * meanMin1, 0.2 * meanTop, 20);
  return { clipVal: meanMin2, geoSigma, neiSigma };
}

/** (A*A + A) > 0 for a 0/1 matrix A that has its diagonal set: nodes within two hops. */
export function twoRing(a: Uint8Array, n: number): Uint8Array {
  const out = a.slice();
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      if (!a[i * n + k]) continue;
      const rk = k * n;
      const ri = i * n;
      for (let j = 0; j < n; j++) if (a[rk + j]) out[ri + j] = 1;
    }
  }
  return out;
}

/** exp(-d^2 / 2 sigma^2), 0 beyond 3 sigma (reference: Dist2WeightMatrix). */
function distToWeight(d: number, sigma: number): number {
  return d > 3 * sigma ? 0 : Math.exp((-d * d) / (2 * sigma * sigma));
}

export interface RbdDetail {
  graph: SuperpixelGraph;
  bdCon: Float64Array;
  bgProb: Float64Array;
  wCtr: Float64Array;
  saliency: Float64Array;
}

/** RBD on a superpixel graph: boundary connectivity -> background probability -> weighted contrast -> least-squares optimisation. */
export function rbdOnGraph(g: SuperpixelGraph, p: typeof RBD_DEFAULTS): Omit<RbdDetail, 'graph'> {
  const n = g.count;
  const adj = g.adjacency;
  const colDist = distanceMatrix(g.meanLab, n, 3);
  const posDist = distanceMatrix(g.centroid, n, 2);
  const { clipVal, geoSigma, neiSigma } = dynamicParams(adj, colDist, n);
  const bd = g.boundary;
  const bdIds = indicesOf(bd);

  // boundary connectivity: geodesic distances on the graph with all boundary superpixels linked
  // weights vanish beyond 3 sigma, so the search stops there, and an edge longer than that can
  // never be on a counted path: dropping those (most of the boundary clique) changes nothing
  const limit = 3 * geoSigma;
  const geoGraph = graphFromMatrix(
    n,
    (i, j) => (adj[i * n + j] === 1 || (bd[i] === 1 && bd[j] === 1)) && colDist[i * n + j] - clipVal <= limit,
    (i, j) => Math.max(0, colDist[i * n + j] - clipVal),
  );
  const geo = allPairsShortestPaths(geoGraph, limit);
  const bdCon = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let len = 0;
    let area = 0;
    const r = i * n;
    for (let j = 0; j < n; j++) {
      const d = geo[r + j];
      if (!Number.isFinite(d)) continue;
      const wgt = distToWeight(d, geoSigma);
      area += wgt;
      if (bd[j]) len += wgt;
    }
    bdCon[i] = len / Math.sqrt(area);
  }
  const bgProb = new Float64Array(n);
  const bgWeight = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    bgProb[i] = 1 - Math.exp(-(bdCon[i] * bdCon[i]) / (2 * p.bdConSigma * p.bdConSigma));
    bgWeight[i] = bdCon[i] > p.highBdCon ? 1000 : bgProb[i];
  }

  // background-weighted contrast, min-max normalised, low values removed with Otsu's threshold
  const wCtr = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += colDist[i * n + j] * distToWeight(posDist[i * n + j], p.spaSigma) * bgProb[j];
    wCtr[i] = s;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, wCtr[i]);
    hi = Math.max(hi, wCtr[i]);
  }
  for (let i = 0; i < n; i++) wCtr[i] = (wCtr[i] - lo) / (hi - lo + Number.EPSILON);
  const thresh = otsuThreshold(wCtr);
  for (let i = 0; i < n; i++) if (wCtr[i] < thresh) wCtr[i] = 0;

  // saliency optimisation (Eq. 9): (D - W + diag(lambda*bg) + diag(fg)) s = fg
  const nn = twoRing(withDiagonal(adj, n), n);
  for (let i = 0; i < bdIds.length; i++) for (let j = 0; j < bdIds.length; j++) nn[bdIds[i] * n + bdIds[j]] = 1;
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let deg = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let w = nn[i * n + j] ? distToWeight(colDist[i * n + j], neiSigma) : 0;
      if (adj[i * n + j]) w += p.mu;
      m[i * n + j] = -w;
      deg += w;
    }
    m[i * n + i] = deg + p.bgLambda * bgWeight[i] + wCtr[i];
  }
  const sal = wCtr.slice();
  solveSymmetric(m, n, [sal]);
  return { bdCon, bgProb, wCtr, saliency: sal };
}

/** Saliency by robust background detection (RBD) as a per-superpixel vector plus the graph. */
export function rbdDetail(img: RgbImage, params: RbdParams = {}): RbdDetail {
  const p = { ...RBD_DEFAULTS, ...params, slic: { ...RBD_DEFAULTS.slic, ...params.slic } };
  const sp = slic(img, p.slic);
  const graph = superpixelGraph(img, sp, { boundaryBand: p.boundaryBand });
  return { graph, ...rbdOnGraph(graph, p) };
}

export function rbd(img: RgbImage, params: RbdParams = {}): GrayImage {
  const d = rbdDetail(img, params);
  return superpixelsToMap(d.saliency, d.graph.labels, img.width, img.height);
}
