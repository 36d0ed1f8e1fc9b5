import type { GrayImage, RgbImage } from '@dilo/core';
import { slic, SUPERPIXEL_METHOD_SLIC_ITERATIONS, type SlicOptions } from '../superpixel/slic';
import { distanceMatrix, indicesOf, superpixelGraph, type SuperpixelGraph } from '../superpixel/graph';
import { dijkstra, graphFromMatrix } from '../util/shortest-paths';
import { superpixelsToMap } from '../util/map';
import { dynamicParams } from './rbd';

/**
 * Geodesic saliency (Wei et al., ECCV 2012) on superpixels, as in the superpixel version of the
 * public code by Zhu (co-author of both GS and RBD): a virtual background node joined at zero
 * cost to the boundary superpixels that boundary analysis keeps as background, edge weights =
 * Lab distance minus the clipping value (weak-edge clipping), saliency = geodesic distance to it.
 */
export interface GsParams {
  slic?: SlicOptions;
  /** border band (px) whose superpixels are boundary ones (reference: 8) */
  boundaryBand?: number;
  /** boundary analysis (context-aware saliency of the boundary) drops foreground-looking boundary superpixels (reference: on) */
  boundaryAnalysis?: boolean;
  /** fraction of most salient superpixels mapped to 1 (reference: 0.02) */
  topRate?: number;
}

export const GS_DEFAULTS = {
  slic: { pixelsPerSuperpixel: 600, compactness: 20, iterations: SUPERPIXEL_METHOD_SLIC_ITERATIONS } as SlicOptions,
  boundaryBand: 8,
  boundaryAnalysis: true,
  topRate: 0.02,
};

/**
 * Boundary superpixels that look like background: context-aware (Goferman et al.) dissimilarity
 * of each boundary superpixel to its nearest boundary neighbours; those above the middle of the
 * range are treated as foreground touching the border (reference: BoundaryAnalysis).
 */
export function boundaryBackground(colDist: Float64Array, posDist: Float64Array, bdIds: Int32Array, n: number): Int32Array {
  const nb = bdIds.length;
  const k = Math.round((n / 200) * 5);
  const c = 3;
  if (nb < 2 || k < 1) return bdIds;
  const meanDist = new Float64Array(nb);
  const row = new Float64Array(nb);
  for (let a = 0; a < nb; a++) {
    for (let b = 0; b < nb; b++) {
      const i = bdIds[a];
      const j = bdIds[b];
      row[b] = a === b ? Infinity : colDist[i * n + j] / (1 + c * posDist[i * n + j]);
    }
    row.sort();
    let s = 0;
    for (let t = 0; t < k; t++) s += t < nb ? row[t] : Infinity;
    meanDist[a] = s / k;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of meanDist) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!(hi - lo > 1)) return bdIds;
  const keep: number[] = [];
  for (let a = 0; a < nb; a++) if ((meanDist[a] - lo) / (hi - lo) <= 0.5) keep.push(bdIds[a]);
  return Int32Array.from(keep);
}

export function gsOnGraph(g: SuperpixelGraph, p: typeof GS_DEFAULTS): Float64Array {
  const n = g.count;
  const adj = g.adjacency;
  const colDist = distanceMatrix(g.meanLab, n, 3);
  const posDist = distanceMatrix(g.centroid, n, 2);
  const { clipVal } = dynamicParams(adj, colDist, n);
  const bd = g.boundary;
  const bdIds = indicesOf(bd);
  const bgIds = p.boundaryAnalysis ? boundaryBackground(colDist, posDist, bdIds, n) : bdIds;
  const graph = graphFromMatrix(
    n,
    (i, j) => adj[i * n + j] === 1 || (bd[i] === 1 && bd[j] === 1),
    (i, j) => Math.max(0, colDist[i * n + j] - clipVal),
  );
  const geo = dijkstra(graph, bgIds);
  // a superpixel cut off from every background one (cannot happen on a connected image) is most salient
  let finiteMax = 0;
  for (const v of geo) if (Number.isFinite(v) && v > finiteMax) finiteMax = v;
  for (let i = 0; i < n; i++) if (!Number.isFinite(geo[i])) geo[i] = finiteMax;
  // re-normalise so the top 2% are 1
  const sorted = Float64Array.from(geo).sort().reverse();
  const pos = Math.max(1, Math.round(p.topRate * n));
  const maxVal = sorted[pos - 1];
  if (maxVal > 0) for (let i = 0; i < n; i++) geo[i] = Math.min(1, geo[i] / maxVal);
  return geo;
}

export function gs(img: RgbImage, params: GsParams = {}): GrayImage {
  const p = { ...GS_DEFAULTS, ...params, slic: { ...GS_DEFAULTS.slic, ...params.slic } };
  const sp = slic(img, p.slic);
  const g = superpixelGraph(img, sp, { boundaryBand: p.boundaryBand });
  return superpixelsToMap(gsOnGraph(g, p), g.labels, img.width, img.height);
}
