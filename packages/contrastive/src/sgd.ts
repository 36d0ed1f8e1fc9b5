import { DiloInputError, tf, torchOps } from '@dilo/core';
import { type ParamMap, fromTorchLayout } from './params';
import type { CheckpointTensor } from './checkpoint';

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
}

/**
 * torch.optim.SGD (no dampening, no Nesterov): d = g + wd * p; buf = momentum * buf + d
 * (buf starts at 0, which equals torch's first-step buf = d); p -= lr * buf.
 * Weight decay applies to every parameter, BN included, as in the MoCo reference.
 */
export class Sgd {
  readonly buffers = new Map<string, tf.Variable>();

  constructor(readonly opts: SgdOptions) {}

  step(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, lr: number): void {
    const update = torchOps()?.sgdMomentumUpdate;
    const o = { lr, momentum: this.opts.momentum, weightDecay: this.opts.weightDecay };
    tf.tidy(() => {
      for (const [name, p] of params) {
        const g = grads.get(name);
        if (!g) throw new Error(`no gradient for ${name}`);
        let buf = this.buffers.get(name);
        if (!buf) {
          buf = tf.variable(tf.zerosLike(p), false);
          this.buffers.set(name, buf);
        }
        if (update) {
          // torch engine: in place, one native pass, as torch.optim.SGD (one native call that
          // allocates while p or buf still shares memory: the first step)
          update(p, g, buf, o);
          continue;
        }
        const d = this.opts.weightDecay ? tf.add(g, tf.mul(p, this.opts.weightDecay)) : g;
        const nb = tf.add(tf.mul(buf, this.opts.momentum), d);
        buf.assign(nb);
        p.assign(tf.sub(p, tf.mul(nb, lr)));
      }
    });
  }

  /** restore momentum buffers saved under prefix + parameter name (torch layout) */
  loadBuffers(params: ParamMap, tensors: Map<string, CheckpointTensor>, prefix: string, file: string): void {
    this.dispose();
    for (const [name, e] of params.params) {
      const t = tensors.get(prefix + name);
      if (!t) throw new DiloInputError(file, `checkpoint has no optimiser state ${prefix + name}`);
      this.buffers.set(name, tf.variable(fromTorchLayout(e.kind, t.data, t.shape), false));
    }
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}

export type ScheduleKind = 'cosine' | 'step';

/**
 * Learning rate at a (fractional) epoch, as the MoCo reference's adjust_learning_rate:
 * cosine: lr * 0.5 * (1 + cos(pi * epoch / epochs)); step: x0.1 at 60% and 80% of the epochs
 * (120 and 160 of 200). The reference changes it once per epoch: pass the integer epoch.
 */
export function learningRate(base: number, kind: ScheduleKind, epoch: number, epochs: number): number {
  if (kind === 'cosine') return base * 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs));
  let lr = base;
  for (const m of [0.6, 0.8]) if (epoch >= Math.round(m * epochs)) lr *= 0.1;
  return lr;
}

/** lr 0.03 per 256 images, scaled linearly with the batch. */
export function scaledLearningRate(batch: number, per256 = 0.03): number {
  return (per256 * batch) / 256;
}
