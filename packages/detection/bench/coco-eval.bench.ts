/**
 * COCO bbox evaluation speed on a synthetic COCO-val-like case (80 categories, about 7 objects
 * and 100 detections per image), dilo against pycocotools when `python3` (or
 * DILO_PYCOCOTOOLS_PYTHON) imports it. Images: BENCH_IMAGES (default 1000). Last line: JSON.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Rng } from '@dilo/core';
import { cocoEvaluate, loadCocoDataset, loadCocoResults } from '../src/index';

const nImages = Number(process.env.BENCH_IMAGES ?? 1000);
const r = new Rng(0, ['coco-eval-bench']);
const images = Array.from({ length: nImages }, (_, i) => ({ id: i + 1, file_name: `${i + 1}.jpg`, width: 640, height: 480 }));
const categories = Array.from({ length: 80 }, (_, i) => ({ id: i + 1, name: `c${i + 1}` }));
const annotations: object[] = [];
const dets: object[] = [];
for (const im of images) {
  const objs: number[][] = [];
  for (let g = 0, n = r.intBetween(1, 14); g < n; g++) {
    const w = Math.exp(r.uniform(Math.log(4), Math.log(500)));
    const h = Math.exp(r.uniform(Math.log(4), Math.log(400)));
    const bbox = [r.uniform(0, 640 - Math.min(w, 639)), r.uniform(0, 480 - Math.min(h, 479)), w, h];
    const cat = r.intBetween(1, 80);
    objs.push([...bbox, cat]);
    annotations.push({ id: annotations.length + 1, image_id: im.id, category_id: cat, bbox, area: w * h * r.uniform(0.5, 1), iscrowd: r.bernoulli(0.01) ? 1 : 0 });
  }
  for (let d = 0; d < 100; d++) {
    const o = objs[r.int(objs.length)]!;
    const near = r.bernoulli(0.6);
    const j = r.uniform(0, 0.3);
    const bbox = near ? [o[0]! + r.normal(0, j * o[2]!), o[1]! + r.normal(0, j * o[3]!), o[2]! * (1 + Math.abs(r.normal(0, j))), o[3]! * (1 + Math.abs(r.normal(0, j)))] : [r.uniform(0, 600), r.uniform(0, 440), r.uniform(4, 300), r.uniform(4, 300)];
    dets.push({ image_id: im.id, category_id: near ? o[4]! : r.intBetween(1, 80), bbox, score: r.float() });
  }
}
const dir = mkdtempSync(path.join(tmpdir(), 'coco-eval-bench-'));
const gtFile = path.join(dir, 'gt.json');
const detFile = path.join(dir, 'dets.json');
writeFileSync(gtFile, JSON.stringify({ images, categories, annotations }));
writeFileSync(detFile, JSON.stringify(dets));

const t0 = performance.now();
const gt = loadCocoDataset(gtFile);
const res = cocoEvaluate(gt, loadCocoResults(detFile, gt), 'bbox');
const diloSeconds = (performance.now() - t0) / 1000;
process.stderr.write(`dilo: ${diloSeconds.toFixed(2)} s for ${nImages} images, ${annotations.length} objects, ${dets.length} detections\n`);

const python = process.env.DILO_PYCOCOTOOLS_PYTHON ?? 'python3';
const peer = spawnSync(python, [path.join(__dirname, '../../../bench/coco_eval_peer.py'), gtFile, detFile], { encoding: 'utf8', maxBuffer: 1 << 26 });
let pycocotoolsSeconds: number | null = null;
let maxAbsDiff: number | null = null;
let peerNote = 'pycocotools';
if (peer.status === 0) {
  const p = JSON.parse(peer.stdout.trim().split('\n').pop()!) as { seconds: number; stats: number[] };
  pycocotoolsSeconds = p.seconds;
  maxAbsDiff = Math.max(...Object.values(res.stats).map((v, i) => Math.abs(v - p.stats[i]!)));
  process.stderr.write(`pycocotools: ${p.seconds.toFixed(2)} s\n`);
} else {
  peerNote = `pycocotools unavailable (${python}): ${peer.stderr.trim().split('\n').pop() ?? ''}`;
  process.stderr.write(`${peerNote}\n`);
}
console.log(
  JSON.stringify({
    images: nImages,
    objects: annotations.length,
    detections: dets.length,
    diloSeconds: +diloSeconds.toFixed(3),
    pycocotoolsSeconds: pycocotoolsSeconds === null ? null : +pycocotoolsSeconds.toFixed(3),
    speedupVsPycocotools: pycocotoolsSeconds === null ? null : +(pycocotoolsSeconds / diloSeconds).toFixed(2),
    maxAbsDiff,
    peer: peerNote,
    AP: res.stats.AP,
  }),
);
