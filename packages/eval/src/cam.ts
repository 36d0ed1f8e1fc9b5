/**
 * Class activation maps (Zhou et al., CVPR 2016): for a linear classifier on globally
 * average-pooled features, the map of class c is M_c = sum_k w_ck A_k over the last
 * convolutional map A [K, h, w] (the bias adds a constant, which min-max normalisation removes).
 * Maps are upsampled bilinearly to the image size (half-pixel centres, as cv2.resize /
 * torch interpolate with align_corners=False) and min-max normalised to [0, 1].
 */
import type { GrayImage, RgbImage } from '@dilo/core';
import type { ConvMaps } from './features';
import type { LinearModel } from './softmax';

/** A single-channel float map, row-major. */
export interface FloatMap {
  width: number;
  height: number;
  data: Float32Array;
}

/** Raw CAM of one sample (row `index` of the conv maps) for class `cls`. */
export function classActivationMap(conv: ConvMaps, index: number, model: LinearModel, cls: number): FloatMap {
  const { c: K, h, w } = conv;
  if (model.dim !== K) throw new RangeError(`classifier has ${model.dim} inputs but the conv map has ${K} channels`);
  if (cls < 0 || cls >= model.numClasses) throw new RangeError(`class ${cls} out of range [0, ${model.numClasses})`);
  const P = h * w;
  const out = new Float32Array(P);
  const base = index * K * P;
  for (let k = 0; k < K; k++) {
    const wk = model.weight[cls * K + k];
    if (wk === 0) continue;
    const o = base + k * P;
    for (let p = 0; p < P; p++) out[p] += wk * conv.data[o + p];
  }
  return { width: w, height: h, data: out };
}

/** Bilinear resize with half-pixel centres and edge clamping. */
export function resizeBilinear(m: FloatMap, width: number, height: number): FloatMap {
  const out = new Float32Array(width * height);
  const sx = m.width / width;
  const sy = m.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), m.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, m.height - 1);
    const ty = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), m.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, m.width - 1);
      const tx = fx - x0;
      const a = m.data[y0 * m.width + x0] * (1 - tx) + m.data[y0 * m.width + x1] * tx;
      const b = m.data[y1 * m.width + x0] * (1 - tx) + m.data[y1 * m.width + x1] * tx;
      out[y * width + x] = a * (1 - ty) + b * ty;
    }
  }
  return { width, height, data: out };
}

/** (m - min) / (max - min); a constant map becomes all zeros. */
export function minMaxNormalize(m: FloatMap): FloatMap {
  let lo = Infinity, hi = -Infinity;
  for (const v of m.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const r = hi - lo;
  return { width: m.width, height: m.height, data: m.data.map((v) => (r > 0 ? (v - lo) / r : 0)) };
}

/** The CAM of one sample at image resolution, in [0, 1]. */
export function camAtImageSize(conv: ConvMaps, index: number, model: LinearModel, cls: number, width: number, height: number): FloatMap {
  return minMaxNormalize(resizeBilinear(classActivationMap(conv, index, model, cls), width, height));
}

/** Jet colormap (piecewise linear, as matplotlib's 'jet'): t in [0, 1] -> RGB 0-255. */
export function jet(t: number): [number, number, number] {
  const v = Math.min(1, Math.max(0, t));
  const ch = (x: number) => Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * v - x))));
  return [ch(3), ch(2), ch(1)];
}

/** The heat map blended on the image: out = (1 - alpha) * image + alpha * jet(cam). */
export function overlayCam(img: RgbImage, cam: FloatMap, alpha = 0.5): RgbImage {
  if (cam.width !== img.width || cam.height !== img.height) throw new RangeError(`CAM is ${cam.width}x${cam.height}, image ${img.width}x${img.height}`);
  const data = new Uint8Array(img.data.length);
  for (let p = 0; p < cam.data.length; p++) {
    const c = jet(cam.data[p]);
    for (let k = 0; k < 3; k++) data[3 * p + k] = Math.round((1 - alpha) * img.data[3 * p + k] + alpha * c[k]);
  }
  return { width: img.width, height: img.height, data };
}

/** The map itself as a jet-coloured image. */
export function colorizeCam(cam: FloatMap): RgbImage {
  const data = new Uint8Array(cam.data.length * 3);
  for (let p = 0; p < cam.data.length; p++) data.set(jet(cam.data[p]), 3 * p);
  return { width: cam.width, height: cam.height, data };
}

/** A mask as booleans (> 127 is foreground), e.g. from decodeMask. */
export function binarizeMask(mask: GrayImage, threshold = 127): Uint8Array {
  return mask.data.map((v) => (v > threshold ? 1 : 0));
}
