/**
 * `pnpm nx run saliency-net:bench`: the saliency network's training and inference speed against
 * the same network in PyTorch 1.13 CPU (/usr/bin/python3, bench/unet_torch.py), side by side in
 * one invocation, same threads, same U-Net (base 16, 4 stages, 482,737 parameters), 96x96,
 * batch 32:
 *  - train: forward, BCE + IoU loss, backward, SGD momentum (dilo on the backend selectBackend
 *    picks: the torch engine where built);
 *  - infer: inference of a batch; dilo twice: the tfjs network (BN as scale-shift) and the ONNX
 *    export through onnxruntime-node (what `--method net:RUN` runs).
 * Each measurement is its own process; rounds alternate the peers and the best round counts.
 * Env: DILO_THREADS (default: all cores), BENCH_SECONDS (8), BENCH_ROUNDS (2), BENCH_BACKEND (auto).
 * Human lines on stderr; the last stdout line is one JSON object.
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultThreads, Rng, selectBackend, tf, type BackendName } from '@dilo/core';
import { Sgd } from '@dilo/contrastive';
import { UNet } from '../unet';
import { saliencyNetStep } from '../train';
import { unetToOnnx } from '../onnx-export';

const W = { base: 16, levels: 4, size: 96, batch: 32 };
type Peer = 'dilo-train' | 'torch-train' | 'dilo-infer' | 'onnx-infer' | 'torch-infer';

interface Run {
  imgPerSec: number;
  msPerStep: number;
  steps: number;
  peakRssMiB?: number;
  backend?: string;
  error?: string;
}

async function timed(seconds: number, step: () => Promise<void> | void): Promise<{ steps: number; wall: number }> {
  for (let i = 0; i < 2; i++) await step();
  const t0 = performance.now();
  let steps = 0;
  while ((performance.now() - t0) / 1000 < seconds || steps < 3) {
    await step();
    steps++;
  }
  return { steps, wall: (performance.now() - t0) / 1000 };
}

async function child(peer: Peer, threads: number, seconds: number, backend: string): Promise<Run> {
  const choice = await selectBackend({ backend: backend as BackendName | 'auto', threads, log: false });
  const net = new UNet({ base: W.base, levels: W.levels }, new Rng(0));
  const r = new Rng(1);
  const n = W.batch;
  const s = W.size;
  const x = tf.tensor4d(Float32Array.from({ length: n * s * s * 3 }, () => r.normal(0, 1)), [n, s, s, 3]);
  const t = tf.tensor4d(Float32Array.from({ length: n * s * s }, () => (r.float() > 0.5 ? 1 : 0)), [n, s, s, 1]);
  let res: { steps: number; wall: number };
  if (peer === 'dilo-train') {
    const sgd = new Sgd({ momentum: 0.9, weightDecay: 1e-4 });
    // the step `dilo saliency train` runs
    res = await timed(seconds, () => void saliencyNetStep(net, sgd, x, t, 0.01, 1));
  } else if (peer === 'dilo-infer') {
    res = await timed(seconds, () => {
      const y = tf.tidy(() => tf.sigmoid(net.forward(x, { training: false })));
      y.dataSync();
      y.dispose();
    });
  } else {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(unetToOnnx(net), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    const input = new ort.Tensor('float32', tf.transpose(x, [0, 3, 1, 2]).dataSync() as Float32Array, [n, 3, s, s]);
    res = await timed(seconds, async () => {
      await session.run({ image: input }, ['saliency']);
    });
  }
  return { imgPerSec: (res.steps * n) / res.wall, msPerStep: (1000 * res.wall) / res.steps, steps: res.steps, peakRssMiB: process.resourceUsage().maxRSS / 1024, backend: peer === 'onnx-infer' ? 'onnxruntime-node' : choice.backend };
}

function measure(peer: Peer, threads: number, seconds: number, backend: string): Run {
  const torch = peer.startsWith('torch');
  const cmd = torch ? '/usr/bin/python3' : process.execPath;
  const args = torch
    ? [path.join(__dirname, '../../bench/unet_torch.py'), JSON.stringify({ mode: peer === 'torch-train' ? 'train' : 'infer', ...W, threads, seconds })]
    : [__filename, '--child', peer, String(threads), String(seconds), backend];
  const p = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, DILO_THREADS: String(threads) }, maxBuffer: 1 << 24 });
  const last = p.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as Run;
  } catch {
    return { imgPerSec: NaN, msPerStep: NaN, steps: 0, error: (p.stderr || p.error?.message || `exit ${p.status}`).trim().split('\n').slice(-3).join(' | ') };
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    const [peer, threads, seconds, backend] = process.argv.slice(3);
    process.stdout.write(JSON.stringify(await child(peer as Peer, Number(threads), Number(seconds), backend)) + '\n');
    return;
  }
  const threads = defaultThreads();
  const seconds = Number(process.env.BENCH_SECONDS ?? 8);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const backend = process.env.BENCH_BACKEND ?? 'auto';
  const peers: Peer[] = ['dilo-train', 'torch-train', 'dilo-infer', 'onnx-infer', 'torch-infer'];
  const best = new Map<Peer, Run>();
  const all = new Map<Peer, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const peer of round % 2 ? [...peers].reverse() : peers) {
      const r = measure(peer, threads, seconds, backend);
      process.stderr.write(`round ${round + 1} ${peer}: ${r.error ? `error ${r.error}` : `${r.imgPerSec.toFixed(1)} img/s (${r.msPerStep.toFixed(0)} ms/step, ${r.steps} steps)`}\n`);
      all.set(peer, [...(all.get(peer) ?? []), r.imgPerSec]);
      const b = best.get(peer);
      if (!r.error && (!b || r.imgPerSec > b.imgPerSec)) best.set(peer, r);
      else if (!b) best.set(peer, r);
    }
  }
  const ips = (p: Peer): number => +(best.get(p)?.imgPerSec ?? NaN).toFixed(2);
  const ratio = (a: Peer, b: Peer): number => +(ips(a) / ips(b)).toFixed(3);
  const result = {
    bench: 'saliency-net',
    workload: `U-Net base ${W.base}, ${W.levels} stages, ${W.size}x${W.size}, batch ${W.batch}`,
    machine: `${os.cpus()[0]?.model ?? 'unknown'} x ${os.cpus().length}`,
    threads,
    rounds,
    seconds,
    train: { diloImgPerSec: ips('dilo-train'), pytorchImgPerSec: ips('torch-train'), ratio: ratio('dilo-train', 'torch-train'), backend: best.get('dilo-train')?.backend },
    inference: {
      diloTfjsImgPerSec: ips('dilo-infer'),
      diloOnnxImgPerSec: ips('onnx-infer'),
      pytorchImgPerSec: ips('torch-infer'),
      ratioTfjs: ratio('dilo-infer', 'torch-infer'),
      ratioOnnx: ratio('onnx-infer', 'torch-infer'),
    },
    rounds_imgPerSec: Object.fromEntries([...all].map(([k, v]) => [k, v.map((x) => +x.toFixed(2))])),
    errors: Object.fromEntries([...best].filter(([, r]) => r.error).map(([k, r]) => [k, r.error])),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
