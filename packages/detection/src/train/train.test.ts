import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectBackend, sharedDataset } from '@dilo/core';
import { registerWasmTrainingKernels } from '@dilo/contrastive';
import { loadVocDataset } from '../voc/dataset';
import { vocEvaluate } from '../voc/eval';
import { VOC_CLASSES } from '../voc/classes';
import { loadDetector } from './checkpoint';
import { loadDetectionData } from './data';
import { predictRecords, toVocDetections } from './predict';
import { resolveTrainConfig, trainDetector } from './train';

const ITERS = Number(process.env.SMOKE_ITERS ?? 150);
const IMAGES = ['2007_000027', '2007_000039', '2007_000042', '2007_000068'];
const voc = sharedDataset('voc-coco-100');
const maybe = voc ? test : test.skip;
if (!voc) console.warn('detection overfit smoke skipped: ../shared/data/voc-coco-100 is missing');

maybe('Faster R-CNN C4 (resnet18 x0.25, random init) overfits 4 VOC images', async () => {
  await selectBackend({ backend: 'wasm', log: false });
  registerWasmTrainingKernels();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-det-'));
  try {
    // a VOC folder of 4 images, linked (not copied) from the shared fixture
    for (const sub of ['Annotations', 'JPEGImages']) mkdirSync(path.join(dir, 'voc', sub), { recursive: true });
    for (const id of IMAGES) {
      symlinkSync(path.join(voc!, 'Annotations', `${id}.xml`), path.join(dir, 'voc', 'Annotations', `${id}.xml`));
      symlinkSync(path.join(voc!, 'JPEGImages', `${id}.jpg`), path.join(dir, 'voc', 'JPEGImages', `${id}.jpg`));
    }
    const run = path.join(dir, 'run');
    const cfg = resolveTrainConfig({
      data: `voc:${path.join(dir, 'voc')}`, init: 'random', arch: 'resnet18', width: Number(process.env.SMOKE_WIDTH ?? 0.25), iters: ITERS, batch: 1,
      shortSides: [128], maxSize: 256, lr: Number(process.env.SMOKE_LR ?? 0.02), warmupIters: 20, rpnBatchPerImage: 64, roiBatchPerImage: Number(process.env.SMOKE_ROI ?? 32), freezeAt: 0, trainProposals: 300, testProposals: 100, seed: 0, checkpointEvery: 1000,
    });
    const t0 = Date.now();
    const r = await trainDetector(run, cfg, { resume: false, quiet: false });
    const trainS = (Date.now() - t0) / 1000;
    const { model } = await loadDetector(run);
    const data = loadDetectionData(cfg.data);
    const dets = await predictRecords(model, data.records, { short: 128, maxSize: 256, quiet: true });
    const ev = vocEvaluate(loadVocDataset(path.join(dir, 'voc')), toVocDetections(dets, data.classNames), { classes: VOC_CLASSES });
    console.log(JSON.stringify({ trainS, imgPerSec: r.imgPerSec, lastLoss: r.lastLoss, mAP: ev.mAP, mAP07: ev.mAP07, perClass: Object.fromEntries(Object.entries(ev.perClass).filter(([, v]) => v.npos > 0).map(([k, v]) => [k, v.ap])) }));
    model.dispose();
    writeFileSync('/tmp/det-smoke.txt', JSON.stringify(ev));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 600_000);
