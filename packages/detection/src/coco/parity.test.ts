import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Rng, sharedDataset } from '@dilo/core';
import { rleEncode, rleToString, rleDecode } from '../mask/rle';
import { segmentationToRle } from '../mask/segmentation';
import { loadCocoDataset } from './dataset';
import { cocoEvaluate } from './eval';
import { loadCocoResults } from './results';

/**
 * Parity with pycocotools on random inputs (crowds, area fields unlike the boxes, score ties,
 * more than 100 detections, unknown categories, polygons, RLEs). Runs where `python3` (or
 * DILO_PYCOCOTOOLS_PYTHON) can import pycocotools; skipped with a message elsewhere.
 */
const python = process.env.DILO_PYCOCOTOOLS_PYTHON ?? 'python3';
const probe = spawnSync(python, ['-c', 'import pycocotools.cocoeval'], { encoding: 'utf8' });
const hasRef = probe.status === 0;
if (!hasRef) console.warn(`SKIPPED: COCO parity test (${python} cannot import pycocotools; set DILO_PYCOCOTOOLS_PYTHON)`);

const STATS = ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100', 'ARs', 'ARm', 'ARl'] as const;

function randomPolygon(r: Rng, cx: number, cy: number, rad: number): number[] {
  const n = r.intBetween(3, 8);
  const pts: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * (i + r.float() * 0.8)) / n;
    const rr = rad * (0.4 + 0.6 * r.float());
    pts.push(+(cx + rr * Math.cos(a)).toFixed(2), +(cy + rr * Math.sin(a)).toFixed(2));
  }
  return pts;
}

/** One random case: a COCO ground truth and a results list. */
function randomCase(seed: number, segm: boolean): { gt: object; dets: object[] } {
  const r = new Rng(seed, ['coco-parity', segm ? 'segm' : 'bbox']);
  const W = segm ? 64 : 640;
  const H = segm ? 48 : 480;
  const nImg = r.intBetween(1, 6);
  const imgIds = r.permutation(40).slice(0, nImg);
  const catIds = r.permutation(9).slice(0, r.intBetween(1, 4)).map((c) => c + 1);
  const images = imgIds.map((id) => ({ id, file_name: `${id}.jpg`, width: W, height: H }));
  const annotations: Record<string, unknown>[] = [];
  const dets: Record<string, unknown>[] = [];
  let annId = r.bernoulli(0.1) ? 0 : 1; // now and then a gt id 0 (pycocotools' quirk)
  const scale = W / 640;
  for (const img of images) {
    const nGt = r.intBetween(0, 6);
    for (let g = 0; g < nGt; g++) {
      const cat = catIds[r.int(catIds.length)]!;
      const iscrowd = r.bernoulli(0.15) ? 1 : 0;
      const w = Math.max(1, r.bernoulli(0.3) ? r.uniform(2, 30) * scale * 3 : r.uniform(5, 300) * scale);
      const h = Math.max(1, r.bernoulli(0.3) ? r.uniform(2, 30) * scale * 3 : r.uniform(5, 300) * scale);
      const x = r.uniform(-10, W - 5);
      const y = r.uniform(-10, H - 5);
      const round = r.bernoulli(0.5);
      const bbox = round ? [Math.round(x), Math.round(y), Math.round(w) || 1, Math.round(h) || 1] : [x, y, w, h];
      const ann: Record<string, unknown> = { id: annId++, image_id: img.id, category_id: cat, bbox, iscrowd };
      if (segm) {
        if (iscrowd && r.bernoulli(0.5)) {
          const m = new Uint8Array(W * H).map(() => (r.bernoulli(0.3) ? 1 : 0));
          ann.segmentation = { size: [H, W], counts: Array.from(rleEncode(m, H, W).cnts) };
        } else {
          const parts = r.bernoulli(0.2) ? 2 : 1;
          ann.segmentation = Array.from({ length: parts }, () => randomPolygon(r, x + w / 2, y + h / 2, Math.max(w, h) / 2));
        }
      }
      // The area field usually matches, sometimes not (COCO's ranges read the field).
      ann.area = r.bernoulli(0.7) ? bbox[2]! * bbox[3]! : r.uniform(0, 20000) * scale * scale;
      annotations.push(ann);
      // Detections near this object: jittered copies with various overlaps.
      const nNear = r.intBetween(0, 3);
      for (let k = 0; k < nNear; k++) {
        const j = r.uniform(0, 0.5);
        const db = [bbox[0]! + r.normal(0, j * bbox[2]!), bbox[1]! + r.normal(0, j * bbox[3]!), bbox[2]! * (1 + r.normal(0, j)), bbox[3]! * (1 + r.normal(0, j))].map((v) => Math.abs(v));
        dets.push({ image_id: img.id, category_id: r.bernoulli(0.9) ? cat : catIds[r.int(catIds.length)]!, bbox: db, _poly: segm ? randomPolygon(r, db[0]! + db[2]! / 2, db[1]! + db[3]! / 2, Math.max(db[2]!, db[3]!) / 2) : undefined });
      }
    }
    const nRand = r.bernoulli(0.05) ? 110 : r.intBetween(0, 8);
    for (let k = 0; k < nRand; k++) {
      const db = [r.uniform(0, W), r.uniform(0, H), r.uniform(1, 200) * scale, r.uniform(1, 200) * scale];
      const cat = r.bernoulli(0.1) ? 99 : catIds[r.int(catIds.length)]!; // 99: not in the ground truth
      dets.push({ image_id: img.id, category_id: cat, bbox: db, _poly: segm ? randomPolygon(r, db[0]! + db[2]! / 2, db[1]! + db[3]! / 2, Math.max(db[2]!, db[3]!) / 2) : undefined });
    }
  }
  if (dets.length === 0) dets.push({ image_id: imgIds[0]!, category_id: catIds[0]!, bbox: [1, 1, 10, 10], _poly: segm ? [1, 1, 1, 11, 11, 11, 11, 1] : undefined });
  const ties = r.bernoulli(0.5);
  const withBoxes = segm && r.bernoulli(0.25); // segm results that also carry a box: loadRes takes area = w*h
  const out = dets.map((d) => {
    const score = ties ? Math.round(r.float() * 5) / 5 : r.float();
    if (!segm) return { image_id: d.image_id, category_id: d.category_id, bbox: d.bbox, score };
    const R = segmentationToRle([d._poly as number[]], H, W);
    const seg = { size: [H, W], counts: rleToString(rleEncode(rleDecode(R), H, W)) };
    return withBoxes ? { image_id: d.image_id, category_id: d.category_id, bbox: d.bbox, segmentation: seg, score } : { image_id: d.image_id, category_id: d.category_id, segmentation: seg, score };
  });
  return { gt: { images, categories: [...catIds, 7].filter((c, i, a) => a.indexOf(c) === i).map((id) => ({ id, name: `c${id}` })), annotations }, dets: out };
}

function runReference(dir: string, cases: { gt: string; dets: string; iouType: string }[]): number[][] {
  writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(cases));
  const ref = spawnSync(python, [path.join(__dirname, '../../bench/coco_parity_ref.py'), path.join(dir, 'cases.json')], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (ref.status !== 0) throw new Error(`pycocotools run failed: ${ref.stderr}`);
  return JSON.parse(ref.stdout) as number[][];
}

(hasRef ? describe : describe.skip)('COCO evaluator parity with pycocotools on random cases', () => {
  it.each([
    ['bbox', 300],
    ['segm', 100],
  ] as const)('%s: %i cases within 1e-9', (iouType, n) => {
    const dir = mkdtempSync(path.join(tmpdir(), `coco-parity-${iouType}-`));
    const cases = Array.from({ length: n }, (_, i) => {
      const c = randomCase(i, iouType === 'segm');
      const gt = path.join(dir, `gt${i}.json`);
      const dets = path.join(dir, `dets${i}.json`);
      writeFileSync(gt, JSON.stringify(c.gt));
      writeFileSync(dets, JSON.stringify(c.dets));
      return { gt, dets, iouType };
    });
    const want = runReference(dir, cases);
    let maxDiff = 0;
    const bad: string[] = [];
    cases.forEach((c, i) => {
      const gt = loadCocoDataset(c.gt);
      const s = cocoEvaluate(gt, loadCocoResults(c.dets, gt), iouType).stats;
      STATS.forEach((k, j) => {
        const d = Math.abs(s[k] - want[i]![j]!);
        maxDiff = Math.max(maxDiff, d);
        if (!(d <= 1e-9)) bad.push(`case ${i} ${k}: dilo ${s[k]} pycocotools ${want[i]![j]}`);
      });
    });
    console.log(`${iouType}: ${n} random cases, max |dilo - pycocotools| = ${maxDiff}`);
    expect(bad.slice(0, 10)).toEqual([]);
  });
});

const vocCoco = sharedDataset('voc-coco-100');
const instSeg = sharedDataset('coco-instseg-3');
(hasRef && vocCoco && instSeg ? describe : describe.skip)('COCO evaluator parity with pycocotools on the shared fixtures', () => {
  it('voc-coco-100 example detections (bbox, both COCO exports) and coco-instseg-3 (segm)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'coco-parity-shared-'));
    const cases: { gt: string; dets: string; iouType: 'bbox' | 'segm' }[] = [];
    for (const f of ['instances_v1.json', 'instances_v2.json']) {
      const gtFile = path.join(vocCoco!, 'coco', f);
      // The example detections are dataset-style: written as a plain results list for pycocotools.
      const dets = loadCocoResults(path.join(vocCoco!, 'detections', 'coco_dets.json'), loadCocoDataset(gtFile));
      const file = path.join(dir, `dets-${f}`);
      writeFileSync(file, JSON.stringify(dets.map((d) => ({ image_id: d.image_id, category_id: d.category_id, bbox: d.bbox, score: d.score }))));
      cases.push({ gt: gtFile, dets: file, iouType: 'bbox' });
    }
    // coco-instseg-3: its polygons, shifted by a pixel, as RLE results.
    const segGt = path.join(instSeg!, 'annotations.json');
    const gt = loadCocoDataset(segGt);
    const segDets = gt.annotations.map((a, i) => {
      const img = gt.imgs.get(a.image_id)!;
      const polys = (a.segmentation as number[][]).map((p) => p.map((v, j) => (j % 2 === 0 ? v + 1 + (i % 3) : v)));
      const R = segmentationToRle(polys, img.height, img.width);
      return { image_id: a.image_id, category_id: a.category_id, segmentation: { size: [R.h, R.w], counts: rleToString(R) }, score: 1 - i / 20 };
    });
    writeFileSync(path.join(dir, 'seg-dets.json'), JSON.stringify(segDets));
    cases.push({ gt: segGt, dets: path.join(dir, 'seg-dets.json'), iouType: 'segm' }, { gt: segGt, dets: path.join(dir, 'seg-dets.json'), iouType: 'bbox' });
    const want = runReference(dir, cases);
    cases.forEach((c, i) => {
      const g = loadCocoDataset(c.gt);
      const s = cocoEvaluate(g, loadCocoResults(c.dets, g), c.iouType).stats;
      console.log(`${path.basename(c.gt)} ${c.iouType}: ${JSON.stringify(s)}`);
      STATS.forEach((k, j) => expect([i, k, s[k]]).toEqual([i, k, expect.closeTo(want[i]![j]!, 12)]));
    });
  });
});
