import { tf } from '@dilo/core';

/**
 * The saliency network's loss: per-pixel binary cross-entropy on the logits plus BASNet's IoU
 * term (Qin et al. 2019, eq. 7: 1 - sum(p t) / sum(p + t - p t) per image), both averaged over
 * the batch. BASNet's third term (SSIM) is left out: on soft pseudo-masks it mostly rewards
 * reproducing the pseudo-mask's own blur. Targets are soft, in [0, 1].
 *
 * With `confidenceWeighted`, each pixel's BCE counts |2t - 1| (normalised to mean 1 over the
 * batch): a pseudo-mask pixel near 0.5 is one the unsupervised teachers are unsure of (or
 * disagree on, once averaged), so the network is not taught to reproduce that blur there.
 *
 * logits and target: NHWC [N, H, W, 1]. A pure function of its inputs.
 */
export interface SaliencyLossParts {
  total: tf.Scalar;
  bce: tf.Scalar;
  iou: tf.Scalar;
}

export function saliencyLoss(logits: tf.Tensor4D, target: tf.Tensor4D, iouWeight = 1, confidenceWeighted = false): SaliencyLossParts {
  return tf.tidy(() => {
    // log(1 + e^-|z|) + max(z, 0) - z t: BCE with logits, stable for large |z|
    const perPixel = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, target)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    let bce: tf.Scalar;
    if (confidenceWeighted) {
      const w = tf.abs(tf.sub(tf.mul(target, 2), 1));
      bce = tf.div(tf.sum(tf.mul(perPixel, w)), tf.add(tf.sum(w), 1e-6)) as tf.Scalar;
    } else bce = tf.mean(perPixel) as tf.Scalar;
    const p = tf.sigmoid(logits);
    const inter = tf.sum(tf.mul(p, target), [1, 2, 3]);
    const union = tf.sub(tf.sum(tf.add(p, target), [1, 2, 3]), inter);
    const iou = tf.mean(tf.sub(1, tf.div(inter, tf.add(union, 1e-6)))) as tf.Scalar;
    return { total: tf.add(bce, tf.mul(iou, iouWeight)) as tf.Scalar, bce, iou };
  });
}
