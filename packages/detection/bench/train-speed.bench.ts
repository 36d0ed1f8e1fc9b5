/**
 * Detection training speed (img/s): `dilo detect train`'s loop on the VOC images of voc-coco-100
 * against a torchvision 0.14 Faster R-CNN C4 built from the same parts (faster_rcnn_c4_torch.py,
 * /usr/bin/python3), same backbone, sizes and sampling counts, run one after the other in this
 * invocation. The first iteration of each is not timed. Env: BENCH_ARCH (resnet18), BENCH_WIDTH
 * (0.25), BENCH_SHORT (128), BENCH_MAX (256), BENCH_ITERS (10), BENCH_BATCH (1), BENCH_RPN (64),
 * BENCH_ROI (32), BENCH_PROPOSALS (300), DILO_THREADS (tfjs-wasm and torch threads, default 2).
 * Last stdout line: JSON.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { defaultThreads, printJsonResult, selectBackend, sharedDataset } from '@dilo/core';
import { registerWasmTrainingKernels } from '@dilo/contrastive';
import { resolveTrainConfig, trainDetector } from '../src/index';

async function main(): Promise<void> {
  const voc = sharedDataset('voc-coco-100');
  if (!voc) throw new Error('../shared/data/voc-coco-100 is missing');
  const e = process.env;
  const arch = (e.BENCH_ARCH ?? 'resnet18') as 'resnet18' | 'resnet50';
  const width = Number(e.BENCH_WIDTH ?? 0.25);
  const short = Number(e.BENCH_SHORT ?? 128);
  const maxSize = Number(e.BENCH_MAX ?? 256);
  const iters = Number(e.BENCH_ITERS ?? 10);
  const batch = Number(e.BENCH_BATCH ?? 1);
  const rpn = Number(e.BENCH_RPN ?? 64);
  const roi = Number(e.BENCH_ROI ?? 32);
  const proposals = Number(e.BENCH_PROPOSALS ?? 300);
  const threads = defaultThreads();
  const backend = await selectBackend({ backend: 'wasm', threads });
  registerWasmTrainingKernels();
  const run = mkdtempSync(path.join(tmpdir(), 'dilo-det-bench-'));
  try {
    const cfg = resolveTrainConfig({ data: `voc:${voc}`, init: 'random', arch, width, iters: iters + 1, batch, shortSides: [short], maxSize, rpnBatchPerImage: rpn, roiBatchPerImage: roi, trainProposals: proposals, freezeAt: 0, checkpointEvery: 1_000_000 });
    const r = await trainDetector(run, cfg, { resume: false, quiet: true });
    const its = readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; t: string }).filter((x) => x.event === 'iter');
    const timed = (Date.parse(its[its.length - 1]!.t) - Date.parse(its[0]!.t)) / 1000;
    const dilo = { imgPerSec: (iters * batch) / timed, seconds: timed, cpuSeconds: r.cpuSeconds, backend: `${backend.backend} (${backend.threads} threads)` };
    let peer: { imgPerSec: number; seconds: number } | null = null;
    const py = '/usr/bin/python3';
    if (existsSync(py)) {
      const p = spawnSync(py, [path.join(__dirname, '../../../bench/faster_rcnn_c4_torch.py'), voc, arch, String(width), String(short), String(maxSize), String(iters), String(batch), String(rpn), String(roi), String(proposals), String(threads)], { encoding: 'utf8' });
      if (p.status === 0) peer = JSON.parse(p.stdout.trim().split('\n').pop()!) as { imgPerSec: number; seconds: number };
      else process.stderr.write(`peer failed: ${p.stderr}\n`);
    }
    printJsonResult({ config: { arch, width, short, maxSize, iters, batch, rpnBatch: rpn, roiBatch: roi, proposals, threads }, dilo, torchvision: peer, diloOverTorch: peer ? dilo.imgPerSec / peer.imgPerSec : null });
  } finally {
    rmSync(run, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
