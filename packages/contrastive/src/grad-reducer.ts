import { tf, type Collectives } from '@dilo/core';
import type { ParamMap } from './params';

/** DDP's default bucket cap (torch.nn.parallel.DistributedDataParallel's bucket_cap_mb = 25). */
export const DEFAULT_BUCKET_MB = 25;

/**
 * DDP's Reducer for tfjs's autodiff, for one step: the forward pass reads every trainable weight
 * through an identity whose gradient function receives that weight's final gradient (the tape
 * reaches it only after every use of the weight), so buckets fill in the order the backward pass
 * produces gradients and each bucket's all-reduce starts, on Gloo's worker thread, as soon as it
 * is full: communication overlaps the rest of the backward pass. Every rank runs the same
 * program, so the buckets are the same on every rank. The sums are the same as one all-reduce of
 * everything (each element is reduced once, only the grouping differs).
 */
export class GradientReducer {
  private readonly buckets: { names: string[]; tensors: tf.Tensor[]; pending: ReturnType<Collectives['allReduceStart']> }[] = [];
  private names: string[] = [];
  private tensors: tf.Tensor[] = [];
  private bytes = 0;
  private readonly seen = new Set<string>();
  private readonly hooked = new Map<string, tf.Tensor>();
  private readonly hook: (w: tf.Tensor, name: string) => tf.Tensor;

  /** scale: 1 / worldSize for DDP's gradient mean; bucketBytes: a bucket starts once it holds this much */
  constructor(
    private readonly dist: Collectives,
    private readonly params: ParamMap,
    private readonly scale: number,
    private readonly bucketBytes = DEFAULT_BUCKET_MB * 1024 * 1024,
  ) {
    this.hook = (w, name) => {
      const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
        value: tf.clone(args[0] as tf.Tensor),
        gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
          const g = Array.isArray(dy) ? dy[0] : dy;
          this.ready(name, g);
          return [g];
        },
      }));
      return f(w) as tf.Tensor;
    };
    // a weight read twice in one forward pass is hooked once (its gradient is then complete)
    params.reader = (name, v) => {
      let t = this.hooked.get(name);
      if (!t) this.hooked.set(name, (t = this.hook(v, name)));
      return t;
    };
  }

  /** Forward passes read the plain variables again (after the step's backward pass, or its error). */
  detach(): void {
    this.params.reader = null;
  }

  private ready(name: string, grad: tf.Tensor): void {
    if (this.seen.has(name)) throw new Error(`gradient of ${name} produced twice in one backward pass`);
    this.seen.add(name);
    this.names.push(name);
    this.tensors.push(grad);
    this.bytes += grad.size * 4;
    if (this.bytes >= this.bucketBytes) this.flush([]);
  }

  private flush(extra: tf.Tensor[]): void {
    const tensors = [...this.tensors, ...extra];
    this.buckets.push({ names: this.names, tensors, pending: this.dist.allReduceStart(tensors, this.scale, this.buckets.length) });
    this.names = [];
    this.tensors = [];
    this.bytes = 0;
  }

  /**
   * After the backward pass: the last bucket, with `extra` (loss statistics, BN buffers) at its
   * end, then waits for every bucket. `grads` are the gradients given by tf.variableGrads, by
   * parameter name; each must have gone through the hook. Returns the reduced gradients by name
   * (the input tensors where overwritten in place), `extra` reduced, and the tensors the
   * reduction created (to dispose along with the gradients).
   */
  finish(grads: Map<string, tf.Tensor>, extra: tf.Tensor[]): { grads: Map<string, tf.Tensor>; extra: tf.Tensor[]; created: tf.Tensor[] } {
    this.detach();
    for (const [name, g] of grads) {
      if (!this.seen.has(name)) throw new Error(`parameter ${name} was not read through the gradient hook`);
      // variableGrads hands back the hook's tensor itself; anything else would be reduced stale
      if (!this.tensors.includes(g) && !this.buckets.some((b) => b.tensors.includes(g))) throw new Error(`gradient of ${name} is not the one the hook saw`);
    }
    this.flush(extra);
    const out = new Map<string, tf.Tensor>();
    const created: tf.Tensor[] = [];
    let reducedExtra: tf.Tensor[] = [];
    for (const [bi, b] of this.buckets.entries()) {
      const r = b.pending.wait();
      r.forEach((t, i) => {
        if (t !== b.tensors[i]) created.push(t);
      });
      b.names.forEach((name, i) => out.set(name, r[i]));
      if (bi === this.buckets.length - 1) reducedExtra = r.slice(b.names.length);
    }
    return { grads: out, extra: reducedExtra, created };
  }
}
