import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DiloInputError, Rng } from '@dilo/core';
import { validateConfig, type AugmentConfig } from './config';
import { TwoViewSampler, type SampleRef } from './two-view';
import { makeBatch, type TwoViewBatch } from './batch';
import type { BatchTask, WorkerInit, WorkerReply } from './loader-protocol';

export interface TwoViewLoaderOptions {
  samples: readonly SampleRef[];
  config: AugmentConfig;
  seed: number;
  batchSize: number;
  /** worker threads; 0 (default) renders on the calling thread */
  workers?: number;
  /** most batches in flight or ready but not yet consumed (default 2 per worker, 1 in-process) */
  prefetch?: number;
  /** drop the last incomplete batch (MoCo does) (default true) */
  dropLast?: boolean;
  /** shuffle each epoch with Rng(seed).stream('epoch', e) (default true) */
  shuffle?: boolean;
  /** samples decoded ahead of rendering inside a batch (default 4) */
  lookahead?: number;
  /** compiled worker entry (default: dist/loader-worker.js of this package) */
  workerScript?: string;
  /**
   * Data-parallel share: render only this process's contiguous slice of each global batch
   * (batchSize / world samples). Views depend on (seed, epoch, index, view) only, so the union of
   * the shards is the unsharded batch.
   */
  shard?: { rank: number; world: number };
}

/** The dataset indices of process `rank`'s share of a global batch. */
export function shardOfBatch(indices: readonly number[], shard?: { rank: number; world: number }): number[] {
  if (!shard || shard.world === 1) return [...indices];
  if (indices.length % shard.world !== 0) throw new RangeError(`a batch of ${indices.length} does not split into ${shard.world} equal shares`);
  const per = indices.length / shard.world;
  return indices.slice(shard.rank * per, (shard.rank + 1) * per);
}

/** The compiled worker entry: worker_threads cannot load TypeScript, so it is always dist JS. */
export function defaultWorkerScript(): string {
  const file = __filename.endsWith('.js') ? path.join(__dirname, 'loader-worker.js') : path.join(__dirname, '..', 'dist', 'loader-worker.js');
  if (!existsSync(file)) {
    throw new Error(`worker threads run the compiled package, but ${file} is missing: build it with 'npx tsc -b packages/augment/tsconfig.lib.json' (or use workers: 0)`);
  }
  return file;
}

interface Pending {
  task: BatchTask;
  resolve: (b: TwoViewBatch) => void;
  reject: (e: Error) => void;
}

/** Worker threads that each render one batch at a time; tasks are handed out first come, first served. */
class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private failure: Error | null = null;

  constructor(count: number, script: string, init: WorkerInit) {
    for (let i = 0; i < count; i++) {
      const w = new Worker(script, { workerData: init });
      w.on('message', (m: WorkerReply) => this.onReply(w, m));
      w.on('error', (err) => this.fail(w, err));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(w, new Error(`loader worker exited with code ${code}`));
      });
      this.workers.push(w);
    }
  }

  run(task: BatchTask): Promise<TwoViewBatch> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const w of this.workers) {
      if (this.queue.length === 0) return;
      if (this.busy.has(w)) continue;
      const p = this.queue.shift() as Pending;
      this.busy.set(w, p);
      w.postMessage(p.task);
    }
  }

  private onReply(w: Worker, m: WorkerReply): void {
    const p = this.busy.get(w);
    this.busy.delete(w);
    if (p && p.task.id === m.id) {
      if (m.type === 'done') p.resolve({ epoch: m.epoch, batch: m.batch, query: m.query, key: m.key, labels: m.labels, indices: m.indices, n: m.n, size: m.size });
      else {
        const err = m.file !== undefined ? new DiloInputError(m.file, m.problem ?? m.message) : new Error(m.message);
        if (m.file === undefined) err.name = m.name;
        if (m.stack) err.stack = m.stack;
        p.reject(err);
      }
    }
    this.dispatch();
  }

  private fail(w: Worker, err: Error): void {
    this.failure ??= err;
    const p = this.busy.get(w);
    this.busy.delete(w);
    p?.reject(err);
    for (const q of this.queue.splice(0)) q.reject(err);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}

/**
 * Two-view loader: each epoch's sample order comes from Rng(seed).stream('epoch', e), each
 * view's randomness from (seed, epoch, sample index, view), so the batches are the same for
 * any number of workers. Batches come back in order through a bounded prefetch window.
 */
export class TwoViewLoader {
  private readonly opts: Required<Omit<TwoViewLoaderOptions, 'workerScript'>> & { workerScript?: string };
  private sampler: TwoViewSampler | null = null;
  private pool: WorkerPool | null = null;
  private nextId = 0;

  constructor(opts: TwoViewLoaderOptions) {
    validateConfig(opts.config);
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${opts.batchSize}`);
    const workers = opts.workers ?? 0;
    if (!Number.isInteger(workers) || workers < 0) throw new RangeError(`workers must be a non-negative integer, got ${workers}`);
    if (opts.samples.length === 0) throw new RangeError('the loader needs at least one sample');
    const shard = opts.shard ?? { rank: 0, world: 1 };
    if (!(Number.isInteger(shard.world) && shard.world >= 1 && Number.isInteger(shard.rank) && shard.rank >= 0 && shard.rank < shard.world)) throw new RangeError(`bad shard ${shard.rank}/${shard.world}`);
    if (opts.batchSize % shard.world !== 0) throw new RangeError(`the batch ${opts.batchSize} does not split into ${shard.world} equal process shares`);
    this.opts = {
      ...opts,
      shard,
      workers,
      prefetch: opts.prefetch ?? (workers > 0 ? 2 * workers : 1),
      dropLast: opts.dropLast ?? true,
      shuffle: opts.shuffle ?? true,
      lookahead: opts.lookahead ?? 4,
    };
    if (!(this.opts.prefetch >= 1)) throw new RangeError(`prefetch must be >= 1, got ${this.opts.prefetch}`);
  }

  /** Dataset indices in epoch e's order. */
  epochOrder(epoch: number): number[] {
    const n = this.opts.samples.length;
    if (!this.opts.shuffle) return Array.from({ length: n }, (_, i) => i);
    return new Rng(this.opts.seed).stream('epoch', epoch).permutation(n);
  }

  batchesPerEpoch(): number {
    const n = this.opts.samples.length;
    const b = this.opts.batchSize;
    return this.opts.dropLast ? Math.floor(n / b) : Math.ceil(n / b);
  }

  private run(task: BatchTask): Promise<TwoViewBatch> {
    if (this.opts.workers === 0) {
      this.sampler ??= new TwoViewSampler({ samples: this.opts.samples, config: this.opts.config, seed: this.opts.seed });
      return makeBatch(this.sampler, this.opts.samples, task.epoch, task.batch, task.indices, this.opts.lookahead);
    }
    this.pool ??= new WorkerPool(this.opts.workers, this.opts.workerScript ?? defaultWorkerScript(), {
      samples: [...this.opts.samples],
      config: this.opts.config,
      seed: this.opts.seed,
      lookahead: this.opts.lookahead,
    });
    return this.pool.run(task);
  }

  /** The batches of epoch e, in order. */
  async *epoch(epoch: number): AsyncGenerator<TwoViewBatch> {
    const order = this.epochOrder(epoch);
    const nb = this.batchesPerEpoch();
    const b = this.opts.batchSize;
    const inflight: Promise<TwoViewBatch>[] = [];
    let submitted = 0;
    const submit = (): void => {
      const indices = shardOfBatch(order.slice(submitted * b, Math.min(order.length, (submitted + 1) * b)), this.opts.shard);
      const p = this.run({ id: this.nextId++, epoch, batch: submitted, indices });
      p.catch(() => undefined); // awaited in order below
      inflight.push(p);
      submitted++;
    };
    while (submitted < nb && inflight.length < this.opts.prefetch) submit();
    for (let k = 0; k < nb; k++) {
      const batch = await (inflight.shift() as Promise<TwoViewBatch>);
      if (submitted < nb) submit();
      yield batch;
    }
  }

  /** Stop the worker threads (a loader with workers must be closed). */
  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = null;
  }
}
