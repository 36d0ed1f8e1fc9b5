import { Rng, tf, torchOps, type Collectives } from '@dilo/core';
import { Encoder, type HeadKind, type ResNetArch } from './resnet';
import { KeyQueue } from './queue';
import { infoNCE, l2normalize } from './infonce';
import { Sgd } from './sgd';
import { DEFAULT_BUCKET_MB, GradientReducer } from './grad-reducer';

export type MocoMethod = 'mocov1' | 'mocov2';
export const MOCO_METHODS: readonly MocoMethod[] = ['mocov1', 'mocov2'];

export interface MocoConfig {
  method: MocoMethod;
  arch: ResNetArch;
  width: number;
  smallStem: boolean;
  /** embedding dimension (128) */
  dim: number;
  /** queue size K (a multiple of the batch) */
  queueSize: number;
  /** key encoder momentum m */
  momentum: number;
  /** softmax temperature T */
  temperature: number;
  /** BN groups the shuffled (global) key batch is split into: shuffling BN (per process, or single-device groups) */
  keyBnGroups: number;
  /**
   * BN groups of the (global) query batch (default 1). Data-parallel training normalises each
   * process's share with its own statistics, as DistributedDataParallel without SyncBN does, so
   * N processes equal one process with queryBnGroups = N.
   */
  queryBnGroups?: number;
}

/** The reference's per-method defaults (facebookresearch/moco). */
export function mocoDefaults(method: MocoMethod): { head: HeadKind; temperature: number; momentum: number; queueSize: number; dim: number } {
  return method === 'mocov1'
    ? { head: 'linear', temperature: 0.07, momentum: 0.999, queueSize: 65536, dim: 128 }
    : { head: 'mlp', temperature: 0.2, momentum: 0.999, queueSize: 65536, dim: 128 };
}

/**
 * Key BN groups for a batch: sub-batches of 32 like the reference's 32 images per GPU when
 * the batch allows, otherwise the most groups (up to 8) that keep at least 8 images each.
 */
export function defaultKeyBnGroups(batch: number): number {
  if (batch >= 64 && batch % 32 === 0) return batch / 32;
  for (const g of [8, 4, 2]) if (batch % g === 0 && batch / g >= 8) return g;
  return 1;
}

export interface StepResult {
  loss: number;
  /** top-1 accuracy of picking the positive among 1 + K logits */
  accuracy: number;
}

/** NCHW host batch to an NHWC tensor, optionally reordering the samples. */
export function toNhwc(data: Float32Array, n: number, size: number, order?: readonly number[]): tf.Tensor4D {
  let src = data;
  if (order) {
    const per = 3 * size * size;
    src = new Float32Array(data.length);
    order.forEach((from, to) => src.set(data.subarray(from * per, (from + 1) * per), to * per));
  }
  return tf.tidy(() => tf.transpose(tf.tensor4d(src, [n, 3, size, size]), [0, 2, 3, 1]));
}

/**
 * MoCo (He et al. 2020) on one device: a query encoder trained by SGD, a key encoder that
 * follows it by momentum, a queue of past keys as negatives, InfoNCE.
 */
export class Moco {
  readonly encoderQ: Encoder;
  readonly encoderK: Encoder;
  readonly queue: KeyQueue;
  readonly sgd: Sgd;
  /** draws the key-batch permutations (its state goes into checkpoints) */
  shuffleRng: Rng;
  /** data parallel: gradient bucket size in MB (DDP's bucket_cap_mb); a run-time setting, not saved */
  bucketMb = DEFAULT_BUCKET_MB;

  /**
   * dist: a c10d process group for data-parallel training (MoCo's DDP reference: per-process
   * batches, all-reduced gradients, keys gathered from every process, shuffling BN across
   * processes). Batches given to step() are then this process's share of the global batch.
   */
  constructor(
    readonly config: MocoConfig,
    seed: number,
    sgdOpts = { momentum: 0.9, weightDecay: 1e-4 },
    readonly dist: Collectives | null = null,
  ) {
    const world = dist?.worldSize ?? 1;
    for (const [what, g] of [['key', config.keyBnGroups], ['query', config.queryBnGroups ?? 1]] as const) {
      if (g % world !== 0) throw new RangeError(`${what} BN groups (${g}) must be a multiple of the ${world} processes: each process normalises its own share`);
    }
    const rng = new Rng(seed, ['moco']);
    const head = mocoDefaults(config.method).head;
    this.encoderQ = new Encoder({ arch: config.arch, width: config.width, smallStem: config.smallStem, head, dim: config.dim }, rng);
    // the key encoder starts as a copy of the query encoder (reference: param_k.copy_(param_q))
    this.encoderK = new Encoder({ arch: config.arch, width: config.width, smallStem: config.smallStem, head, dim: config.dim }, rng);
    for (const [name, e] of this.encoderQ.params.params) this.encoderK.params.param(name).assign(e.variable);
    this.queue = new KeyQueue(config.dim, config.queueSize, rng.stream('queue'));
    this.shuffleRng = rng.stream('shuffle');
    this.sgd = new Sgd(sgdOpts);
  }

  /** key encoder <- m * key + (1 - m) * query, parameters only (buffers follow their own BN) */
  momentumUpdate(): void {
    const m = this.config.momentum;
    const lerpUpdate = torchOps()?.lerpUpdate;
    tf.tidy(() => {
      for (const [name, e] of this.encoderQ.params.params) {
        const k = this.encoderK.params.param(name);
        // m * k + (1 - m) * q = lerp(k, q, 1 - m): one native pass, in place, on the torch engine
        if (lerpUpdate) lerpUpdate(k, e.variable, 1 - m);
        else k.assign(tf.add(tf.mul(k, m), tf.mul(e.variable, 1 - m)));
      }
    });
  }

  /**
   * Keys for a batch, without gradient: the batch is permuted, encoded in keyBnGroups
   * sub-batches with their own BN statistics, and put back in order.
   */
  encodeKeys(key: Float32Array, n: number, size: number): tf.Tensor2D {
    if (this.dist) return this.encodeKeysDistributed(key, n, size);
    const perm = this.shuffleRng.permutation(n);
    const inverse = new Array<number>(n);
    perm.forEach((p, i) => (inverse[p] = i));
    const x = toNhwc(key, n, size, perm);
    return tf.tidy(() => {
      const k = l2normalize(this.encoderK.embed(x, { training: true, groups: this.config.keyBnGroups }));
      x.dispose();
      return tf.gather(k, inverse);
    });
  }

  /**
   * The reference's _batch_shuffle_ddp / _batch_unshuffle_ddp: gather every process's key images,
   * take this process's slice of one global permutation (the same stream on every rank), encode
   * it with this process's BN statistics, gather the keys and undo the permutation. Returns all
   * B keys in global batch order (this process's are rows rank*n .. rank*n + n - 1).
   */
  private encodeKeysDistributed(key: Float32Array, n: number, size: number): tf.Tensor2D {
    const dist = this.dist!;
    const world = dist.worldSize;
    const B = n * world;
    const perm = this.shuffleRng.permutation(B);
    const inverse = new Array<number>(B);
    perm.forEach((p, i) => (inverse[p] = i));
    const xLocal = toNhwc(key, n, size);
    const xAll = dist.allGather(xLocal) as tf.Tensor4D;
    xLocal.dispose();
    const kMine = tf.tidy(() => {
      const x = tf.gather(xAll, perm.slice(dist.rank * n, (dist.rank + 1) * n));
      return l2normalize(this.encoderK.embed(x, { training: true, groups: this.config.keyBnGroups / world }));
    });
    xAll.dispose();
    const kShuffled = dist.allGather(kMine);
    kMine.dispose();
    const k = tf.tidy(() => tf.gather(kShuffled, inverse) as tf.Tensor2D);
    kShuffled.dispose();
    return k;
  }

  /**
   * One optimisation step (the reference's forward + backward + SGD + enqueue). With a process
   * group, query/key are this process's n images of the global batch of n * worldSize.
   */
  step(query: Float32Array, key: Float32Array, n: number, size: number, lr: number): StepResult {
    const world = this.dist?.worldSize ?? 1;
    const B = n * world;
    if (this.config.queueSize % B !== 0) throw new RangeError(`queue size ${this.config.queueSize} is not a multiple of the batch ${B}`);
    this.momentumUpdate();
    const kAll = this.encodeKeys(key, n, size);
    const k = this.dist ? tf.slice(kAll, [this.dist.rank * n, 0], [n, -1]) : kAll;
    const q0 = toNhwc(query, n, size);
    const queueT = tf.tensor2d(this.queue.data, [this.config.dim, this.config.queueSize]);
    const trainable = this.encoderQ.params.params;
    const varList = [...trainable.values()].map((e) => e.variable);
    let logitsOut: tf.Tensor2D | null = null;
    // data parallel: the gradients' all-reduce starts bucket by bucket inside the backward pass
    const reducer = this.dist ? new GradientReducer(this.dist, this.encoderQ.params, 1 / world, this.bucketMb * 1024 * 1024) : null;
    let value: tf.Scalar;
    let grads: tf.NamedTensorMap;
    try {
      ({ value, grads } = tf.variableGrads(() => {
        const q = l2normalize(this.encoderQ.embed(q0, { training: true, groups: (this.config.queryBnGroups ?? 1) / world }));
        const { loss, logits } = infoNCE(q, k, queueT, this.config.temperature);
        logitsOut = tf.keep(logits);
        return loss;
      }, varList));
    } finally {
      reducer?.detach();
    }
    const accT = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logitsOut!, 1), 0), 'float32')));
    let reduced: tf.Tensor[] = [];
    let loss: number;
    let accuracy: number;
    let byName = new Map<string, tf.Tensor>();
    for (const [name, e] of trainable) byName.set(name, grads[e.variable.name]);
    if (reducer) {
      // DDP's gradient mean over processes (gradients are this step's own tensors, so they are
      // overwritten); loss and accuracy averaged too, so every rank takes the same
      // finite/non-finite decision. The BN running statistics of both encoders (this step's
      // forward passes have updated them) ride in the last bucket: averaged over processes,
      // linear in the update, so equal to one process's; one synchronisation point fewer
      const stats = tf.stack([value, accT]);
      const buffers = [...this.encoderQ.params.buffers.values(), ...this.encoderK.params.buffers.values()].map((e) => e.variable);
      const r = reducer.finish(byName, [stats, ...buffers]);
      const s = r.extra[0].dataSync();
      [loss, accuracy] = [s[0], s[1]];
      byName = r.grads;
      buffers.forEach((v, i) => {
        const t = r.extra[1 + i];
        if (t !== v) v.assign(t); // a variable still sharing its initial tensor: reduced into a new one
      });
      reduced = [stats, ...r.created]; // disposed below with the gradients
    } else {
      loss = value.dataSync()[0];
      accuracy = accT.dataSync()[0];
    }
    if (Number.isFinite(loss)) {
      this.sgd.step(new Map([...trainable].map(([nm, e]) => [nm, e.variable])), byName, lr);
      this.queue.enqueue(kAll.dataSync() as Float32Array, B);
    }
    tf.dispose([value, accT, k, kAll, q0, queueT, logitsOut!, ...Object.values(grads), ...reduced]);
    return { loss, accuracy };
  }

  dispose(): void {
    this.encoderQ.dispose();
    this.encoderK.dispose();
    this.sgd.dispose();
  }
}
