import type { Rng } from '@dilo/core';
import { matchPredictions, pairwiseIou, ROI_MATCHER } from './matcher';
import { nms } from './nms';
import { clipBoxes } from './postprocess';
import { subsampleLabels } from './sampling';

export interface RpnProposalOptions {
  /** Best-scored anchors kept before NMS (detectron2 C4: 12000 training, 6000 test). */
  preNmsTopk: number;
  /** Proposals kept after NMS (2000 training, 1000 test). */
  postNmsTopk: number;
  /** 0.7 */
  nmsThresh: number;
  /** Boxes need width and height > minSize (0). */
  minSize: number;
}

export const RPN_TRAIN: RpnProposalOptions = { preNmsTopk: 12000, postNmsTopk: 2000, nmsThresh: 0.7, minSize: 0 };
export const RPN_TEST: RpnProposalOptions = { preNmsTopk: 6000, postNmsTopk: 1000, nmsThresh: 0.7, minSize: 0 };

/**
 * find_top_rpn_proposals for one image and one feature level (C4): the preNmsTopk anchors of
 * highest objectness (ties in input order), non-finite ones dropped, clipped to the image, empty
 * ones dropped, NMS, the best postNmsTopk. boxes [A * 4] are the decoded anchors.
 */
export function selectRpnProposals(boxes: ArrayLike<number>, logits: ArrayLike<number>, image: { height: number; width: number }, o: RpnProposalOptions): { boxes: Float64Array; logits: Float64Array } {
  const A = logits.length;
  if (boxes.length !== 4 * A) throw new RangeError(`selectRpnProposals: ${boxes.length} box numbers for ${A} logits`);
  const order = Array.from({ length: A }, (_, i) => i)
    .sort((a, b) => (logits[b]! > logits[a]! ? 1 : logits[b]! < logits[a]! ? -1 : a - b))
    .slice(0, Math.min(o.preNmsTopk, A));
  const kept: number[] = [];
  const cand: number[] = [];
  for (const i of order) {
    const b = [boxes[4 * i]!, boxes[4 * i + 1]!, boxes[4 * i + 2]!, boxes[4 * i + 3]!];
    if (!b.every(Number.isFinite) || !Number.isFinite(logits[i]!)) continue;
    cand.push(...b);
    kept.push(i);
  }
  const clipped = clipBoxes(Float64Array.from(cand), image.height, image.width);
  const nonEmpty: number[] = [];
  for (let k = 0; k < kept.length; k++) {
    if (clipped[4 * k + 2]! - clipped[4 * k]! > o.minSize && clipped[4 * k + 3]! - clipped[4 * k + 1]! > o.minSize) nonEmpty.push(k);
  }
  const nb = new Float64Array(nonEmpty.length * 4);
  nonEmpty.forEach((k, j) => nb.set(clipped.subarray(4 * k, 4 * k + 4), 4 * j));
  const scores = nonEmpty.map((k) => logits[kept[k]!]!);
  const keep = nms(nb, scores, o.nmsThresh).slice(0, o.postNmsTopk);
  const out = { boxes: new Float64Array(keep.length * 4), logits: new Float64Array(keep.length) };
  keep.forEach((j, n) => {
    out.boxes.set(nb.subarray(4 * j, 4 * j + 4), 4 * n);
    out.logits[n] = scores[j]!;
  });
  return out;
}

export interface SampledProposals {
  /** [S * 4] sampled boxes: proposals with the ground-truth boxes appended, foreground first. */
  boxes: Float64Array;
  /** Class per sampled box: the matched gt's class for foreground, numClasses for background. */
  classes: Int32Array;
  /** Index of the matched ground truth per sampled box (meaningful for foreground only). */
  matchedGt: Int32Array;
}

/**
 * ROI heads' label_and_sample_proposals for one image: the ground-truth boxes are appended to the
 * proposals, each box is matched (IoU >= 0.5: foreground), then batchSizePerImage boxes are
 * sampled with at most positiveFraction foreground (detectron2: 512 and 0.25).
 */
export function labelAndSampleProposals(
  proposals: ArrayLike<number>,
  gtBoxes: ArrayLike<number>,
  gtClasses: ArrayLike<number>,
  numClasses: number,
  rng: Rng,
  o: { batchSizePerImage?: number; positiveFraction?: number } = {},
): SampledProposals {
  const all = Float64Array.from([...Array.from(proposals), ...Array.from(gtBoxes)]);
  const N = all.length / 4;
  const M = gtClasses.length;
  const { matches, labels } = matchPredictions(pairwiseIou(gtBoxes, all), M, N, ROI_MATCHER);
  const classes = new Int32Array(N);
  for (let j = 0; j < N; j++) classes[j] = M === 0 || labels[j] === 0 ? numClasses : labels[j] === -1 ? -1 : gtClasses[matches[j]!]!;
  const { positive, negative } = subsampleLabels(classes, o.batchSizePerImage ?? 512, o.positiveFraction ?? 0.25, numClasses, rng);
  const idx = [...positive, ...negative];
  const out: SampledProposals = { boxes: new Float64Array(idx.length * 4), classes: new Int32Array(idx.length), matchedGt: new Int32Array(idx.length) };
  idx.forEach((j, n) => {
    out.boxes.set(all.subarray(4 * j, 4 * j + 4), 4 * n);
    out.classes[n] = classes[j]!;
    out.matchedGt[n] = matches[j]!;
  });
  return out;
}
