import { knnClassify, l2NormalizeRows, topKIndices } from './knn';
import { accuracy, topKAccuracy } from './metrics';
import type { FeatureSet } from './features';

function set(rows: number[][], labels: number[], classes = ['a', 'b', 'c']): FeatureSet {
  return { n: rows.length, d: rows[0].length, data: Float32Array.from(rows.flat()), labels: Int32Array.from(labels), classes };
}

describe('topKIndices', () => {
  it('returns the k largest, best first, equal values in index order', () => {
    const s = Float32Array.from([0.1, 0.9, 0.5, 0.9, 0.5, -1]);
    expect(topKIndices(s, 3)).toEqual([1, 3, 2]);
    expect(topKIndices(s, 10)).toEqual([1, 3, 2, 4, 0, 5]);
  });
});

describe('knnClassify', () => {
  // unit vectors at angles (degrees); the test point sits at 0 degrees
  const deg = (a: number) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)];
  const train = set([deg(10), deg(20), deg(50), deg(60), deg(80), deg(180)], [0, 1, 1, 1, 2, 0]);
  const test = set([[2, 0]], [0]); // length 2: cosine ignores the norm

  it('weighted vote: scores are sums of exp(cos/T) over the k nearest (hand-computed)', () => {
    const T = 0.5;
    const r = knnClassify(train, test, { mode: 'weighted', k: 3, temperature: T });
    const e = (a: number) => Math.exp(Math.cos((a * Math.PI) / 180) / T);
    // the 3 nearest are at 10 (a), 20 (b), 50 (b)
    expect(r.scores[0]).toBeCloseTo(e(10), 5);
    expect(r.scores[1]).toBeCloseTo(e(20) + e(50), 5);
    expect(r.scores[2]).toBe(0);
    // class b wins (2 voters), so the true class a is wrong at top-1 but right at top-2
    expect(r.top1).toBe(0);
    expect(topKAccuracy(r.scores, test.labels, 3, 2)).toBe(1);
  });

  it('weighted vote with a low temperature is dominated by the nearest neighbour', () => {
    const r = knnClassify(train, test, { mode: 'weighted', k: 3, temperature: 0.01 });
    expect(r.top1).toBe(1);
  });

  it('majority vote counts neighbours; a tie goes to the larger summed similarity', () => {
    const r = knnClassify(train, test, { mode: 'majority', k: 3 });
    expect(Math.floor(r.scores[0])).toBe(1);
    expect(Math.floor(r.scores[1])).toBe(2);
    expect(r.top1).toBe(0);
    // k = 2: one vote each for a (10 deg) and b (20 deg): a is more similar, so a wins
    const t = knnClassify(train, test, { mode: 'majority', k: 2 });
    expect(t.top1).toBe(1);
    // mirrored: the b point is nearer, so b wins the tie
    const t2 = knnClassify(set([deg(20), deg(10)], [0, 1]), test, { mode: 'majority', k: 2 });
    expect(t2.top1).toBe(0);
  });

  it('exact tie in votes and similarity goes to the smaller class index', () => {
    const tr = set([deg(30), deg(-30)], [1, 0]);
    const r = knnClassify(tr, set([[1, 0]], [0]), { mode: 'majority', k: 2 });
    expect(r.scores[0]).toBe(r.scores[1]);
    expect(r.top1).toBe(1);
  });

  it('k larger than the training set uses every row; defaults are the protocol values', () => {
    const r = knnClassify(train, test);
    expect(r.k).toBe(200);
    expect(r.temperature).toBe(0.07);
    const m = knnClassify(train, test, { mode: 'majority' });
    expect(m.k).toBe(20);
    expect(m.temperature).toBeNull();
    expect(Math.floor(m.scores[1])).toBe(3);
  });
});

describe('metrics', () => {
  it('top-5 counts a label ranked fifth; ties in score go to the smaller class index', () => {
    const scores = [6, 5, 4, 3, 2, 1, 0];
    expect(accuracy(scores, [4], 7).top5).toBe(1);
    expect(accuracy(scores, [5], 7).top5).toBe(0);
    expect(topKAccuracy([1, 1], [0], 2, 1)).toBe(1);
    expect(topKAccuracy([1, 1], [1], 2, 1)).toBe(0);
  });

  it('l2NormalizeRows leaves zero rows at zero', () => {
    expect(Array.from(l2NormalizeRows(Float32Array.from([3, 4, 0, 0]), 2, 2))).toEqual([Math.fround(0.6), Math.fround(0.8), 0, 0]);
  });
});
