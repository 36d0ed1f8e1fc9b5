// One benchmark in its own process (so peak RSS is this run's):
//   node dist-bench/bench/worker.js train|forward <backend> <seconds> [plain|fused batch norm]
// prints one JSON line: { mode, backend, imgPerSec, imgPerCpuSec (per CPU-second of all threads), steps, peakRssMiB, fallbacks }
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients
import { fallbackStats, registerTorchBackend, torchBackendReason, torchThreads } from '../src/index';
import { BnMode, forward, makeResNet, setBatchNormMode, trainableVariables } from './resnet';
import { SETTINGS } from './settings';

async function main(): Promise<void> {
  const mode = process.argv[2] as 'train' | 'forward';
  const backend = process.argv[3] ?? 'torch';
  const seconds = Number(process.argv[4] ?? 10);
  const bn = (process.argv[5] ?? 'plain') as BnMode;
  setBatchNormMode(bn);
  if (!(mode in SETTINGS)) throw new Error(`mode must be train or forward, got '${mode}'`);
  if (backend === 'torch' && !registerTorchBackend()) throw new Error(`torch backend unavailable: ${torchBackendReason()}`);
  if (!(await tf.setBackend(backend))) throw new Error(`backend '${backend}' is not available`);
  const s = SETTINGS[mode];
  const net = makeResNet(s.depth, s.classes, s.smallStem);
  const x = tf.randomUniform([s.batch, s.size, s.size, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: s.batch }, (_, i) => (i * 7) % s.classes), 'int32'), s.classes);
  const opt = tf.train.momentum(0.01, 0.9);
  const vars = trainableVariables(net);
  const step = () => {
    if (mode === 'train') {
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, forward(net, x, true)) as tf.Scalar, true, vars);
      loss!.dataSync();
      loss!.dispose();
    } else {
      tf.tidy(() => forward(net, x, false).dataSync());
    }
  };
  for (let i = 0; i < 2; i++) step(); // warm-up: oneDNN primitive creation, allocator
  let steps = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || steps < 3) {
    step();
    steps++;
  }
  const sec = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const out = {
    mode, backend, batchNorm: bn, imgPerSec: (steps * s.batch) / sec, imgPerCpuSec: (steps * s.batch) / cpuSec, steps, msPerStep: (sec * 1000) / steps,
    peakRssMiB: process.resourceUsage().maxRSS / 1024, threads: backend === 'torch' ? torchThreads() : 1,
    tensorsAfter: tf.memory().numTensors, fallbacks: fallbackStats(),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  process.stderr.write(`bench worker: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
