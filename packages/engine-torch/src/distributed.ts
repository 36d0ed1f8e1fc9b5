import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAME, type TorchBackend } from './backend';
import type { Handle } from './native';

/** An opaque c10d ProcessGroupGloo (native/c10d.cc). */
type PgHandle = { readonly __pgHandle: unique symbol };
/** An all-reduce in flight on Gloo's worker thread (native/c10d.cc). */
type PendingHandle = { readonly __pendingHandle: unique symbol };

/** The addon's c10d functions (native/c10d.cc). All calls but PgAllReduceStart block until the collective completes. */
interface C10dNative {
  PgCreate(rank: number, worldSize: number, masterAddr: string, masterPort: number, timeoutMs: number, iface?: string): PgHandle;
  PgAllReduce(pg: PgHandle, xs: Handle[], scale: number): Handle[];
  PgAllReduceStart(pg: PgHandle, xs: Handle[], scale: number, slot: number): PendingHandle;
  PgAllReduceFinish(pg: PgHandle, pending: PendingHandle, xs: Handle[], overwrite: boolean[]): (Handle | undefined)[];
  PgBroadcast(pg: PgHandle, xs: Handle[], root: number): Handle[];
  PgAllGather(pg: PgHandle, x: Handle): Handle;
  PgBarrier(pg: PgHandle): void;
  PgDestroy(pg: PgHandle): void;
}

/**
 * libtorch's errors carry a C++ backtrace ("Exception raised from ... frame #0 ..."): keep the
 * message, one line, so a dead peer reads as one clear line in the run's log.
 */
export function c10dError(err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  const head = msg.split(/\n?Exception raised from /)[0];
  const line = head.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).join('; ');
  return new Error(/^Socket Timeout$/i.test(line) ? 'the rendezvous timed out (Socket Timeout): not every process joined within the timeout' : line, { cause: err });
}

/** An all-reduce started by ProcessGroup.allReduceStart. */
export interface PendingAllReduce {
  /** Blocks until the all-reduce is done; the reduced tensors (the inputs where overwritten). */
  wait(): tf.Tensor[];
}

export interface ProcessGroupOptions {
  rank: number;
  worldSize: number;
  /** Rank 0 hosts the TCPStore rendezvous at this address and port. */
  masterAddr: string;
  masterPort: number;
  /** Every collective (and the rendezvous) fails after this long instead of hanging on a dead peer. */
  timeoutMs: number;
  /** Gloo's network interface ('lo' on one machine); default: the interface that reaches masterAddr. */
  iface?: string;
}

/**
 * A c10d process group on Gloo (PyTorch's own distributed runtime, the one DistributedDataParallel
 * uses on CPU). Tensors go in and come out as torch-backend tensors; results are new tensors.
 */
export class ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  private pg: PgHandle | null;
  private readonly backend: TorchBackend;

  constructor(o: ProcessGroupOptions) {
    if (tf.getBackend() !== BACKEND_NAME) throw new Error(`ProcessGroup needs the '${BACKEND_NAME}' backend (active: ${tf.getBackend()})`);
    this.backend = tf.backend() as TorchBackend;
    this.rank = o.rank;
    this.worldSize = o.worldSize;
    this.pg = this.c10d.PgCreate(o.rank, o.worldSize, o.masterAddr, o.masterPort, o.timeoutMs, o.iface);
  }

  private get c10d(): C10dNative {
    const n = this.backend.native as unknown as Record<string, unknown>;
    return new Proxy(n, {
      get: (t, k: string) => {
        const f = t[k];
        if (typeof f !== 'function') return f;
        return (...args: unknown[]) => {
          try {
            return (f as (...a: unknown[]) => unknown).apply(t, args);
          } catch (err) {
            throw c10dError(err);
          }
        };
      },
    }) as unknown as C10dNative;
  }

  private group(): PgHandle {
    if (!this.pg) throw new Error('process group used after destroy');
    return this.pg;
  }

  private tensors(hs: Handle[]): tf.Tensor[] {
    return hs.map((h) => tf.engine().makeTensorFromTensorInfo(this.backend.output(h), this.backend));
  }

  /** scale * (sum over ranks) of each tensor, in one flattened float32 bucket (scale 1/N: DDP's gradient mean). */
  allReduce(xs: tf.Tensor[], scale = 1): tf.Tensor[] {
    if (xs.length === 0) return [];
    return this.tensors(this.c10d.PgAllReduce(this.group(), xs.map((x) => this.backend.handle(x)), scale));
  }

  /** allReduce in buckets of about `bucketBytes` (DDP's default 25 MB), one collective per bucket. */
  allReduceBucketed(xs: tf.Tensor[], scale = 1, bucketBytes = 25 * 1024 * 1024): tf.Tensor[] {
    const out: tf.Tensor[] = [];
    let start = 0;
    while (start < xs.length) {
      let end = start;
      let bytes = 0;
      while (end < xs.length && (end === start || bytes + xs[end].size * 4 <= bucketBytes)) bytes += xs[end++].size * 4;
      out.push(...this.allReduce(xs.slice(start, end), scale));
      start = end;
    }
    return out;
  }

  /**
   * allReduce that overwrites its inputs (for gradients, which nobody else holds), through one
   * reused flat buffer: no allocation per step. Returns the inputs, reduced; a tensor whose
   * memory another tensor shares (or a non-float32 one) is reduced into a new tensor instead, so
   * compare each result with its input before disposing.
   */
  allReduceInPlace(xs: tf.Tensor[], scale = 1): tf.Tensor[] {
    return this.allReduceStart(xs, scale).wait();
  }

  /**
   * allReduceInPlace in two halves, as DDP's buckets: copies `xs` into the reused buffer `slot`
   * and starts the all-reduce on Gloo's worker thread, returning at once; `wait()` blocks until
   * it is done and gives what allReduceInPlace gives. `xs` must stay undisposed and unchanged
   * until then. Every rank must start the same buckets in the same order; buckets in flight at
   * once need distinct slots (a slot still in flight is waited for first).
   */
  allReduceStart(xs: tf.Tensor[], scale = 1, slot = 0): PendingAllReduce {
    const pg = this.group();
    const pending = xs.length ? this.c10d.PgAllReduceStart(pg, xs.map((x) => this.backend.handle(x)), scale, slot) : null;
    let done = false;
    return {
      wait: () => {
        if (done) throw new Error('all-reduce already waited for');
        done = true;
        if (!pending) return [];
        // overwrite only what this tfjs tensor alone holds: a dataId with two references (a
        // clone) or the same dataId twice in the list gets a new tensor
        const seen = new Set<object>();
        const overwrite = xs.map((x) => {
          const ok = !x.isDisposed && x.dtype === 'float32' && this.backend.refCount(x.dataId) === 1 && !seen.has(x.dataId);
          seen.add(x.dataId);
          return ok;
        });
        const got = this.c10d.PgAllReduceFinish(this.group(), pending, xs.map((x) => this.backend.handle(x)), overwrite);
        return xs.map((x, i) => (got[i] === undefined ? x : this.tensors([got[i]!])[0]));
      },
    };
  }

  /** Rank `root`'s values of each tensor (float32), e.g. the initial weights from rank 0. */
  broadcast(xs: tf.Tensor[], root = 0): tf.Tensor[] {
    if (xs.length === 0) return [];
    return this.tensors(this.c10d.PgBroadcast(this.group(), xs.map((x) => this.backend.handle(x)), root));
  }

  /** Every rank's `x` concatenated along axis 0 in rank order (MoCo's concat_all_gather). */
  allGather(x: tf.Tensor): tf.Tensor {
    return this.tensors([this.c10d.PgAllGather(this.group(), this.backend.handle(x))])[0];
  }

  barrier(): void {
    this.c10d.PgBarrier(this.group());
  }

  destroy(): void {
    if (this.pg) this.c10d.PgDestroy(this.pg);
    this.pg = null;
  }
}
