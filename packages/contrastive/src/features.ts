import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DiloInputError, Rng, tf } from '@dilo/core';
import { ParamMap } from './params';
import { ResNet, type ResNetConfig } from './resnet';
import { loadParamMap, readCheckpoint } from './checkpoint';
import type { PretrainConfig } from './pretrain';

/** A pre-trained backbone (MoCo's encoder_q without its projection head), BN in inference mode. */
export interface LoadedEncoder {
  backbone: ResNet;
  config: ResNetConfig;
  /** channels of the pooled feature and of the last conv map */
  featureDim: number;
  /** the checkpoint it came from and its training step */
  checkpoint: string;
  step: number;
  /** the view side the encoder was trained at */
  size: number;
  dispose(): void;
}

/** A run folder (its checkpoints/last.dckpt) or a checkpoint file. */
export async function resolveCheckpoint(runOrCheckpoint: string): Promise<string> {
  let st;
  try {
    st = await fs.stat(runOrCheckpoint);
  } catch {
    throw new DiloInputError(runOrCheckpoint, 'no such run folder or checkpoint file');
  }
  if (!st.isDirectory()) return runOrCheckpoint;
  const file = path.join(runOrCheckpoint, 'checkpoints', 'last.dckpt');
  try {
    await fs.access(file);
  } catch {
    throw new DiloInputError(runOrCheckpoint, 'run folder has no checkpoints/last.dckpt');
  }
  return file;
}

/** Load the query encoder's backbone of a pre-training run (or a .dckpt file). */
export async function loadEncoder(runOrCheckpointPath: string): Promise<LoadedEncoder> {
  const file = await resolveCheckpoint(runOrCheckpointPath);
  const { header, tensors } = await readCheckpoint(file);
  const cfg = (header.state as { config?: PretrainConfig }).config;
  if (!cfg) throw new DiloInputError(file, 'checkpoint header has no config');
  const config: ResNetConfig = { arch: cfg.arch, width: cfg.width, smallStem: cfg.smallStem };
  const params = new ParamMap();
  const backbone = new ResNet(config, params, new Rng(0, ['load']), false);
  loadParamMap('encoder_q.', params, tensors, file);
  return {
    backbone,
    config,
    featureDim: backbone.featureDim,
    checkpoint: file,
    step: Number((header.state as { step?: number }).step ?? 0),
    size: cfg.size,
    dispose: () => params.dispose(),
  };
}

/**
 * The untrained encoder a run with this seed starts from (same initial weights as its
 * encoder_q), BN running statistics at their initial 0/1: the random-init baseline.
 */
export function randomEncoder(config: ResNetConfig, seed: number): LoadedEncoder {
  const params = new ParamMap();
  // the same stream Moco's constructor hands to encoder_q
  const backbone = new ResNet(config, params, new Rng(seed, ['moco']));
  return { backbone, config, featureDim: backbone.featureDim, checkpoint: '', step: 0, size: 0, dispose: () => params.dispose() };
}

/** Images as NCHW float32, normalised like the training views (see normalizeImage). */
export interface ImageBatch {
  data: Float32Array;
  n: number;
  height: number;
  width: number;
}

/** A host tensor: row-major data with its shape. */
export interface FeatureArray {
  data: Float32Array;
  shape: number[];
}

export interface Features {
  /** [n, featureDim] global-average-pooled features */
  pooled: FeatureArray;
  /** [n, featureDim, mapHeight, mapWidth] last conv map (NCHW) */
  map: FeatureArray;
}

/** Pooled features and last conv maps, BN with running statistics, in chunks of `chunk` images. */
export function extractFeatures(encoder: Pick<LoadedEncoder, 'backbone'>, images: ImageBatch | tf.Tensor4D, chunk = 64): Features {
  const batch: ImageBatch =
    images instanceof tf.Tensor ? { data: images.dataSync() as Float32Array, n: images.shape[0], height: images.shape[2], width: images.shape[3] } : images;
  const { n, height, width } = batch;
  const per = 3 * height * width;
  if (batch.data.length !== n * per) throw new RangeError(`extractFeatures: ${batch.data.length} values for ${n}x3x${height}x${width} images`);
  let pooled: Float32Array | null = null;
  let map: Float32Array | null = null;
  let dims = { c: 0, h: 0, w: 0 };
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const [p, mp] = tf.tidy(() => {
      const x = tf.transpose(tf.tensor4d(batch.data.subarray(s * per, (s + m) * per), [m, 3, height, width]), [0, 2, 3, 1]) as tf.Tensor4D;
      const out = encoder.backbone.forward(x, { training: false });
      return [out.pooled, tf.transpose(out.map, [0, 3, 1, 2])];
    });
    if (!pooled || !map) {
      dims = { c: mp.shape[1], h: mp.shape[2], w: mp.shape[3] };
      pooled = new Float32Array(n * dims.c);
      map = new Float32Array(n * dims.c * dims.h * dims.w);
    }
    pooled.set(p.dataSync() as Float32Array, s * dims.c);
    map.set(mp.dataSync() as Float32Array, s * dims.c * dims.h * dims.w);
    tf.dispose([p, mp]);
  }
  return {
    pooled: { data: pooled ?? new Float32Array(0), shape: [n, dims.c] },
    map: { data: map ?? new Float32Array(0), shape: [n, dims.c, dims.h, dims.w] },
  };
}
