import { fastRcnnInference } from './postprocess';

describe('fast_rcnn_inference (detectron2)', () => {
  it('thresholds scores, clips, runs NMS per class and keeps the top k', () => {
    // 3 proposals, K = 2 classes (+ background last), class-specific boxes.
    const boxes = [
      -5, 0, 50, 50, /* class 0 */ 0, 0, 10, 10, /* class 1 */
      0, 0, 48, 50, /* class 0 */ 100, 100, 120, 130,
      200, 200, 260, 300, /* class 0, partly outside */ 1, 1, 2, 2,
    ];
    const scores = [0.9, 0.04, 0.06, 0.8, 0.3, 0.1, 0.5, 0.05, 0.45];
    const r = fastRcnnInference(boxes, scores, 3, 2, { height: 240, width: 250 });
    // Candidates > .05: (p0,c0,.9), (p1,c0,.8), (p1,c1,.3), (p2,c0,.5); (p0,c1) .04 and (p2,c1) .05 fail.
    // Class 0: p1's box [0,0,48,50] has IoU .96 with p0's clipped [0,0,50,50] -> suppressed.
    expect(Array.from(r.scores)).toEqual([0.9, 0.5, 0.3]);
    expect(Array.from(r.classes)).toEqual([0, 0, 1]);
    expect(Array.from(r.boxes.slice(0, 4))).toEqual([0, 0, 50, 50]);
    expect(Array.from(r.boxes.slice(4, 8))).toEqual([200, 200, 250, 240]);
    expect(fastRcnnInference(boxes, scores, 3, 2, { height: 240, width: 250 }, { topk: 1 }).scores).toHaveLength(1);
  });

  it('drops proposals with non-finite boxes or scores', () => {
    const r = fastRcnnInference([0, 0, 10, 10, NaN, 0, 5, 5], [0.9, 0.1, 0.9, 0.1], 2, 1, { height: 100, width: 100 });
    expect(Array.from(r.scores)).toEqual([0.9]);
    expect(Array.from(r.boxes)).toEqual([0, 0, 10, 10]);
  });
});
