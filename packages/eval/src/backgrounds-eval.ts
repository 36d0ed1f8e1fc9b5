/**
 * Accuracy of a linear classifier on each background variant, and the BG-gap.
 * Variants come from a native split when the dataset has one (the generated dataset ships
 * val-only-fg and val-mixed-rand, aligned image for image with val-same), otherwise they are
 * constructed from the original images and masks (backgrounds.ts), deterministically under `seed`.
 */
import { decodeImage, decodeMask, type ArtifactStore, type Manifest } from '@dilo/core';
import { BACKGROUND_VARIANTS, makeVariant, type BackgroundVariant, type MaskedSampleLoader } from './backgrounds';
import type { FeatureExtractor } from './extractor';
import { extractFeatureSet } from './extract';
import { accuracy } from './metrics';
import { linearScores, type LinearModel } from './softmax';
import type { EvalTransform } from './transform';

export interface BackgroundsOptions {
  transform: EvalTransform;
  seed?: number;
  store?: ArtifactStore | null;
  /** native splits standing in for constructed variants; must be aligned with `original` */
  native?: Partial<Record<BackgroundVariant, Manifest>>;
  variants?: readonly BackgroundVariant[];
  progress?: boolean;
}

export interface VariantResult {
  top1: number;
  top5: number;
  n: number;
  source: 'native' | 'constructed';
}

export interface BackgroundsResult {
  variants: Partial<Record<BackgroundVariant, VariantResult>>;
  /** mixed-same minus mixed-rand top-1 (null when either is missing) */
  bgGap: number | null;
  seed: number;
}

export function maskedLoader(m: Manifest): MaskedSampleLoader {
  return {
    labels: m.samples.map((s) => s.label),
    image: (i) => decodeImage(m.samples[i].image),
    mask: (i) => {
      const f = m.samples[i].mask;
      if (!f) throw new RangeError(`sample ${m.samples[i].id} has no foreground mask`);
      return decodeMask(f);
    },
  };
}

export async function evaluateBackgrounds(original: Manifest, extractor: FeatureExtractor, model: LinearModel, opts: BackgroundsOptions): Promise<BackgroundsResult> {
  const seed = opts.seed ?? 0;
  const loader = maskedLoader(original);
  const variants: Partial<Record<BackgroundVariant, VariantResult>> = {};
  for (const v of opts.variants ?? BACKGROUND_VARIANTS) {
    const native = v === 'original' ? original : opts.native?.[v];
    if (native) {
      if (native.samples.length !== original.samples.length || native.samples.some((s, i) => s.label !== original.samples[i].label)) {
        throw new RangeError(`native split for ${v} (${native.root}) is not aligned with ${original.root}`);
      }
    }
    const progress = opts.progress === false ? false : `backgrounds ${v}`;
    const { features } = native
      ? await extractFeatureSet(native, extractor, { transform: opts.transform, store: opts.store, progress })
      : await extractFeatureSet(original, extractor, { transform: opts.transform, store: opts.store, progress, load: (i) => makeVariant(v, i, loader, seed), variantKey: `${v}:seed=${seed}` });
    const acc = accuracy(linearScores(model, features.data, features.n), features.labels, model.numClasses);
    variants[v] = { top1: acc.top1, top5: acc.top5, n: acc.n, source: native ? 'native' : 'constructed' };
  }
  const ms = variants['mixed-same'], mr = variants['mixed-rand'];
  return { variants, bgGap: ms && mr ? ms.top1 - mr.top1 : null, seed };
}
