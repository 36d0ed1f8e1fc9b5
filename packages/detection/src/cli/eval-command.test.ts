import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DiloInputError, sharedDataset } from '@dilo/core';
import { runDetect as run, lastJson } from './run-detect.test-util';

const vocCoco = sharedDataset('voc-coco-100');
if (!vocCoco) console.warn('SKIPPED: CLI tests on voc-coco-100 (shared dataset not found; set DILO_SHARED_DATA)');


(vocCoco ? describe : describe.skip)('dilo detect eval', () => {
  const gt1 = () => path.join(vocCoco!, 'coco', 'instances_v1.json');
  const gt2 = () => path.join(vocCoco!, 'coco', 'instances_v2.json');
  const dets = () => path.join(vocCoco!, 'detections', 'coco_dets.json');

  it('--format coco --json prints the 12 COCO numbers; the two COCO exports of the same boxes agree', async () => {
    const a = lastJson(await run(['detect', 'eval', '--format', 'coco', '--gt', gt1(), '--dets', dets(), '--json']));
    const b = lastJson(await run(['detect', 'eval', '--format', 'coco', '--gt', gt2(), '--dets', dets(), '--json']));
    expect(Object.keys(a)).toEqual(['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100', 'ARs', 'ARm', 'ARl']);
    for (const [k, v] of Object.entries(a)) {
      expect(typeof v).toBe('number');
      expect(v as number).toBeGreaterThanOrEqual(0);
      expect(v as number).toBeLessThanOrEqual(1);
      // Different image/category ids and file order, same boxes: same numbers.
      expect([k, b[k]]).toEqual([k, expect.closeTo(v as number, 12)]);
    }
    // Sanity on the definitions: AP50 >= AP >= 0 and AR grows with maxDets.
    expect(a.AP50 as number).toBeGreaterThanOrEqual(a.AP as number);
    expect(a.AR100 as number).toBeGreaterThanOrEqual(a.AR10 as number);
    expect(a.AR10 as number).toBeGreaterThanOrEqual(a.AR1 as number);
  });

  it('ground truth scored as detections gives 1 in both evaluators', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dets-'));
    const gt = JSON.parse(readFileSync(gt2(), 'utf8')) as {
      annotations: { image_id: number; category_id: number; bbox: number[] }[];
      images: { id: number; file_name: string }[];
      categories: { id: number; name: string }[];
    };
    const annotations = gt.annotations;
    const cocoDets = path.join(dir, 'coco.json');
    writeFileSync(cocoDets, JSON.stringify(annotations.map((a, i) => ({ image_id: a.image_id, category_id: a.category_id, bbox: a.bbox, score: 1 - i / 1000 }))));
    const c = lastJson(await run(['detect', 'eval', '--format', 'coco', '--gt', gt2(), '--dets', cocoDets, '--json']));
    for (const k of ['AP', 'AP50', 'AP75', 'AR100']) expect(c[k]).toBeCloseTo(1, 12);
    // VOC: the fixture's COCO x,y equal the devkit xmin,ymin, so box = [x, y, x + w, y + h].
    // A missing detections file is an input error (exit 1 in the CLI).
    const missing = await run(['detect', 'eval', '--format', 'voc', '--gt', vocCoco!, '--dets', path.join(dir, 'voc.json'), '--json']).catch((e: Error) => e);
    expect(missing).toBeInstanceOf(DiloInputError);
    const files = new Map(gt.images.map((im) => [im.id, im.file_name.replace('.jpg', '')]));
    const names = new Map(gt.categories.map((c) => [c.id, c.name]));
    writeFileSync(
      path.join(dir, 'voc.json'),
      JSON.stringify(annotations.map((a) => ({ image: files.get(a.image_id), class: names.get(a.category_id), score: 1, box: [a.bbox[0]!, a.bbox[1]!, a.bbox[0]! + a.bbox[2]!, a.bbox[1]! + a.bbox[3]!] }))),
    );
    const r = lastJson(await run(['detect', 'eval', '--format', 'voc', '--gt', vocCoco!, '--dets', path.join(dir, 'voc.json'), '--json']));
    expect(r.mAP).toBeCloseTo(1, 12);
    expect(r.mAP07).toBeCloseTo(1, 12);
    expect(Object.keys(r.perClass as object)).toHaveLength(20);
  });

  it('--format voc --json: mAP, mAP07 and per-class APs; text mode prints a table', async () => {
    const r = lastJson(await run(['detect', 'eval', '--format', 'voc', '--gt', vocCoco!, '--dets', dets(), '--json']));
    const per = r.perClass as Record<string, { ap: number; ap07: number }>;
    expect(Object.keys(per)).toHaveLength(20);
    const mean = Object.values(per).reduce((s, c) => s + c.ap, 0) / 20;
    expect(r.mAP).toBeCloseTo(mean, 12);
    expect(r.mAP as number).toBeGreaterThan(0);
    expect(r.mAP07 as number).toBeGreaterThan(0);
    const text = await run(['detect', 'eval', '--format', 'voc', '--gt', vocCoco!, '--dets', dets()]);
    expect(text).toMatch(/aeroplane/);
    expect(text).toMatch(/mean/);
    const coco = await run(['detect', 'eval', '--format', 'coco', '--gt', gt1(), '--dets', dets()]);
    expect(coco).toMatch(/Average Precision {2}\(AP\) @\[ IoU=0\.50:0\.95 \| area= {3}all \| maxDets=100 \] = +0\.\d{3}/);
  });

  it('errors name the file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bad-'));
    const bad = path.join(dir, 'dets.json');
    writeFileSync(bad, '[{"image_id": 1, "category_id": 1, "bbox": [0,0,1,1]}]');
    await expect(run(['detect', 'eval', '--format', 'coco', '--gt', gt1(), '--dets', bad, '--json'])).rejects.toThrow(/dets\.json: not a valid COCO results list: at \[0\]\.score/);
  });
});
