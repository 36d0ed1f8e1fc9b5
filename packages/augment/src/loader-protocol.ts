import type { AugmentConfig } from './config';
import type { SampleRef } from './two-view';

/** Messages between the loader and its worker threads (structured-clone data only). */
export interface WorkerInit {
  samples: SampleRef[];
  config: AugmentConfig;
  seed: number;
  lookahead: number;
}

export interface BatchTask {
  id: number;
  epoch: number;
  batch: number;
  indices: number[];
}

export type WorkerReply =
  | { type: 'done'; id: number; epoch: number; batch: number; query: Float32Array; key: Float32Array; labels: Int32Array; indices: Int32Array; n: number; size: number }
  | { type: 'error'; id: number; name: string; message: string; file?: string; problem?: string; stack?: string };
