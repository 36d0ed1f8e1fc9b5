/**
 * detectron2's WarmupMultiStepLR: lr = base * warmup(it) * gamma^(number of steps <= it), with a
 * linear warmup from base * warmupFactor at iteration 0 to base at warmupIters.
 */
export interface LrSchedule {
  baseLr: number;
  /** iterations at which the lr is multiplied by gamma (VOC 24k recipe: 18000, 22000) */
  steps: number[];
  gamma: number;
  warmupIters: number;
  warmupFactor: number;
}

export function learningRateAt(s: LrSchedule, iter: number): number {
  let f = 1;
  if (iter < s.warmupIters) {
    const alpha = iter / s.warmupIters;
    f = s.warmupFactor * (1 - alpha) + alpha;
  }
  const drops = s.steps.filter((m) => m <= iter).length;
  return s.baseLr * f * s.gamma ** drops;
}

/** The MoCo VOC recipe's shape at any length: drops at 75% and ~92% of the run (18k and 22k of 24k). */
export function vocSchedule(iters: number, baseLr: number, warmupIters: number): LrSchedule {
  return { baseLr, steps: [Math.round(0.75 * iters), Math.round((22 / 24) * iters)], gamma: 0.1, warmupIters: Math.min(warmupIters, iters), warmupFactor: 0.001 };
}
