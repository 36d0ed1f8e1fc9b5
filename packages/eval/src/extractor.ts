/**
 * What evaluation needs from an encoder: images in, pooled features (and optionally the last
 * convolutional map) out, with the encoder frozen and batch-norm in inference mode.
 * Checkpoints of @dilo/contrastive are adapted to this interface in checkpoint-extractor.ts;
 * the baselines below need no checkpoint.
 */
import type { ConvMaps } from './features';

/** A batch of images, NCHW, RGB in [0, 1] (normalisation is the extractor's business). */
export interface ImageBatch {
  n: number;
  height: number;
  width: number;
  data: Float32Array;
}

export interface ExtractedBatch {
  /** [n, d] pooled features */
  pooled: Float32Array;
  d: number;
  /** last convolutional map [n, c, h, w], when requested and available */
  convMap?: ConvMaps;
}

export interface FeatureExtractor {
  /** identifies the weights (e.g. the checkpoint's content hash): part of the feature cache key */
  readonly id: string;
  /** human-readable description for reports */
  readonly name: string;
  /** the image side the encoder was trained at: the default evaluation crop */
  readonly inputSize?: number;
  extract(batch: ImageBatch, opts?: { convMap?: boolean }): Promise<ExtractedBatch>;
  dispose?(): void;
}
