import type { GrayImage, RgbImage } from '@dilo/core';

/** A saliency estimator: RGB image in, soft saliency map (0-255, same size) out. */
export interface SaliencyEstimator {
  /** method name, as in the registry */
  readonly name: string;
  /** every setting that changes the output (part of the cache key) */
  readonly params: Readonly<Record<string, unknown>>;
  estimate(img: RgbImage): Promise<GrayImage>;
  /** several images at once (batched models); defaults to one by one */
  estimateBatch?(imgs: RgbImage[]): Promise<GrayImage[]>;
  /** release native resources (ONNX sessions) */
  dispose?(): Promise<void>;
}

/** Wrap a synchronous per-image function as an estimator. */
export function syncEstimator<P extends object>(name: string, params: P, fn: (img: RgbImage, params: P) => GrayImage): SaliencyEstimator & { estimateSync(img: RgbImage): GrayImage } {
  return {
    name,
    params: { ...params } as Record<string, unknown>,
    estimateSync: (img) => fn(img, params),
    estimate: async (img) => fn(img, params),
  };
}
