import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DiloUsageError, encodePng, SkipReport, type GrayImage } from '@dilo/core';
import { evaluateOracle } from './oracle';

/** 20x20, a 10x10 foreground square (a quarter of the pixels); `inverted` swaps fg and bg. */
function square(inverted = false): GrayImage {
  const data = new Uint8Array(400);
  for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) data[y * 20 + x] = (x >= 5 && x < 15 && y >= 5 && y < 15) !== inverted ? 255 : 0;
  return { width: 20, height: 20, data };
}

async function folder(root: string, name: string, images: Record<string, GrayImage>): Promise<string> {
  const dir = path.join(root, name);
  mkdirSync(dir);
  for (const [file, img] of Object.entries(images)) writeFileSync(path.join(dir, file), await encodePng(img));
  return dir;
}

describe('evaluateOracle', () => {
  it('hand-computed case: each method right on one image and inverted on the other', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'dilo-oracle-'));
    const gt = await folder(root, 'gt', { 'a.png': square(), 'b.png': square() });
    const m1 = await folder(root, 'm1', { 'a.png': square(), 'b.png': square(true) });
    const m2 = await folder(root, 'm2', { 'a.png': square(true), 'b.png': square() });
    const r = await evaluateOracle({ preds: [m1, m2], gt });
    // one method alone: at thresholds 1-255 the mean P = mean R = 0.5 -> F 0.5; at 0, P 0.25, R 1 -> F 0.302
    for (const f of r.folders) {
      expect(f.scores.maxF).toBeCloseTo(0.5, 10);
      expect(f.scores.mae).toBeCloseTo(0.5, 10);
    }
    // the oracle takes the right map each time: perfect
    expect(r.picks).toEqual([1, 1]);
    expect(r.oracle).toMatchObject({ n: 2, mae: 0, maxF: 1 });
    expect(r.oracle.S).toBeCloseTo(1, 10);
    // the average is 128 everywhere: all-positive gives P 0.25, R 1 -> F = 1.3 * 0.25 / (0.3 * 0.25 + 1)
    expect(r.average.maxF).toBeCloseTo((1.3 * 0.25) / 1.075, 10);
    expect(r.average.mae).toBeCloseTo(0.25 * (1 - 128 / 255) + 0.75 * (128 / 255), 10);
  });

  it('ties go to the lower MAE, then to the first folder; an image without a map in every folder is skipped and named', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'dilo-oracle-'));
    const gt = await folder(root, 'gt', { 'a.png': square(), 'b.png': square() });
    const m1 = await folder(root, 'm1', { 'a.png': square(), 'b.png': square() });
    const m2 = await folder(root, 'm2', { 'a.png': square() });
    const lines: string[] = [];
    const report = new SkipReport((l) => lines.push(l));
    const r = await evaluateOracle({ preds: [m1, m2], gt, report });
    expect(r.picks).toEqual([1, 0]);
    expect(r.folders.map((f) => f.scores.n)).toEqual([1, 1]);
    expect(report.counts()).toMatchObject({ processed: 1, skipped: 1 });
    expect(lines.join('')).toContain(`no map named b.* under ${m2}`);
  });

  it('needs two or more folders', async () => {
    await expect(evaluateOracle({ preds: ['x'], gt: 'y' })).rejects.toBeInstanceOf(DiloUsageError);
  });
});
