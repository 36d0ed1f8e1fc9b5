import { Rng } from '@dilo/core';
import { labelAndSampleProposals, selectRpnProposals } from './proposals';

describe('RPN proposal selection (find_top_rpn_proposals)', () => {
  it('top-k by objectness, clip, drop empty, NMS, post top-k', () => {
    const boxes = [
      0, 0, 10, 10, // a: logit 5
      1, 0, 11, 10, // b: logit 4, IoU with a 90/110 = .82 > .7: suppressed
      -20, -20, -5, -5, // c: logit 3, empty after clipping
      50, 50, 60, 60, // d: logit 2
      80, 80, 90, 95, // e: logit 1, clipped to [80, 80, 90, 90]
      0, 0, NaN, 1, // f: logit 9, not finite
    ];
    const logits = [5, 4, 3, 2, 1, 9];
    const r = selectRpnProposals(boxes, logits, { height: 90, width: 100 }, { preNmsTopk: 100, postNmsTopk: 10, nmsThresh: 0.7, minSize: 0 });
    expect(Array.from(r.logits)).toEqual([5, 2, 1]);
    expect(Array.from(r.boxes)).toEqual([0, 0, 10, 10, 50, 50, 60, 60, 80, 80, 90, 90]);
    // preNmsTopk 3 keeps f, a, b (f dropped as non-finite, b suppressed): only a.
    expect(Array.from(selectRpnProposals(boxes, logits, { height: 90, width: 100 }, { preNmsTopk: 3, postNmsTopk: 10, nmsThresh: 0.7, minSize: 0 }).logits)).toEqual([5]);
    expect(selectRpnProposals(boxes, logits, { height: 90, width: 100 }, { preNmsTopk: 100, postNmsTopk: 2, nmsThresh: 0.7, minSize: 0 }).logits).toHaveLength(2);
  });
});

describe('ROI head proposal sampling (label_and_sample_proposals)', () => {
  it('appends gt boxes, labels IoU >= .5 foreground with the gt class, background = numClasses', () => {
    const proposals = [0, 0, 10, 10, 0, 0, 10, 4, 50, 50, 60, 60];
    // One gt of class 2 at [0,0,10,10]: proposal 0 (IoU 1) and the appended gt are foreground;
    // proposal 1 (IoU .4) and 2 (0) background (class 3 = numClasses).
    const s = labelAndSampleProposals(proposals, [0, 0, 10, 10], [2], 3, new Rng(0), { batchSizePerImage: 8, positiveFraction: 0.5 });
    expect(Array.from(s.classes)).toEqual([2, 2, 3, 3]);
    expect(Array.from(s.boxes.slice(0, 8)).sort()).toEqual([0, 0, 0, 0, 10, 10, 10, 10]);
    // At most batch * fraction foreground: 1 of the 2.
    const t = labelAndSampleProposals(proposals, [0, 0, 10, 10], [2], 3, new Rng(0), { batchSizePerImage: 2, positiveFraction: 0.5 });
    expect(Array.from(t.classes)).toEqual([2, 3]);
    // No ground truth: everything is background.
    const u = labelAndSampleProposals(proposals, [], [], 3, new Rng(0), { batchSizePerImage: 8, positiveFraction: 0.25 });
    expect(Array.from(u.classes)).toEqual([3, 3, 3]);
  });
});
