import type { TwoViewSampler, PreparedSample, SampleRef } from './two-view';

/** A batch of two-view samples: query and key as float32 NCHW, normalised. */
export interface TwoViewBatch {
  epoch: number;
  /** position of this batch in its epoch */
  batch: number;
  query: Float32Array;
  key: Float32Array;
  /** class labels (-1 when unlabelled) */
  labels: Int32Array;
  /** dataset indices of the samples */
  indices: Int32Array;
  /** samples in the batch */
  n: number;
  /** view side in pixels: query and key are n x 3 x size x size */
  size: number;
}

/**
 * Decode and render one batch. Decoding runs `lookahead` samples ahead of rendering, so file
 * reads and JPEG decoding (off-thread in sharp) overlap the pixel work.
 */
export async function makeBatch(sampler: TwoViewSampler, samples: readonly SampleRef[], epoch: number, batch: number, indices: readonly number[], lookahead = 4): Promise<TwoViewBatch> {
  const S = sampler.opts.config.size;
  const n = indices.length;
  const query = new Float32Array(n * 3 * S * S);
  const key = new Float32Array(n * 3 * S * S);
  const labels = new Int32Array(n);
  const pending: Promise<PreparedSample>[] = [];
  const start = (k: number): void => {
    const p = sampler.load(samples[indices[k]], epoch, indices[k]);
    p.catch(() => undefined); // awaited below in order; this only silences the early-rejection warning
    pending[k] = p;
  };
  for (let k = 0; k < Math.min(lookahead, n); k++) start(k);
  for (let k = 0; k < n; k++) {
    const prepared = await pending[k];
    pending[k] = undefined as unknown as Promise<PreparedSample>;
    if (k + lookahead < n) start(k + lookahead);
    sampler.renderPair(prepared, query, key, k);
    labels[k] = samples[indices[k]].label;
  }
  return { epoch, batch, query, key, labels, indices: Int32Array.from(indices), n, size: S };
}
