import { decodeMask, DiloInputError, DiloUsageError, listImages, SkipReport, type GrayImage } from '@dilo/core';
import { fitTo, indexMaps, maskId } from './eval-folders';
import { SaliencyEvaluator, type SaliencyScores } from './evaluator';

/**
 * How far can one get by combining several saliency methods? Scores each method's maps, their
 * pixel average (the fused pseudo-mask that `saliency train --pseudo a+b` distils), and the
 * oracle: for each image, the one method whose map has the best per-image max-F against the
 * ground truth (ties: the lower MAE). The oracle peeks at the labels, so it is not a method; it bounds every fusion
 * that picks one of the given maps per image, and shows how much the teachers' maps hold.
 * All columns are scored on the same images: those that have a map in every folder.
 */
export interface OracleOptions {
  /** map folders, two or more (the methods, or teachers, to combine) */
  preds: string[];
  gt: string;
  onProgress?: (done: number, total: number) => void;
  report?: SkipReport;
}

export interface OracleResult {
  /** each folder's scores, in the order given */
  folders: { pred: string; scores: SaliencyScores }[];
  /** the pixel-wise mean of the maps */
  average: SaliencyScores;
  /** per image, the map with the best per-image max-F (ties: the lower MAE, then the first folder) */
  oracle: SaliencyScores;
  /** how many images the oracle took from each folder, in the order given */
  picks: number[];
  /** maps resized to their mask */
  resized: number;
}

function average(maps: GrayImage[]): GrayImage {
  const { width, height } = maps[0];
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    let s = 0;
    for (const m of maps) s += m.data[i];
    data[i] = Math.round(s / maps.length);
  }
  return { width, height, data };
}

export async function evaluateOracle(opts: OracleOptions): Promise<OracleResult> {
  if (opts.preds.length < 2) throw new DiloUsageError(`the oracle needs two or more map folders, got ${opts.preds.length}`);
  const report = opts.report ?? new SkipReport();
  const gts = await listImages(opts.gt, { onUnreadable: (file, problem) => report.skip(file, problem) });
  if (gts.length === 0) throw new DiloInputError(opts.gt, 'no ground-truth masks found');
  const lookups = await Promise.all(opts.preds.map((p) => indexMaps(p, report)));
  const perFolder = opts.preds.map(() => new SaliencyEvaluator());
  const avgEv = new SaliencyEvaluator();
  const oracleEv = new SaliencyEvaluator();
  const picks = opts.preds.map(() => 0);
  let resized = 0;
  let done = 0;
  for (const g of gts) {
    done++;
    const id = maskId(opts.gt, g);
    const files = lookups.map((find) => find(id));
    const absent = files.findIndex((f) => f === undefined);
    if (absent >= 0) {
      report.skip(g, `no map named ${id}.* under ${opts.preds[absent]}`);
      opts.onProgress?.(done, gts.length);
      continue;
    }
    let mask: GrayImage;
    let maps: GrayImage[];
    try {
      [mask, ...maps] = await Promise.all([decodeMask(g), ...(files as string[]).map((f) => decodeMask(f))]);
    } catch (err) {
      report.skipError(err);
      opts.onProgress?.(done, gts.length);
      continue;
    }
    maps = maps.map((m) => {
      if (m.width === mask.width && m.height === mask.height) return m;
      resized++;
      return fitTo(m, mask.width, mask.height);
    });
    let best = 0;
    let bestF = -1;
    let bestMae = Infinity;
    maps.forEach((m, k) => {
      const { maxF, mae } = perFolder[k].add(m, mask);
      // many maps separate an easy image perfectly at some threshold: then the closer map wins
      if (maxF > bestF || (maxF === bestF && mae < bestMae)) [best, bestF, bestMae] = [k, maxF, mae];
    });
    picks[best]++;
    oracleEv.add(maps[best], mask);
    avgEv.add(average(maps), mask);
    opts.onProgress?.(done, gts.length);
  }
  report.processed += oracleEv.result().n;
  return {
    folders: opts.preds.map((pred, k) => ({ pred, scores: perFolder[k].result() })),
    average: avgEv.result(),
    oracle: oracleEv.result(),
    picks,
    resized,
  };
}
