import { applyBoxDeltas, boxDeltas, ROI_BOX_WEIGHTS, RPN_BOX_WEIGHTS, SCALE_CLAMP } from './box-transform';

describe('Box2BoxTransform (detectron2)', () => {
  it('deltas by hand', () => {
    // src [0,0,10,10]: centre (5,5), 10x10. target [5,5,25,15]: centre (15,10), 20x10.
    // weights (10,10,5,5): dx = 10*10/10, dy = 10*5/10, dw = 5 log 2, dh = 0.
    const d = boxDeltas([0, 0, 10, 10], [5, 5, 25, 15], ROI_BOX_WEIGHTS);
    expect(d[0]).toBeCloseTo(10, 12);
    expect(d[1]).toBeCloseTo(5, 12);
    expect(d[2]).toBeCloseTo(5 * Math.log(2), 12);
    expect(d[3]).toBe(0);
  });

  it('apply inverts get, for several delta sets per box', () => {
    const src = [0, 0, 10, 10, 3, 4, 50, 20];
    const t1 = [5, 5, 25, 15, -3, 1, 60, 40];
    const t2 = [1, 2, 3, 4, 10, 10, 11, 30];
    for (const w of [RPN_BOX_WEIGHTS, ROI_BOX_WEIGHTS]) {
      const d1 = boxDeltas(src, t1, w);
      const d2 = boxDeltas(src, t2, w);
      // Two delta sets per box (as the class-specific box head predicts): [box0 set0, box0 set1, box1 set0, ...].
      const both = [...d1.slice(0, 4), ...d2.slice(0, 4), ...d1.slice(4), ...d2.slice(4)];
      const out = applyBoxDeltas(both, src, w);
      const want = [...t1.slice(0, 4), ...t2.slice(0, 4), ...t1.slice(4), ...t2.slice(4)];
      out.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 9));
    }
  });

  it('clamps dw, dh at log(1000/16) before exp', () => {
    const out = applyBoxDeltas([0, 0, 100, 100], [0, 0, 10, 10], RPN_BOX_WEIGHTS);
    // Centre (5,5) kept, width 10 * 1000/16 = 625.
    expect(out[2]! - out[0]!).toBeCloseTo(625, 9);
    expect((out[0]! + out[2]!) / 2).toBeCloseTo(5, 9);
    expect(SCALE_CLAMP).toBeCloseTo(4.135166556742356, 15);
    expect(() => applyBoxDeltas([1, 2, 3], [0, 0, 1, 1], RPN_BOX_WEIGHTS)).toThrow(/do not fit 1 boxes/);
  });
});
