import { decodeImage, decodeMask, DiloInputError, imageList, pairMasks, resizeImage, type SkipReport } from '@dilo/core';

/**
 * The training set of the self-distilled saliency network: every image of a folder, squashed to
 * size x size, with its pseudo-mask (a saliency map computed by an unsupervised method; several
 * methods' maps are averaged), kept in memory as bytes.
 */
export interface PseudoMaskedSet {
  /** images as HWC RGB bytes (0-255), n * size * size * 3 */
  images: Uint8Array;
  /** pseudo-masks as bytes (0-255: soft foreground), n * size * size */
  masks: Uint8Array;
  n: number;
  size: number;
  /** relative ids, in order */
  ids: string[];
}

export interface LoadPseudoSetOptions {
  images: string;
  /** folders of maps mirroring `images` (as `dilo saliency --out` writes them); averaged */
  mapDirs: string[];
  size: number;
  /** unreadable images and missing maps are named here and left out */
  report: SkipReport;
  onProgress?: (done: number, total: number) => void;
  /** decodes in flight (default 8) */
  concurrency?: number;
}

export async function loadPseudoMaskedSet(opts: LoadPseudoSetOptions): Promise<PseudoMaskedSet> {
  if (opts.mapDirs.length === 0) throw new Error('loadPseudoMaskedSet needs at least one map folder');
  const manifest = await imageList(opts.images);
  for (const u of manifest.unreadable ?? []) opts.report.skip(u.file, u.problem);
  // an image is used when every method has a map for it
  const mapsOf = new Map<string, string[]>();
  for (const s of manifest.samples) mapsOf.set(s.id, []);
  for (const dir of opts.mapDirs) {
    const paired = await pairMasks({ ...manifest, unreadable: undefined }, dir, { checkSizes: false });
    for (const s of paired.samples) mapsOf.get(s.id)!.push(s.mask!);
    for (const i of paired.issues) opts.report.skip(i.file, `no pseudo-mask: ${i.detail}`);
  }
  const usable = manifest.samples.filter((s) => mapsOf.get(s.id)!.length === opts.mapDirs.length);
  const S = opts.size;
  const images = new Uint8Array(usable.length * S * S * 3);
  const masks = new Uint8Array(usable.length * S * S);
  const ok = new Uint8Array(usable.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < usable.length) {
      const i = next++;
      const s = usable[i];
      try {
        const img = await resizeImage(await decodeImage(s.image), S, S, 'linear');
        const acc = new Float32Array(S * S);
        for (const file of mapsOf.get(s.id)!) {
          const m = await resizeImage(await decodeMask(file), S, S, 'linear');
          for (let p = 0; p < acc.length; p++) acc[p] += m.data[p];
        }
        images.set(img.data, i * S * S * 3);
        const k = mapsOf.get(s.id)!.length;
        for (let p = 0; p < acc.length; p++) masks[i * S * S + p] = Math.round(acc[p] / k);
        ok[i] = 1;
      } catch (err) {
        if (!(err instanceof DiloInputError)) throw err;
        opts.report.skip(err.file, err.problem);
      }
      opts.onProgress?.(++done, usable.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, usable.length) }, worker));
  // compact: drop the rows of images that failed to decode
  const keep = [...ok.keys()].filter((i) => ok[i]);
  const all = { images, masks, n: usable.length, size: S, ids: usable.map((s) => s.id) };
  return keep.length === usable.length ? all : subsetOf(all, keep);
}

/** the rows `indices` of a set, in that order (copies) */
export function subsetOf(set: PseudoMaskedSet, indices: readonly number[]): PseudoMaskedSet {
  const S = set.size;
  const images = new Uint8Array(indices.length * S * S * 3);
  const masks = new Uint8Array(indices.length * S * S);
  indices.forEach((src, dst) => {
    images.set(set.images.subarray(src * S * S * 3, (src + 1) * S * S * 3), dst * S * S * 3);
    masks.set(set.masks.subarray(src * S * S, (src + 1) * S * S), dst * S * S);
  });
  return { images, masks, n: indices.length, size: S, ids: indices.map((i) => set.ids[i]) };
}

/**
 * How sure the pseudo-mask of each image is: the mean over its pixels of |2t - 1| (t in 0-1),
 * 1 for a binary mask, 0 for a flat 0.5. Averaging several methods' maps pulls the pixels where
 * they disagree towards 0.5, so this also measures their agreement.
 */
export function pseudoMaskConfidence(set: PseudoMaskedSet): Float32Array {
  const px = set.size * set.size;
  const out = new Float32Array(set.n);
  for (let i = 0; i < set.n; i++) {
    let s = 0;
    for (let p = i * px; p < (i + 1) * px; p++) s += Math.abs(2 * set.masks[p] - 255);
    out[i] = s / (255 * px);
  }
  return out;
}

/**
 * The images whose pseudo-masks are the most confident (`pseudoMaskConfidence`), a fraction of
 * the set (at least one image), in their original order: training on fewer, cleaner targets
 * (the "select reliable pseudo-labels" step of label-free saliency learning).
 */
export function keepMostConfident(set: PseudoMaskedSet, fraction: number): PseudoMaskedSet {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`fraction must be in (0, 1], got ${fraction}`);
  if (fraction === 1) return set;
  const conf = pseudoMaskConfidence(set);
  const k = Math.max(1, Math.round(set.n * fraction));
  // ties broken by index, so the selection is a function of the data only
  const order = [...conf.keys()].sort((a, b) => conf[b] - conf[a] || a - b);
  return subsetOf(set, order.slice(0, k).sort((a, b) => a - b));
}

/** ImageNet mean and std on [0, 1] RGB: what the ONNX estimator applies by default */
export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

/**
 * One batch as network input (NHWC float, (x / 255 - mean) / std) and target (NHWC [.., 1],
 * 0-1), with a horizontal flip where flips[j] is true.
 */
export function batchArrays(set: PseudoMaskedSet, indices: readonly number[], flips: readonly boolean[]): { x: Float32Array; y: Float32Array } {
  const S = set.size;
  const x = new Float32Array(indices.length * S * S * 3);
  const y = new Float32Array(indices.length * S * S);
  const scale = IMAGENET_STD.map((s) => 1 / (255 * s));
  const shift = IMAGENET_MEAN.map((m, c) => -m / IMAGENET_STD[c]);
  indices.forEach((idx, j) => {
    const ib = idx * S * S;
    const ob = j * S * S;
    for (let r = 0; r < S; r++) {
      for (let c = 0; c < S; c++) {
        const src = ib + r * S + (flips[j] ? S - 1 - c : c);
        const dst = ob + r * S + c;
        for (let ch = 0; ch < 3; ch++) x[dst * 3 + ch] = set.images[src * 3 + ch] * scale[ch] + shift[ch];
        y[dst] = set.masks[src] / 255;
      }
    }
  });
  return { x, y };
}
