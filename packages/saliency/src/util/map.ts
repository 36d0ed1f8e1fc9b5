import type { GrayImage } from '@dilo/core';
import { nativeSaliencyKernels } from '../native';

/** Min-max normalise values to 0-255 (all equal: all 0), rounded like MATLAB's im2uint8. */
export function toUint8(values: ArrayLike<number>, width: number, height: number): GrayImage {
  const n = width * height;
  const k = nativeSaliencyKernels();
  if (k && values instanceof Float32Array) {
    const data = new Uint8Array(n);
    k.toUint8(values, n, data);
    return { width, height, data };
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const data = new Uint8Array(n);
  if (hi > lo && Number.isFinite(hi - lo)) {
    const s = 255 / (hi - lo);
    // values are >= lo, so truncating x + 0.5 rounds half up like Math.round
    for (let i = 0; i < n; i++) data[i] = ((values[i] - lo) * s + 0.5) | 0;
  }
  return { width, height, data };
}

/** Paint each pixel with its superpixel's value, min-max normalised to 0-255. */
export function superpixelsToMap(values: Float64Array, labels: Int32Array, width: number, height: number): GrayImage {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  const lut = new Uint8Array(values.length);
  if (hi > lo) for (let i = 0; i < values.length; i++) lut[i] = Math.round(((values[i] - lo) / (hi - lo)) * 255);
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = lut[labels[i]];
  return { width, height, data };
}
