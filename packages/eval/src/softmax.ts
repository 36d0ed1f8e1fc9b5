/**
 * A linear classifier scores = X W^T + b and its mean softmax cross-entropy with L2 weight decay:
 *   f(W, b) = (1/N) sum_i -log softmax(x_i W^T + b)_{y_i} + (wd/2) ||W||^2   (bias not decayed)
 * Parameters are packed in one Float64Array: W [C, D] row-major, then b [C].
 */

export interface LinearModel {
  numClasses: number;
  dim: number;
  /** [C, D] row-major */
  weight: Float64Array;
  /** [C] */
  bias: Float64Array;
}

export function packParams(m: LinearModel): Float64Array {
  const p = new Float64Array(m.numClasses * m.dim + m.numClasses);
  p.set(m.weight, 0);
  p.set(m.bias, m.numClasses * m.dim);
  return p;
}

export function unpackParams(p: Float64Array, numClasses: number, dim: number): LinearModel {
  return { numClasses, dim, weight: p.slice(0, numClasses * dim), bias: p.slice(numClasses * dim) };
}

/** [n, C] scores for rows of X [n, D]. */
export function linearScores(m: LinearModel, X: Float32Array, n: number): Float64Array {
  const { numClasses: C, dim: D, weight: W, bias: b } = m;
  const out = new Float64Array(n * C);
  for (let i = 0; i < n; i++) {
    const xo = i * D;
    for (let c = 0; c < C; c++) {
      let s = b[c];
      const wo = c * D;
      for (let j = 0; j < D; j++) s += W[wo + j] * X[xo + j];
      out[i * C + c] = s;
    }
  }
  return out;
}

/**
 * Loss and gradient (written into `grad`) over the rows listed in `rows` (all rows when null).
 * Log-sum-exp is shifted by the row maximum so large scores never overflow.
 */
export function softmaxCrossEntropy(
  params: Float64Array,
  grad: Float64Array | null,
  X: Float32Array | Float64Array,
  y: Int32Array,
  C: number,
  D: number,
  wd: number,
  rows: ArrayLike<number> | null = null,
): number {
  const n = rows ? rows.length : y.length;
  const bOff = C * D;
  if (grad) grad.fill(0);
  const z = new Float64Array(C);
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const i = rows ? rows[r] : r;
    const xo = i * D;
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      const wo = c * D;
      // four accumulators: about 1.3x faster in V8 than one (measured on 2000x64x10)
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, j = 0;
      for (; j + 3 < D; j += 4) {
        s0 += params[wo + j] * X[xo + j];
        s1 += params[wo + j + 1] * X[xo + j + 1];
        s2 += params[wo + j + 2] * X[xo + j + 2];
        s3 += params[wo + j + 3] * X[xo + j + 3];
      }
      for (; j < D; j++) s0 += params[wo + j] * X[xo + j];
      const s = s0 + s1 + s2 + s3 + params[bOff + c];
      z[c] = s;
      if (s > max) max = s;
    }
    const yi = y[i];
    // -log p_y = log sum exp(z - max) - (z_y - max): no log(0) when p_y underflows
    const zy = z[yi] - max;
    let sum = 0;
    for (let c = 0; c < C; c++) {
      z[c] = Math.exp(z[c] - max);
      sum += z[c];
    }
    loss += Math.log(sum) - zy;
    if (grad) {
      for (let c = 0; c < C; c++) {
        const g = z[c] / sum - (c === yi ? 1 : 0); // dL/dscore_c
        if (g === 0) continue;
        const wo = c * D;
        for (let j = 0; j < D; j++) grad[wo + j] += g * X[xo + j];
        grad[bOff + c] += g;
      }
    }
  }
  loss /= n;
  let reg = 0;
  for (let k = 0; k < bOff; k++) reg += params[k] * params[k];
  if (grad) {
    for (let k = 0; k < grad.length; k++) grad[k] /= n;
    for (let k = 0; k < bOff; k++) grad[k] += wd * params[k];
  }
  return loss + 0.5 * wd * reg;
}
