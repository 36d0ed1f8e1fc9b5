/** Top-k accuracy from class scores. */

/**
 * Classes of one row ordered best first: score descending, ties broken by the smaller class
 * index (so results never depend on sort stability).
 */
export function rankClasses(scores: ArrayLike<number>, offset: number, numClasses: number): number[] {
  const idx = Array.from({ length: numClasses }, (_, c) => c);
  return idx.sort((a, b) => scores[offset + b] - scores[offset + a] || a - b);
}

/** Fraction of rows whose label is among the k best-scored classes ([n, C] row-major scores). Rows labelled -1 are skipped. */
export function topKAccuracy(scores: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number, k: number): number {
  let hit = 0;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0) continue;
    total++;
    const rank = rankClasses(scores, i * numClasses, numClasses);
    if (rank.slice(0, k).includes(labels[i])) hit++;
  }
  return total ? hit / total : NaN;
}

export interface Accuracy {
  top1: number;
  top5: number;
  n: number;
}

export function accuracy(scores: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): Accuracy {
  return { top1: topKAccuracy(scores, labels, numClasses, 1), top5: topKAccuracy(scores, labels, numClasses, Math.min(5, numClasses)), n: labels.length };
}

/** The best class per row (ties: smaller index). */
export function argmaxRows(scores: ArrayLike<number>, n: number, numClasses: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (scores[i * numClasses + c] > scores[i * numClasses + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** Number of classes covered by the class names and the labels of the given sets. */
export function numClasses(...sets: { classes: string[]; labels: Int32Array }[]): number {
  let c = 0;
  for (const s of sets) {
    c = Math.max(c, s.classes.length);
    for (let i = 0; i < s.labels.length; i++) if (s.labels[i] + 1 > c) c = s.labels[i] + 1;
  }
  return c;
}
