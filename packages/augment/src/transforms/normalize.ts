/** Where a view's last step writes: CHW float32 (x / 255 - mean) / std at out[offset], mirrored if flip. */
export interface NormalizeTarget {
  out: Float32Array;
  offset: number;
  flip: boolean;
  mean: readonly number[];
  std: readonly number[];
}

/**
 * ToTensor + Normalize(mean, std) with the horizontal flip folded in: HWC 0-255 float in,
 * CHW float32 (x / 255 - mean) / std out, columns mirrored when flip is set. Flipping last is
 * exact because every step after the crop (jitter, grayscale, blur) commutes with a mirror.
 */
export function normalizeChw(view: Float32Array, width: number, height: number, flip: boolean, mean: readonly number[], std: readonly number[], out: Float32Array, offset: number): void {
  const plane = width * height;
  const a0 = 1 / (255 * std[0]);
  const a1 = 1 / (255 * std[1]);
  const a2 = 1 / (255 * std[2]);
  const b0 = -mean[0] / std[0];
  const b1 = -mean[1] / std[1];
  const b2 = -mean[2] / std[2];
  const o1 = offset + plane;
  const o2 = offset + 2 * plane;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const s = (row + (flip ? width - 1 - x : x)) * 3;
      const d = row + x;
      out[offset + d] = view[s] * a0 + b0;
      out[o1 + d] = view[s + 1] * a1 + b1;
      out[o2 + d] = view[s + 2] * a2 + b2;
    }
  }
}

/** The inverse, for looking at views: CHW normalised float32 back to HWC uint8. */
export function denormalizeToRgb(chw: Float32Array, offset: number, width: number, height: number, mean: readonly number[], std: readonly number[]): Uint8Array {
  const plane = width * height;
  const out = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    for (let q = 0; q < plane; q++) {
      const v = (chw[offset + c * plane + q] * std[c] + mean[c]) * 255;
      out[q * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
    }
  }
  return out;
}
