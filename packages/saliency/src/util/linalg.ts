/**
 * Solve A x = b for a dense symmetric positive-definite n x n matrix (row-major, overwritten by
 * its Cholesky factor). Returns false when A is not positive definite (then A is garbage).
 */
export function choleskySolveInPlace(a: Float64Array, n: number, rhs: Float64Array[]): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j];
    for (let k = 0; k < j; k++) d -= a[rj + k] * a[rj + k];
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
      a[ri + j] = s * inv;
    }
  }
  for (const b of rhs) {
    // L y = b
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      let s = b[i];
      for (let k = 0; k < i; k++) s -= a[ri + k] * b[k];
      b[i] = s / a[ri + i];
    }
    // L^T x = y
    for (let i = n - 1; i >= 0; i--) {
      let s = b[i];
      for (let k = i + 1; k < n; k++) s -= a[k * n + i] * b[k];
      b[i] = s / a[i * n + i];
    }
  }
  return true;
}

/** Solve A x = b by Gaussian elimination with partial pivoting (A and the right-hand sides overwritten). */
export function luSolveInPlace(a: Float64Array, n: number, rhs: Float64Array[]): void {
  for (let c = 0; c < n; c++) {
    let p = c;
    let best = Math.abs(a[c * n + c]);
    for (let r = c + 1; r < n; r++) {
      const v = Math.abs(a[r * n + c]);
      if (v > best) {
        best = v;
        p = r;
      }
    }
    if (best === 0) throw new Error('singular matrix');
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        const t = a[c * n + k];
        a[c * n + k] = a[p * n + k];
        a[p * n + k] = t;
      }
      for (const b of rhs) {
        const t = b[c];
        b[c] = b[p];
        b[p] = t;
      }
    }
    const piv = a[c * n + c];
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c] / piv;
      if (f === 0) continue;
      for (let k = c; k < n; k++) a[r * n + k] -= f * a[c * n + k];
      for (const b of rhs) b[r] -= f * b[c];
    }
  }
  for (const b of rhs) {
    for (let i = n - 1; i >= 0; i--) {
      let s = b[i];
      for (let k = i + 1; k < n; k++) s -= a[i * n + k] * b[k];
      b[i] = s / a[i * n + i];
    }
  }
}

/** Solve a symmetric system: Cholesky, or LU when it turns out not positive definite. */
export function solveSymmetric(a: Float64Array, n: number, rhs: Float64Array[]): void {
  const copy = a.slice();
  const rhsCopy = rhs.map((b) => b.slice());
  if (choleskySolveInPlace(a, n, rhs)) return;
  luSolveInPlace(copy, n, rhsCopy);
  rhs.forEach((b, i) => b.set(rhsCopy[i]));
}

/**
 * Otsu's threshold of values in [0,1] as MATLAB's graythresh computes it: a 256-bin histogram
 * (value v in bin round(255 v)), threshold returned on the [0,1] scale.
 */
export function otsuThreshold(values: ArrayLike<number>): number {
  const hist = new Float64Array(256);
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const b = Math.min(255, Math.max(0, Math.round(values[i] * 255)));
    hist[b]++;
  }
  // graythresh: maximise sigma_b^2 = (mu_T omega - mu)^2 / (omega (1 - omega)); ties -> mean of the maximising bins
  let omega = 0;
  let mu = 0;
  let muT = 0;
  for (let i = 0; i < 256; i++) muT += (i + 1) * (hist[i] / n);
  let best = -1;
  let sumIdx = 0;
  let cnt = 0;
  for (let i = 0; i < 256; i++) {
    const p = hist[i] / n;
    omega += p;
    mu += (i + 1) * p;
    const denom = omega * (1 - omega);
    if (denom <= 0) continue;
    const s = (muT * omega - mu) ** 2 / denom;
    if (s > best + 1e-12) {
      best = s;
      sumIdx = i;
      cnt = 1;
    } else if (Math.abs(s - best) <= 1e-12) {
      sumIdx += i;
      cnt++;
    }
  }
  if (cnt === 0) return 0;
  return sumIdx / cnt / 255;
}
