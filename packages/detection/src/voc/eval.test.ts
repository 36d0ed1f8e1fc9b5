import type { VocDataset, VocImage } from './dataset';
import { type VocDetection, vocAp, vocEvalClass, vocEvaluate } from './eval';

/** Hand-derived cases for the devkit's voc_eval / voc_ap (detectron2's port of py-faster-rcnn's). */
const img = (id: string, objects: [string, [number, number, number, number], boolean?][]): VocImage => ({
  id,
  file: `${id}.jpg`,
  width: 500,
  height: 500,
  objects: objects.map(([name, box, difficult]) => ({ name, box, difficult: !!difficult, truncated: false })),
});
const ds = (images: VocImage[]): VocDataset => ({ root: '/voc', split: 'test', images });
const d = (image: string, className: string, score: number, box: [number, number, number, number]): VocDetection => ({ image, className, score, box });

describe('VOC AP (devkit voc_ap)', () => {
  it('area and 11-point variants', () => {
    // rec [.5 .5 1], prec [1 .5 2/3]. Area: envelope [1 1 2/3 2/3 0] over mrec [0 .5 .5 1 1];
    // recall steps 0->.5 (x1) and .5->1 (x2/3): .5 + 1/3.
    expect(vocAp([0.5, 0.5, 1], [1, 0.5, 2 / 3], false)).toBeCloseTo(0.5 + 1 / 3, 15);
    // 11-point: t = 0 .. .5 (6 points) -> max prec 1; t = .6 .. 1 (5 points) -> 2/3.
    expect(vocAp([0.5, 0.5, 1], [1, 0.5, 2 / 3], true)).toBeCloseTo((6 + 5 * (2 / 3)) / 11, 15);
    // No detections: 0 in both.
    expect([vocAp([], [], false), vocAp([], [], true)]).toEqual([0, 0]);
    // Recall .35 reached at precision 1: the 11-point metric counts t = 0, .1, .2, .3 -> 4/11.
    expect(vocAp([0.35], [1], true)).toBeCloseTo(4 / 11, 15);
  });
});

describe('voc_eval matching', () => {
  it('IoU uses +1 pixel widths and needs IoU > 0.5 (strictly)', () => {
    const data = ds([img('a', [['dog', [1, 1, 10, 10]]])]); // 10x10 = 100 px
    // [1,1,10,5]: 10x5 = 50 px inside: IoU 50/100 = 0.5 -> not > 0.5 -> FP -> AP 0.
    expect(vocEvalClass(data, [d('a', 'dog', 0.9, [1, 1, 10, 5])], 'dog').ap).toBe(0);
    // [1,1,10,6]: 60/100 -> TP -> AP 1.
    expect(vocEvalClass(data, [d('a', 'dog', 0.9, [1, 1, 10, 6])], 'dog').ap).toBe(1);
  });

  it('difficult objects are neither TP nor FP; duplicates are FP', () => {
    const A: [number, number, number, number] = [1, 1, 50, 50];
    const B: [number, number, number, number] = [101, 101, 150, 150];
    const dets = [
      d('a', 'cat', 0.9, B), // best match B, difficult: ignored
      d('a', 'cat', 0.85, [300, 300, 320, 320]), // no overlap: FP
      d('a', 'cat', 0.8, A), // TP
      d('a', 'cat', 0.7, A), // duplicate: FP
    ];
    // npos = 1. tp [0 0 1 1], fp [0 1 1 2] -> rec [0 0 1 1], prec [0 0 .5 1/3]: both metrics .5.
    const r = vocEvalClass(ds([img('a', [['cat', A], ['cat', B, true]])]), dets, 'cat');
    expect(r.npos).toBe(1);
    expect(Array.from(r.rec)).toEqual([0, 0, 1, 1]);
    expect(r.ap).toBeCloseTo(0.5, 15);
    expect(vocAp(r.rec, r.prec, true)).toBeCloseTo(0.5, 15);
    // B not difficult: npos = 2, TP FP TP FP -> rec [.5 .5 1 1], prec [1 .5 2/3 .5] -> area .5 + 1/3.
    const r2 = vocEvalClass(ds([img('a', [['cat', A], ['cat', B]])]), dets, 'cat');
    expect(r2.ap).toBeCloseTo(0.5 + 1 / 3, 15);
  });

  it('mean over classes; a class without non-difficult objects is undefined (null) and left out', () => {
    const data = ds([img('a', [['dog', [1, 1, 10, 10]], ['cat', [20, 20, 40, 40]], ['cow', [1, 1, 5, 5], true]]), img('b', [])]);
    const r = vocEvaluate(data, [d('a', 'dog', 0.9, [1, 1, 10, 10]), d('b', 'cat', 0.9, [20, 20, 40, 40]), d('a', 'cat', 0.5, [20, 20, 40, 40])]);
    // dog: TP -> 1. cat: FP (image b) then TP -> rec [0 1], prec [0 .5] -> .5 in both metrics.
    // (11 x 1/11 summed in order is 1.0000000000000002, as in numpy.)
    expect(r.perClass.dog).toEqual({ ap: 1, ap07: expect.closeTo(1, 15), npos: 1, ndets: 1 });
    expect(r.perClass.cat!.ap).toBeCloseTo(0.5, 15);
    expect(r.perClass.cow).toEqual({ ap: null, ap07: null, npos: 0, ndets: 0 });
    expect(r.mAP).toBeCloseTo(0.75, 15);
    expect(r.mAP07).toBeCloseTo(0.75, 15);
    // Exact boxes match at every IoU threshold, so detectron2's AP = AP50 = AP75.
    expect(r.detectron2.AP).toBeCloseTo(0.75, 15);
    expect(r.detectron2.AP75).toBeCloseTo(0.75, 15);
  });

  it('names the dataset for detections on unknown images', () => {
    expect(() => vocEvalClass(ds([img('a', [])]), [d('zz', 'dog', 1, [1, 1, 2, 2])], 'dog')).toThrow(/\/voc: a detection refers to image 'zz', which is not in the evaluated set \(test\)/);
  });
});
