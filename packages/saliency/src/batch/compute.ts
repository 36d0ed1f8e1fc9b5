import { decodeImage, encodePng } from '@dilo/core';
import type { SaliencyEstimator } from '../estimator';

/** Decode one image, estimate its map, encode it as an 8-bit PNG (what a worker does per task). */
export async function computeMapPng(estimator: SaliencyEstimator, bytes: Uint8Array, name: string): Promise<Uint8Array> {
  const img = await decodeImage(bytes, { name });
  const map = await estimator.estimate(img);
  if (map.width !== img.width || map.height !== img.height) throw new Error(`${estimator.name} returned ${map.width}x${map.height} for a ${img.width}x${img.height} image`);
  return new Uint8Array(await encodePng(map));
}

/** Messages between the job and its worker threads. */
export interface WorkerInit {
  method: string;
  params: Record<string, unknown>;
}
export interface WorkerTask {
  id: number;
  name: string;
  bytes: Uint8Array;
}
export type WorkerReply = { id: number; png: Uint8Array } | { id: number; error: string; inputError: boolean };
