import { tf } from '@dilo/core';

/**
 * MoCo's InfoNCE loss, a pure function.
 * q, k: [n, dim] L2-normalised query and key embeddings (k carries no gradient);
 * queue: [dim, K] L2-normalised negative keys (columns, as in the reference);
 * logits = [q.k, q.queue] / T, and the positive is class 0 of a cross-entropy.
 * Returns the mean loss and the logits (for accuracy monitoring).
 */
export function infoNCE(q: tf.Tensor2D, k: tf.Tensor2D, queue: tf.Tensor2D, temperature: number): { loss: tf.Scalar; logits: tf.Tensor2D } {
  if (!(temperature > 0)) throw new RangeError(`temperature must be positive, got ${temperature}`);
  const lPos = tf.sum(tf.mul(q, k), 1, true);
  const lNeg = tf.matMul(q, queue);
  const logits = tf.div(tf.concat([lPos, lNeg], 1), temperature) as tf.Tensor2D;
  // cross-entropy with label 0: logsumexp(logits) - logits[:, 0]
  const loss = tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.reshape(tf.div(lPos, temperature), [-1]))) as tf.Scalar;
  return { loss, logits };
}

/** L2 normalisation along dim 1 (torch.nn.functional.normalize, eps 1e-12). */
export function l2normalize(x: tf.Tensor2D): tf.Tensor2D {
  const norm = tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), 1e-12);
  return tf.div(x, norm);
}
