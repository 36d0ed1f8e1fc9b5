/**
 * Feature extraction over a dataset manifest, cached per (extractor weights, dataset manifest,
 * transform) in a content-addressed ArtifactStore: a second evaluation of the same checkpoint
 * on the same data reads the features back instead of running the encoder again.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ArtifactStore, cacheKey, decodeImage, findWorkspaceRoot, Progress, sha256, type Manifest, type RgbImage } from '@dilo/core';
import type { FeatureExtractor } from './extractor';
import { deserializeFeatures, serializeFeatures, type ConvMaps, type FeatureSet } from './features';
import { applyTransform, checkTransform, toBatch, type EvalTransform } from './transform';

/** Bump when extraction changes its output for the same inputs (invalidates cached features). */
export const FEATURE_CODE_VERSION = 'eval-features-1';

/** Default cache folder: $DILO_CACHE/eval-features, else <workspace>/tmp/cache/eval-features (git-ignored). */
export function defaultFeatureStore(): ArtifactStore {
  const root = process.env.DILO_CACHE ? path.resolve(process.env.DILO_CACHE) : path.join(findWorkspaceRoot(), 'tmp', 'cache');
  return new ArtifactStore(path.join(root, 'eval-features'));
}

/**
 * Hash of a manifest: classes, and per sample its id, label, relative path, size and mtime.
 * Size + mtime stand in for the bytes (reading every image to hash it would cost as much as
 * decoding it); an edited file changes its mtime, so the cache misses rather than lies.
 */
export async function manifestHash(m: Manifest): Promise<string> {
  const parts: string[] = [JSON.stringify(m.classes)];
  for (const s of m.samples) {
    const st = await fs.stat(s.image);
    parts.push(`${s.id}\t${s.label}\t${path.relative(m.root, s.image)}\t${st.size}\t${Math.round(st.mtimeMs)}`);
  }
  return sha256(parts.join('\n'));
}

export interface ExtractOptions {
  transform: EvalTransform;
  /** also keep the last conv map (for CAM) */
  convMap?: boolean;
  batchSize?: number;
  /** null: no cache */
  store?: ArtifactStore | null;
  /** label for the progress bar; false: silent */
  progress?: string | false;
  /** image loader (default decodeImage): lets callers evaluate constructed variants */
  load?: (index: number) => Promise<RgbImage>;
  /** extra key material when `load` changes the pixels (e.g. a background variant and its seed) */
  variantKey?: string;
}

export interface ExtractResult {
  features: FeatureSet;
  cacheHit: boolean;
  key: string | null;
}

export async function extractFeatureSet(manifest: Manifest, extractor: FeatureExtractor, opts: ExtractOptions): Promise<ExtractResult> {
  checkTransform(opts.transform);
  const store = opts.store === undefined ? defaultFeatureStore() : opts.store;
  const compute = async (): Promise<FeatureSet> => computeFeatures(manifest, extractor, opts);
  if (!store) return { features: await compute(), cacheHit: false, key: null };
  const key = cacheKey({
    input: `${extractor.id}\n${await manifestHash(manifest)}`,
    method: 'eval-features',
    params: { transform: opts.transform, convMap: !!opts.convMap, variant: opts.variantKey ?? null },
    codeVersion: FEATURE_CODE_VERSION,
  });
  const { value, hit } = await store.getOrCompute(key, async () => serializeFeatures(await compute()));
  return { features: deserializeFeatures(value, store.pathOf(key)), cacheHit: hit, key };
}

async function computeFeatures(manifest: Manifest, extractor: FeatureExtractor, opts: ExtractOptions): Promise<FeatureSet> {
  const n = manifest.samples.length;
  const bs = opts.batchSize ?? 64;
  const load = opts.load ?? ((i: number) => decodeImage(manifest.samples[i].image));
  const progress = opts.progress === false ? null : new Progress({ label: opts.progress ?? `features ${extractor.name}`, total: n });
  let data: Float32Array | null = null;
  let d = 0;
  let conv: ConvMaps | null = null;
  try {
    for (let start = 0; start < n; start += bs) {
      const idx = Array.from({ length: Math.min(bs, n - start) }, (_, j) => start + j);
      const imgs = await Promise.all(idx.map(async (i) => applyTransform(await load(i), opts.transform)));
      const out = await extractor.extract(toBatch(imgs), { convMap: opts.convMap });
      if (!data) {
        d = out.d;
        data = new Float32Array(n * d);
      }
      data.set(out.pooled, start * d);
      if (opts.convMap) {
        if (!out.convMap) throw new Error(`extractor '${extractor.name}' provides no conv map (needed for CAM)`);
        const cm = out.convMap;
        conv ??= { c: cm.c, h: cm.h, w: cm.w, data: new Float32Array(n * cm.c * cm.h * cm.w) };
        conv.data.set(cm.data, start * cm.c * cm.h * cm.w);
      }
      progress?.tick(idx.length);
    }
  } finally {
    progress?.stop();
  }
  const f: FeatureSet = {
    n,
    d,
    data: data ?? new Float32Array(0),
    labels: Int32Array.from(manifest.samples.map((s) => s.label)),
    classes: manifest.classes,
    ids: manifest.samples.map((s) => s.id),
    meta: { extractor: extractor.name, extractorId: extractor.id, dataset: manifest.root, transform: opts.transform, ...(opts.variantKey ? { variant: opts.variantKey } : {}) },
  };
  if (conv) f.convMap = conv;
  return f;
}
