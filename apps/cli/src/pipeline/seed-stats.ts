// Statistics over seeds of a reproduction grid: mean ± sample std, and paired differences
// (DiLo minus MoCo on the same seed: same data order, same initial weights), which remove the
// seed-to-seed variation both configurations share.

export interface MeanStd { mean: number; std: number; n: number }

export function meanStd(xs: number[]): MeanStd {
  const n = xs.length;
  if (n === 0) throw new Error('meanStd of no values');
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  // sample standard deviation (n - 1), 0 for a single seed
  const std = n > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** ln Γ(x), Lanczos (g = 7, 9 terms): ~15 digits for x > 0 */
function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** continued fraction of the regularised incomplete beta (modified Lentz) */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1, d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    for (const num of [(m * (b - m) * x) / ((a + m2 - 1) * (a + m2)), (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1))]) {
      d = 1 + num * d; d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c; if (Math.abs(c) < tiny) c = tiny;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** regularised incomplete beta I_x(a, b) */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** two-sided p-value of Student's t with df degrees of freedom */
export function studentTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

export interface PairedDifference {
  /** per-seed differences (treatment minus baseline), in seed order */
  diffs: Record<string, number>;
  mean: number;
  /** sample std of the differences */
  std: number;
  n: number;
  /** paired t statistic and its two-sided p (null with fewer than 2 seeds or zero spread) */
  t: number | null;
  p: number | null;
  /** seeds where the treatment is higher */
  higher: number;
}

/** Paired difference over the seeds both configurations have; null when they share none. */
export function pairedDifference(treatment: Record<string, number>, baseline: Record<string, number>): PairedDifference | null {
  const seeds = Object.keys(treatment).filter((s) => s in baseline).sort();
  if (seeds.length === 0) return null;
  const diffs = Object.fromEntries(seeds.map((s) => [s, treatment[s] - baseline[s]]));
  const { mean, std, n } = meanStd(Object.values(diffs));
  // equal differences leave only rounding in the std (1e-17): no spread, no t, rather than t = 1e16
  const spread = std > 1e-12 * Math.max(1, Math.abs(mean));
  const t = n > 1 && spread ? mean / (std / Math.sqrt(n)) : null;
  return { diffs, mean, std, n, t, p: t === null ? null : studentTwoSidedP(t, n - 1), higher: Object.values(diffs).filter((d) => d > 0).length };
}
