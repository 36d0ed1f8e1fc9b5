/** beta^2 = 0.3 weights precision over recall, as every salient-object benchmark since Achanta et al. 2009. */
export const BETA2 = 0.3;

export function fMeasure(precision: number, recall: number, beta2 = BETA2): number {
  const d = beta2 * precision + recall;
  return d > 0 ? ((1 + beta2) * precision * recall) / d : 0;
}

/**
 * Per-image counts for the 256 thresholds t = 0..255 (map >= t is foreground):
 * tp[t], fp[t], plus the number of ground-truth foreground pixels.
 */
export interface ThresholdCounts {
  tp: Float64Array;
  fp: Float64Array;
  positives: number;
  total: number;
}

/** Histogram the 8-bit map over ground-truth foreground / background and accumulate from the top. */
export function thresholdCounts(pred: Uint8Array, gt: Uint8Array): ThresholdCounts {
  const fgHist = new Float64Array(256);
  const bgHist = new Float64Array(256);
  let positives = 0;
  for (let i = 0; i < pred.length; i++) {
    if (gt[i]) {
      fgHist[pred[i]]++;
      positives++;
    } else bgHist[pred[i]]++;
  }
  const tp = new Float64Array(256);
  const fp = new Float64Array(256);
  let a = 0;
  let b = 0;
  for (let t = 255; t >= 0; t--) {
    a += fgHist[t];
    b += bgHist[t];
    tp[t] = a;
    fp[t] = b;
  }
  return { tp, fp, positives, total: pred.length };
}

/** Precision and recall at each of the 256 thresholds (0/0 counts as 0). */
export function prCurve(c: ThresholdCounts): { precision: Float64Array; recall: Float64Array } {
  const precision = new Float64Array(256);
  const recall = new Float64Array(256);
  for (let t = 0; t < 256; t++) {
    const predicted = c.tp[t] + c.fp[t];
    precision[t] = predicted > 0 ? c.tp[t] / predicted : 0;
    recall[t] = c.positives > 0 ? c.tp[t] / c.positives : 0;
  }
  return { precision, recall };
}

/** Adaptive threshold of Achanta et al.: twice the mean saliency (on the 0-1 scale), capped at 1. */
export function adaptiveThreshold(pred: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += pred[i];
  return Math.min((2 * s) / pred.length / 255, 1);
}

/** Confusion counts of (pred / 255 >= threshold) against the binary ground truth. */
export function binaryCounts(pred: Uint8Array, gt: Uint8Array, threshold: number): { tp: number; fp: number; fn: number; tn: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  const t = threshold * 255;
  for (let i = 0; i < pred.length; i++) {
    const f = pred[i] >= t;
    if (gt[i]) {
      if (f) tp++;
      else fn++;
    } else if (f) fp++;
    else tn++;
  }
  return { tp, fp, fn, tn };
}
