// Issue 6 benchmark: dilo on the torch backend vs PyTorch, side by side, same threads.
//   pnpm nx run engine-torch:bench            (env: DILO_THREADS, BENCH_SECONDS=8, BENCH_ROUNDS=1)
// Each run is its own process (so peak RSS is that run's); rounds alternate dilo and PyTorch and
// the best round of each counts, which damps the noise of a shared machine. Human lines go to
// stderr; the last stdout line is one JSON object.
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

interface Run {
  imgPerSec: number;
  imgPerCpuSec: number;
  msPerStep: number;
  steps: number;
  peakRssMiB: number;
  fallbacks?: Record<string, number>;
}

const threads = Number(process.env.DILO_THREADS) > 0 ? Number(process.env.DILO_THREADS) : os.availableParallelism();
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
const pkg = path.join(__dirname, '..', '..');
const python = process.env.DILO_PYTHON ?? '/usr/bin/python3';

function run(cmd: string, args: string[]): Run {
  const r = spawnSync(cmd, args, { cwd: pkg, encoding: 'utf8', env: { ...process.env, DILO_THREADS: String(threads), OMP_NUM_THREADS: String(threads), OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' }, maxBuffer: 1 << 24 });
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-5).join(' | ')}`);
  return JSON.parse(last) as Run;
}

/** The best speed of the rounds (wall-clock and per CPU-second separately) and the largest peak RSS. */
function best(runs: Run[]): Run {
  const fastest = runs.reduce((a, b) => (b.imgPerSec > a.imgPerSec ? b : a));
  return { ...fastest, imgPerCpuSec: Math.max(...runs.map((r) => r.imgPerCpuSec)), peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)) };
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const summary = (r: Run) => ({ imgPerSec: round2(r.imgPerSec), imgPerCpuSec: round2(r.imgPerCpuSec), msPerStep: Math.round(r.msPerStep), steps: r.steps, peakRssMiB: Math.round(r.peakRssMiB), ...(r.fallbacks ? { cpuFallbacks: r.fallbacks } : {}) });

function bench(mode: 'train' | 'forward', variants: { name: string; args: string[] }[]) {
  const results: Record<string, Run[]> = {};
  for (let i = 0; i < rounds; i++) {
    for (const v of variants) {
      const r = v.name === 'pytorch' ? run(python, ['bench/torch_peer.py', mode, String(threads), String(seconds)]) : run(process.execPath, ['dist-bench/bench/worker.js', mode, 'torch', String(seconds), ...v.args]);
      process.stderr.write(`${mode} ${v.name} round ${i + 1}: ${r.imgPerSec.toFixed(2)} img/s, ${r.imgPerCpuSec.toFixed(2)} img/CPU-s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB\n`);
      (results[v.name] ??= []).push(r);
    }
  }
  return Object.fromEntries(Object.entries(results).map(([k, rs]) => [k, best(rs)]));
}

const train = bench('train', [
  { name: 'dilo', args: ['fused'] },
  { name: 'pytorch', args: [] },
  { name: 'diloPlainBatchNorm', args: ['plain'] },
]);
const fwd = bench('forward', [
  { name: 'dilo', args: ['plain'] },
  { name: 'pytorch', args: [] },
]);

const ratios = (r: Record<string, Run>) => ({
  speedRatio: round2(r.dilo.imgPerSec / r.pytorch.imgPerSec),
  cpuTimeSpeedRatio: round2(r.dilo.imgPerCpuSec / r.pytorch.imgPerCpuSec),
  memoryRatio: round2(r.dilo.peakRssMiB / r.pytorch.peakRssMiB),
});
const out = {
  benchmark: 'engine-torch',
  machine: `${os.cpus().length}x ${os.cpus()[0]?.model ?? 'cpu'}`,
  loadAverage1m: round2(os.loadavg()[0]),
  threads,
  rounds,
  train: {
    workload: 'ResNet-18 small-image stem, 32x32, batch 32, SGD momentum, one step',
    ...Object.fromEntries(Object.entries(train).map(([k, v]) => [k, summary(v)])),
    ...ratios(train),
    plainBatchNormSpeedRatio: round2(train.diloPlainBatchNorm.imgPerSec / train.pytorch.imgPerSec),
    plainBatchNormCpuTimeSpeedRatio: round2(train.diloPlainBatchNorm.imgPerCpuSec / train.pytorch.imgPerCpuSec),
  },
  forward: {
    workload: 'ResNet-50 forward (inference), 224x224, batch 8',
    ...Object.fromEntries(Object.entries(fwd).map(([k, v]) => [k, summary(v)])),
    ...ratios(fwd),
  },
};
process.stderr.write(
  `train: dilo ${round2(train.dilo.imgPerSec)} img/s vs PyTorch ${round2(train.pytorch.imgPerSec)} (${out.train.speedRatio}x; per CPU-second ${out.train.cpuTimeSpeedRatio}x), memory ${out.train.memoryRatio}x\n` +
    `forward: dilo ${round2(fwd.dilo.imgPerSec)} img/s vs PyTorch ${round2(fwd.pytorch.imgPerSec)} (${out.forward.speedRatio}x; per CPU-second ${out.forward.cpuTimeSpeedRatio}x), memory ${out.forward.memoryRatio}x\n`,
);
process.stdout.write(JSON.stringify(out) + '\n');
