import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateSynthDataset, readSynthRecords, imageFolder, pairMasks, decodeImage, decodeMask } from './index';

function digestTree(root: string): string {
  const h = createHash('sha256');
  for (const f of readdirSync(root, { recursive: true }).map(String).sort()) {
    const p = path.join(root, f);
    try {
      h.update(f).update(readFileSync(p));
    } catch {
      h.update(f); // a folder
    }
  }
  return h.digest('hex');
}

describe('generated dataset', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'dilo-synth-'));
  const opts = { seed: 11, classes: 5, size: 32, train: 400, val: 100, correlation: 0.8 };

  it('is byte-identical for the same seed and differs for another', async () => {
    await generateSynthDataset({ ...opts, out: path.join(tmp, 'a') });
    await generateSynthDataset({ ...opts, out: path.join(tmp, 'b') });
    await generateSynthDataset({ ...opts, seed: 12, out: path.join(tmp, 'c') });
    const a = digestTree(path.join(tmp, 'a'));
    expect(digestTree(path.join(tmp, 'b'))).toBe(a);
    expect(digestTree(path.join(tmp, 'c'))).not.toBe(a);
  });

  it('has the class-background correlation it was built with, measured per split', async () => {
    const s = await generateSynthDataset({ ...opts, train: 2000, out: path.join(tmp, 'corr') });
    // binomial standard error at n=2000, p=0.8 is 0.009: 4 sigma
    expect(Math.abs(s.splits.train.correlation - 0.8)).toBeLessThan(0.036);
    expect(Math.abs(s.splits['val-same'].correlation - 0.8)).toBeLessThan(0.16);
    expect(s.splits['val-mixed-rand'].correlation).toBeLessThan(0.4); // 1/K = 0.2 expected
    expect(s.splits['val-only-fg'].correlation).toBe(0);
    // the records agree with the summary
    const recs = await readSynthRecords(path.join(tmp, 'corr'), 'train');
    expect(recs.filter((r) => r.family === r.label).length / recs.length).toBeCloseTo(s.splits.train.correlation, 10);
  });

  it('holds the same objects in every val split, with exact masks', async () => {
    const root = path.join(tmp, 'a');
    const same = await readSynthRecords(root, 'val-same');
    const rand = await readSynthRecords(root, 'val-mixed-rand');
    const fg = await readSynthRecords(root, 'val-only-fg');
    expect(rand.map((r) => [r.label, r.cx, r.cy])).toEqual(same.map((r) => [r.label, r.cx, r.cy]));
    expect(fg.every((r) => r.family === -1)).toBe(true);
    const m = await pairMasks(await imageFolder(path.join(root, 'val-only-fg')), path.join(root, 'masks', 'val-only-fg'));
    expect(m.issues).toEqual([]);
    // on the grey split, every pixel outside the mask is exactly the grey level
    const img = await decodeImage(m.samples[0].image);
    const mask = await decodeMask(m.samples[0].mask as string);
    let outside = 0, inside = 0;
    for (let p = 0; p < mask.data.length; p++) {
      if (mask.data[p] === 0) { outside++; expect(img.data[3 * p]).toBe(128); } else inside++;
    }
    const rec = fg.find((r) => r.id === path.basename(m.samples[0].id));
    expect(inside).toBe(rec?.foregroundPixels);
    expect(outside + inside).toBe(32 * 32);
  });

  it('rejects bad parameters', async () => {
    await expect(generateSynthDataset({ out: path.join(tmp, 'x'), seed: 1, classes: 11 })).rejects.toThrow(/classes must be/);
    await expect(generateSynthDataset({ out: path.join(tmp, 'x'), seed: 1, correlation: 1.5 })).rejects.toThrow(/correlation/);
  });
});
