/**
 * Where a MoCo v2 training step's time goes (the `contrastive:bench` train workload: ResNet-18
 * small stem, 32x32, batch 32, queue 4096): key-encoder momentum update, key forward, query
 * forward + backward + InfoNCE, SGD, in ms per step. The PyTorch peer is
 * bench/moco_torch_phases.py. Usage: node dist/bench/phases.js [steps=8]; last line: one JSON object.
 */
import { selectBackend } from '@dilo/core';
import { Moco, defaultKeyBnGroups } from '../moco';

async function main(): Promise<void> {
  const steps = Number(process.argv[2] ?? 8);
  const choice = await selectBackend({ backend: 'auto', log: false });
  const [n, size] = [32, 32];
  const m = new Moco({ method: 'mocov2', arch: 'resnet18', width: 1, smallStem: true, dim: 128, queueSize: 4096, momentum: 0.999, temperature: 0.2, keyBnGroups: defaultKeyBnGroups(n) }, 0);
  const len = n * 3 * size * size;
  const q = Float32Array.from({ length: len }, (_, i) => Math.sin(i * 0.37));
  const k = Float32Array.from({ length: len }, (_, i) => Math.cos(i * 0.21));
  const ms = { momentumUpdate: 0, keyForward: 0, sgd: 0, total: 0 };
  const timed = <A extends unknown[], R>(f: (...a: A) => R, key: keyof typeof ms, sync?: (r: R) => void) => (...a: A): R => {
    const t = performance.now();
    const r = f(...a);
    sync?.(r);
    ms[key] += performance.now() - t;
    return r;
  };
  m.momentumUpdate = timed(m.momentumUpdate.bind(m), 'momentumUpdate');
  m.encodeKeys = timed(m.encodeKeys.bind(m), 'keyForward', (r) => void r.dataSync());
  m.sgd.step = timed(m.sgd.step.bind(m.sgd), 'sgd');
  for (let i = 0; i < 2; i++) m.step(q, k, n, size, 0.00375); // warm-up
  for (const key of Object.keys(ms) as (keyof typeof ms)[]) ms[key] = 0;
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    m.step(q, k, n, size, 0.00375);
    ms.total += performance.now() - t;
  }
  const per = (v: number) => Math.round((v / steps) * 10) / 10;
  const out = {
    backend: choice.backend,
    threads: choice.threads,
    steps,
    msPerStep: {
      momentumUpdate: per(ms.momentumUpdate),
      keyForward: per(ms.keyForward),
      queryForwardBackward: per(ms.total - ms.momentumUpdate - ms.keyForward - ms.sgd),
      sgd: per(ms.sgd),
      total: per(ms.total),
    },
    imgPerSec: Math.round(((n * steps) / (ms.total / 1000)) * 100) / 100,
  };
  m.dispose();
  process.stdout.write(JSON.stringify(out) + '\n');
}

void main();
