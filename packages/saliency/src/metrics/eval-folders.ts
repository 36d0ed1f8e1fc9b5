import * as path from 'node:path';
import { decodeMask, DiloInputError, listImages, SkipReport, writeFileAtomic, type GrayImage } from '@dilo/core';
import { resizeBilinear } from '../util/resize';
import { SaliencyEvaluator, type ImageScores, type SaliencyScores } from './evaluator';

export interface EvalFoldersOptions {
  pred: string;
  gt: string;
  /** write one CSV row per image here */
  perImageCsv?: string;
  onProgress?: (done: number, total: number) => void;
  /** where unscored masks are named, one line each (default: on stderr) */
  report?: SkipReport;
}

export interface EvalFoldersResult {
  scores: SaliencyScores;
  /** ground-truth masks without a map (named in the report; not scored) */
  missing: string[];
  /** masks or maps that could not be decoded (named in the report; not scored) */
  unreadable: number;
  /** maps whose size differed from the mask and were resized to it (bilinear), as the toolboxes do */
  resized: number;
}

function stem(root: string, file: string): string {
  const rel = path.relative(root, file);
  return rel.slice(0, rel.length - path.extname(rel).length).split(path.sep).join('/');
}

/** A map resized (bilinear) to its mask's size, as the toolboxes do. */
export function fitTo(map: GrayImage, w: number, h: number): GrayImage {
  const r = resizeBilinear(Float32Array.from(map.data), map.width, map.height, 1, w, h);
  return { width: w, height: h, data: Uint8Array.from(r, (v) => Math.round(v)) };
}

/** The stem of a mask (its path under the ground-truth root, no extension) as used to find its map. */
export function maskId(gtRoot: string, file: string): string {
  return stem(gtRoot, file);
}

/**
 * Index the maps under `root`: the returned function gives the map file of a mask id, or
 * undefined. A flat ground-truth folder also matches maps kept in sub-folders, by file name.
 */
export async function indexMaps(root: string, report: SkipReport): Promise<(id: string) => string | undefined> {
  const byStem = new Map<string, string>();
  const byBase = new Map<string, string>();
  for (const p of await listImages(root, { onUnreadable: (file, problem) => report.skip(file, problem) })) {
    byStem.set(stem(root, p), p);
    byBase.set(path.posix.basename(stem(root, p)), p);
  }
  return (id) => byStem.get(id) ?? byBase.get(path.posix.basename(id));
}

/** Score every map under `pred` against the mask of the same relative name under `gt`. */
export async function evaluateFolders(opts: EvalFoldersOptions): Promise<EvalFoldersResult> {
  const report = opts.report ?? new SkipReport();
  const onUnreadable = (file: string, problem: string): unknown => report.skip(file, problem);
  const gts = await listImages(opts.gt, { onUnreadable });
  if (gts.length === 0) throw new DiloInputError(opts.gt, 'no ground-truth masks found');
  const mapFor = await indexMaps(opts.pred, report);
  const ev = new SaliencyEvaluator();
  const missing: string[] = [];
  const rows: string[] = ['id,mae,maxF,adaptiveF,S,E'];
  let resized = 0;
  let unreadable = 0;
  let done = 0;
  for (const g of gts) {
    const id = stem(opts.gt, g);
    const p = mapFor(id);
    done++;
    if (!p) {
      missing.push(g);
      report.skip(g, `no map named ${id}.* under ${opts.pred}`);
      opts.onProgress?.(done, gts.length);
      continue;
    }
    let map: GrayImage, mask: GrayImage;
    try {
      [map, mask] = await Promise.all([decodeMask(p), decodeMask(g)]);
    } catch (err) {
      report.skipError(err);
      unreadable++;
      opts.onProgress?.(done, gts.length);
      continue;
    }
    let m = map;
    if (map.width !== mask.width || map.height !== mask.height) {
      m = fitTo(map, mask.width, mask.height);
      resized++;
    }
    const s: ImageScores = ev.add(m, mask);
    rows.push([JSON.stringify(id), s.mae, s.maxF, s.adaptiveF, s.S, s.E].map((v) => (typeof v === 'number' ? v.toFixed(6) : v)).join(','));
    opts.onProgress?.(done, gts.length);
  }
  if (opts.perImageCsv) await writeFileAtomic(opts.perImageCsv, rows.join('\n') + '\n');
  report.processed += ev.result().n;
  return { scores: ev.result(), missing, unreadable, resized };
}
