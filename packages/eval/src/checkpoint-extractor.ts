/**
 * A FeatureExtractor over a MoCo checkpoint of @dilo/contrastive: its loadEncoder(path) and
 * extractFeatures(encoder, imagesNCHW) give the pooled feature and the last conv map with the
 * encoder frozen and batch-norm in inference mode. The checkpoint file's bytes are hashed for
 * the feature cache key.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DiloInputError, tf } from '@dilo/core';
import type { ExtractedBatch, FeatureExtractor, ImageBatch } from './extractor';

/** sha256 of a file, or of every file below a folder (relative names included). */
export async function hashPath(p: string): Promise<string> {
  const st = await fs.stat(p).catch((err) => {
    throw new DiloInputError(p, `cannot read checkpoint (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  });
  const h = createHash('sha256');
  const files: string[] = [];
  if (st.isDirectory()) {
    const walk = async (d: string): Promise<void> => {
      for (const e of (await fs.readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        if (e.isDirectory() && e.name !== 'eval') await walk(path.join(d, e.name));
        else if (e.isFile() && !e.name.endsWith('.jsonl')) files.push(path.join(d, e.name));
      }
    };
    await walk(p);
  } else files.push(p);
  for (const f of files) {
    h.update(path.relative(p, f) + '\0');
    await new Promise<void>((resolve, reject) => createReadStream(f).on('data', (c) => h.update(c)).on('end', resolve).on('error', reject));
  }
  return h.digest('hex');
}

interface ContrastiveApi {
  loadEncoder: (p: string) => Promise<unknown> | unknown;
  extractFeatures: (encoder: unknown, images: unknown) => Promise<unknown> | unknown;
}

/** @dilo/contrastive's evaluation API, or null when it does not (yet) export it. */
export async function contrastiveApi(): Promise<ContrastiveApi | null> {
  const name = '@dilo/contrastive'; // a variable: the package may not export these yet at type-check time
  try {
    const m = (await import(name)) as Partial<ContrastiveApi>;
    return typeof m.loadEncoder === 'function' && typeof m.extractFeatures === 'function' ? (m as ContrastiveApi) : null;
  } catch {
    return null;
  }
}

async function toFloat32(v: unknown): Promise<{ data: Float32Array; shape: number[] }> {
  if (v instanceof tf.Tensor) {
    const data = (await v.data()) as Float32Array;
    return { data: Float32Array.from(data), shape: v.shape };
  }
  const o = v as { data?: Float32Array; shape?: number[] };
  if (o && o.data instanceof Float32Array && Array.isArray(o.shape)) return { data: o.data, shape: o.shape };
  throw new Error('unrecognised tensor value from @dilo/contrastive.extractFeatures');
}

export async function checkpointExtractor(checkpoint: string): Promise<FeatureExtractor> {
  const api = await contrastiveApi();
  if (!api) throw new DiloInputError(checkpoint, '@dilo/contrastive does not export loadEncoder/extractFeatures in this build: use --features, --random-init or --pixels');
  const id = await hashPath(checkpoint);
  const encoder = await api.loadEncoder(checkpoint);
  return {
    id,
    name: `checkpoint ${path.basename(path.resolve(checkpoint))} (${id.slice(0, 8)})`,
    async extract(batch: ImageBatch, opts?: { convMap?: boolean }): Promise<ExtractedBatch> {
      const x = tf.tensor4d(batch.data, [batch.n, 3, batch.height, batch.width]);
      try {
        const out = (await api.extractFeatures(encoder, x)) as Record<string, unknown>;
        const pooledRaw = out.pooled ?? out.features ?? out.feature;
        const convRaw = out.convMap ?? out.lastConv ?? out.featureMap ?? out.map;
        const pooled = await toFloat32(pooledRaw);
        const d = pooled.shape[pooled.shape.length - 1];
        const res: ExtractedBatch = { pooled: pooled.data, d };
        if (opts?.convMap && convRaw) {
          const cm = await toFloat32(convRaw);
          const [, c, h, w] = cm.shape; // [n, C, h, w]
          res.convMap = { c, h, w, data: cm.data };
        }
        for (const t of [pooledRaw, convRaw]) if (t instanceof tf.Tensor) t.dispose();
        return res;
      } finally {
        x.dispose();
      }
    },
  };
}
