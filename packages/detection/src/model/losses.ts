import { tf } from '@dilo/core';

/**
 * The detector's losses as dense masked sums: tfjs-wasm has no gradient kernel for gather
 * (UnsortedSegmentSum), so the sampled anchors/proposals are selected by 0/1 weights instead.
 */

/** sum(w * BCEWithLogits(x, y)), the numerically stable form max(x, 0) - x y + log(1 + exp(-|x|)). */
export function weightedBceWithLogits(x: tf.Tensor, y: tf.Tensor, w: tf.Tensor): tf.Scalar {
  const l = tf.add(tf.sub(tf.relu(x), tf.mul(x, y)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
  return tf.sum(tf.mul(l, w));
}

/**
 * sum(w * smooth_l1(x - t, beta)); beta 0 is the L1 loss, detectron2's default for both the RPN
 * and the box head (SMOOTH_L1_BETA 0).
 */
export function weightedSmoothL1(x: tf.Tensor, t: tf.Tensor, w: tf.Tensor, beta: number): tf.Scalar {
  const d = tf.abs(tf.sub(x, t));
  const l = beta > 0 ? tf.where(tf.less(d, beta), tf.div(tf.mul(tf.square(d), 0.5), beta), tf.sub(d, 0.5 * beta)) : d;
  return tf.sum(tf.mul(l, w));
}

/** mean over rows of the softmax cross-entropy, targets as one-hot rows [R, K + 1]. */
export function softmaxCrossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  const R = logits.shape[0];
  return tf.div(tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), oneHot))), Math.max(R, 1));
}
