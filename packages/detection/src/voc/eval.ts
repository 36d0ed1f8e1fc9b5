import { DiloInputError } from '@dilo/core';
import type { VocBox, VocDataset } from './dataset';

/** One detection in the devkit's results form (comp4_det_<set>_<class>.txt: image score xmin ymin xmax ymax). */
export interface VocDetection {
  image: string;
  className: string;
  score: number;
  /** Devkit coordinates: 1-based, inclusive. */
  box: VocBox;
}

/**
 * voc_ap from the VOC devkit as ported in py-faster-rcnn / detectron2's pascal_voc_evaluation.py.
 * use07: the VOC2007 11-point metric (mean of the max precision at recall >= 0, 0.1, ..., 1);
 * otherwise the VOC2010+ area under the precision envelope, summed where recall changes.
 */
export function vocAp(rec: ArrayLike<number>, prec: ArrayLike<number>, use07: boolean): number {
  const n = rec.length;
  if (use07) {
    let ap = 0;
    // np.arange(0., 1.1, 0.1): t = i * 0.1 (0.30000000000000004, ... as numpy computes them).
    for (let i = 0; i < 11; i++) {
      const t = i * 0.1;
      let p = 0;
      let any = false;
      for (let j = 0; j < n; j++) {
        if (rec[j]! >= t) {
          if (!any || prec[j]! > p) p = prec[j]!;
          any = true;
        }
      }
      ap = ap + (any ? p : 0) / 11;
    }
    return ap;
  }
  const mrec = [0, ...Array.from(rec), 1];
  const mpre = [0, ...Array.from(prec), 0];
  for (let i = mpre.length - 1; i > 0; i--) mpre[i - 1] = Math.max(mpre[i - 1]!, mpre[i]!);
  let ap = 0;
  for (let i = 0; i < mrec.length - 1; i++) if (mrec[i + 1] !== mrec[i]) ap += (mrec[i + 1]! - mrec[i]!) * mpre[i + 1]!;
  return ap;
}

export interface VocClassResult {
  /** Non-difficult ground-truth objects. */
  npos: number;
  ndets: number;
  rec: Float64Array;
  prec: Float64Array;
  /** NaN when the class has no non-difficult object (the devkit divides by zero there). */
  ap: number;
}

/**
 * voc_eval for one class: detections sorted by score, each matched to the ground-truth box of
 * highest IoU (devkit IoU with +1 widths) in its image; IoU > ovthresh and not yet taken: TP;
 * already taken (a duplicate): FP; the best match difficult: neither; IoU too low: FP.
 * Ties in score keep input order (numpy's default sort does not promise an order for ties).
 */
export function vocEvalClass(ds: VocDataset, dets: VocDetection[], className: string, ovthresh = 0.5, use07 = false): VocClassResult {
  const recs = new Map<string, { boxes: VocBox[]; difficult: boolean[]; det: boolean[] }>();
  let npos = 0;
  for (const im of ds.images) {
    const objs = im.objects.filter((o) => o.name === className);
    recs.set(im.id, { boxes: objs.map((o) => o.box), difficult: objs.map((o) => o.difficult), det: objs.map(() => false) });
    for (const o of objs) if (!o.difficult) npos++;
  }
  const mine = dets.filter((d) => d.className === className);
  const order = mine.map((_, i) => i).sort((i, j) => (mine[j]!.score > mine[i]!.score ? 1 : mine[j]!.score < mine[i]!.score ? -1 : i - j));
  const nd = order.length;
  const tp = new Float64Array(nd);
  const fp = new Float64Array(nd);
  for (let d = 0; d < nd; d++) {
    const det = mine[order[d]!]!;
    const R = recs.get(det.image);
    if (!R) throw new DiloInputError(ds.root, `a detection refers to image '${det.image}', which is not in the evaluated set${ds.split ? ` (${ds.split})` : ''}`);
    const bb = det.box;
    let ovmax = -Infinity;
    let jmax = -1;
    for (let j = 0; j < R.boxes.length; j++) {
      const g = R.boxes[j]!;
      const iw = Math.max(Math.min(g[2], bb[2]) - Math.max(g[0], bb[0]) + 1, 0);
      const ih = Math.max(Math.min(g[3], bb[3]) - Math.max(g[1], bb[1]) + 1, 0);
      const inters = iw * ih;
      const uni = (bb[2] - bb[0] + 1) * (bb[3] - bb[1] + 1) + (g[2] - g[0] + 1) * (g[3] - g[1] + 1) - inters;
      const ov = inters / uni;
      // np.argmax: the first maximum.
      if (ov > ovmax) {
        ovmax = ov;
        jmax = j;
      }
    }
    if (ovmax > ovthresh) {
      if (!R.difficult[jmax]) {
        if (!R.det[jmax]) {
          tp[d] = 1;
          R.det[jmax] = true;
        } else fp[d] = 1;
      }
    } else fp[d] = 1;
  }
  const rec = new Float64Array(nd);
  const prec = new Float64Array(nd);
  let ctp = 0;
  let cfp = 0;
  for (let d = 0; d < nd; d++) {
    ctp += tp[d]!;
    cfp += fp[d]!;
    rec[d] = ctp / npos;
    prec[d] = ctp / Math.max(ctp + cfp, Number.EPSILON);
  }
  return { npos, ndets: nd, rec, prec, ap: npos === 0 ? NaN : vocAp(rec, prec, use07) };
}

export interface VocClassSummary {
  /** Area-under-curve AP at IoU 0.5 (VOC2010+), null when the class has no non-difficult object. */
  ap: number | null;
  /** 11-point AP at IoU 0.5 (VOC2007). */
  ap07: number | null;
  npos: number;
  ndets: number;
}

export interface VocEvalResult {
  /** Mean over classes with ground truth of the area AP at IoU 0.5. */
  mAP: number;
  /** Mean of the 11-point AP at IoU 0.5. */
  mAP07: number;
  perClass: Record<string, VocClassSummary>;
  /**
   * detectron2's PascalVOCDetectionEvaluator numbers (what MoCo/DiLo report for VOC07 test):
   * mean over IoU 0.50:0.05:0.95 of the class-mean AP, AP50 and AP75, with the 11-point metric
   * for VOC2007 (use07) and the area metric otherwise.
   */
  detectron2: { use07: boolean; AP: number; AP50: number; AP75: number };
}

function mean(xs: number[]): number {
  const v = xs.filter((x) => !Number.isNaN(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}

/** Evaluate detections on a VOC dataset for the given classes (default: every class with an object in the set). */
export function vocEvaluate(ds: VocDataset, dets: VocDetection[], options: { classes?: readonly string[]; use07ForDetectron2?: boolean } = {}): VocEvalResult {
  const classes = options.classes ?? [...new Set(ds.images.flatMap((im) => im.objects.map((o) => o.name)))].sort();
  const perClass: Record<string, VocClassSummary> = {};
  const nanToNull = (x: number): number | null => (Number.isNaN(x) ? null : x);
  const aps: number[] = [];
  const aps07: number[] = [];
  for (const c of classes) {
    const r = vocEvalClass(ds, dets, c, 0.5, false);
    const ap07 = r.npos === 0 ? NaN : vocAp(r.rec, r.prec, true);
    perClass[c] = { ap: nanToNull(r.ap), ap07: nanToNull(ap07), npos: r.npos, ndets: r.ndets };
    aps.push(r.ap);
    aps07.push(ap07);
  }
  const use07 = options.use07ForDetectron2 ?? true;
  const byThr: number[] = [];
  for (let thr = 50; thr < 100; thr += 5) {
    byThr.push(thr === 50 ? mean(use07 ? aps07 : aps) : mean(classes.map((c) => vocEvalClass(ds, dets, c, thr / 100, use07).ap)));
  }
  return {
    mAP: mean(aps),
    mAP07: mean(aps07),
    perClass,
    detectron2: { use07, AP: mean(byThr), AP50: byThr[0]!, AP75: byThr[5]! },
  };
}
