/**
 * detectron2's Box2BoxTransform: boxes [x0, y0, x1, y1] (flat, 4 per box) to deltas
 * (dx, dy, dw, dh) = (wx * Δcx / w, wy * Δcy / h, ww * log(w' / w), wh * log(h' / h)) and back.
 * Weights (1, 1, 1, 1) for the RPN, (10, 10, 5, 5) for the ROI box head; dw and dh are clamped at
 * log(1000 / 16) before exp, as in detectron2.
 */
export type BoxWeights = [number, number, number, number];
export const RPN_BOX_WEIGHTS: BoxWeights = [1, 1, 1, 1];
export const ROI_BOX_WEIGHTS: BoxWeights = [10, 10, 5, 5];
export const SCALE_CLAMP = Math.log(1000 / 16);

/** get_deltas: the deltas that turn each src box into the matching target box. */
export function boxDeltas(src: ArrayLike<number>, target: ArrayLike<number>, weights: BoxWeights): Float64Array {
  if (src.length !== target.length || src.length % 4 !== 0) throw new RangeError(`boxDeltas: src (${src.length}) and target (${target.length}) must both hold 4 numbers per box`);
  const [wx, wy, ww, wh] = weights;
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i += 4) {
    const sw = src[i + 2]! - src[i]!;
    const sh = src[i + 3]! - src[i + 1]!;
    const sx = src[i]! + 0.5 * sw;
    const sy = src[i + 1]! + 0.5 * sh;
    const tw = target[i + 2]! - target[i]!;
    const th = target[i + 3]! - target[i + 1]!;
    const tx = target[i]! + 0.5 * tw;
    const ty = target[i + 1]! + 0.5 * th;
    out[i] = (wx * (tx - sx)) / sw;
    out[i + 1] = (wy * (ty - sy)) / sh;
    out[i + 2] = ww * Math.log(tw / sw);
    out[i + 3] = wh * Math.log(th / sh);
  }
  return out;
}

/**
 * apply_deltas: boxes [N * 4] and deltas [N * 4k] (k sets per box, e.g. one per class) to
 * predicted boxes [N * 4k].
 */
export function applyBoxDeltas(deltas: ArrayLike<number>, boxes: ArrayLike<number>, weights: BoxWeights): Float64Array {
  if (boxes.length % 4 !== 0) throw new RangeError(`applyBoxDeltas: ${boxes.length} box numbers is not a multiple of 4`);
  const n = boxes.length / 4;
  const fits = n === 0 ? deltas.length === 0 : deltas.length % (4 * n) === 0;
  if (!fits) throw new RangeError(`applyBoxDeltas: ${deltas.length} deltas do not fit ${n} boxes`);
  const k = n === 0 ? 0 : deltas.length / (4 * n);
  const [wx, wy, ww, wh] = weights;
  const out = new Float64Array(deltas.length);
  for (let i = 0; i < n; i++) {
    const w = boxes[4 * i + 2]! - boxes[4 * i]!;
    const h = boxes[4 * i + 3]! - boxes[4 * i + 1]!;
    const cx = boxes[4 * i]! + 0.5 * w;
    const cy = boxes[4 * i + 1]! + 0.5 * h;
    for (let j = 0; j < k; j++) {
      const o = (i * k + j) * 4;
      const dx = deltas[o]! / wx;
      const dy = deltas[o + 1]! / wy;
      const dw = Math.min(deltas[o + 2]! / ww, SCALE_CLAMP);
      const dh = Math.min(deltas[o + 3]! / wh, SCALE_CLAMP);
      const pcx = dx * w + cx;
      const pcy = dy * h + cy;
      const pw = Math.exp(dw) * w;
      const ph = Math.exp(dh) * h;
      out[o] = pcx - 0.5 * pw;
      out[o + 1] = pcy - 0.5 * ph;
      out[o + 2] = pcx + 0.5 * pw;
      out[o + 3] = pcy + 0.5 * ph;
    }
  }
  return out;
}
