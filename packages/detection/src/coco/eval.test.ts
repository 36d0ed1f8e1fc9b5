import { indexCocoDataset, type CocoAnnotation, type CocoDataset } from './dataset';
import { cocoEvaluate, defaultCocoParams, linspace, perCategoryAp, type CocoStats } from './eval';
import { prepareCocoResults, type CocoResult } from './results';

/**
 * Hand-derived cases for COCOeval's semantics. Notation: rc/pr are the cumulative recall and
 * precision over detections in score order; the envelope makes pr non-increasing from the right;
 * precision at recall threshold r (r = 0, 0.01, ..., 1) is the envelope at the first index with
 * rc >= r, or 0 past the end. Note: 50 * 0.01 === 0.5 in doubles, so 51 thresholds are <= 0.5.
 * pr = tp / (tp + fp + eps) with eps = 2^-52, so "1" is 1 - 2^-52; hence toBeCloseTo(.., 12).
 */
type Box = [number, number, number, number];
const gtAnn = (id: number, image_id: number, category_id: number, bbox: Box, extra: Partial<CocoAnnotation> = {}): CocoAnnotation => ({
  id,
  image_id,
  category_id,
  bbox,
  area: bbox[2] * bbox[3],
  iscrowd: 0,
  ...extra,
});
function dataset(anns: CocoAnnotation[], nImages = 1, cats = [1]): CocoDataset {
  return indexCocoDataset('gt.json', {
    images: Array.from({ length: nImages }, (_, i) => ({ id: i + 1, file_name: `${i + 1}.jpg`, width: 1000, height: 1000 })),
    categories: cats.map((id) => ({ id, name: `c${id}` })),
    annotations: anns,
  });
}
const det = (image_id: number, category_id: number, bbox: Box, score: number): CocoResult => ({ image_id, category_id, bbox, score });
function stats(gt: CocoDataset, dets: CocoResult[]): CocoStats {
  return cocoEvaluate(gt, prepareCocoResults(dets, gt), 'bbox').stats;
}
function expectStats(s: CocoStats, want: Partial<CocoStats>): void {
  for (const [k, v] of Object.entries(want)) {
    if (v === -1) expect([k, s[k as keyof CocoStats]]).toEqual([k, -1]);
    else expect([k, s[k as keyof CocoStats]]).toEqual([k, expect.closeTo(v, 12)]);
  }
}
// Two gts, detections TP, FP, TP: rc = [.5, .5, 1], pr = [1, .5, 2/3], envelope [1, 2/3, 2/3]:
// 51 thresholds (r <= .5) read 1, the other 50 read 2/3.
const AP_TP_FP_TP = (51 + 50 * (2 / 3)) / 101;

describe('COCO evaluator (pycocotools COCOeval semantics)', () => {
  it('uses the reference parameters', () => {
    const p = defaultCocoParams(dataset([]));
    expect(p.iouThrs).toEqual([0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95]);
    expect(p.recThrs).toHaveLength(101);
    expect(p.recThrs[50]).toBe(0.5);
    expect(linspace(0, 1, 101)[100]).toBe(1);
    expect(p.maxDets).toEqual([1, 10, 100]);
    expect(p.areaRng).toEqual([[0, 1e10], [0, 1024], [1024, 9216], [9216, 1e10]]);
  });

  it('one exact detection of a large object', () => {
    const s = stats(dataset([gtAnn(1, 1, 1, [0, 0, 100, 100])]), [det(1, 1, [0, 0, 100, 100], 0.9)]);
    // area 10000 > 96^2: only the large range has ground truth; small/medium are undefined (-1).
    expectStats(s, { AP: 1, AP50: 1, AP75: 1, APs: -1, APm: -1, APl: 1, AR1: 1, AR10: 1, AR100: 1, ARs: -1, ARm: -1, ARl: 1 });
  });

  it('IoU 0.6 matches at thresholds .50, .55, .60 only (match needs IoU >= t)', () => {
    // gt 10x10, det 10x6 inside it: IoU = 60/100 = 0.6. 3 of 10 thresholds give AP 1, the rest 0.
    const s = stats(dataset([gtAnn(1, 1, 1, [0, 0, 10, 10])]), [det(1, 1, [0, 0, 10, 6], 0.5)]);
    expectStats(s, { AP: 0.3, AP50: 1, AP75: 0, APs: 0.3, APm: -1, APl: -1, AR1: 0.3, AR10: 0.3, AR100: 0.3, ARs: 0.3, ARm: -1, ARl: -1 });
  });

  it('a duplicate detection is a false positive; maxDets limits detections per image', () => {
    const gt = dataset([gtAnn(1, 1, 1, [0, 0, 10, 10]), gtAnn(2, 1, 1, [50, 50, 10, 10])]);
    // d1 on A (TP), d2 duplicate of A (FP: A already taken, not a crowd), d3 on B (TP).
    const s = stats(gt, [det(1, 1, [0, 0, 10, 10], 0.9), det(1, 1, [0, 0, 10, 10], 0.8), det(1, 1, [50, 50, 10, 10], 0.7)]);
    // AR1: only d1 counts -> recall 1/2. AR10: both found.
    expectStats(s, { AP: AP_TP_FP_TP, AP50: AP_TP_FP_TP, AP75: AP_TP_FP_TP, AR1: 0.5, AR10: 1, AR100: 1 });
  });

  it('crowd regions: IoU over the detection area, matched any number of times, ignored', () => {
    const anns = [gtAnn(1, 1, 1, [0, 0, 10, 10]), gtAnn(2, 1, 1, [20, 0, 40, 40], { iscrowd: 1 })];
    const dets = [
      det(1, 1, [0, 0, 10, 10], 0.9), // TP on the regular gt
      det(1, 1, [30, 10, 10, 10], 0.8), // inside the crowd: IoU = 100/100 -> ignored
      det(1, 1, [30, 30, 10, 10], 0.7), // inside the crowd again: still ignored
      det(1, 1, [100, 100, 10, 10], 0.6), // FP
    ];
    // Non-ignored sequence TP, FP: rc = [1, 1], pr = [1, 1/2]: every threshold reads 1.
    expectStats(stats(dataset(anns), dets), { AP: 1, AR100: 1 });
    // The same region as a regular object: npig = 2, d2 and d3 have IoU 100/1600 (FPs):
    // rc = [.5, .5, .5, .5] -> thresholds <= .5 read 1, the rest 0.
    expectStats(stats(dataset([anns[0]!, { ...anns[1]!, iscrowd: 0 }]), dets), { AP: 51 / 101, AR100: 0.5 });
  });

  it("area ranges use the gt 'area' field; unmatched detections outside the range are ignored", () => {
    const gt = dataset([gtAnn(1, 1, 1, [0, 0, 10, 10]), gtAnn(2, 1, 1, [100, 100, 200, 200])]); // S (100), L (40000)
    const dets = [
      det(1, 1, [100, 100, 200, 200], 0.9), // on L
      det(1, 1, [300, 300, 10, 10], 0.85), // FP, area 100 (small)
      det(1, 1, [0, 0, 10, 10], 0.8), // on S
      det(1, 1, [500, 0, 150, 150], 0.6), // FP, area 22500 (large)
    ];
    // all: TP FP TP FP -> rc [.5 .5 1 1], envelope [1 2/3 2/3 .5] -> AP_TP_FP_TP.
    // small: L ignored, so d1 matches an ignored gt (ignored); d4 unmatched and large (ignored):
    //   FP, TP -> rc [0, 1], pr [0, .5] -> envelope .5 everywhere.
    // large: d2 (small, unmatched) and d3 (matched to the ignored S) ignored: TP, FP -> 1.
    expectStats(stats(gt, dets), { AP: AP_TP_FP_TP, APs: 0.5, APm: -1, APl: 1, AR100: 1, ARs: 1, ARm: -1, ARl: 1 });
    // The area field, not the box, decides: a 10x10 box annotated with area 5000 is medium.
    const s = stats(dataset([gtAnn(1, 1, 1, [0, 0, 10, 10], { area: 5000 })]), [det(1, 1, [0, 0, 10, 10], 0.9)]);
    expectStats(s, { APs: -1, APm: 1, APl: -1 });
  });

  it('averages over categories with ground truth only', () => {
    // c1: perfect (AP 1); c2: gt but no detection (AP 0); c3: detections but no gt (skipped);
    // c4: nothing (skipped). Mean over c1, c2 = 0.5.
    const gt = dataset([gtAnn(1, 1, 1, [0, 0, 50, 50]), gtAnn(2, 1, 2, [0, 0, 50, 50])], 1, [1, 2, 3, 4]);
    const r = cocoEvaluate(gt, prepareCocoResults([det(1, 1, [0, 0, 50, 50], 0.9), det(1, 3, [0, 0, 50, 50], 0.9)], gt));
    expectStats(r.stats, { AP: 0.5, AR100: 0.5 });
    const per = perCategoryAp(r);
    expect(per.get(1)).toBeCloseTo(1, 12);
    expect([per.get(2), per.get(3), per.get(4)]).toEqual([0, -1, -1]);
  });

  it('sorts stably: equal scores keep image order, then file order (mergesort)', () => {
    // One gt in image 2. Equal scores; image 1's FP sorts first because images are taken in id
    // order, even though it comes second in the file: FP, TP -> rc [0, 1], pr [0, .5] -> AP .5.
    const gt = dataset([gtAnn(1, 2, 1, [0, 0, 10, 10])], 2);
    expectStats(stats(gt, [det(2, 1, [0, 0, 10, 10], 0.5), det(1, 1, [0, 0, 10, 10], 0.5)]), { AP: 0.5 });
    // Within one image the file order decides: TP first -> AP 1; FP first -> AP .5.
    const gt1 = dataset([gtAnn(1, 1, 1, [0, 0, 10, 10])]);
    expectStats(stats(gt1, [det(1, 1, [0, 0, 10, 10], 0.5), det(1, 1, [80, 80, 10, 10], 0.5)]), { AP: 1 });
    expectStats(stats(gt1, [det(1, 1, [80, 80, 10, 10], 0.5), det(1, 1, [0, 0, 10, 10], 0.5)]), { AP: 0.5 });
  });

  it('keeps the highest-scored 100 detections per image and category', () => {
    // 100 FPs scored above the one TP: the TP is the 101st and is dropped -> AP 0, AR100 0.
    const gt = dataset([gtAnn(1, 1, 1, [0, 0, 10, 10])]);
    const fps = Array.from({ length: 100 }, (_, i) => det(1, 1, [500, 500, 10, 10], 0.9 - i * 1e-4));
    expectStats(stats(gt, [...fps, det(1, 1, [0, 0, 10, 10], 0.1)]), { AP: 0, AR100: 0 });
    expectStats(stats(gt, [...fps.slice(1), det(1, 1, [0, 0, 10, 10], 0.1)]), { AR100: 1 });
  });

  it('reproduces the gt id 0 quirk: pycocotools stores the matched gt id, so a match to id 0 counts as a false positive', () => {
    expectStats(stats(dataset([gtAnn(0, 1, 1, [0, 0, 100, 100])]), [det(1, 1, [0, 0, 100, 100], 0.9)]), { AP: 0, AR100: 0 });
  });

  it('an annotation id used twice yields the last annotation twice (pycocotools loads annotations by id)', () => {
    // Two gts with id 5: pycocotools evaluates the second box twice. One detection on the first
    // box finds no match (FP) and npos = 2: AP 0. Keying by id, the second box is found: with two
    // copies of it and one detection, recall 1/2 -> thresholds <= .5 read 1 -> 51/101.
    const gt = dataset([gtAnn(5, 1, 1, [0, 0, 10, 10]), gtAnn(5, 1, 1, [50, 50, 10, 10])]);
    expectStats(stats(gt, [det(1, 1, [0, 0, 10, 10], 0.9)]), { AP: 0, AR100: 0 });
    expectStats(stats(gt, [det(1, 1, [50, 50, 10, 10], 0.9)]), { AP: 51 / 101, AR100: 0.5 });
  });

  it('rejects detections on images that are not in the ground truth, naming the file', () => {
    expect(() => prepareCocoResults([det(7, 1, [0, 0, 1, 1], 1)], dataset([]), 'dets.json')).toThrow(/dets\.json: results refer to 1 image id\(s\) not in the ground truth gt\.json/);
  });
});
