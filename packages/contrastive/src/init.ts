import { Rng, tf } from '@dilo/core';

/**
 * torchvision ResNet's conv init: kaiming_normal_(mode='fan_out', nonlinearity='relu'),
 * std = sqrt(2 / (out * kh * kw)). Returned in tfjs layout [kh, kw, in, out].
 */
export function kaimingNormalFanOut(rng: Rng, kh: number, kw: number, cin: number, cout: number): tf.Tensor4D {
  const std = Math.sqrt(2 / (cout * kh * kw));
  const data = new Float32Array(kh * kw * cin * cout);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, std);
  return tf.tensor4d(data, [kh, kw, cin, cout]);
}

/**
 * torch.nn.Linear's default init: weight and bias uniform in +-1/sqrt(in)
 * (kaiming_uniform with a = sqrt(5) reduces to this bound). Weight in tfjs layout [in, out].
 */
export function linearDefault(rng: Rng, cin: number, cout: number): { weight: tf.Tensor2D; bias: tf.Tensor1D } {
  const bound = 1 / Math.sqrt(cin);
  const w = new Float32Array(cin * cout);
  for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-bound, bound);
  const b = new Float32Array(cout);
  for (let i = 0; i < b.length; i++) b[i] = rng.uniform(-bound, bound);
  return { weight: tf.tensor2d(w, [cin, cout]), bias: tf.tensor1d(b) };
}
