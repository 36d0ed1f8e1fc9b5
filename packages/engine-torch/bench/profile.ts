// Where a training step's time goes on the torch backend, per kernel:
//   node dist-bench/bench/profile.js [train|forward]
// prints one JSON line: { totalKernelMs, peakMiB (tfjs-tracked tensor bytes), kernels: [[name, ms, calls], ...] }
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import { registerTorchBackend, torchBackendReason } from '../src/index';
import { BnMode, forward, makeResNet, setBatchNormMode, trainableVariables } from './resnet';
import { SETTINGS } from './settings';

async function main(): Promise<void> {
  const mode = (process.argv[2] ?? 'train') as 'train' | 'forward';
  setBatchNormMode((process.argv[3] ?? 'plain') as BnMode);
  if (!registerTorchBackend()) throw new Error(`torch backend unavailable: ${torchBackendReason()}`);
  await tf.setBackend('torch');
  const s = SETTINGS[mode];
  const net = makeResNet(s.depth, s.classes, s.smallStem);
  const x = tf.randomUniform([s.batch, s.size, s.size, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: s.batch }, (_, i) => (i * 7) % s.classes), 'int32'), s.classes);
  const opt = tf.train.momentum(0.01, 0.9);
  const vars = trainableVariables(net);
  const step = () => {
    if (mode === 'train') opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, forward(net, x, true)) as tf.Scalar, false, vars);
    else tf.tidy(() => forward(net, x, false).dataSync());
  };
  step();
  const t0 = performance.now();
  const info = await tf.profile(step);
  const wall = performance.now() - t0;
  const by = new Map<string, [number, number]>();
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = by.get(k.name) ?? [0, 0];
    by.set(k.name, [e[0] + ms, e[1] + 1]);
  }
  const kernels = [...by.entries()].sort((a, b) => b[1][0] - a[1][0]).map(([n, [ms, c]]) => [n, Math.round(ms), c]);
  const totalKernelMs = Math.round(kernels.reduce((a, k) => a + (k[1] as number), 0));
  process.stdout.write(JSON.stringify({ mode, wallMs: Math.round(wall), totalKernelMs, kernelCalls: info.kernels.length, peakMiB: Math.round(info.peakBytes / 2 ** 20), kernels }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`bench profile: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
