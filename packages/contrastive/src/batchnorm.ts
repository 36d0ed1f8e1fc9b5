import { tf } from '@dilo/core';

export interface BatchNormParams {
  gamma: tf.Variable;
  beta: tf.Variable;
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
 * BatchNorm2d on NHWC written with plain ops: tf.batchNorm's gradient goes through Tile,
 * which is slow on wasm. Running statistics follow torch: new = (1 - 0.1) * old + 0.1 * batch,
 * with the unbiased batch variance; with groups > 1, the mean over the groups' statistics.
 */
export function batchNorm2d(x: tf.Tensor4D, p: BatchNormParams, mode: BatchNormMode): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (!mode.training) {
    const scale = tf.mul(p.gamma, tf.rsqrt(tf.add(p.runningVar, BN_EPS)));
    const shift = tf.sub(p.beta, tf.mul(p.runningMean, scale));
    return tf.add(tf.mul(x, scale), shift);
  }
  const g = mode.groups ?? 1;
  if (n % g !== 0) throw new Error(`batch ${n} is not divisible into ${g} BN groups`);
  const count = (n / g) * h * w;
  if (count < 2) throw new Error(`BatchNorm in training mode needs more than one value per channel (got ${count})`);
  const xg = g === 1 ? x : tf.reshape(x, [g, n / g, h, w, c]);
  const axes = g === 1 ? [0, 1, 2] : [1, 2, 3];
  const mean = tf.mean(xg, axes, true);
  const centred = tf.sub(xg, mean);
  const variance = tf.mean(tf.square(centred), axes, true);
  const normed = tf.mul(centred, tf.rsqrt(tf.add(variance, BN_EPS)));
  const y = tf.add(tf.mul(normed, p.gamma), p.beta);
  if (mode.updateStats !== false) {
    // running statistics carry no gradient; keep them out of the tape
    const bm = tf.reshape(tf.mean(tf.reshape(mean, [g, c]), 0), [c]);
    const bv = tf.mul(tf.reshape(tf.mean(tf.reshape(variance, [g, c]), 0), [c]), count / (count - 1));
    const nm = tf.tidy(() => tf.add(tf.mul(p.runningMean, 1 - BN_MOMENTUM), tf.mul(bm, BN_MOMENTUM)));
    const nv = tf.tidy(() => tf.add(tf.mul(p.runningVar, 1 - BN_MOMENTUM), tf.mul(bv, BN_MOMENTUM)));
    p.runningMean.assign(nm);
    p.runningVar.assign(nv);
    nm.dispose();
    nv.dispose();
  }
  return (g === 1 ? y : tf.reshape(y, [n, h, w, c])) as tf.Tensor4D;
}
