/**
 * @jest-environment ./jest-realm-env.js
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { encodePng, Rng, selectBackend, SkipReport } from '@dilo/core';
import { readCheckpoint } from '@dilo/contrastive';
import { createEstimator, readSaliencyNetRun, resolveMethodSpec, type MethodName } from '@dilo/saliency';
import { loadPseudoMaskedSet, type PseudoMaskedSet } from './pseudo-set';
import { SALIENCY_NET_DEFAULTS, trainSaliencyNet, type SaliencyNetConfig } from './train';

beforeAll(async () => {
  // the torch engine where its addon is built (CI builds it), else plain cpu (slower)
  try {
    await selectBackend({ backend: 'torch', log: false });
  } catch (err) {
    if (process.env.CI === 'true') throw err;
    await selectBackend({ backend: 'cpu', log: false });
  }
});

/** n images of a bright square on a dark noisy background; the mask is the square */
function squares(n: number, size: number, seed = 0): PseudoMaskedSet {
  const r = new Rng(seed);
  const images = new Uint8Array(n * size * size * 3);
  const masks = new Uint8Array(n * size * size);
  for (let k = 0; k < n; k++) {
    const s = 4 + r.int(size / 2);
    const x0 = r.int(size - s);
    const y0 = r.int(size - s);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const p = k * size * size + y * size + x;
        const inside = x >= x0 && x < x0 + s && y >= y0 && y < y0 + s;
        masks[p] = inside ? 255 : 0;
        for (let c = 0; c < 3; c++) images[p * 3 + c] = inside ? 200 + r.int(40) : r.int(80);
      }
    }
  }
  return { images, masks, n, size, ids: Array.from({ length: n }, (_, i) => `img${i}`) };
}

const tiny: SaliencyNetConfig = { ...SALIENCY_NET_DEFAULTS, unet: { base: 4, levels: 2 }, size: 16, epochs: 3, batch: 4, lr: 0.1, warmupSteps: 2, pseudo: ['test'] };

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'dilo-snet-'));
}

test('training lowers the loss, exports ONNX and writes the run descriptor that net:RUN reads', async () => {
  const data = squares(32, 16);
  const out = tmp();
  const r = await trainSaliencyNet({ config: { ...tiny, epochs: 6 }, data, out, quiet: true });
  expect(r.finished).toBe(true);
  expect(r.steps).toBe(48);
  const steps = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; loss?: number }).filter((e) => e.event === 'step');
  const first = steps.slice(0, 8).reduce((s, e) => s + e.loss!, 0) / 8;
  const last = steps.slice(-8).reduce((s, e) => s + e.loss!, 0) / 8;
  expect(last).toBeLessThan(first * 0.8);
  // net:RUN -> the ONNX estimator on the exported file, sigmoid output used as it is
  const info = readSaliencyNetRun(out);
  expect(info.inputSize).toBe(16);
  const spec = resolveMethodSpec(`net:${out}`, {});
  expect(spec.method).toBe('onnx');
  const est = createEstimator(spec.method as MethodName, spec.params);
  // an unseen square: the map is brighter inside than outside
  const test = squares(1, 16, 99);
  const img = { width: 16, height: 16, data: test.images };
  const map = await est.estimate(img);
  let inside = 0;
  let nIn = 0;
  let outside = 0;
  for (let i = 0; i < 256; i++) {
    if (test.masks[i]) {
      inside += map.data[i];
      nIn++;
    } else outside += map.data[i];
  }
  expect(inside / nIn).toBeGreaterThan(outside / (256 - nIn) + 40);
  await est.dispose?.();
});

test('stopped and resumed equals straight through, bit for bit; a mismatched or unasked resume is refused', async () => {
  const data = squares(16, 16, 1);
  const straight = tmp();
  await trainSaliencyNet({ config: tiny, data, out: straight, quiet: true });
  const split = tmp();
  const a = await trainSaliencyNet({ config: tiny, data, out: split, maxSteps: 5, quiet: true });
  expect(a.finished).toBe(false);
  await expect(trainSaliencyNet({ config: tiny, data, out: split, quiet: true })).rejects.toThrow(/--resume/);
  await expect(trainSaliencyNet({ config: { ...tiny, lr: 0.2 }, data, out: split, resume: true, quiet: true })).rejects.toThrow(/trained with/);
  const b = await trainSaliencyNet({ config: tiny, data, out: split, resume: true, quiet: true });
  expect(b.resumedFrom).toBe(5);
  expect(b.finished).toBe(true);
  const [x, y] = await Promise.all([readCheckpoint(path.join(straight, 'checkpoint.dckpt')), readCheckpoint(path.join(split, 'checkpoint.dckpt'))]);
  expect([...y.tensors.keys()]).toEqual([...x.tensors.keys()]);
  for (const [name, t] of x.tensors) expect(Buffer.from(y.tensors.get(name)!.data.buffer, y.tensors.get(name)!.data.byteOffset, t.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))).toBe(true);
  expect(readFileSync(path.join(split, 'model.onnx')).equals(readFileSync(path.join(straight, 'model.onnx')))).toBe(true);
});

test('pseudo-masks are averaged over methods; an image without a map and an unreadable image are named skips', async () => {
  const root = tmp();
  const images = path.join(root, 'images');
  const a = path.join(root, 'maps-a');
  const b = path.join(root, 'maps-b');
  for (const d of [images, a, b]) mkdirSync(path.join(d, 'cls'), { recursive: true });
  const px = (w: number, h: number, v: number, c: 1 | 3) => ({ width: w, height: h, data: new Uint8Array(w * h * c).fill(v) });
  for (const id of ['x', 'y', 'z']) writeFileSync(path.join(images, 'cls', `${id}.png`), await encodePng(px(8, 6, 100, 3)));
  writeFileSync(path.join(images, 'cls', 'broken.png'), Buffer.from('not a png'));
  for (const id of ['x', 'y', 'broken']) {
    writeFileSync(path.join(a, 'cls', `${id}.png`), await encodePng(px(8, 6, 200, 1)));
    writeFileSync(path.join(b, 'cls', `${id}.png`), await encodePng(px(8, 6, 100, 1)));
  }
  writeFileSync(path.join(a, 'cls', 'z.png'), await encodePng(px(8, 6, 200, 1))); // z has no map in b
  const lines: string[] = [];
  const report = new SkipReport((l) => lines.push(l));
  const set = await loadPseudoMaskedSet({ images, mapDirs: [a, b], size: 4, report });
  expect(set.ids).toEqual(['cls/x', 'cls/y']);
  expect([...set.masks]).toEqual(new Array(32).fill(150));
  expect(set.images.length).toBe(2 * 4 * 4 * 3);
  const named = lines.join('');
  expect(named).toMatch(/z\.png.*no pseudo-mask/);
  expect(named).toMatch(/broken\.png/);
  expect(report.counts().skipped).toBe(2);
});

test('--keep trains on the most confident fraction of the images; --confidence-weight is part of the run config', async () => {
  const data = squares(32, 16, 2);
  // blur the masks of the first half to 0.5-ish: those are the ones left out at --keep 0.5
  for (let i = 0; i < 16 * 256; i++) data.masks[i] = 100 + (data.masks[i] >> 4);
  const out = tmp();
  const cfg = { ...tiny, keepFraction: 0.5, confidenceWeighted: true };
  const r = await trainSaliencyNet({ config: cfg, data, out, quiet: true });
  expect(r.images).toBe(16);
  expect(r.steps).toBe((16 / tiny.batch) * tiny.epochs);
  const start = JSON.parse(readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').split('\n')[0]) as { images: number; usable: number };
  expect(start.images).toBe(16);
  expect(start.usable).toBe(32);
  expect(readSaliencyNetRun(out).config).toMatchObject({ keepFraction: 0.5, confidenceWeighted: true });
  await expect(trainSaliencyNet({ config: { ...tiny, keepFraction: 0 }, data, out: tmp(), quiet: true })).rejects.toThrow(/--keep/);
});
