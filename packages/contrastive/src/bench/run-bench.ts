/**
 * `pnpm nx run contrastive:bench`: dilo's pre-training workloads against PyTorch 1.13 CPU
 * (/usr/bin/python3, bench/moco_torch.py), side by side in one invocation, same threads:
 *  - train: one MoCo v2 step (query forward + backward, key forward on the shuffled batch,
 *    InfoNCE against the queue, SGD, enqueue), ResNet-18 small-image stem, 32x32, batch 32;
 *  - forward: ResNet-50 backbone in inference mode (feature extraction), 224x224, batch 8.
 * dilo runs on the backend `selectBackend` picks (the torch engine where built, else wasm), with
 * its fused BN and, for the train step, once more with plain-op BN. Every run is its own process,
 * so peak RSS is that run's; rounds alternate the peers and the best round of each counts, which
 * damps the noise of a shared machine.
 * Env: DILO_THREADS (default: all cores), BENCH_SECONDS (8), BENCH_ROUNDS (2), BENCH_BACKEND (auto),
 * BENCH_ONLY=train|forward. Human lines go to stderr; the last stdout line is one JSON object.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as os from 'node:os';
import { Rng, createProcessGroup, defaultThreads, selectBackend, tf, type BackendName, type Collectives } from '@dilo/core';
import { freePort } from '../launch';
import { Moco, defaultKeyBnGroups } from '../moco';
import { ResNet, type ResNetArch } from '../resnet';
import { ParamMap } from '../params';
import { registerWasmTrainingKernels } from '../wasm-kernels';

type Mode = 'train' | 'forward' | 'dataParallel';

interface Workload {
  mode: Mode;
  description: string;
  arch: ResNetArch;
  width: number;
  smallStem: boolean;
  size: number;
  batch: number;
  queue: number;
  keyBnGroups: number;
}

const WORKLOADS: Record<Mode, Workload> = {
  train: { mode: 'train', description: 'MoCo v2 training step, ResNet-18 small-image stem, 32x32, batch 32, queue 4096', arch: 'resnet18', width: 1, smallStem: true, size: 32, batch: 32, queue: 4096, keyBnGroups: defaultKeyBnGroups(32) },
  dataParallel: { mode: 'dataParallel', description: 'MoCo v2 step, data parallel: ResNet-18 small-image stem, 32x32, global batch 32, queue 4096, one key and one query BN group per half batch; 2 processes x 1 thread (c10d Gloo) vs 1 process x 2 threads vs PyTorch DDP (gloo) 2 x 1', arch: 'resnet18', width: 1, smallStem: true, size: 32, batch: 32, queue: 4096, keyBnGroups: 2 },
  forward: { mode: 'forward', description: 'ResNet-50 forward (inference, pooled features), 224x224, batch 8', arch: 'resnet50', width: 1, smallStem: false, size: 224, batch: 8, queue: 4096, keyBnGroups: 1 },
};

interface Run {
  imgPerSec: number;
  imgPerCpuSec: number;
  msPerStep: number;
  steps: number;
  peakRssMiB: number;
  backend?: string;
  threads?: number;
  error?: string;
  /** data parallel: ms per step rank 0 spent blocked in collectives */
  commMsPerStep?: number;
  /** data parallel: ms per step of the parts every process runs on all weights (not sharded) */
  phasesMsPerStep?: Record<string, number>;
}

/** One measurement, in this (child) process. */
async function child(w: Workload, backend: string, seconds: number): Promise<Run> {
  const choice = await selectBackend({ backend: backend as BackendName | 'auto', log: false });
  if (choice.backend === 'wasm') registerWasmTrainingKernels();
  let step: () => void;
  if (w.mode === 'train') {
    const m = new Moco({ method: 'mocov2', arch: w.arch, width: w.width, smallStem: w.smallStem, dim: 128, queueSize: w.queue, momentum: 0.999, temperature: 0.2, keyBnGroups: w.keyBnGroups }, 0);
    const n = w.batch * 3 * w.size * w.size;
    const q = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37));
    const k = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.21));
    const lr = (0.03 * w.batch) / 256;
    step = () => void m.step(q, k, w.batch, w.size, lr);
  } else {
    const net = new ResNet({ arch: w.arch, width: w.width, smallStem: w.smallStem }, new ParamMap(), new Rng(0, ['bench']));
    const x = tf.randomUniform([w.batch, w.size, w.size, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
    step = () => tf.tidy(() => void tf.sum(net.forward(x, { training: false }).pooled).dataSync());
  }
  for (let i = 0; i < 2; i++) step(); // warm-up: oneDNN primitives, allocator
  let steps = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || steps < 3) {
    step();
    steps++;
  }
  const sec = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  return {
    imgPerSec: (steps * w.batch) / sec,
    imgPerCpuSec: (steps * w.batch) / ((cpu.user + cpu.system) / 1e6),
    msPerStep: (sec * 1000) / steps,
    steps,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    backend: choice.backend,
    threads: choice.threads,
  };
}

/**
 * One data-parallel measurement in this process: rank RANK of WORLD_SIZE (or alone), a fixed
 * number of steps so every rank runs the same collectives; rank 0 reports the group's img/s and
 * the summed CPU time and peak RSS of all ranks.
 */
async function dataParallelChild(w: Workload, steps: number): Promise<Run | null> {
  const choice = await selectBackend({ backend: 'torch', log: false });
  const world = Number(process.env.WORLD_SIZE ?? 1);
  const rank = Number(process.env.RANK ?? 0);
  const group: Collectives | null = world > 1 ? createProcessGroup({ rank, worldSize: world, masterAddr: '127.0.0.1', masterPort: Number(process.env.MASTER_PORT), timeoutMs: 120_000, iface: 'lo' }) : null;
  // time spent inside collectives (blocking calls), reported per step
  let commMs = 0;
  const timed = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => {
    const t = performance.now();
    try {
      return f(...a);
    } finally {
      commMs += performance.now() - t;
    }
  };
  const dist: Collectives | null = group && {
    rank: group.rank,
    worldSize: group.worldSize,
    allReduce: timed(group.allReduce.bind(group)),
    allReduceBucketed: timed(group.allReduceBucketed.bind(group)),
    allReduceInPlace: timed(group.allReduceInPlace.bind(group)),
    // started without blocking; the time blocked is the wait
    allReduceStart: (xs, scale, slot) => {
      const p = group.allReduceStart(xs, scale, slot);
      return { wait: timed(p.wait) };
    },
    allGather: timed(group.allGather.bind(group)),
    broadcast: timed(group.broadcast.bind(group)),
    barrier: () => group.barrier(),
    destroy: () => group.destroy(),
  };
  const m = new Moco({ method: 'mocov2', arch: w.arch, width: w.width, smallStem: w.smallStem, dim: 128, queueSize: w.queue, momentum: 0.999, temperature: 0.2, keyBnGroups: w.keyBnGroups, queryBnGroups: 2 }, 0, undefined, dist);
  if (process.env.BENCH_DP_BUCKET_MB) m.bucketMb = Number(process.env.BENCH_DP_BUCKET_MB);
  // where a step's time goes (the torch engine is synchronous: no read-back needed to time it)
  const phases: Record<string, number> = { momentumUpdate: 0, keyEncoder: 0, sgd: 0 };
  const phase = <A extends unknown[], R>(f: (...a: A) => R, key: string) => (...a: A): R => {
    const t = performance.now();
    try {
      return f(...a);
    } finally {
      phases[key] += performance.now() - t;
    }
  };
  m.momentumUpdate = phase(m.momentumUpdate.bind(m), 'momentumUpdate');
  m.encodeKeys = phase(m.encodeKeys.bind(m), 'keyEncoder');
  m.sgd.step = phase(m.sgd.step.bind(m.sgd), 'sgd');
  const b = w.batch / world;
  const n = b * 3 * w.size * w.size;
  const q = Float32Array.from({ length: n }, (_, i) => Math.sin((i + rank * n) * 0.37));
  const k = Float32Array.from({ length: n }, (_, i) => Math.cos((i + rank * n) * 0.21));
  const lr = (0.03 * w.batch) / 256;
  for (let i = 0; i < 2; i++) m.step(q, k, b, w.size, lr);
  dist?.barrier();
  commMs = 0;
  for (const key of Object.keys(phases)) phases[key] = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) m.step(q, k, b, w.size, lr);
  dist?.barrier();
  const sec = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  let cpuSec = (cpu.user + cpu.system) / 1e6;
  const commMsPerStep = commMs / steps;
  let rss = process.resourceUsage().maxRSS / 1024;
  if (dist) {
    const [t] = dist.allReduce([tf.tensor1d([cpuSec, rss])]);
    [cpuSec, rss] = Array.from(t.dataSync());
    t.dispose();
    dist.destroy();
  }
  m.dispose();
  if (rank !== 0) return null;
  return { imgPerSec: (steps * w.batch) / sec, imgPerCpuSec: (steps * w.batch) / cpuSec, msPerStep: (sec * 1000) / steps, steps, peakRssMiB: rss, backend: `${choice.backend} x${world}`, threads: choice.threads, ...(dist ? { commMsPerStep } : {}), phasesMsPerStep: Object.fromEntries(Object.entries(phases).map(([key, v]) => [key, Math.round(v / steps)])) };
}

/**
 * Start `world` copies of a command with torchrun's variables; rank 0's last JSON line. A group
 * that has not finished after `limitMs` is killed (a rendezvous can hang when the free port is
 * taken in between), and a failed group is started once more on a fresh port.
 */
async function spawnGroup(cmd: string, args: string[], env: NodeJS.ProcessEnv, world: number, limitMs = 300_000, retry = true): Promise<Run> {
  try {
    return await spawnGroupOnce(cmd, args, env, world, limitMs);
  } catch (err) {
    if (!retry) throw err;
    process.stderr.write(`bench: ${(err as Error).message.split('\n')[0]}; starting the group once more\n`);
    return spawnGroup(cmd, args, env, world, limitMs, false);
  }
}

async function spawnGroupOnce(cmd: string, args: string[], env: NodeJS.ProcessEnv, world: number, limitMs: number): Promise<Run> {
  const port = await freePort();
  const kids: ReturnType<typeof spawn>[] = [];
  const timer = setTimeout(() => kids.forEach((k) => k.kill('SIGKILL')), limitMs);
  const outs = await Promise.all(
    Array.from({ length: world }, (_, rank) => new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = spawn(cmd, args, { env: { ...env, RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), GLOO_SOCKET_IFNAME: 'lo' } });
      kids.push(p);
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (err += d));
      p.on('exit', (code) => resolve({ code, out, err }));
    })),
  );
  clearTimeout(timer);
  const bad = outs.findIndex((o) => o.code !== 0);
  if (bad >= 0) throw new Error(`${path.basename(cmd)} rank ${bad} of ${world} failed (exit ${outs[bad].code ?? `killed after ${limitMs / 1000} s`}): ${outs[bad].err.trim().split('\n').slice(-4).join(' | ')}`);
  return JSON.parse(outs[0].out.trim().split('\n').pop() as string) as Run;
}

function spawnRun(cmd: string, args: string[], env: NodeJS.ProcessEnv): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24, env });
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) throw new Error(`${path.basename(cmd)} ${args.slice(0, 2).join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-4).join(' | ')}`);
  return JSON.parse(last) as Run;
}

/** The fastest round (wall-clock and per CPU-second separately) and the largest peak RSS. */
function best(runs: Run[]): Run {
  const fastest = runs.reduce((a, b) => (b.imgPerSec > a.imgPerSec ? b : a));
  return { ...fastest, imgPerCpuSec: Math.max(...runs.map((r) => r.imgPerCpuSec)), peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)) };
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const summary = (r: Run) => ({ imgPerSec: r2(r.imgPerSec), imgPerCpuSec: r2(r.imgPerCpuSec), msPerStep: Math.round(r.msPerStep), steps: r.steps, peakRssMiB: Math.round(r.peakRssMiB), ...(r.backend ? { backend: r.backend, threads: r.threads } : {}), ...(r.commMsPerStep !== undefined ? { commMsPerStep: Math.round(r.commMsPerStep) } : {}), ...(r.phasesMsPerStep ? { phasesMsPerStep: r.phasesMsPerStep } : {}) });
const ratios = (a: Run, b: Run) => ({ speedRatio: r2(a.imgPerSec / b.imgPerSec), cpuTimeSpeedRatio: r2(a.imgPerCpuSec / b.imgPerCpuSec), memoryRatio: r2(a.peakRssMiB / b.peakRssMiB) });

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--dp-child') {
    const r = await dataParallelChild(WORKLOADS.dataParallel, Number(argv[1]));
    if (r) process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  if (argv[0] === '--child') {
    process.stdout.write(JSON.stringify(await child(WORKLOADS[argv[1] as Mode], argv[2], Number(argv[3]))) + '\n');
    return;
  }
  const threads = defaultThreads();
  const seconds = Number(process.env.BENCH_SECONDS ?? 8);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const backend = process.env.BENCH_BACKEND ?? 'auto';
  const python = process.env.DILO_PYTHON ?? '/usr/bin/python3';
  const script = path.join(__dirname, '..', '..', 'bench', 'moco_torch.py');
  const env = { ...process.env, DILO_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
  const modes = (process.env.BENCH_ONLY?.split(',') ?? ['train', 'forward', 'dataParallel']) as Mode[];
  const dpSteps = Number(process.env.BENCH_DP_STEPS ?? 12);
  const out: Record<string, unknown> = {};
  for (const mode of modes) {
    const w = WORKLOADS[mode];
    if (!w) throw new Error(`BENCH_ONLY: unknown workload '${mode}' (train, forward, dataParallel)`);
    if (mode === 'dataParallel') {
      out[mode] = await dataParallelCase(w, { rounds, steps: dpSteps, python, threads, env });
      continue;
    }
    const variants: { name: string; run: () => Run }[] = [
      { name: 'dilo', run: () => spawnRun(process.execPath, [__filename, '--child', mode, backend, String(seconds)], { ...env, DILO_FUSED_BN: '1' }) },
      { name: 'pytorch', run: () => spawnRun(python, [script, JSON.stringify({ ...w, threads, minSteps: 3, minSeconds: seconds })], env) },
    ];
    if (mode === 'train') variants.push({ name: 'diloPlainBatchNorm', run: () => spawnRun(process.execPath, [__filename, '--child', mode, backend, String(seconds)], { ...env, DILO_FUSED_BN: '0' }) });
    const runs: Record<string, Run[]> = {};
    for (let i = 0; i < rounds; i++) {
      for (const v of variants) {
        const r = v.run();
        process.stderr.write(`bench ${mode} ${v.name} round ${i + 1}: ${r.imgPerSec.toFixed(2)} img/s, ${r.imgPerCpuSec.toFixed(2)} img/CPU-s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB${r.backend ? ` (${r.backend}, ${r.threads} threads)` : ''}\n`);
        (runs[v.name] ??= []).push(r);
      }
    }
    const b = Object.fromEntries(Object.entries(runs).map(([k, rs]) => [k, best(rs)]));
    out[mode] = {
      workload: w.description,
      ...Object.fromEntries(Object.entries(b).map(([k, v]) => [k, summary(v)])),
      ...ratios(b.dilo, b.pytorch),
      ...(b.diloPlainBatchNorm ? { plainBatchNormSpeedRatio: r2(b.diloPlainBatchNorm.imgPerSec / b.pytorch.imgPerSec), plainBatchNormMemoryRatio: r2(b.diloPlainBatchNorm.peakRssMiB / b.pytorch.peakRssMiB) } : {}),
    };
    const o = out[mode] as ReturnType<typeof ratios>;
    process.stderr.write(`${mode}: dilo ${r2(b.dilo.imgPerSec)} img/s vs PyTorch ${r2(b.pytorch.imgPerSec)} img/s: ${o.speedRatio}x (per CPU-second ${o.cpuTimeSpeedRatio}x), peak memory ${o.memoryRatio}x\n`);
  }
  const json = {
    bench: 'contrastive',
    machine: `${os.cpus().length}x ${os.cpus()[0]?.model ?? 'cpu'}`,
    loadAverage1m: r2(os.loadavg()[0]),
    threads,
    rounds,
    seconds,
    ...out,
  };
  process.stdout.write(JSON.stringify(json) + '\n');
}

/** The data-parallel case: every variant on the same global batch, `threads` cores in all. */
async function dataParallelCase(w: Workload, o: { rounds: number; steps: number; python: string; threads: number; env: NodeJS.ProcessEnv }): Promise<Record<string, unknown>> {
  const procs = 2;
  const per = String(Math.max(1, Math.floor(o.threads / procs)));
  const ddpScript = path.join(__dirname, '..', '..', 'bench', 'moco_torch_ddp.py');
  const variants: { name: string; run: () => Promise<Run> }[] = [
    { name: 'dilo2Processes', run: () => spawnGroup(process.execPath, [__filename, '--dp-child', String(o.steps)], { ...o.env, DILO_THREADS: per, OMP_NUM_THREADS: per }, procs) },
    // the same with every gradient in one bucket, all-reduced after the backward pass (no overlap)
    { name: 'dilo2ProcessesOneBucket', run: () => spawnGroup(process.execPath, [__filename, '--dp-child', String(o.steps)], { ...o.env, DILO_THREADS: per, OMP_NUM_THREADS: per, BENCH_DP_BUCKET_MB: '1000000' }, procs) },
    { name: 'dilo1Process', run: async () => spawnRun(process.execPath, [__filename, '--dp-child', String(o.steps)], o.env) },
    // the scaling baseline: the same step on one core
    { name: 'dilo1Process1Thread', run: async () => spawnRun(process.execPath, [__filename, '--dp-child', String(o.steps)], { ...o.env, DILO_THREADS: '1', OMP_NUM_THREADS: '1' }) },
    { name: 'pytorchDdp2Processes', run: () => spawnGroup(o.python, [ddpScript, JSON.stringify({ ...w, threads: Number(per), steps: o.steps })], { ...o.env, OMP_NUM_THREADS: per }, procs) },
  ];
  const runs: Record<string, Run[]> = {};
  for (let i = 0; i < o.rounds; i++) {
    for (const v of variants) {
      const r = await v.run();
      process.stderr.write(`bench dataParallel ${v.name} round ${i + 1}: ${r.imgPerSec.toFixed(2)} img/s, ${r.imgPerCpuSec.toFixed(2)} img/CPU-s, peak RSS (all processes) ${r.peakRssMiB.toFixed(0)} MiB\n`);
      (runs[v.name] ??= []).push(r);
    }
  }
  const b = Object.fromEntries(Object.entries(runs).map(([k, rs]) => [k, best(rs)]));
  const res = {
    workload: w.description,
    processes: procs,
    threadsPerProcess: Number(per),
    ...Object.fromEntries(Object.entries(b).map(([k, v]) => [k, summary(v)])),
    speedRatioVsPytorchDdp: r2(b.dilo2Processes.imgPerSec / b.pytorchDdp2Processes.imgPerSec),
    speedRatioVsOneProcess: r2(b.dilo2Processes.imgPerSec / b.dilo1Process.imgPerSec),
    // speed-up over one core: 2 processes x 1 thread, and 1 process x 2 threads
    scalingDilo2Processes: r2(b.dilo2Processes.imgPerSec / b.dilo1Process1Thread.imgPerSec),
    scalingDilo1Process2Threads: r2(b.dilo1Process.imgPerSec / b.dilo1Process1Thread.imgPerSec),
    speedRatioOverlapVsOneBucket: r2(b.dilo2Processes.imgPerSec / b.dilo2ProcessesOneBucket.imgPerSec),
    memoryRatioVsPytorchDdp: r2(b.dilo2Processes.peakRssMiB / b.pytorchDdp2Processes.peakRssMiB),
  };
  process.stderr.write(`dataParallel: dilo 2 processes ${r2(b.dilo2Processes.imgPerSec)} img/s vs PyTorch DDP ${r2(b.pytorchDdp2Processes.imgPerSec)} img/s: ${res.speedRatioVsPytorchDdp}x; vs dilo 1 process x ${o.threads} threads ${r2(b.dilo1Process.imgPerSec)} img/s: ${res.speedRatioVsOneProcess}x\n`);
  return res;
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
