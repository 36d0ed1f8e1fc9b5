/**
 * `nx run contrastive:bench`: MoCo v2 training throughput (img/s) and peak memory of the tfjs
 * implementation here and of PyTorch 1.13 CPU (/usr/bin/python3, bench/moco_torch.py) on the
 * same model, input size, batch and queue, one after the other in the same invocation. Each
 * measurement runs in its own process so that its peak RSS is its own.
 * Last stdout line: one JSON object with every figure and the tfjs/PyTorch ratios.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as os from 'node:os';
import { selectBackend, tf } from '@dilo/core';
import { Moco } from '../moco';
import { registerWasmTrainingKernels } from '../wasm-kernels';
import type { ResNetArch } from '../resnet';

interface BenchConfig {
  name: string;
  arch: ResNetArch;
  width: number;
  smallStem: boolean;
  size: number;
  batch: number;
  queue: number;
  keyBnGroups: number;
  minSteps: number;
  minSeconds: number;
}

const CONFIGS: BenchConfig[] = [
  { name: 'resnet18-small-32px-b32', arch: 'resnet18', width: 1, smallStem: true, size: 32, batch: 32, queue: 4096, keyBnGroups: 4, minSteps: 2, minSeconds: 10 },
  { name: 'resnet18-w0.25-small-32px-b32', arch: 'resnet18', width: 0.25, smallStem: true, size: 32, batch: 32, queue: 4096, keyBnGroups: 4, minSteps: 4, minSeconds: 8 },
  { name: 'resnet50-112px-b8', arch: 'resnet50', width: 1, smallStem: false, size: 112, batch: 8, queue: 4096, keyBnGroups: 2, minSteps: 2, minSeconds: 5 },
];

async function one(cfg: BenchConfig, backend: string): Promise<Record<string, unknown>> {
  const choice = await selectBackend({ backend: backend as 'wasm', log: false });
  if (choice.backend === 'wasm') registerWasmTrainingKernels();
  const m = new Moco(
    { method: 'mocov2', arch: cfg.arch, width: cfg.width, smallStem: cfg.smallStem, dim: 128, queueSize: cfg.queue, momentum: 0.999, temperature: 0.2, keyBnGroups: cfg.keyBnGroups },
    0,
  );
  const n = cfg.batch * 3 * cfg.size * cfg.size;
  const q = new Float32Array(n).map((_, i) => Math.sin(i * 0.37));
  const k = new Float32Array(n).map((_, i) => Math.cos(i * 0.21));
  const lr = (0.03 * cfg.batch) / 256;
  m.step(q, k, cfg.batch, cfg.size, lr);
  let steps = 0;
  const t0 = Date.now();
  while (steps < cfg.minSteps || Date.now() - t0 < cfg.minSeconds * 1000) {
    m.step(q, k, cfg.batch, cfg.size, lr);
    steps++;
  }
  const dt = (Date.now() - t0) / 1000;
  return {
    peer: 'tfjs',
    backend: choice.backend,
    threads: choice.threads,
    steps,
    imgPerSec: (cfg.batch * steps) / dt,
    stepSeconds: dt / steps,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    tensorBytesMiB: tf.memory().numBytes / 2 ** 20,
  };
}

function runChild(args: string[], cmd = process.execPath, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24, env });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    return { error: `exit ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}` };
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--one') {
    process.stdout.write(JSON.stringify(await one(JSON.parse(argv[1]) as BenchConfig, argv[2] ?? 'wasm')) + '\n');
    return;
  }
  const only = process.env.BENCH_ONLY?.split(',');
  // the same thread counts on both sides: tfjs-wasm threads via DILO_THREADS, torch.set_num_threads
  const threads = (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number);
  const script = path.join(__dirname, '..', '..', 'bench', 'moco_torch.py');
  const results: Record<string, unknown>[] = [];
  for (const cfg of CONFIGS) {
    if (only && !only.includes(cfg.name)) continue;
    const tfjs: Record<string, Record<string, unknown>> = {};
    const torch: Record<string, Record<string, unknown>> = {};
    const speedRatio: Record<string, number | null> = {};
    const memoryRatio: Record<string, number | null> = {};
    for (const t of threads) {
      process.stderr.write(`bench: ${cfg.name} tfjs ${t} thread(s) ...\n`);
      const a = runChild([__filename, '--one', JSON.stringify(cfg), process.env.BENCH_BACKEND ?? 'wasm'], process.execPath, { ...process.env, DILO_THREADS: String(t) });
      process.stderr.write(`bench: ${cfg.name} pytorch ${t} thread(s) ...\n`);
      const b = runChild([script, JSON.stringify({ ...cfg, threads: t })], '/usr/bin/python3');
      tfjs[`threads${t}`] = a;
      torch[`threads${t}`] = b;
      const num = (x: unknown) => (typeof x === 'number' ? x : NaN);
      speedRatio[`threads${t}`] = Number.isFinite(num(a.imgPerSec) / num(b.imgPerSec)) ? +(num(a.imgPerSec) / num(b.imgPerSec)).toFixed(3) : null;
      memoryRatio[`threads${t}`] = Number.isFinite(num(a.peakRssMiB) / num(b.peakRssMiB)) ? +(num(a.peakRssMiB) / num(b.peakRssMiB)).toFixed(3) : null;
    }
    const row = { config: cfg, tfjs, pytorch: torch, speedRatioTfjsOverTorch: speedRatio, peakRssRatioTfjsOverTorch: memoryRatio };
    process.stderr.write(`bench: ${JSON.stringify(row)}\n`);
    results.push(row);
  }
  const load = os.loadavg();
  process.stdout.write(JSON.stringify({ bench: 'contrastive', method: 'mocov2 train step', cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAvg1m: +load[0].toFixed(2), results }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
