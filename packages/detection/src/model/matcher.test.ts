import { Rng } from '@dilo/core';
import { matchPredictions, pairwiseIou, ROI_MATCHER, RPN_MATCHER } from './matcher';
import { subsampleLabels } from './sampling';

describe('pairwise IoU and Matcher (detectron2)', () => {
  it('pairwise IoU by hand', () => {
    // [0,0,10,10] vs [5,0,15,10]: 50 / 150; vs [20,20,30,30]: 0; vs itself: 1.
    const iou = pairwiseIou([0, 0, 10, 10], [5, 0, 15, 10, 20, 20, 30, 30, 0, 0, 10, 10]);
    expect(iou[0]).toBeCloseTo(1 / 3, 15);
    expect([iou[1], iou[2]]).toEqual([0, 1]);
  });

  it('RPN labels: < .3 background, [.3, .7) ignored, >= .7 foreground, plus each gt\'s best anchors', () => {
    // 2 gts x 5 anchors.
    const q = [
      0.1, 0.35, 0.7, 0.2, 0.0, // gt 0: best .7 (anchor 2)
      0.25, 0.3, 0.1, 0.29, 0.0, // gt 1: best .3 (anchor 1): low-quality match makes anchor 1 foreground
    ];
    const m = matchPredictions(q, 2, 5, RPN_MATCHER);
    expect(Array.from(m.matches)).toEqual([1, 0, 0, 1, 0]);
    expect(Array.from(m.labels)).toEqual([0, 1, 1, 0, 0]);
    const roi = matchPredictions(q, 2, 5, ROI_MATCHER);
    expect(Array.from(roi.labels)).toEqual([0, 0, 1, 0, 0]);
  });

  it('low-quality matches include ties, even at IoU 0 (detectron2 behaviour); no gt: all background', () => {
    const m = matchPredictions([0, 0, 0], 1, 3, RPN_MATCHER);
    expect(Array.from(m.labels)).toEqual([1, 1, 1]);
    expect(Array.from(matchPredictions([], 0, 3, RPN_MATCHER).labels)).toEqual([0, 0, 0]);
  });

  it('subsamples at most numSamples * fraction positives, fills with negatives, deterministic per seed', () => {
    const labels = [1, 1, 1, 0, 0, 0, 0, 0, 0, -1, 1, 0];
    const a = subsampleLabels(labels, 6, 0.5, 0, new Rng(3));
    expect(a.positive).toHaveLength(3);
    expect(a.negative).toHaveLength(3);
    for (const i of a.positive) expect(labels[i]).toBe(1);
    for (const i of a.negative) expect(labels[i]).toBe(0);
    expect(subsampleLabels(labels, 6, 0.5, 0, new Rng(3))).toEqual(a);
    // Few positives: negatives fill the rest, limited by how many exist.
    const b = subsampleLabels([1, 0, 0, -1], 256, 0.5, 0, new Rng(0));
    expect([b.positive.length, b.negative.length]).toEqual([1, 2]);
    // ROI heads: background is label K (here 3), classes 0..2 are foreground.
    const c = subsampleLabels([3, 0, 2, 3, 3], 4, 0.25, 3, new Rng(1));
    expect([c.positive.length, c.negative.length]).toEqual([1, 3]);
  });
});
