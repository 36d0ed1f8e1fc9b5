import { Rng } from '@dilo/core';

/**
 * MoCo's dictionary: K keys of dimension dim, stored as the reference stores them, a
 * [dim, K] matrix whose columns are keys, with a pointer. Each step's keys replace the
 * oldest batch (enqueue and dequeue in one write), so K must be a multiple of the batch.
 * Kept on the host: it is written once per step and saved in checkpoints as is.
 */
export class KeyQueue {
  readonly data: Float32Array;
  ptr = 0;

  constructor(
    readonly dim: number,
    readonly size: number,
    rng?: Rng,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`queue size must be a positive integer, got ${size}`);
    this.data = new Float32Array(dim * size);
    if (rng) {
      // reference: randn(dim, K) normalised along dim 0
      for (let i = 0; i < this.data.length; i++) this.data[i] = rng.normal();
      for (let j = 0; j < size; j++) {
        let s = 0;
        for (let d = 0; d < dim; d++) s += this.data[d * size + j] ** 2;
        const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
        for (let d = 0; d < dim; d++) this.data[d * size + j] *= inv;
      }
    }
  }

  /** keys: [n, dim] row-major; written into columns ptr..ptr+n-1 */
  enqueue(keys: Float32Array, n: number): void {
    if (keys.length !== n * this.dim) throw new RangeError(`enqueue: expected ${n}x${this.dim} keys, got ${keys.length} values`);
    if (this.size % n !== 0) throw new RangeError(`queue size ${this.size} is not a multiple of the batch ${n}`);
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < this.dim; d++) this.data[d * this.size + this.ptr + i] = keys[i * this.dim + d];
    }
    this.ptr = (this.ptr + n) % this.size;
  }
}
