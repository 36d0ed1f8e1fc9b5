/** Seeded, stratified hold-out split of a labelled set. */
import { Rng } from '@dilo/core';

/**
 * Per class, a shuffled `fraction` of its rows (at least one when the class has two or more)
 * goes to `heldOut`, the rest to `fit`. Both lists are sorted. Deterministic in `seed`.
 */
export function stratifiedSplit(labels: Int32Array, fraction: number, seed: number): { fit: number[]; heldOut: number[] } {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`hold-out fraction must be in (0, 1), got ${fraction}`);
  const byClass = new Map<number, number[]>();
  labels.forEach((y, i) => {
    if (y < 0) return;
    if (!byClass.has(y)) byClass.set(y, []);
    byClass.get(y)!.push(i);
  });
  const fit: number[] = [];
  const heldOut: number[] = [];
  for (const [c, rows] of [...byClass.entries()].sort((a, b) => a[0] - b[0])) {
    new Rng(seed, ['eval', 'holdout', c]).shuffle(rows);
    const h = rows.length >= 2 ? Math.max(1, Math.round(rows.length * fraction)) : 0;
    heldOut.push(...rows.slice(0, h));
    fit.push(...rows.slice(h));
  }
  return { fit: fit.sort((a, b) => a - b), heldOut: heldOut.sort((a, b) => a - b) };
}
