import type { Rng } from '@dilo/core';

/**
 * detectron2's subsample_labels: at most numSamples * positiveFraction foreground indices
 * (labels not -1 and not bgLabel), filled up with background (label == bgLabel), each drawn
 * uniformly without replacement (here from a seeded Rng instead of torch.randperm).
 */
export function subsampleLabels(labels: ArrayLike<number>, numSamples: number, positiveFraction: number, bgLabel: number, rng: Rng): { positive: number[]; negative: number[] } {
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l === bgLabel) neg.push(i);
    else if (l !== -1) pos.push(i);
  }
  const numPos = Math.min(pos.length, Math.trunc(numSamples * positiveFraction));
  const numNeg = Math.min(neg.length, numSamples - numPos);
  const pick = (xs: number[], n: number) =>
    rng
      .permutation(xs.length)
      .slice(0, n)
      .map((k) => xs[k]!);
  return { positive: pick(pos, numPos), negative: pick(neg, numNeg) };
}
