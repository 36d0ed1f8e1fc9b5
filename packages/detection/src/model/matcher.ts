/**
 * detectron2's pairwise_iou and Matcher: each prediction (anchor or proposal) gets the ground
 * truth of highest IoU and a label from IoU thresholds. RPN: thresholds [0.3, 0.7], labels
 * [0, -1, 1] (background, ignored, foreground) with low-quality matches allowed; ROI heads: [0.5],
 * labels [0, 1].
 */

/** IoU of every box in a [M * 4] with every box in b [N * 4], as a row-major M x N matrix (no +1; 0 where disjoint). */
export function pairwiseIou(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const M = a.length / 4;
  const N = b.length / 4;
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    const a0 = a[4 * i]!;
    const a1 = a[4 * i + 1]!;
    const a2 = a[4 * i + 2]!;
    const a3 = a[4 * i + 3]!;
    const areaA = (a2 - a0) * (a3 - a1);
    for (let j = 0; j < N; j++) {
      const w = Math.max(0, Math.min(a2, b[4 * j + 2]!) - Math.max(a0, b[4 * j]!));
      const h = Math.max(0, Math.min(a3, b[4 * j + 3]!) - Math.max(a1, b[4 * j + 1]!));
      const inter = w * h;
      const areaB = (b[4 * j + 2]! - b[4 * j]!) * (b[4 * j + 3]! - b[4 * j + 1]!);
      out[i * N + j] = inter > 0 ? inter / (areaA + areaB - inter) : 0;
    }
  }
  return out;
}

export interface MatcherConfig {
  /** Increasing IoU thresholds; intervals [-inf, t0), [t0, t1), ..., [tk, inf) get labels[0..k+1]. */
  thresholds: number[];
  labels: number[];
  allowLowQualityMatches: boolean;
}

export const RPN_MATCHER: MatcherConfig = { thresholds: [0.3, 0.7], labels: [0, -1, 1], allowLowQualityMatches: true };
export const ROI_MATCHER: MatcherConfig = { thresholds: [0.5], labels: [0, 1], allowLowQualityMatches: false };

export interface Matches {
  /** Index of the matched ground truth for each prediction (0 when there is none). */
  matches: Int32Array;
  labels: Int8Array;
}

/**
 * Match predictions to ground truth given quality [M gt x N pred] (row-major). With low-quality
 * matches, every prediction that reaches some gt's highest IoU becomes foreground (label 1), ties
 * included, even when that IoU is 0 (a detectron2 behaviour kept as is).
 */
export function matchPredictions(quality: ArrayLike<number>, M: number, N: number, cfg: MatcherConfig): Matches {
  if (cfg.labels.length !== cfg.thresholds.length + 1) throw new RangeError('matcher: needs one more label than thresholds');
  const matches = new Int32Array(N);
  const labels = new Int8Array(N);
  if (M === 0) {
    labels.fill(cfg.labels[0]!);
    return { matches, labels };
  }
  const bounds = [-Infinity, ...cfg.thresholds, Infinity];
  for (let j = 0; j < N; j++) {
    // torch.max over gts: the first maximum.
    let best = quality[j]!;
    let bi = 0;
    for (let i = 1; i < M; i++) {
      const v = quality[i * N + j]!;
      if (v > best) {
        best = v;
        bi = i;
      }
    }
    matches[j] = bi;
    labels[j] = 1;
    for (let l = 0; l < cfg.labels.length; l++) if (best >= bounds[l]! && best < bounds[l + 1]!) labels[j] = cfg.labels[l]!;
  }
  if (cfg.allowLowQualityMatches) {
    for (let i = 0; i < M; i++) {
      let best = -Infinity;
      for (let j = 0; j < N; j++) best = Math.max(best, quality[i * N + j]!);
      for (let j = 0; j < N; j++) if (quality[i * N + j] === best) labels[j] = 1;
    }
  }
  return { matches, labels };
}
