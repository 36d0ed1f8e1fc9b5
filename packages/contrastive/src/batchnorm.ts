import { fusedBatchNormTrain, tf, torchOps, type FusedBatchNormTrain } from '@dilo/core';

export interface BatchNormParams {
  /** the weight and bias as the forward pass reads them (variables, or their gradient hooks) */
  gamma: tf.Tensor;
  beta: tf.Tensor;
  runningMean: tf.Variable;
  runningVar: tf.Variable;
}

export interface BatchNormMode {
  /** batch statistics (true) or running statistics (false) */
  training: boolean;
  /**
   * Split the batch into this many equal sub-batches, each normalised with its own
   * statistics (the single-device stand-in for MoCo's per-GPU shuffling BN). Default 1.
   */
  groups?: number;
  /** update running statistics in training mode (default true) */
  updateStats?: boolean;
}

/** torch.nn.BatchNorm2d defaults */
export const BN_MOMENTUM = 0.1;
export const BN_EPS = 1e-5;

/**
 * BatchNorm2d on NHWC, written as plain ops with its closed-form gradient (tf.customGrad):
 * tf.batchNorm's gradient goes through Tile, slow on wasm, and autodiff of the plain
 * formula costs about three times the element-wise passes of the closed form
 *   dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)).
 * Running statistics follow torch: new = (1 - 0.1) * old + 0.1 * batch, with the unbiased
 * batch variance; with groups > 1, the mean of the groups' statistics.
 */
export function batchNorm2d(x: tf.Tensor4D, p: BatchNormParams, mode: BatchNormMode): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (!mode.training) {
    const { scale, shift } = inferenceScaleShift(p);
    return tf.add(tf.mul(x, scale), shift);
  }
  const g = mode.groups ?? 1;
  if (n % g !== 0) throw new Error(`batch ${n} is not divisible into ${g} BN groups`);
  const count = (n / g) * h * w;
  if (count < 2) throw new Error(`BatchNorm in training mode needs more than one value per channel (got ${count})`);
  const gshape = g === 1 ? [n * h * w, c] : [g, (n / g) * h * w, c];
  const axis = g === 1 ? 0 : 1;
  const bn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, gamma] = args as tf.Tensor[];
    const beta = args[2] as tf.Tensor;
    const save = args[3] as tf.GradSaveFunc;
    const xg = tf.reshape(xIn, gshape);
    const mean = tf.mean(xg, axis, true);
    const centred = tf.sub(xg, mean);
    const variance = tf.mean(tf.square(centred), axis, true);
    const invstd = tf.rsqrt(tf.add(variance, BN_EPS));
    const y = tf.add(tf.mul(centred, tf.mul(invstd, gamma)), beta);
    if (mode.updateStats !== false) updateRunningStats(p, mean, variance, g, c, count);
    save([centred, invstd, gamma]);
    return {
      value: tf.reshape(y, [n, h, w, c]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [cen, inv, gam] = saved;
        const dyg = tf.reshape(dy, gshape);
        const sumDy = tf.sum(dyg, axis, true);
        const sumDyC = tf.sum(tf.mul(dyg, cen), axis, true);
        const a = tf.mul(inv, gam);
        // dx = a * dy + b * centred + c0, b = -a * invstd^2 * sum(dy*centred) / M, c0 = -a * sum(dy) / M
        const b = tf.mul(tf.neg(a), tf.mul(tf.square(inv), tf.div(sumDyC, count)));
        const c0 = tf.mul(tf.neg(a), tf.div(sumDy, count));
        const dx = tf.add(tf.mul(dyg, a), tf.add(tf.mul(cen, b), c0));
        const dgamma = tf.reshape(tf.sum(tf.reshape(tf.mul(sumDyC, inv), [g, c]), 0), [c]);
        const dbeta = tf.reshape(tf.sum(tf.reshape(sumDy, [g, c]), 0), [c]);
        return [tf.reshape(dx, [n, h, w, c]), dgamma, dbeta];
      },
    };
  });
  return bn(x, p.gamma, p.beta) as tf.Tensor4D;
}

/** inference BN as y = x * scale + shift, from the running statistics */
function inferenceScaleShift(p: BatchNormParams): { scale: tf.Tensor; shift: tf.Tensor } {
  const scale = tf.mul(p.gamma, tf.rsqrt(tf.add(p.runningVar, BN_EPS)));
  return { scale, shift: tf.sub(p.beta, tf.mul(p.runningMean, scale)) };
}

/** What follows a BN in a ResNet: the block's shortcut, added before the ReLU, and the ReLU. */
export interface BatchNormTail {
  residual?: tf.Tensor4D;
  relu?: boolean;
}

let fusedEnabled = process.env.DILO_FUSED_BN !== '0';

/** Use the backend's fused BN kernel where it has one (default on; env DILO_FUSED_BN=0 turns it off). */
export function setFusedBatchNorm(enabled: boolean): void {
  fusedEnabled = enabled;
}

/**
 * batchNorm2d, then + residual, then ReLU. In training mode on a backend with a fused kernel
 * (the torch engine: PyTorch's own BN forward and backward) the three are one kernel each way
 * and the backward pass keeps only x, y and two [C] vectors; elsewhere they are plain ops.
 */
export function batchNorm2dTail(x: tf.Tensor4D, p: BatchNormParams, mode: BatchNormMode, tail: BatchNormTail = {}): tf.Tensor4D {
  const fused = mode.training && fusedEnabled ? fusedBatchNormTrain() : undefined;
  if (fused) return fusedTraining(fused, x, p, mode, tail);
  // inference on the torch engine: scale, shift, shortcut and ReLU write one tensor, not four
  const scaleShift = !mode.training && fusedEnabled ? torchOps()?.scaleShift : undefined;
  if (scaleShift) {
    return tf.tidy(() => {
      const { scale, shift } = inferenceScaleShift(p);
      return scaleShift(x, scale, shift, { residual: tail.residual, relu: tail.relu }) as tf.Tensor4D;
    });
  }
  let y = batchNorm2d(x, p, mode);
  if (tail.residual) y = tf.add(y, tail.residual);
  if (tail.relu) y = tf.relu(y);
  return y;
}

function fusedTraining(fused: FusedBatchNormTrain, x: tf.Tensor4D, p: BatchNormParams, mode: BatchNormMode, tail: BatchNormTail): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const g = mode.groups ?? 1;
  if (n % g !== 0) throw new Error(`batch ${n} is not divisible into ${g} BN groups`);
  const count = (n / g) * h * w;
  if (count < 2) throw new Error(`BatchNorm in training mode needs more than one value per channel (got ${count})`);
  // groups are batch slices, each normalised with its own statistics, in one kernel call
  const out = fused(x, p.gamma as tf.Tensor1D, p.beta as tf.Tensor1D, { epsilon: BN_EPS, relu: tail.relu ?? false, residual: tail.residual, groups: g });
  if (mode.updateStats !== false) updateRunningStats(p, out.mean, out.variance, g, c, count);
  return out.y as tf.Tensor4D;
}

/** running statistics carry no gradient; written from inside the forward pass */
function updateRunningStats(p: BatchNormParams, mean: tf.Tensor, variance: tf.Tensor, g: number, c: number, count: number): void {
  const [nm, nv] = tf.tidy(() => {
    const bm = tf.mean(tf.reshape(mean, [g, c]), 0);
    const bv = tf.mul(tf.mean(tf.reshape(variance, [g, c]), 0), count / (count - 1));
    return [tf.add(tf.mul(p.runningMean, 1 - BN_MOMENTUM), tf.mul(bm, BN_MOMENTUM)), tf.add(tf.mul(p.runningVar, 1 - BN_MOMENTUM), tf.mul(bv, BN_MOMENTUM))];
  });
  p.runningMean.assign(nm);
  p.runningVar.assign(nv);
  nm.dispose();
  nv.dispose();
}

/** The same training-mode BN by autodiff of the plain formula (reference for tests). */
export function batchNorm2dAutodiff(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, groups = 1): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const xg = tf.reshape(x, [groups, (n / groups) * h * w, c]);
  const mean = tf.mean(xg, 1, true);
  const centred = tf.sub(xg, mean);
  const variance = tf.mean(tf.square(centred), 1, true);
  return tf.reshape(tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, BN_EPS))), gamma), beta), [n, h, w, c]);
}
