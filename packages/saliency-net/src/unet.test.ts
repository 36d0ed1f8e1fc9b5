/**
 * @jest-environment ./jest-realm-env.js
 */
import { Rng, selectBackend, tf } from '@dilo/core';
import { UNet } from './unet';
import { saliencyLoss } from './loss';
import { unetInference, unetToOnnx } from './onnx-export';

beforeAll(async () => {
  await selectBackend({ backend: 'cpu', log: false });
});

function randomInput(seed: number, shape: [number, number, number, number]): tf.Tensor4D {
  const r = new Rng(seed);
  return tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal(0, 1)), shape);
}

test('a U-Net maps N x H x W x 3 to N x H x W x 1 and refuses sizes its poolings cannot halve', () => {
  const net = new UNet({ base: 4, levels: 3 }, new Rng(0));
  const y = net.forward(randomInput(1, [2, 16, 8, 3]), { training: true });
  expect(y.shape).toEqual([2, 16, 8, 1]);
  expect(() => net.forward(randomInput(1, [1, 10, 8, 3]), { training: false })).toThrow(/multiple of 4/);
  // torch-style names: Sequential stages, ConvTranspose2d ups, a 1x1 head
  expect([...net.params.params.keys()].slice(0, 3)).toEqual(['enc1.0.weight', 'enc1.1.weight', 'enc1.1.bias']);
  expect(net.params.params.has('up2.weight') && net.params.params.has('dec1.4.bias') && net.params.params.has('head.weight')).toBe(true);
  net.dispose();
});

test('parameter gradients (conv, BN, transposed conv, head) match central finite differences', () => {
  const net = new UNet({ base: 2, levels: 2 }, new Rng(3));
  const x = randomInput(4, [2, 4, 4, 3]);
  const t = tf.tensor4d(Float32Array.from({ length: 32 }, (_, i) => (i % 3 === 0 ? 1 : 0.2)), [2, 4, 4, 1]);
  const loss = (): tf.Scalar => saliencyLoss(net.forward(x, { training: true, updateStats: false }), t).total;
  const names = ['enc1.0.weight', 'enc1.1.weight', 'enc2.3.weight', 'up1.weight', 'up1.bias', 'dec1.4.bias', 'head.weight'];
  const vars = names.map((n) => net.params.param(n));
  const { grads } = tf.variableGrads(loss, vars);
  // ReLU kinks bend the loss within a few 1e-3 of a weight (measured: the difference quotient moves
  // from -0.0092 at eps 3e-3 to -0.01359 at 1e-3, the analytic -0.01358); float32 round-off is ~1e-4 here
  const eps = 1e-3;
  let checked = 0;
  const errors: { name: string; g: number; fd: number; err: number }[] = [];
  for (const v of vars) {
    const g = grads[v.name].dataSync();
    const base = v.dataSync().slice();
    for (let i = 0; i < Math.min(4, base.length); i++) {
      const at = (d: number): number => {
        const w = base.slice();
        w[i] += d;
        v.assign(tf.tensor(w, v.shape));
        return loss().dataSync()[0];
      };
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      v.assign(tf.tensor(base, v.shape));
      errors.push({ name: `${v.name}[${i}]`, g: g[i], fd, err: Math.abs(g[i] - fd) / (1e-2 + Math.abs(fd)) });
      checked++;
    }
  }
  const worst = errors.reduce((a, b) => (b.err > a.err ? b : a));
  expect({ worst: worst.name, err: worst.err < 0.05 }).toEqual({ worst: worst.name, err: true });
  expect(checked).toBe(20);
  net.dispose();
});

test('the ONNX export (BN folded) computes what the tfjs network computes in inference mode', async () => {
  const net = new UNet({ base: 4, levels: 3 }, new Rng(5));
  // non-trivial BN statistics and affine parameters
  const r = new Rng(6);
  for (const [name, e] of net.params.buffers) e.variable.assign(tf.tensor(Float32Array.from({ length: e.variable.size }, () => (name.endsWith('running_var') ? r.uniform(0.5, 2) : r.normal(0, 0.3))), e.variable.shape));
  for (const [name, e] of net.params.params) if (/\.(1|4)\.(weight|bias)$/.test(name)) e.variable.assign(tf.tensor(Float32Array.from({ length: e.variable.size }, () => r.uniform(0.5, 1.5)), e.variable.shape));
  const x = randomInput(7, [2, 16, 12, 3]);
  const want = unetInference(net, x).dataSync();
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(unetToOnnx(net));
  const nchw = tf.transpose(x, [0, 3, 1, 2]).dataSync() as Float32Array;
  const out = await session.run({ image: new ort.Tensor('float32', nchw, [2, 3, 16, 12]) });
  const got = out.saliency;
  expect(got.dims).toEqual([2, 1, 16, 12]);
  const g = got.data as Float32Array;
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(g[i] - want[i]));
  expect(maxDiff).toBeLessThan(1e-5);
  // and the maps are not constant (the test would pass trivially on a dead network)
  expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(1e-3);
  await session.release();
  net.dispose();
});
