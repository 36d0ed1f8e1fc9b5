import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend';
import { register } from '../kernels/kernel';

/** Kernel names of the fused training-mode batch norm (torch backend only). */
export const BATCH_NORM_TRAIN = 'DiloBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'DiloBatchNormTrainGrad';

export interface BatchNormTrainOptions {
  epsilon?: number;
  /** added after normalisation, before the ReLU (a ResNet block's shortcut) */
  residual?: tf.Tensor;
  /** apply ReLU to the result */
  relu?: boolean;
  /**
   * shuffle-BN groups: the batch (first axis) is cut into this many consecutive slices, each
   * normalised with its own statistics (default 1); mean and variance are then [groups, C]
   */
  groups?: number;
}

export interface BatchNormTrainResult {
  y: tf.Tensor;
  /** batch mean and biased batch variance per channel (for running statistics); [groups, C] with groups > 1 */
  mean: tf.Tensor;
  variance: tf.Tensor;
}

/**
 * Training-mode batch norm over every axis but the last, optionally followed by a residual
 * add and a ReLU: y = relu?((x - mean) / sqrt(var + eps) * scale + offset + residual?), batch
 * statistics. On the torch backend it is one ATen kernel forward and one backward (PyTorch's
 * own), and the gradient keeps x, y and two [C] vectors, as PyTorch does; tfjs' op chain keeps
 * a full-size tensor per op. On other backends it is the same formula in plain tfjs ops.
 */
export function batchNormTrain(x: tf.Tensor, scale: tf.Tensor1D, offset: tf.Tensor1D, opts: BatchNormTrainOptions = {}): BatchNormTrainResult {
  const epsilon = opts.epsilon ?? 1e-5;
  const relu = opts.relu ?? false;
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || x.shape[0] % groups !== 0) throw new Error(`batchNormTrain: a batch of ${x.shape[0]} does not split into ${groups} groups`);
  if (tf.getBackend() === BACKEND_NAME) {
    const inputs: tf.NamedTensorMap = { x, scale, offset };
    if (opts.residual) inputs.residual = opts.residual;
    const [y, mean, invstd] = tf.engine().runKernel(BATCH_NORM_TRAIN, inputs, { epsilon, relu, hasResidual: !!opts.residual, groups }) as tf.Tensor[];
    const variance = tf.tidy(() => tf.sub(tf.reciprocal(tf.square(invstd)), epsilon));
    invstd.dispose();
    return { y, mean, variance };
  }
  return tf.tidy(() => {
    const c = x.shape[x.shape.length - 1];
    // [groups, rows, C]: statistics over the rows of each group
    const xg = tf.reshape(x, [groups, -1, c]);
    const { mean, variance } = tf.moments(xg, 1, true);
    let y = tf.reshape(tf.add(tf.mul(tf.mul(tf.sub(xg, mean), tf.rsqrt(tf.add(variance, epsilon))), scale), offset), x.shape);
    if (opts.residual) y = tf.add(y, opts.residual);
    if (relu) y = tf.relu(y);
    const stat = (t: tf.Tensor) => (groups === 1 ? tf.reshape(t, [c]) : tf.reshape(t, [groups, c]));
    return { y, mean: stat(mean), variance: stat(variance) };
  });
}

/** Kernel name of the inference scale-shift (+ residual + ReLU) (torch backend only). */
export const SCALE_SHIFT = 'DiloScaleShift';

export interface ScaleShiftOptions {
  /** added after the scale and shift, before the ReLU (a ResNet block's shortcut) */
  residual?: tf.Tensor;
  relu?: boolean;
}

/**
 * relu?(x * scale + shift + residual?), scale and shift per channel (last axis): inference-mode
 * batch norm folded into a scale and a shift, then a ResNet block's tail. On the torch backend
 * one kernel writing one tensor (the op chain allocates one per op, and a block's tidy keeps them
 * all: most of a ResNet-50 forward's peak memory); the same bits as the op chain. Elsewhere, the
 * op chain.
 */
export function scaleShift(x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor, opts: ScaleShiftOptions = {}): tf.Tensor {
  const relu = opts.relu ?? false;
  const c = x.shape[x.shape.length - 1];
  const perChannel = (t: tf.Tensor) => t.rank === 1 && t.shape[0] === c;
  if (tf.getBackend() === BACKEND_NAME && perChannel(scale) && perChannel(shift)) {
    const inputs: tf.NamedTensorMap = { x, scale, shift };
    if (opts.residual) inputs.residual = opts.residual;
    return tf.engine().runKernel(SCALE_SHIFT, inputs, { relu, hasResidual: !!opts.residual }) as tf.Tensor;
  }
  return tf.tidy(() => {
    let y = tf.add(tf.mul(x, scale), shift);
    if (opts.residual) y = tf.add(y, opts.residual);
    return relu ? tf.relu(y) : y;
  });
}

export function registerBatchNormTrain(): void {
  register(SCALE_SHIFT, ({ inputs, backend, attrs }) => {
    const h = (k: string) => backend.handle(inputs[k]!);
    return backend.output(backend.native.ScaleShift(h('x'), h('scale'), h('shift'), inputs.residual ? h('residual') : undefined, Boolean(attrs.relu)));
  });
  tf.registerGradient({
    kernelName: SCALE_SHIFT,
    inputsToSave: ['x', 'scale'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, scale, y] = saved;
      const d = Array.isArray(dy) ? dy[0] : dy;
      // the gradient at the pre-ReLU sum, shared by every input's closure (computed in the
      // backward pass' scope, as for BATCH_NORM_TRAIN below)
      const g = attrs.relu ? tf.mul(d, tf.step(y, 0)) : d;
      const axes = x.shape.map((_, i) => i).slice(0, -1);
      return {
        x: () => tf.mul(g, scale),
        scale: () => tf.reshape(tf.sum(tf.mul(g, x), axes), scale.shape),
        shift: () => tf.reshape(tf.sum(g, axes), scale.shape),
        residual: () => g,
      };
    },
  });
  register(BATCH_NORM_TRAIN, ({ inputs, backend, attrs }) => {
    const h = (k: string) => backend.handle(inputs[k]!);
    const residual = inputs.residual ? h('residual') : undefined;
    return backend.native.BatchNormTrain(h('x'), h('scale'), h('offset'), attrs.epsilon as number, residual, Boolean(attrs.relu), (attrs.groups as number) ?? 1).map((o) => backend.output(o));
  });
  register(BATCH_NORM_TRAIN_GRAD, ({ inputs, backend, attrs }) => {
    const h = (k: string) => backend.handle(inputs[k]!);
    const y = attrs.relu ? h('y') : undefined;
    return backend.native.BatchNormTrainGrad(h('dy'), h('x'), h('scale'), h('mean'), h('invstd'), attrs.epsilon as number, y, (attrs.groups as number) ?? 1).map((o) => backend.output(o));
  });
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAIN,
    inputsToSave: ['x', 'scale'],
    outputsToSave: [true, true, true],
    gradFunc: (dy, saved, attrs) => {
      const [x, scale, y, mean, invstd] = saved;
      const dys = Array.isArray(dy) ? dy : [dy];
      // One backward kernel gives every gradient, so it runs here, in the backward pass' scope,
      // not inside one input's closure (tfjs runs each closure in its own tidy, which would
      // dispose the others); gradients nobody asks for go with that scope.
      const [dx, dscale, doffset, dresidual] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy: dys[0], x, scale, mean, invstd, y }, attrs) as tf.Tensor[];
      if (!attrs.hasResidual) dresidual.dispose();
      return { x: () => dx, scale: () => dscale, offset: () => doffset, residual: () => dresidual };
    },
  });
}
