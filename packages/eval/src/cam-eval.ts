/**
 * CAM localization over a dataset with ground-truth masks: for each sample the CAM of its true
 * class (or of the predicted class), at the transformed image's size, scored against the mask
 * transformed the same way; plus overlay PNGs of a few examples spread over the classes.
 * `maskAreaFraction` is the energy fraction a uniform map would get: the chance level.
 */
import * as path from 'node:path';
import { decodeImage, decodeMask, encodePng, resizeImage, writeFileAtomic, type GrayImage, type Manifest, type RgbImage } from '@dilo/core';
import { binarizeMask, camAtImageSize, colorizeCam, overlayCam } from './cam';
import type { FeatureSet } from './features';
import { defaultPointingTolerance, energyFraction, pointingHit } from './localization';
import { argmaxRows } from './metrics';
import { linearScores, type LinearModel } from './softmax';
import { applyTransform, type EvalTransform } from './transform';

export interface CamEvalOptions {
  transform: EvalTransform;
  /** pointing-game tolerance in pixels of the transformed image (default: 15 px scaled from 224) */
  tolerance?: number;
  /** which class's map: the true label (default, the usual localization protocol) or the prediction */
  target?: 'label' | 'predicted';
  /** how many example overlays to write */
  examples?: number;
  /** folder for the overlays (none written when absent) */
  outDir?: string;
  alpha?: number;
}

export interface CamExample {
  id: string;
  className: string;
  /** image | CAM | overlay, side by side */
  file: string;
  energyInside: number;
  pointingHit: boolean;
}

export interface CamEvalResult {
  n: number;
  target: 'label' | 'predicted';
  tolerance: number;
  energyInside: number;
  pointingAccuracy: number;
  maskAreaFraction: number;
  perClass: { className: string; n: number; energyInside: number; pointingAccuracy: number }[];
  examples: CamExample[];
}

/** Centre crop of a one- or three-channel image. */
function cropCenter<T extends RgbImage | GrayImage>(img: T, size: number): T {
  const ch = img.data.length / (img.width * img.height);
  const x0 = Math.floor((img.width - size) / 2), y0 = Math.floor((img.height - size) / 2);
  const data = new Uint8Array(size * size * ch);
  for (let y = 0; y < size; y++) data.set(img.data.subarray(((y0 + y) * img.width + x0) * ch, ((y0 + y) * img.width + x0 + size) * ch), y * size * ch);
  return { width: size, height: size, data } as T;
}

/** The mask under the evaluation transform (nearest-neighbour resize, so it stays binary). */
export async function transformMask(mask: GrayImage, t: EvalTransform): Promise<GrayImage> {
  const r = mask.width === t.resize && mask.height === t.resize ? mask : await resizeImage(mask, t.resize, t.resize, 'nearest');
  return t.crop === t.resize ? r : cropCenter(r, t.crop);
}

/** Indices of up to `count` samples, round-robin over classes (first of each class, then second, ...). */
export function spreadOverClasses(labels: Int32Array, count: number): number[] {
  const byClass = new Map<number, number[]>();
  labels.forEach((y, i) => {
    if (!byClass.has(y)) byClass.set(y, []);
    byClass.get(y)!.push(i);
  });
  const lists = [...byClass.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  const out: number[] = [];
  for (let round = 0; out.length < count; round++) {
    let any = false;
    for (const l of lists) {
      if (round < l.length && out.length < count) {
        out.push(l[round]);
        any = true;
      }
    }
    if (!any) break;
  }
  return out;
}

function sideBySide(parts: RgbImage[]): RgbImage {
  const H = parts[0].height;
  const W = parts.reduce((s, p) => s + p.width, 0);
  const data = new Uint8Array(W * H * 3);
  let x0 = 0;
  for (const p of parts) {
    for (let y = 0; y < H; y++) data.set(p.data.subarray(y * p.width * 3, (y + 1) * p.width * 3), (y * W + x0) * 3);
    x0 += p.width;
  }
  return { width: W, height: H, data };
}

export async function evaluateCam(manifest: Manifest, features: FeatureSet, model: LinearModel, opts: CamEvalOptions): Promise<CamEvalResult> {
  const conv = features.convMap;
  if (!conv) throw new RangeError('features carry no conv map: extract them with convMap enabled');
  if (features.n !== manifest.samples.length) throw new RangeError(`${features.n} feature rows for ${manifest.samples.length} samples`);
  const target = opts.target ?? 'label';
  const size = opts.transform.crop;
  const tolerance = opts.tolerance ?? defaultPointingTolerance(size, size);
  const pred = argmaxRows(linearScores(model, features.data, features.n), features.n, model.numClasses);
  const exampleSet = new Set(opts.outDir ? spreadOverClasses(features.labels, opts.examples ?? 8) : []);
  const C = model.numClasses;
  const cls = Array.from({ length: C }, () => ({ n: 0, energy: 0, hits: 0 }));
  let energySum = 0, hits = 0, areaSum = 0, n = 0;
  const examples: CamExample[] = [];
  for (let i = 0; i < features.n; i++) {
    const s = manifest.samples[i];
    if (!s.mask) throw new RangeError(`sample ${s.id} has no mask (pair masks first)`);
    const y = features.labels[i];
    const c = target === 'label' ? y : pred[i];
    if (c < 0) continue;
    const mask = binarizeMask(await transformMask(await decodeMask(s.mask), opts.transform));
    const cam = camAtImageSize(conv, i, model, c, size, size);
    const e = energyFraction(cam, mask);
    const hit = pointingHit(cam, mask, tolerance);
    let area = 0;
    for (const v of mask) area += v;
    n++;
    energySum += e;
    hits += hit ? 1 : 0;
    areaSum += area / mask.length;
    if (y >= 0 && y < C) {
      cls[y].n++;
      cls[y].energy += e;
      cls[y].hits += hit ? 1 : 0;
    }
    if (exampleSet.has(i) && opts.outDir) {
      const img = await applyTransform(await decodeImage(s.image), opts.transform);
      const file = path.join(opts.outDir, `cam-${s.id.replace(/[^A-Za-z0-9._-]+/g, '_')}.png`);
      await writeFileAtomic(file, await encodePng(sideBySide([img, colorizeCam(cam), overlayCam(img, cam, opts.alpha ?? 0.5)])));
      examples.push({ id: s.id, className: features.classes[y] ?? String(y), file, energyInside: e, pointingHit: hit });
    }
  }
  return {
    n,
    target,
    tolerance,
    energyInside: n ? energySum / n : NaN,
    pointingAccuracy: n ? hits / n : NaN,
    maskAreaFraction: n ? areaSum / n : NaN,
    perClass: cls.map((v, c) => ({ className: features.classes[c] ?? String(c), n: v.n, energyInside: v.n ? v.energy / v.n : NaN, pointingAccuracy: v.n ? v.hits / v.n : NaN })),
    examples,
  };
}
