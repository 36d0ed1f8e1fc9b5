/**
 * kNN classification of frozen features by cosine similarity.
 *
 * - weighted (instance-discrimination protocol, Wu et al. 2018): the k most similar training
 *   features vote for their class with weight exp(sim / T); a class's score is the sum of its
 *   weights. Defaults k = 200, T = 0.07.
 * - majority: each of the k nearest votes 1. Ties between classes with the same vote count go
 *   to the class whose voters have the larger summed similarity, then to the smaller class
 *   index. Default k = 20.
 *
 * Neighbours with equal similarity at the k-th place are taken in training order (smaller index
 * first). When k exceeds the training set, every training row votes. Top-5 ranks all classes by
 * score, classes without votes last in index order.
 */
import type { FeatureSet } from './features';
import { accuracy, numClasses, type Accuracy } from './metrics';

export type KnnMode = 'weighted' | 'majority';

export interface KnnOptions {
  mode?: KnnMode;
  k?: number;
  /** temperature of the weighted vote */
  temperature?: number;
}

export interface KnnResult extends Accuracy {
  mode: KnnMode;
  k: number;
  temperature: number | null;
  /** [n, C] class scores (majority: vote count + a tie-break fraction below 1) */
  scores: Float64Array;
}

/** L2-normalised copy of the rows (zero rows stay zero). */
export function l2NormalizeRows(data: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += data[i * d + j] * data[i * d + j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) out[i * d + j] = data[i * d + j] * inv;
  }
  return out;
}

/**
 * Indices of the k largest values of sims, best first (ties: smaller index first).
 * A bounded min-heap keyed on (value, -index): O(n log k).
 */
export function topKIndices(sims: Float32Array, k: number): number[] {
  const n = sims.length;
  k = Math.min(k, n);
  const heap: number[] = [];
  // "a is worse than b": smaller similarity, or equal similarity and larger index
  const worse = (a: number, b: number) => sims[a] < sims[b] || (sims[a] === sims[b] && a > b);
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l], heap[m])) m = l;
      if (r < heap.length && worse(heap[r], heap[m])) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (let j = 0; j < n; j++) {
    if (heap.length < k) {
      heap.push(j);
      up(heap.length - 1);
    } else if (k > 0 && worse(heap[0], j)) {
      heap[0] = j;
      down(0);
    }
  }
  return heap.sort((a, b) => sims[b] - sims[a] || a - b);
}

export function knnClassify(train: FeatureSet, test: FeatureSet, opts: KnnOptions = {}): KnnResult {
  const mode = opts.mode ?? 'weighted';
  const k = opts.k ?? (mode === 'weighted' ? 200 : 20);
  const T = opts.temperature ?? 0.07;
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (!(T > 0)) throw new RangeError(`temperature must be positive, got ${T}`);
  if (train.d !== test.d) throw new RangeError(`train features have d=${train.d}, test features d=${test.d}`);
  const C = numClasses(train, test);
  const d = train.d;
  const a = l2NormalizeRows(train.data, train.n, d);
  const b = l2NormalizeRows(test.data, test.n, d);
  const scores = new Float64Array(test.n * C);
  const sims = new Float32Array(train.n);
  const votes = new Float64Array(C);
  const simSum = new Float64Array(C);
  for (let i = 0; i < test.n; i++) {
    const q = b.subarray(i * d, (i + 1) * d);
    for (let j = 0; j < train.n; j++) {
      let s = 0;
      const o = j * d;
      for (let t = 0; t < d; t++) s += a[o + t] * q[t];
      sims[j] = s;
    }
    votes.fill(0);
    simSum.fill(0);
    for (const j of topKIndices(sims, k)) {
      const y = train.labels[j];
      if (y < 0) continue;
      votes[y] += mode === 'weighted' ? Math.exp(sims[j] / T) : 1;
      simSum[y] += sims[j];
    }
    for (let c = 0; c < C; c++) {
      // majority: the summed similarity (|sum| <= k) breaks vote ties without reordering counts
      scores[i * C + c] = mode === 'weighted' ? votes[c] : votes[c] + (votes[c] > 0 ? 0.5 * (1 + simSum[c] / (k + 1)) / (k + 1) : 0);
    }
  }
  return { mode, k, temperature: mode === 'weighted' ? T : null, scores, ...accuracy(scores, test.labels, C) };
}
