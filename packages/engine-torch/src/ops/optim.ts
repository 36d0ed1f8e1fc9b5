import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAME, type TorchBackend } from '../backend';
import { register } from '../kernels/kernel';

/** Kernel names of the fused optimiser updates (torch backend only). */
export const SGD_MOMENTUM = 'DiloSgdMomentum';
export const LERP = 'DiloLerp';

export interface SgdMomentumOptions {
  lr: number;
  momentum: number;
  weightDecay: number;
}

/**
 * torch.optim.SGD's update for one parameter (no dampening, no Nesterov):
 * d = g + wd * p; buf' = momentum * buf + d; p' = p - lr * buf'. Returns new tensors. On the torch
 * backend one native call (three ATen passes); elsewhere the same formula in tfjs ops.
 */
export function sgdMomentumStep(param: tf.Tensor, grad: tf.Tensor, buf: tf.Tensor, o: SgdMomentumOptions): { param: tf.Tensor; buf: tf.Tensor } {
  if (tf.getBackend() === BACKEND_NAME) {
    const [p, b] = tf.engine().runKernel(SGD_MOMENTUM, { param, grad, buf }, { ...o }) as tf.Tensor[];
    return { param: p, buf: b };
  }
  return tf.tidy(() => {
    const d = o.weightDecay ? tf.add(grad, tf.mul(param, o.weightDecay)) : grad;
    const b = tf.add(tf.mul(buf, o.momentum), d);
    return { param: tf.sub(param, tf.mul(b, o.lr)), buf: b };
  });
}

/** a + w * (b - a) (no gradient); one native pass on the torch backend. */
export function lerp(a: tf.Tensor, b: tf.Tensor, w: number): tf.Tensor {
  if (tf.getBackend() === BACKEND_NAME) return tf.engine().runKernel(LERP, { a, b }, { w }) as tf.Tensor;
  return tf.tidy(() => tf.add(a, tf.mul(tf.sub(b, a), w)));
}

/** The torch backend when it is active and `ts` are its tensors that only one tfjs tensor references. */
function soleOwner(...ts: tf.Tensor[]): TorchBackend | null {
  if (tf.getBackend() !== BACKEND_NAME) return null;
  const b = tf.backend() as TorchBackend;
  return ts.every((t) => !t.isDisposed && b.refCount(t.dataId) === 1) ? b : null;
}

/**
 * sgdMomentumStep in place, as torch.optim.SGD updates: `param` and `buf` are overwritten in one
 * fused pass and nothing is allocated (PyTorch's SGD step is about 4x faster than an allocating
 * one). Only on the torch backend, and only when no other tensor shares the memory of `param` or
 * `buf` (a variable freshly assigned from another tensor, a view, an alias); returns false, with
 * nothing changed, otherwise, and the caller takes sgdMomentumStep.
 */
export function sgdMomentumStepInPlace(param: tf.Variable, grad: tf.Tensor, buf: tf.Variable, o: SgdMomentumOptions): boolean {
  const b = soleOwner(param, buf);
  if (!b || param.dataId === buf.dataId || grad.isDisposed) return false;
  return b.native.SgdMomentumInPlace(b.handle(param), b.handle(grad), b.handle(buf), o.lr, o.momentum, o.weightDecay);
}

/** a <- a + w * (b - a) in place (MoCo's key-encoder update); false, nothing changed, where lerp must allocate (see above). */
export function lerpInPlace(a: tf.Variable, b: tf.Tensor, w: number): boolean {
  const be = soleOwner(a);
  if (!be || a.dataId === b.dataId || b.isDisposed) return false;
  return be.native.LerpInPlace(be.handle(a), be.handle(b), w);
}

/**
 * torch.optim.SGD's update of a variable and its momentum buffer: in place where
 * sgdMomentumStepInPlace can (the steady state), else sgdMomentumStep and assign (the first step,
 * while a variable still shares its initial tensor). The same bits either way.
 */
export function sgdMomentumUpdate(param: tf.Variable, grad: tf.Tensor, buf: tf.Variable, o: SgdMomentumOptions): void {
  if (sgdMomentumStepInPlace(param, grad, buf, o)) return;
  const r = sgdMomentumStep(param, grad, buf, o);
  buf.assign(r.buf);
  param.assign(r.param);
  tf.dispose([r.param, r.buf]);
}

/** a <- a + w * (b - a): in place where lerpInPlace can, else lerp and assign. */
export function lerpUpdate(a: tf.Variable, b: tf.Tensor, w: number): void {
  if (lerpInPlace(a, b, w)) return;
  const r = lerp(a, b, w);
  a.assign(r);
  r.dispose();
}

export function registerOptimOps(): void {
  register(SGD_MOMENTUM, ({ inputs, backend, attrs }) => {
    const h = (k: string) => backend.handle(inputs[k]!);
    return backend.native.SgdMomentum(h('param'), h('grad'), h('buf'), attrs.lr as number, attrs.momentum as number, attrs.weightDecay as number).map((o) => backend.output(o));
  });
  register(LERP, ({ inputs, backend, attrs }) => backend.output(backend.native.Lerp(backend.handle(inputs.a!), backend.handle(inputs.b!), attrs.w as number)));
}
