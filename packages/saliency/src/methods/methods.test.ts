import * as path from 'node:path';
import { decodeImage, decodeMask, imageMaskFolder, sharedDataset } from '@dilo/core';
import { createEstimator, ESTIMATORS, METHOD_NAMES, type MethodName } from '../registry';
import { SaliencyEvaluator } from '../metrics/evaluator';
import { insideOutside, syntheticScene } from '../testing/synthetic';
import { spreadEntropy } from './mc';
import { boundaryBackground } from './gs';

const classic = METHOD_NAMES.filter((m) => m !== 'onnx') as Exclude<MethodName, 'onnx'>[];

describe('estimators on a synthetic scene', () => {
  const { image, gt } = syntheticScene(150, 100);
  it.each(classic)('%s: same-size soft map, object brighter than background, deterministic', async (name) => {
    const est = createEstimator(name);
    const a = await est.estimate(image);
    expect([a.width, a.height, a.data.length]).toEqual([150, 100, 150 * 100]);
    const { inside, outside } = insideOutside(a, gt);
    // spectral residual marks the object's outline more than its inside: a smaller margin
    expect(inside).toBeGreaterThan(outside + (name === 'sr' ? 20 : 40));
    // soft: more than two grey levels (MC's absorbed time on this clean scene is nearly binary, 0 or 1 after rounding)
    expect(new Set(a.data).size).toBeGreaterThan(name === 'mc' ? 1 : 2);
    const b = await est.estimate(image);
    expect(Buffer.from(b.data).equals(Buffer.from(a.data))).toBe(true);
  });

  it('the registry maps every name to an estimator of that name', () => {
    for (const name of classic) expect(ESTIMATORS[name]().name).toBe(name);
    expect(() => createEstimator('nope' as MethodName)).toThrow(/unknown saliency method 'nope'/);
    expect(() => createEstimator('onnx')).toThrow(/needs a model/);
  });
});

describe('method internals', () => {
  it("MC's spread entropy: decisive maps score low, spread ones high", () => {
    expect(spreadEntropy(Float64Array.from([0, 0, 0, 1, 1]))).toBeCloseTo(1);
    expect(spreadEntropy(Float64Array.from([0.45, 0.5, 0.55]))).toBeGreaterThanOrEqual(4);
  });
  it("GS boundary analysis drops a boundary superpixel unlike the others", () => {
    // 5 boundary superpixels in a row (of n in the image); #2 has a very different colour
    const matrices = (n: number): [Float64Array, Float64Array] => {
      const col = [0, 0, 100, 0, 0];
      const colDist = new Float64Array(n * n);
      const posDist = new Float64Array(n * n);
      for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) {
        colDist[i * n + j] = Math.abs(col[i] - col[j]) + Math.abs(i - j);
        posDist[i * n + j] = Math.abs(i - j) * 0.1;
      }
      return [colDist, posDist];
    };
    const bd = Int32Array.from([0, 1, 2, 3, 4]);
    // k = round(n / 200 * 5) neighbours: 0 for 5 superpixels, so nothing is analysed
    expect(Array.from(boundaryBackground(...matrices(5), bd, 5))).toEqual([0, 1, 2, 3, 4]);
    // k = 2 for 80 superpixels: #2's two nearest are far in colour -> dropped
    expect(Array.from(boundaryBackground(...matrices(80), bd, 80))).toEqual([0, 1, 3, 4]);
  });
});

const sod = sharedDataset('sod');
const describeSod = sod ? describe : describe.skip;
if (!sod) process.stderr.write('SKIPPED: SOD quality checks (shared dataset sod not found; set DILO_SHARED_DATA)\n');

describeSod('quality on a handful of SOD images', () => {
  // 6 images keep the suite fast; the full 300 are scored by `nx run saliency:bench`
  let pairs: { image: string; mask: string }[] = [];
  beforeAll(async () => {
    const m = await imageMaskFolder(sod as string);
    pairs = m.samples.filter((_, i) => i % 50 === 0).map((s) => ({ image: s.image, mask: s.mask as string }));
  });
  // lower bounds well below the full-set scores, far above what a blank or centre-only map gets
  it.each([
    ['rbd', 0.55],
    ['gs', 0.5],
    ['mc', 0.5],
    ['mbd', 0.5],
  ] as const)('%s max-F >= %s, above a centred-blob baseline', async (name, minF) => {
    const est = createEstimator(name);
    const ev = new SaliencyEvaluator();
    const base = new SaliencyEvaluator();
    for (const p of pairs) {
      const [img, gt] = await Promise.all([decodeImage(p.image), decodeMask(p.mask)]);
      ev.add(await est.estimate(img), gt);
      const blob = new Uint8Array(img.width * img.height);
      for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) {
        const d = Math.hypot((x - img.width / 2) / img.width, (y - img.height / 2) / img.height);
        blob[y * img.width + x] = Math.round(255 * Math.max(0, 1 - 2 * d));
      }
      base.add({ width: img.width, height: img.height, data: blob }, gt);
    }
    const r = ev.result();
    expect(r.n).toBe(pairs.length);
    expect(r.maxF).toBeGreaterThanOrEqual(minF);
    expect(r.maxF).toBeGreaterThan(base.result().maxF);
    expect(path.basename(pairs[0].image)).toMatch(/\.jpg$/);
  });
});
