import type { RgbImage } from '@dilo/core';
import { rgbFloatToLab } from '../util/color';
import type { SlicResult } from './slic';

export interface SuperpixelGraph {
  width: number;
  height: number;
  count: number;
  /** superpixel of each pixel */
  labels: Int32Array;
  /** count x count, 1 where two superpixels touch (4-neighbourhood, or 8 when asked); 0 on the diagonal */
  adjacency: Uint8Array;
  /** pixels per superpixel */
  size: Float64Array;
  /** mean sRGB colour (0-255), 3 per superpixel */
  meanRgb: Float64Array;
  /** Lab of the mean sRGB colour, 3 per superpixel: the colour the RBD/GS reference code compares */
  meanLab: Float64Array;
  /** mean of the pixels' Lab values, 3 per superpixel (what SLIC clusters on; used by MC) */
  meanPixelLab: Float64Array;
  /** centroid (row / height, column / width), 2 per superpixel */
  centroid: Float64Array;
  /** 1 for superpixels with a pixel within `boundaryBand` pixels of the image border */
  boundary: Uint8Array;
}

export interface GraphOptions {
  /** neighbourhood for adjacency (default 4) */
  connectivity?: 4 | 8;
  /** width in pixels of the border band that makes a superpixel a boundary one (default 1; RBD's reference uses 8) */
  boundaryBand?: number;
}

/** Superpixel graph: adjacency, colour, size, centroid and image-boundary membership of each superpixel. */
export function superpixelGraph(img: RgbImage, sp: SlicResult, opts: GraphOptions = {}): SuperpixelGraph {
  const { width: w, height: h, labels, count: n, lab } = sp;
  const adjacency = new Uint8Array(n * n);
  const size = new Float64Array(n);
  const rgb = new Float64Array(3 * n);
  const plab = new Float64Array(3 * n);
  const cen = new Float64Array(2 * n);
  const d = img.data;
  const diag = opts.connectivity === 8;
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      const l = labels[i];
      size[l]++;
      rgb[3 * l] += d[3 * i];
      rgb[3 * l + 1] += d[3 * i + 1];
      rgb[3 * l + 2] += d[3 * i + 2];
      plab[3 * l] += lab[3 * i];
      plab[3 * l + 1] += lab[3 * i + 1];
      plab[3 * l + 2] += lab[3 * i + 2];
      cen[2 * l] += y;
      cen[2 * l + 1] += x;
      if (x + 1 < w) {
        const r = labels[i + 1];
        if (r !== l) adjacency[l * n + r] = adjacency[r * n + l] = 1;
      }
      if (y + 1 < h) {
        const b = labels[i + w];
        if (b !== l) adjacency[l * n + b] = adjacency[b * n + l] = 1;
        if (diag) {
          if (x + 1 < w) {
            const br = labels[i + w + 1];
            if (br !== l) adjacency[l * n + br] = adjacency[br * n + l] = 1;
          }
          if (x > 0) {
            const bl = labels[i + w - 1];
            if (bl !== l) adjacency[l * n + bl] = adjacency[bl * n + l] = 1;
          }
        }
      }
    }
  }
  const meanLab = new Float64Array(3 * n);
  for (let l = 0; l < n; l++) {
    const inv = 1 / Math.max(1, size[l]);
    for (let c = 0; c < 3; c++) {
      rgb[3 * l + c] *= inv;
      plab[3 * l + c] *= inv;
    }
    // the reference MATLAB code takes 1-based pixel coordinates over the image size
    cen[2 * l] = (cen[2 * l] * inv + 1) / h;
    cen[2 * l + 1] = (cen[2 * l + 1] * inv + 1) / w;
    rgbFloatToLab(rgb[3 * l], rgb[3 * l + 1], rgb[3 * l + 2], meanLab, 3 * l);
  }
  const boundary = boundarySuperpixels(labels, w, h, n, opts.boundaryBand ?? 1);
  return { width: w, height: h, count: n, labels, adjacency, size, meanRgb: rgb, meanLab, meanPixelLab: plab, centroid: cen, boundary };
}

/** Superpixels with a pixel in the `band`-pixel frame around the image. */
export function boundarySuperpixels(labels: Int32Array, w: number, h: number, n: number, band: number): Uint8Array {
  const out = new Uint8Array(n);
  const b = Math.max(1, Math.min(band, Math.ceil(Math.min(w, h) / 2)));
  for (let y = 0; y < h; y++) {
    const row = y * w;
    if (y < b || y >= h - b) {
      for (let x = 0; x < w; x++) out[labels[row + x]] = 1;
    } else {
      for (let x = 0; x < b; x++) out[labels[row + x]] = 1;
      for (let x = w - b; x < w; x++) out[labels[row + x]] = 1;
    }
  }
  return out;
}

/** Indices where mask is 1. */
export function indicesOf(mask: Uint8Array): Int32Array {
  let k = 0;
  for (let i = 0; i < mask.length; i++) k += mask[i];
  const out = new Int32Array(k);
  for (let i = 0, j = 0; i < mask.length; i++) if (mask[i]) out[j++] = i;
  return out;
}

/** Pairwise Euclidean distances between rows of an n x dim feature array (n*n). */
export function distanceMatrix(feat: Float64Array, n: number, dim: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let c = 0; c < dim; c++) {
        const t = feat[i * dim + c] - feat[j * dim + c];
        s += t * t;
      }
      out[i * n + j] = out[j * n + i] = Math.sqrt(s);
    }
  }
  return out;
}
