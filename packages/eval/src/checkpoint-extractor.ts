/**
 * A FeatureExtractor over a MoCo checkpoint of @dilo/contrastive: loadEncoder(path) and
 * extractFeatures(encoder, imagesNCHW) give the pooled feature and the last conv map of the
 * query encoder's backbone, frozen, batch-norm with running statistics (inference mode).
 * Images are normalised with the ImageNet mean/std the views were trained with. The checkpoint
 * file's bytes are hashed for the feature cache key.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import { selectBackend } from '@dilo/core';
import { extractFeatures, IMAGENET_MEAN, IMAGENET_STD, loadEncoder, resolveCheckpoint } from '@dilo/contrastive';
import type { ExtractedBatch, FeatureExtractor, ImageBatch } from './extractor';

export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  await new Promise<void>((resolve, reject) => createReadStream(file).on('data', (c) => h.update(c)).on('end', resolve).on('error', reject));
  return h.digest('hex');
}

/** [0, 1] NCHW to the encoder's input normalisation. */
export function normalizeBatch(batch: ImageBatch): ImageBatch {
  const hw = batch.height * batch.width;
  const data = new Float32Array(batch.data.length);
  for (let b = 0; b < batch.n; b++) {
    for (let c = 0; c < 3; c++) {
      const o = (b * 3 + c) * hw;
      for (let i = 0; i < hw; i++) data[o + i] = (batch.data[o + i] - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
    }
  }
  return { ...batch, data };
}

/** @param checkpoint a pre-training run folder (its checkpoints/last.dckpt) or a .dckpt file */
export async function checkpointExtractor(checkpoint: string): Promise<FeatureExtractor> {
  const file = await resolveCheckpoint(checkpoint);
  const id = await hashFile(file);
  await selectBackend();
  const encoder = await loadEncoder(file);
  return {
    id,
    inputSize: encoder.size,
    name: `checkpoint ${path.basename(path.dirname(path.dirname(path.resolve(file))))}/${path.basename(file)} step ${encoder.step} (${id.slice(0, 8)})`,
    async extract(batch: ImageBatch, opts?: { convMap?: boolean }): Promise<ExtractedBatch> {
      const out = extractFeatures(encoder, normalizeBatch(batch));
      const d = out.pooled.shape[1];
      const res: ExtractedBatch = { pooled: out.pooled.data, d };
      if (opts?.convMap) {
        const [, c, h, w] = out.map.shape;
        res.convMap = { c, h, w, data: out.map.data };
      }
      return res;
    },
    dispose: () => encoder.dispose(),
  };
}
