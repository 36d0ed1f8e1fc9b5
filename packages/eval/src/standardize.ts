/** Per-dimension standardisation (z-scores) with statistics from the training rows only. */

export interface Standardizer {
  mean: Float64Array;
  /** population standard deviation; constant dimensions get 1 so they map to 0 */
  std: Float64Array;
}

export function fitStandardizer(X: Float32Array, d: number, rows: ArrayLike<number>): Standardizer {
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  const n = rows.length;
  for (let r = 0; r < n; r++) {
    const o = rows[r] * d;
    for (let j = 0; j < d; j++) mean[j] += X[o + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let r = 0; r < n; r++) {
    const o = rows[r] * d;
    for (let j = 0; j < d; j++) {
      const v = X[o + j] - mean[j];
      sq[j] += v * v;
    }
  }
  const std = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(sq[j] / n);
    std[j] = s > 1e-12 * Math.max(1, Math.abs(mean[j])) ? s : 1;
  }
  return { mean, std };
}

export function applyStandardizer(s: Standardizer, X: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[i * d + j] = (X[i * d + j] - s.mean[j]) / s.std[j];
  return out;
}

export function allRows(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
