import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DiloUsageError, sharedDataset } from '@dilo/core';
import { readCheckpoint } from '@dilo/contrastive';
import { runDetect as run, lastJson } from './run-detect.test-util';

const voc = sharedDataset('voc-coco-100');
if (!voc) console.warn('SKIPPED: detect train/predict CLI tests (../shared/data/voc-coco-100 not found)');


(voc ? describe : describe.skip)('dilo detect train / predict', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dilo-det-cli-'));
    for (const sub of ['Annotations', 'JPEGImages']) mkdirSync(path.join(dir, 'voc', sub), { recursive: true });
    for (const id of ['2007_000027', '2007_000039']) {
      symlinkSync(path.join(voc!, 'Annotations', `${id}.xml`), path.join(dir, 'voc', 'Annotations', `${id}.xml`));
      symlinkSync(path.join(voc!, 'JPEGImages', `${id}.jpg`), path.join(dir, 'voc', 'JPEGImages', `${id}.jpg`));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // a tiny detector so that the CLI path (checkpoints, resume, predict, eval) runs in seconds
  const common = () => ['--data', `voc:${path.join(dir, 'voc')}`, '--init', 'random', '--arch', 'resnet18', '--width', '0.0625', '--batch', '2', '--short-sides', '64,80', '--max-size', '128', '--rpn-batch', '32', '--roi-batch', '8', '--train-proposals', '50', '--test-proposals', '20', '--freeze-at', '0', '--backend', 'wasm', '--quiet', '--json'];

  it('a run interrupted and resumed ends with the same weights and optimizer state as an uninterrupted one', async () => {
    const straight = path.join(dir, 'straight');
    const split = path.join(dir, 'split');
    const r = lastJson(await run(['detect', 'train', ...common(), '--iters', '4', '--out', straight]));
    expect(r.iters).toBe(4);
    await run(['detect', 'train', ...common(), '--iters', '4', '--stop-after', '2', '--out', split]);
    await expect(run(['detect', 'train', ...common(), '--iters', '4', '--out', split])).rejects.toThrow(DiloUsageError);
    const resumed = lastJson(await run(['detect', 'train', '--resume', '--out', split, '--backend', 'wasm', '--quiet', '--json']));
    expect(resumed).toMatchObject({ iters: 4, startIter: 2 });
    const a = await readCheckpoint(path.join(straight, 'checkpoints', 'last.dckpt'));
    const b = await readCheckpoint(path.join(split, 'checkpoints', 'last.dckpt'));
    expect([...b.tensors.keys()]).toEqual([...a.tensors.keys()]);
    expect([...a.tensors.keys()].some((k) => k.startsWith('optimizer.momentum_buffer.'))).toBe(true);
    for (const [k, t] of a.tensors) expect(Array.from(b.tensors.get(k)!.data)).toEqual(Array.from(t.data));
    const log = readFileSync(path.join(split, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; iter?: number });
    expect(log.filter((e) => e.event === 'iter').map((e) => e.iter)).toEqual([1, 2, 3, 4]);

    // predict writes dataset-style COCO detections for VOC data, which detect eval reads
    const dets = path.join(dir, 'dets.json');
    const p = lastJson(await run(['detect', 'predict', '--model', straight, '--data', `voc:${path.join(dir, 'voc')}`, '--out', dets, '--short', '64', '--score-thresh', '0', '--backend', 'wasm', '--quiet', '--json']));
    expect(p.images).toBe(2);
    const written = JSON.parse(readFileSync(dets, 'utf8')) as { images: unknown[]; categories: { name: string }[]; annotations: { bbox: number[]; score: number }[] };
    expect(written.categories).toHaveLength(20);
    expect(written.annotations.length).toBe(p.detections);
    for (const d of written.annotations) expect(d.bbox[2]! >= 0 && d.bbox[3]! >= 0 && d.score >= 0 && d.score <= 1).toBe(true);
    const ev = lastJson(await run(['detect', 'eval', '--format', 'voc', '--gt', path.join(dir, 'voc'), '--dets', dets, '--json']));
    expect(typeof ev.mAP).toBe('number');
  }, 300_000);

  it('usage errors: bad --data, missing --init', async () => {
    await expect(run(['detect', 'train', '--data', 'pascal:/x', '--init', 'random', '--iters', '1', '--out', path.join(dir, 'bad'), '--quiet'])).rejects.toThrow(/voc:DIR/);
    await expect(run(['detect', 'train', '--data', `voc:${path.join(dir, 'voc')}`, '--iters', '1', '--out', path.join(dir, 'bad')])).rejects.toThrow(DiloUsageError);
  });
});
