/**
 * Localization scores of a saliency-like map against ground truth (a mask, or a box rasterised
 * to a mask):
 * - energy fraction: sum of the map inside the object / sum of the whole map (the map is the
 *   min-max normalised CAM, so values are in [0, 1]); 0 when the map is all zero.
 * - pointing game (Zhang et al., ECCV 2016): a hit when the map's maximum lies on the object or
 *   within `tolerance` pixels of it. The paper's tolerance is 15 px at 224 px images; dilo's
 *   default scales it to the image: round(15 * min(width, height) / 224) (e.g. 4 px at 64 px);
 *   pass 0 for a strict test. Ties for the maximum: the first pixel in raster order.
 */
import type { FloatMap } from './cam';

export interface Box {
  x0: number;
  y0: number;
  /** exclusive */
  x1: number;
  y1: number;
}

/** A box as a 0/1 mask of width x height (clipped to the image). */
export function boxMask(boxes: Box[], width: number, height: number): Uint8Array {
  const m = new Uint8Array(width * height);
  for (const b of boxes) {
    for (let y = Math.max(0, Math.floor(b.y0)); y < Math.min(height, Math.ceil(b.y1)); y++) {
      for (let x = Math.max(0, Math.floor(b.x0)); x < Math.min(width, Math.ceil(b.x1)); x++) m[y * width + x] = 1;
    }
  }
  return m;
}

export function energyFraction(map: FloatMap, mask: Uint8Array): number {
  if (mask.length !== map.data.length) throw new RangeError(`mask has ${mask.length} pixels, map ${map.data.length}`);
  let inside = 0, total = 0;
  for (let p = 0; p < mask.length; p++) {
    total += map.data[p];
    if (mask[p]) inside += map.data[p];
  }
  return total > 0 ? inside / total : 0;
}

export function defaultPointingTolerance(width: number, height: number): number {
  return Math.round((15 * Math.min(width, height)) / 224);
}

/** Position of the map's maximum (first in raster order on ties). */
export function argmaxPixel(map: FloatMap): { x: number; y: number } {
  let best = 0;
  for (let p = 1; p < map.data.length; p++) if (map.data[p] > map.data[best]) best = p;
  return { x: best % map.width, y: Math.floor(best / map.width) };
}

export function pointingHit(map: FloatMap, mask: Uint8Array, tolerance = defaultPointingTolerance(map.width, map.height)): boolean {
  const { x, y } = argmaxPixel(map);
  const t = Math.ceil(tolerance);
  for (let yy = Math.max(0, y - t); yy <= Math.min(map.height - 1, y + t); yy++) {
    for (let xx = Math.max(0, x - t); xx <= Math.min(map.width - 1, x + t); xx++) {
      if (mask[yy * map.width + xx] && (xx - x) ** 2 + (yy - y) ** 2 <= tolerance * tolerance) return true;
    }
  }
  return false;
}
