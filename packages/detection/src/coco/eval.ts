import { DiloInputError } from '@dilo/core';
import { bbIou, rleIou, type Rle } from '../mask/rle';
import { segmentationToRle } from '../mask/segmentation';
import type { CocoAnnotation, CocoDataset, CocoId } from './dataset';
import type { CocoDetection } from './results';

/**
 * COCO detection evaluation with pycocotools' COCOeval semantics (evaluate, accumulate,
 * summarize), ported from PythonAPI/pycocotools/cocoeval.py. Category labels are always used
 * (useCats = 1); keypoints are not supported.
 */
export type IouType = 'bbox' | 'segm';

export interface CocoEvalParams {
  imgIds: CocoId[];
  catIds: CocoId[];
  iouThrs: number[];
  recThrs: number[];
  maxDets: number[];
  areaRng: [number, number][];
  areaRngLbl: string[];
}

/** np.linspace(start, stop, num): i*step + start, the last value set to stop exactly. */
export function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const y = Array.from({ length: num }, (_, i) => i * step + start);
  if (num > 1) y[num - 1] = stop;
  return y;
}

/** np.unique order: sorted, duplicates dropped (numbers numerically, before strings). */
export function sortedUniqueIds(ids: Iterable<CocoId>): CocoId[] {
  return [...new Set(ids)].sort((a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (typeof a === 'number') return -1;
    if (typeof b === 'number') return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** COCOeval's Params.setDetParams, over all images and categories of the ground truth. */
export function defaultCocoParams(gt: CocoDataset): CocoEvalParams {
  return {
    imgIds: sortedUniqueIds(gt.images.map((i) => i.id)),
    catIds: sortedUniqueIds(gt.categories.map((c) => c.id)),
    iouThrs: linspace(0.5, 0.95, Math.round((0.95 - 0.5) / 0.05) + 1),
    recThrs: linspace(0.0, 1.0, Math.round((1.0 - 0.0) / 0.01) + 1),
    maxDets: [1, 10, 100],
    areaRng: [
      [0 ** 2, 1e5 ** 2],
      [0 ** 2, 32 ** 2],
      [32 ** 2, 96 ** 2],
      [96 ** 2, 1e5 ** 2],
    ],
    areaRngLbl: ['all', 'small', 'medium', 'large'],
  };
}

interface GtItem {
  id: CocoId;
  area: number;
  iscrowd: number;
  ignore: number;
  box?: [number, number, number, number];
  rle?: Rle;
}
interface DtItem {
  id: number;
  area: number;
  score: number;
  box: [number, number, number, number];
  rle?: Rle;
}

/** One (image, category, area range) result of evaluateImg. */
export interface EvalImg {
  /** Detections kept (score order, at most maxDets[-1]). */
  D: number;
  G: number;
  dtScores: Float64Array;
  /** [T x D]: 1 when dtMatches is non-zero (pycocotools stores the matched gt id, so gt id 0 reads as unmatched). */
  dtMatched: Uint8Array;
  /** [T x D] */
  dtIgnore: Uint8Array;
  /** [G], gts in their evaluation order (non-ignored first). */
  gtIgnore: Uint8Array;
}

export interface CocoEvalResult {
  params: CocoEvalParams;
  /** precision[t][r][k][a][m] flattened; -1 where no ground truth. */
  precision: Float64Array;
  /** recall[t][k][a][m] flattened; -1 where no ground truth. */
  recall: Float64Array;
  counts: [T: number, R: number, K: number, A: number, M: number];
  /** The 12 COCO summary numbers. */
  stats: CocoStats;
}

export interface CocoStats {
  AP: number;
  AP50: number;
  AP75: number;
  APs: number;
  APm: number;
  APl: number;
  AR1: number;
  AR10: number;
  AR100: number;
  ARs: number;
  ARm: number;
  ARl: number;
}

/** Stable sort of indices by descending score: np.argsort(-scores, kind='mergesort'). */
function argsortDesc(scores: ArrayLike<number>): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  return idx.sort((i, j) => scores[j]! - scores[i]! || i - j);
}

type Group<T> = Map<CocoId, Map<CocoId, T[]>>;
function push<T>(g: Group<T>, img: CocoId, cat: CocoId, v: T): void {
  let byCat = g.get(img);
  if (!byCat) g.set(img, (byCat = new Map()));
  let list = byCat.get(cat);
  if (!list) byCat.set(cat, (list = []));
  list.push(v);
}

function gtItem(gt: CocoDataset, a: CocoAnnotation, iouType: IouType): GtItem {
  if (a.area === undefined) throw new DiloInputError(gt.file, `annotation id ${a.id} has no 'area' field (the COCO evaluator's area ranges need it)`);
  const iscrowd = a.iscrowd ? 1 : 0;
  const item: GtItem = { id: a.id, area: a.area, iscrowd, ignore: iscrowd };
  if (iouType === 'bbox') {
    if (!a.bbox) throw new DiloInputError(gt.file, `annotation id ${a.id} has no bbox (bbox evaluation needs one)`);
    item.box = a.bbox;
  } else {
    if (!a.segmentation) throw new DiloInputError(gt.file, `annotation id ${a.id} has no segmentation (segm evaluation needs one)`);
    const img = gt.imgs.get(a.image_id)!;
    try {
      item.rle = segmentationToRle(a.segmentation, img.height, img.width);
    } catch (err) {
      throw new DiloInputError(gt.file, `annotation id ${a.id}: ${(err as Error).message}`);
    }
  }
  return item;
}

/** COCOeval.evaluate + accumulate + summarize. */
export function cocoEvaluate(gt: CocoDataset, dts: CocoDetection[], iouType: IouType = 'bbox', params: CocoEvalParams = defaultCocoParams(gt)): CocoEvalResult {
  const p: CocoEvalParams = {
    ...params,
    imgIds: sortedUniqueIds(params.imgIds),
    catIds: sortedUniqueIds(params.catIds),
    maxDets: [...params.maxDets].sort((a, b) => a - b),
  };
  const imgSet = new Set(p.imgIds);
  const catSet = new Set(p.catIds);
  // _prepare: ground truth and detections grouped by (image, category), in file order.
  const gts: Group<GtItem> = new Map();
  const dtsG: Group<DtItem> = new Map();
  // pycocotools indexes annotations by id (the last one wins) and loads them by id: an id used
  // twice yields the last annotation twice, in the places of both.
  const byId = new Map<CocoId, CocoAnnotation>();
  for (const a of gt.annotations) byId.set(a.id, a);
  for (const a0 of gt.annotations) {
    if (!imgSet.has(a0.image_id) || !gt.imgs.has(a0.image_id) || !catSet.has(a0.category_id)) continue;
    const a = byId.get(a0.id)!;
    if (gt.imgs.has(a.image_id)) push(gts, a.image_id, a.category_id, gtItem(gt, a, iouType));
  }
  for (const d of dts) {
    if (!imgSet.has(d.image_id) || !catSet.has(d.category_id)) continue;
    const item: DtItem = { id: d.id, area: d.area, score: d.score, box: d.bbox };
    if (iouType === 'segm') {
      const img = gt.imgs.get(d.image_id)!;
      item.rle = segmentationToRle(d.segmentation ?? [[...d.bbox]], img.height, img.width);
    }
    push(dtsG, d.image_id, d.category_id, item);
  }
  const maxDetLast = p.maxDets[p.maxDets.length - 1]!;
  const T = p.iouThrs.length;
  const A = p.areaRng.length;
  const I = p.imgIds.length;
  const K = p.catIds.length;
  // evalImgs[(k*A + a)*I + i], the order of COCOeval.evaluate's list.
  const evalImgs: (EvalImg | null)[] = new Array(K * A * I).fill(null);
  for (let i = 0; i < I; i++) {
    const imgId = p.imgIds[i]!;
    for (let k = 0; k < K; k++) {
      const catId = p.catIds[k]!;
      const g = gts.get(imgId)?.get(catId) ?? [];
      const dAll = dtsG.get(imgId)?.get(catId) ?? [];
      if (g.length === 0 && dAll.length === 0) continue;
      // computeIoU: detections by score (stable), at most maxDets[-1].
      const d = argsortDesc(dAll.map((x) => x.score))
        .slice(0, maxDetLast)
        .map((j) => dAll[j]!);
      const iscrowdAll = g.map((x) => x.iscrowd);
      let ious: number[][] = [];
      if (d.length > 0 && g.length > 0) {
        ious = iouType === 'bbox' ? bbIou(d.map((x) => x.box), g.map((x) => x.box!), iscrowdAll) : rleIou(d.map((x) => x.rle!), g.map((x) => x.rle!), iscrowdAll);
      }
      for (let a = 0; a < A; a++) {
        evalImgs[(k * A + a) * I + i] = evaluateImg(g, d, ious, p.areaRng[a]!, maxDetLast, p.iouThrs);
      }
    }
  }
  const { precision, recall } = accumulate(evalImgs, p, K, A, I);
  const counts: CocoEvalResult['counts'] = [T, p.recThrs.length, K, A, p.maxDets.length];
  return { params: p, precision, recall, counts, stats: summarize(precision, recall, p, counts) };
}

/** COCOeval.evaluateImg for one image, category and area range. */
function evaluateImg(gtAll: GtItem[], dt: DtItem[], iousAll: number[][], aRng: [number, number], maxDet: number, iouThrs: number[]): EvalImg {
  const gIgnoreAll = gtAll.map((g) => (g.ignore || g.area < aRng[0] || g.area > aRng[1] ? 1 : 0));
  // Sort gt with ignored last (stable); dt are already in score order.
  const gtind = Array.from({ length: gtAll.length }, (_, j) => j).sort((x, y) => gIgnoreAll[x]! - gIgnoreAll[y]! || x - y);
  const gt = gtind.map((j) => gtAll[j]!);
  const gtIg = Uint8Array.from(gtind.map((j) => gIgnoreAll[j]!));
  const D = Math.min(dt.length, maxDet);
  const G = gt.length;
  const T = iouThrs.length;
  const iscrowd = gt.map((g) => g.iscrowd);
  const gtm = new Float64Array(T * G);
  const dtMatched = new Uint8Array(T * D);
  const dtIgnore = new Uint8Array(T * D);
  if (iousAll.length > 0 && G > 0) {
    for (let t = 0; t < T; t++) {
      for (let di = 0; di < D; di++) {
        const row = iousAll[di]!;
        // Best match so far (m = -1: unmatched).
        let iou = Math.min(iouThrs[t]!, 1 - 1e-10);
        let m = -1;
        for (let gi = 0; gi < G; gi++) {
          // Already matched and not a crowd: skip.
          if (gtm[t * G + gi]! > 0 && !iscrowd[gi]) continue;
          // Matched to a regular gt and reached the ignored ones: stop.
          if (m > -1 && gtIg[m] === 0 && gtIg[gi] === 1) break;
          const v = row[gtind[gi]!]!;
          if (v < iou) continue;
          iou = v;
          m = gi;
        }
        if (m === -1) continue;
        dtIgnore[t * D + di] = gtIg[m]!;
        const gid = gt[m]!.id;
        dtMatched[t * D + di] = gid !== 0 && gid !== '' ? 1 : 0;
        gtm[t * G + m] = dt[di]!.id;
      }
    }
  }
  // Unmatched detections outside the area range are ignored.
  for (let di = 0; di < D; di++) {
    const ar = dt[di]!.area;
    if (ar < aRng[0] || ar > aRng[1]) for (let t = 0; t < T; t++) if (!dtMatched[t * D + di]) dtIgnore[t * D + di] = 1;
  }
  const dtScores = Float64Array.from(dt.slice(0, D).map((x) => x.score));
  return { D, G, dtScores, dtMatched, dtIgnore, gtIgnore: gtIg };
}

const EPS = 2.220446049250313e-16; // np.spacing(1)

/** COCOeval.accumulate. */
function accumulate(evalImgs: (EvalImg | null)[], p: CocoEvalParams, K: number, A: number, I: number): { precision: Float64Array; recall: Float64Array } {
  const T = p.iouThrs.length;
  const R = p.recThrs.length;
  const M = p.maxDets.length;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  for (let k = 0; k < K; k++) {
    for (let a = 0; a < A; a++) {
      const E: EvalImg[] = [];
      for (let i = 0; i < I; i++) {
        const e = evalImgs[(k * A + a) * I + i];
        if (e) E.push(e);
      }
      if (E.length === 0) continue;
      for (let m = 0; m < M; m++) {
        const maxDet = p.maxDets[m]!;
        // Concatenate the first maxDet detections of every image, in image order.
        const scores: number[] = [];
        const src: [EvalImg, number][] = [];
        let npig = 0;
        for (const e of E) {
          const n = Math.min(maxDet, e.D);
          for (let j = 0; j < n; j++) {
            scores.push(e.dtScores[j]!);
            src.push([e, j]);
          }
          for (let j = 0; j < e.G; j++) if (e.gtIgnore[j] === 0) npig++;
        }
        if (npig === 0) continue;
        const inds = argsortDesc(scores);
        const nd = inds.length;
        for (let t = 0; t < T; t++) {
          const rc = new Float64Array(nd);
          const pr = new Float64Array(nd);
          let tp = 0;
          let fp = 0;
          for (let j = 0; j < nd; j++) {
            const [e, di] = src[inds[j]!]!;
            const matched = e.dtMatched[t * e.D + di]!;
            const ignored = e.dtIgnore[t * e.D + di]!;
            if (matched && !ignored) tp++;
            else if (!matched && !ignored) fp++;
            rc[j] = tp / npig;
            pr[j] = tp / (fp + tp + EPS);
          }
          recall[((t * K + k) * A + a) * M + m] = nd ? rc[nd - 1]! : 0;
          // Precision made non-increasing from the right, then read at each recall threshold.
          for (let j = nd - 1; j > 0; j--) if (pr[j]! > pr[j - 1]!) pr[j - 1] = pr[j]!;
          let j = 0;
          for (let r = 0; r < R; r++) {
            // np.searchsorted(rc, recThrs, side='left'); past the end the precision stays 0.
            const thr = p.recThrs[r]!;
            while (j < nd && rc[j]! < thr) j++;
            precision[(((t * R + r) * K + k) * A + a) * M + m] = j < nd ? pr[j]! : 0;
          }
        }
      }
    }
  }
  return { precision, recall };
}

/** COCOeval.summarize's _summarize: mean over the defined (> -1) entries, -1 if none. */
export function summarizeOne(r: Pick<CocoEvalResult, 'precision' | 'recall' | 'counts' | 'params'>, ap: boolean, iouThr: number | null, areaRng: string, maxDets: number): number {
  const [T, R, K, A, M] = r.counts;
  const p = r.params;
  const aind = p.areaRngLbl.indexOf(areaRng);
  const mind = p.maxDets.indexOf(maxDets);
  // np.where(iouThr == p.iouThrs): exact float equality, as in pycocotools.
  const tinds = iouThr === null ? [...Array(T).keys()] : p.iouThrs.flatMap((v, t) => (v === iouThr ? [t] : []));
  if (aind < 0 || mind < 0) return -1;
  let sum = 0;
  let n = 0;
  for (const t of tinds) {
    for (let k = 0; k < K; k++) {
      if (ap) {
        for (let q = 0; q < R; q++) {
          const v = r.precision[(((t * R + q) * K + k) * A + aind) * M + mind]!;
          if (v > -1) {
            sum += v;
            n++;
          }
        }
      } else {
        const v = r.recall[((t * K + k) * A + aind) * M + mind]!;
        if (v > -1) {
          sum += v;
          n++;
        }
      }
    }
  }
  return n === 0 ? -1 : sum / n;
}

function summarize(precision: Float64Array, recall: Float64Array, params: CocoEvalParams, counts: CocoEvalResult['counts']): CocoStats {
  const r = { precision, recall, params, counts };
  const md = params.maxDets;
  return {
    AP: summarizeOne(r, true, null, 'all', 100),
    AP50: summarizeOne(r, true, 0.5, 'all', md[2]!),
    AP75: summarizeOne(r, true, 0.75, 'all', md[2]!),
    APs: summarizeOne(r, true, null, 'small', md[2]!),
    APm: summarizeOne(r, true, null, 'medium', md[2]!),
    APl: summarizeOne(r, true, null, 'large', md[2]!),
    AR1: summarizeOne(r, false, null, 'all', md[0]!),
    AR10: summarizeOne(r, false, null, 'all', md[1]!),
    AR100: summarizeOne(r, false, null, 'all', md[2]!),
    ARs: summarizeOne(r, false, null, 'small', md[2]!),
    ARm: summarizeOne(r, false, null, 'medium', md[2]!),
    ARl: summarizeOne(r, false, null, 'large', md[2]!),
  };
}

/** AP (IoU .50:.95, all areas, 100 detections) of each category, -1 where it has no ground truth. */
export function perCategoryAp(r: CocoEvalResult): Map<CocoId, number> {
  const [T, R, K, A, M] = r.counts;
  const a = r.params.areaRngLbl.indexOf('all');
  const m = r.params.maxDets.indexOf(100);
  const out = new Map<CocoId, number>();
  for (let k = 0; k < K; k++) {
    let sum = 0;
    let n = 0;
    for (let t = 0; t < T; t++)
      for (let q = 0; q < R; q++) {
        const v = r.precision[(((t * R + q) * K + k) * A + a) * M + m]!;
        if (v > -1) {
          sum += v;
          n++;
        }
      }
    out.set(r.params.catIds[k]!, n ? sum / n : -1);
  }
  return out;
}
