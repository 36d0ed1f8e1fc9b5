import type { GrayImage } from '@dilo/core';
import { adaptiveThreshold, binaryCounts, fMeasure, prCurve, thresholdCounts } from './fmeasure';
import { eMeasureFromCounts, sMeasure } from './region';

/** Dataset scores, the keys `dilo saliency eval --json` prints. */
export interface SaliencyScores {
  /** mean absolute error between the map (0-1) and the binary ground truth */
  mae: number;
  /** max over the 256 thresholds of F(beta^2=0.3) computed on the dataset-mean precision/recall curve */
  maxF: number;
  /** mean over the 256 thresholds of that same F curve */
  meanF: number;
  /** mean per-image F at the adaptive threshold (2 x mean saliency) */
  adaptiveF: number;
  /** mean S-measure (alpha 0.5) */
  S: number;
  /** mean E-measure at the adaptive threshold (the IJCAI 2018 protocol) */
  E: number;
  /** max / mean over thresholds of the dataset-mean E-measure curve */
  maxE: number;
  meanE: number;
  /** images scored */
  n: number;
}

export interface ImageScores {
  mae: number;
  maxF: number;
  adaptiveF: number;
  S: number;
  E: number;
}

/** Ground truth is binarised at > 128, as the field's toolboxes do. */
export function binarise(gt: GrayImage): Uint8Array {
  const out = new Uint8Array(gt.data.length);
  for (let i = 0; i < out.length; i++) out[i] = gt.data[i] > 128 ? 1 : 0;
  return out;
}

/** Accumulates per-image statistics; `result()` gives the dataset scores. */
export class SaliencyEvaluator {
  private n = 0;
  private sumMae = 0;
  private sumAdaptiveF = 0;
  private sumS = 0;
  private sumE = 0;
  private readonly sumP = new Float64Array(256);
  private readonly sumR = new Float64Array(256);
  private readonly sumECurve = new Float64Array(256);

  /** Score one map against its ground truth (same size required). */
  add(pred: GrayImage, gtImage: GrayImage): ImageScores {
    if (pred.width !== gtImage.width || pred.height !== gtImage.height) {
      throw new Error(`map is ${pred.width}x${pred.height} but ground truth is ${gtImage.width}x${gtImage.height}`);
    }
    const gt = binarise(gtImage);
    const p = pred.data;
    const n = p.length;
    const pf = new Float64Array(n);
    let mae = 0;
    for (let i = 0; i < n; i++) {
      pf[i] = p[i] / 255;
      mae += Math.abs(pf[i] - gt[i]);
    }
    mae /= n;
    const counts = thresholdCounts(p, gt);
    const { precision, recall } = prCurve(counts);
    let maxF = 0;
    for (let t = 0; t < 256; t++) {
      this.sumP[t] += precision[t];
      this.sumR[t] += recall[t];
      maxF = Math.max(maxF, fMeasure(precision[t], recall[t]));
      const tp = counts.tp[t];
      const fp = counts.fp[t];
      this.sumECurve[t] += eMeasureFromCounts(tp, fp, counts.positives - tp, n - counts.positives - fp);
    }
    const a = binaryCounts(p, gt, adaptiveThreshold(p));
    const ap = a.tp + a.fp > 0 ? a.tp / (a.tp + a.fp) : 0;
    const ar = a.tp + a.fn > 0 ? a.tp / (a.tp + a.fn) : 0;
    const adaptiveF = fMeasure(ap, ar);
    const S = sMeasure(pf, gt, pred.width, pred.height);
    const E = eMeasureFromCounts(a.tp, a.fp, a.fn, a.tn);
    this.n++;
    this.sumMae += mae;
    this.sumAdaptiveF += adaptiveF;
    this.sumS += S;
    this.sumE += E;
    return { mae, maxF, adaptiveF, S, E };
  }

  result(): SaliencyScores {
    const n = this.n;
    if (n === 0) return { mae: NaN, maxF: NaN, meanF: NaN, adaptiveF: NaN, S: NaN, E: NaN, maxE: NaN, meanE: NaN, n: 0 };
    let maxF = 0;
    let sumF = 0;
    let maxE = 0;
    let sumE = 0;
    for (let t = 0; t < 256; t++) {
      const f = fMeasure(this.sumP[t] / n, this.sumR[t] / n);
      maxF = Math.max(maxF, f);
      sumF += f;
      const e = this.sumECurve[t] / n;
      maxE = Math.max(maxE, e);
      sumE += e;
    }
    return {
      mae: this.sumMae / n,
      maxF,
      meanF: sumF / 256,
      adaptiveF: this.sumAdaptiveF / n,
      S: this.sumS / n,
      E: this.sumE / n,
      maxE,
      meanE: sumE / 256,
      n,
    };
  }
}
