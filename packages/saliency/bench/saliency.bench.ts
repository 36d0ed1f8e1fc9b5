/**
 * `nx run saliency:bench`: quality (MAE, max-F, S, E) and speed (images per second, one core, whole
 * method including SLIC, decode excluded) of every estimator on SOD (300 images), with OpenCV's
 * saliency module and scikit-image SLIC timed side by side in the same run, and each method also
 * timed on its TypeScript kernels (the fallback when the native addon is missing; same maps).
 * SAL_BENCH_LIMIT=n uses the first n images. Last stdout line: one JSON object.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { decodeImage, decodeMask, imageMaskFolder, printJsonResult, sharedDataset, type GrayImage, type RgbImage } from '@dilo/core';
import { evaluateFolders, ft, gs, mbd, mc, rbd, SaliencyEvaluator, slic, sr } from '../src/index';
import { nativeSaliencyKernels, withTypeScriptKernels } from '../src/native';

const METHODS: Record<string, (img: RgbImage) => GrayImage> = { rbd, gs, mc, mbd, ft, sr };

/** Targets of issue 3 (reference under Octave on the same images, and speeds at 481x321). */
const QUALITY_TARGETS: Record<string, { maxF: number; mae: number }> = {
  rbd: { maxF: 0.656 - 0.02, mae: 0.228 + 0.02 },
  gs: { maxF: 0.629 - 0.02, mae: 0.25 + 0.02 },
  mc: { maxF: 0.659 - 0.02, mae: 0.262 + 0.02 },
};
const SPEED_TARGETS: Record<string, number> = { rbd: 20, gs: 15, mc: 15, mbd: 100, ft: 300, sr: 300 };

const r4 = (v: number): number => +v.toFixed(4);

async function main(): Promise<void> {
  const sod = sharedDataset('sod');
  if (!sod) {
    process.stderr.write('SKIPPED: shared dataset sod not found (set DILO_SHARED_DATA)\n');
    printJsonResult({ skipped: 'sod dataset not found' });
    return;
  }
  const limit = Number(process.env.SAL_BENCH_LIMIT ?? 0);
  const manifest = await imageMaskFolder(sod);
  const samples = limit > 0 ? manifest.samples.slice(0, limit) : manifest.samples;
  const load0 = loadavg()[0];
  process.stderr.write(`saliency bench: ${samples.length} SOD images, load average ${load0.toFixed(2)} on ${cpus().length} CPUs (${cpus()[0]?.model})\n`);

  let t = process.hrtime.bigint();
  const images: RgbImage[] = [];
  const masks: GrayImage[] = [];
  for (const s of samples) {
    images.push(await decodeImage(s.image));
    masks.push(await decodeMask(s.mask as string));
  }
  const decodeSeconds = Number(process.hrtime.bigint() - t) / 1e9;

  const methods: Record<string, Record<string, number>> = {};
  for (const [name, fn] of Object.entries(METHODS)) {
    for (const im of images.slice(0, 3)) fn(im); // warm up the JIT
    const ev = new SaliencyEvaluator();
    let seconds = 0;
    for (let i = 0; i < images.length; i++) {
      t = process.hrtime.bigint();
      const map = fn(images[i]);
      seconds += Number(process.hrtime.bigint() - t) / 1e9;
      ev.add(map, masks[i]);
    }
    const s = ev.result();
    // the same method on the TypeScript kernels, speed only (the maps are the same bits: native.test.ts)
    let tsSeconds = NaN;
    if (nativeSaliencyKernels()) {
      withTypeScriptKernels(() => images.slice(0, 3).forEach((im) => fn(im)));
      t = process.hrtime.bigint();
      withTypeScriptKernels(() => images.forEach((im) => fn(im)));
      tsSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    }
    methods[name] = {
      imagesPerSecond: +(images.length / seconds).toFixed(2),
      typescriptImagesPerSecond: +(images.length / tsSeconds).toFixed(2),
      mae: r4(s.mae), maxF: r4(s.maxF), meanF: r4(s.meanF), adaptiveF: r4(s.adaptiveF), S: r4(s.S), E: r4(s.E) };
    process.stderr.write(`  ${name.padEnd(4)} ${JSON.stringify(methods[name])}\n`);
  }
  for (const im of images.slice(0, 3)) slic(im);
  t = process.hrtime.bigint();
  for (const im of images) slic(im);
  const slicIps = images.length / (Number(process.hrtime.bigint() - t) / 1e9);

  // peers, same images, same run
  const tmp = mkdtempSync(path.join(tmpdir(), 'dilo-sal-bench-'));
  let peers: Record<string, unknown> = {};
  try {
    const imagesDir = path.join(sod, 'images');
    const out = execFileSync('/usr/bin/python3', [path.join(__dirname, '..', '..', '..', 'bench', 'peers.py'), imagesDir, tmp], {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
      maxBuffer: 1 << 24,
    });
    peers = JSON.parse(out.trim().split('\n').pop() as string) as Record<string, unknown>;
    for (const key of ['opencvSR', 'opencvFineGrained']) {
      const r = await evaluateFolders({ pred: path.join(tmp, key), gt: path.join(sod, 'masks') });
      const s = r.scores;
      Object.assign(peers[key] as object, { mae: r4(s.mae), maxF: r4(s.maxF), S: r4(s.S), E: r4(s.E), n: s.n });
    }
  } catch (err) {
    peers = { error: (err as Error).message };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const ips = (k: string): number => ((peers[k] as { imagesPerSecond?: number } | undefined)?.imagesPerSecond ?? NaN);

  const qualityTargets = Object.fromEntries(
    Object.entries(QUALITY_TARGETS).map(([k, q]) => [k, { maxFMin: r4(q.maxF), maeMax: r4(q.mae), met: methods[k].maxF >= q.maxF && methods[k].mae <= q.mae }]),
  );
  const speedTargets = Object.fromEntries(Object.entries(SPEED_TARGETS).map(([k, v]) => [k, { target: v, met: methods[k].imagesPerSecond >= v }]));
  printJsonResult({
    dataset: 'sod',
    n: images.length,
    kernels: nativeSaliencyKernels() ? 'native' : 'typescript',
    machine: { cpu: cpus()[0]?.model, cpus: cpus().length, loadAverageStart: +load0.toFixed(2), loadAverageEnd: +loadavg()[0].toFixed(2) },
    decodeImagesPerSecond: +(images.length / decodeSeconds).toFixed(1),
    methods,
    slicImagesPerSecond: +slicIps.toFixed(2),
    peers: Object.fromEntries(Object.entries(peers).map(([k, v]) => [k, typeof v === 'object' && v ? Object.fromEntries(Object.entries(v).map(([a, b]) => [a, typeof b === 'number' ? r4(b) : b])) : v])),
    ratios: {
      slicVsSkimageSlic: r4(slicIps / ips('skimageSlic')),
      rbdVsSkimageSlicAlone: r4(methods.rbd.imagesPerSecond / ips('skimageSlic')),
      srVsOpencvSR: r4(methods.sr.imagesPerSecond / ips('opencvSR')),
      mbdVsOpencvFineGrained: r4(methods.mbd.imagesPerSecond / ips('opencvFineGrained')),
    },
    qualityTargets,
    speedTargets,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`saliency bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
