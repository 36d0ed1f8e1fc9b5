/**
 * `nx run augment:bench`: decode + DiLo paste + two MoCo v2 views at 224 on
 * imagenette-224-subset, dilo against torchvision 0.14 + PIL (/usr/bin/python3) doing the same
 * work on the same images, on one core (both pinned with taskset to one CPU, torch with one
 * thread, dilo with no worker threads) and on all cores (dilo worker threads, torch DataLoader
 * workers), side by side and interleaved, `--rounds` times; each figure is the best round
 * (the least disturbed by other jobs on a shared machine), and the one-core runs are also
 * reported per CPU-second used. The first epoch is warm-up on both sides and not timed (dilo
 * compiles one pixel loop per colour-op sequence on first use). Last stdout line: one JSON
 * object.
 *
 * Options: --images N (first N train images, default 384) --epochs E (default 3, the first
 * untimed) --rounds R (default 2) --maps DIR (saliency maps; default: stand-in centred
 * Gaussian blobs).
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { imageFolder, pairMasks, printJsonResult, sharedDataset, writeFileAtomic, type Manifest } from '@dilo/core';
import { ensureBlobMaps } from './blob-maps';

const run = promisify(execFile);

function opt(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

interface Measured {
  imgPerSec: number;
  /** dilo only: which view kernels ran */
  kernels?: string;
  /** images per CPU-second of the measuring process (all its threads) */
  imgPerCpuSec: number;
}

async function measure(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Measured> {
  const { stdout } = await run(cmd, args, { maxBuffer: 1 << 24, env: { ...process.env, OMP_NUM_THREADS: '1', ...env } });
  const last = stdout.trim().split('\n').pop() as string;
  return JSON.parse(last) as Measured;
}

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const data = sharedDataset('imagenette-224-subset');
  if (!data) throw new Error('imagenette-224-subset not found under the shared data folder (set DILO_SHARED_DATA)');
  const nImages = Number(opt('images') ?? 384);
  const epochs = opt('epochs') ?? '3';
  const rounds = Number(opt('rounds') ?? 2);
  const cores = os.availableParallelism();
  let m: Manifest = await imageFolder(path.join(data, 'train'));
  m = { ...m, samples: m.samples.slice(0, nImages) };
  const mapsDir = opt('maps');
  let maps: string;
  if (mapsDir) {
    const paired = await pairMasks(m, mapsDir);
    if (paired.issues.length) throw new Error(`${paired.issues.length} images have no usable map under ${mapsDir}, e.g. ${paired.issues[0].file}: ${paired.issues[0].detail}`);
    m = paired;
    maps = mapsDir;
  } else {
    // no saliency maps for this set yet: a deterministic stand-in (same work for both sides)
    const dir = path.join(os.tmpdir(), 'dilo-augment-bench', 'blob-maps-v1');
    m = await ensureBlobMaps(m, dir);
    maps = 'centred Gaussian blob stand-ins (sigma = side/4), generated once under ' + dir;
  }
  const list = path.join(os.tmpdir(), 'dilo-augment-bench', `list-${process.pid}.tsv`);
  await writeFileAtomic(list, m.samples.map((s) => `${s.image}\t${s.mask}`).join('\n') + '\n');
  const pkg = path.resolve(__dirname, '..', '..');
  const BATCH = 32;
  const warmup = String(Math.floor(m.samples.length / BATCH)); // one epoch
  const common = (workers: number): string[] => [list, '--workers', String(workers), '--epochs', epochs, '--size', '224', '--batch', String(BATCH), '--warmup', warmup];
  const nodeArgs = (workers: number): string[] => [path.join(__dirname, 'throughput.js'), ...common(workers)];
  const pyArgs = (workers: number): string[] => [path.join(pkg, 'bench', 'torchvision_bench.py'), ...common(workers)];
  const best = { dilo1: 0, tv1: 0, diloAll: 0, tvAll: 0, diloTs1: 0 };
  const all: Record<string, number[]> = { dilo1: [], tv1: [], diloAll: [], tvAll: [], diloTs1: [] };
  let kernels = 'unknown';
  const cpu: Record<'dilo1' | 'tv1', number[]> = { dilo1: [], tv1: [] };
  for (let r = 0; r < rounds; r++) {
    // alternate who goes first, so slow drifts in machine load hit both sides alike
    // diloTs1: dilo on its TypeScript view kernels (the fallback without the native addon)
    const steps: [keyof typeof best, string, string[], Record<string, string>][] = [
      ['dilo1', 'taskset', ['-c', '0', process.execPath, ...nodeArgs(0)], {}],
      ['tv1', 'taskset', ['-c', '0', '/usr/bin/python3', ...pyArgs(0)], {}],
      ['diloAll', process.execPath, nodeArgs(cores), {}],
      ['tvAll', '/usr/bin/python3', pyArgs(cores), {}],
      ['diloTs1', 'taskset', ['-c', '0', process.execPath, ...nodeArgs(0)], { DILO_AUGMENT_NATIVE: '0' }],
    ];
    if (r % 2 === 1) steps.reverse();
    for (const [name, cmd, args, env] of steps) {
      const m = await measure(cmd, args, env);
      if (name === 'dilo1' && m.kernels) kernels = m.kernels;
      const v = m.imgPerSec;
      all[name].push(+v.toFixed(1));
      best[name] = Math.max(best[name], v);
      if (name === 'dilo1' || name === 'tv1') cpu[name].push(+m.imgPerCpuSec.toFixed(1));
      process.stderr.write(`round ${r + 1}/${rounds} ${name}: ${v.toFixed(1)} img/s (${m.imgPerCpuSec.toFixed(1)} per CPU-second)\n`);
    }
  }
  await fs.rm(list, { force: true });
  const load = os.loadavg()[0];
  printJsonResult({
    task: 'decode + DiLo paste (p 0.3, grey, map blur p 0.5 r 5) + two MoCo v2 views at 224, batch 32',
    timed: `epochs 2..${epochs} (epoch 1 is warm-up)`,
    dataset: 'imagenette-224-subset/train',
    images: m.samples.length,
    maps,
    cores,
    cpu: os.cpus()[0]?.model,
    loadAvg1m: +load.toFixed(2),
    rounds: all,
    kernels,
    diloImgPerSec1Core: +best.dilo1.toFixed(1),
    diloTypescriptKernelsImgPerSec1Core: +best.diloTs1.toFixed(1),
    diloImgPerSecAllCores: +best.diloAll.toFixed(1),
    torchvisionImgPerSec1Core: +best.tv1.toFixed(1),
    torchvisionImgPerSecAllCores: +best.tvAll.toFixed(1),
    ratioPerCore: +(best.dilo1 / best.tv1).toFixed(2),
    // one-core throughput per CPU-second used (robust to time stolen by other jobs)
    cpuTime1Core: cpu,
    diloImgPerCpuSec1Core: median(cpu.dilo1),
    torchvisionImgPerCpuSec1Core: median(cpu.tv1),
    ratioPerCoreCpuTime: +(median(cpu.dilo1) / median(cpu.tv1)).toFixed(2),
    ratioAllCores: +(best.diloAll / best.tvAll).toFixed(2),
    ratioNativeOverTypescriptKernels1Core: +(best.dilo1 / best.diloTs1).toFixed(2),
  });
}

main().catch((err) => {
  process.stderr.write(`augment bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
