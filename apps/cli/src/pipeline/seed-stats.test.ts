import { incompleteBeta, meanStd, pairedDifference, studentTwoSidedP } from './seed-stats';

describe('seed statistics', () => {
  it('mean and sample std by hand', () => {
    expect(meanStd([1, 2, 3, 6])).toEqual({ mean: 3, std: Math.sqrt(14 / 3), n: 4 });
    expect(meanStd([0.4])).toEqual({ mean: 0.4, std: 0, n: 1 });
    expect(() => meanStd([])).toThrow(/no values/);
  });

  it("Student's t two-sided p against closed forms (df 1, 2) and table values", () => {
    for (const t of [0.1, 0.7, 1.9, 4, 12.7]) {
      expect(studentTwoSidedP(t, 1)).toBeCloseTo(1 - (2 / Math.PI) * Math.atan(t), 10); // Cauchy
      expect(studentTwoSidedP(-t, 2)).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 10);
    }
    // critical values of the t table at 5 % and 1 % (two-sided)
    expect(studentTwoSidedP(2.776445, 4)).toBeCloseTo(0.05, 6);
    expect(studentTwoSidedP(2.228139, 10)).toBeCloseTo(0.05, 6);
    expect(studentTwoSidedP(9.924843, 2)).toBeCloseTo(0.01, 6);
    expect(studentTwoSidedP(0, 5)).toBeCloseTo(1, 12);
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12); // uniform
    expect(incompleteBeta(0.3, 2, 3)).toBeCloseTo(0.3483, 12); // sum_{j>=2} C(4,j) x^j (1-x)^(4-j) = 0.2646 + 0.0756 + 0.0081
  });

  it('paired differences over the shared seeds, by hand', () => {
    const d = pairedDifference({ s0: 0.5, s1: 0.6, s2: 0.7, s3: 0.9 }, { s0: 0.4, s1: 0.4, s2: 0.6 })!;
    expect(d.n).toBe(3);
    expect(Object.keys(d.diffs)).toEqual(['s0', 's1', 's2']);
    expect(d.mean).toBeCloseTo(0.4 / 3, 12);
    expect(d.std).toBeCloseTo(Math.sqrt(1 / 300), 12);
    expect(d.t).toBeCloseTo(4, 10);
    expect(d.p).toBeCloseTo(1 - 4 / Math.sqrt(18), 10);
    expect(d.higher).toBe(3);
    expect(pairedDifference({ s0: 1 }, { s1: 1 })).toBeNull();
    const same = pairedDifference({ s0: 0.5, s1: 0.6 }, { s0: 0.4, s1: 0.5 })!;
    expect(same.t).toBeNull(); // no spread: no t
  });
});
