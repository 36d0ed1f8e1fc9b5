import { batchedNms } from './nms';

/** Boxes.clip: x to [0, width], y to [0, height], in place. */
export function clipBoxes(boxes: Float64Array, height: number, width: number): Float64Array {
  for (let i = 0; i < boxes.length; i += 4) {
    boxes[i] = Math.min(Math.max(boxes[i]!, 0), width);
    boxes[i + 1] = Math.min(Math.max(boxes[i + 1]!, 0), height);
    boxes[i + 2] = Math.min(Math.max(boxes[i + 2]!, 0), width);
    boxes[i + 3] = Math.min(Math.max(boxes[i + 3]!, 0), height);
  }
  return boxes;
}

export interface Detections {
  /** [n * 4] boxes x0, y0, x1, y1. */
  boxes: Float64Array;
  scores: Float64Array;
  /** Class index 0..K-1. */
  classes: Int32Array;
}

/**
 * fast_rcnn_inference_single_image: R proposals with class scores [R x (K + 1)] (background last,
 * as detectron2 orders them) and boxes [R x 4K] (class-specific) or [R x 4]; drops non-finite rows,
 * clips to the image, keeps (proposal, class) pairs scoring > scoreThresh, per-class NMS, best topk.
 * detectron2's test defaults: scoreThresh 0.05, nmsThresh 0.5, topk 100.
 */
export function fastRcnnInference(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  R: number,
  K: number,
  image: { height: number; width: number },
  opts: { scoreThresh?: number; nmsThresh?: number; topk?: number } = {},
): Detections {
  const scoreThresh = opts.scoreThresh ?? 0.05;
  const nmsThresh = opts.nmsThresh ?? 0.5;
  const topk = opts.topk ?? 100;
  if (scores.length !== R * (K + 1)) throw new RangeError(`fastRcnnInference: ${scores.length} scores for ${R} x (${K} + 1)`);
  const perClass = boxes.length === R * 4 * K;
  if (!perClass && boxes.length !== R * 4) throw new RangeError(`fastRcnnInference: ${boxes.length} box numbers for ${R} proposals and ${K} classes`);
  const cand: number[] = [];
  const candScores: number[] = [];
  const candClasses: number[] = [];
  for (let r = 0; r < R; r++) {
    const bOff = perClass ? r * 4 * K : r * 4;
    let finite = true;
    for (let q = 0; q < (perClass ? 4 * K : 4); q++) if (!Number.isFinite(boxes[bOff + q]!)) finite = false;
    for (let k = 0; k <= K; k++) if (!Number.isFinite(scores[r * (K + 1) + k]!)) finite = false;
    if (!finite) continue;
    for (let k = 0; k < K; k++) {
      const s = scores[r * (K + 1) + k]!;
      if (!(s > scoreThresh)) continue;
      const o = perClass ? bOff + 4 * k : bOff;
      cand.push(boxes[o]!, boxes[o + 1]!, boxes[o + 2]!, boxes[o + 3]!);
      candScores.push(s);
      candClasses.push(k);
    }
  }
  const clipped = clipBoxes(Float64Array.from(cand), image.height, image.width);
  let keep = batchedNms(clipped, candScores, candClasses, nmsThresh);
  if (topk >= 0) keep = keep.slice(0, topk);
  const out: Detections = { boxes: new Float64Array(keep.length * 4), scores: new Float64Array(keep.length), classes: new Int32Array(keep.length) };
  keep.forEach((i, n) => {
    out.boxes.set(clipped.subarray(4 * i, 4 * i + 4), 4 * n);
    out.scores[n] = candScores[i]!;
    out.classes[n] = candClasses[i]!;
  });
  return out;
}
