import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { ArtifactStore, imageFolder } from '@dilo/core';
import { deserializeFeatures, readFeatures, selectRows, serializeFeatures, writeFeatures, type FeatureSet } from './features';
import { extractFeatureSet } from './extract';
import { pixelExtractor, randomConvExtractor } from './baselines';
import { tempDir, writeTinyFolder } from './test-helpers';

function sample(): FeatureSet {
  return {
    n: 3, d: 2, data: Float32Array.from([1, 2, 3, 4, 5, 6]), labels: Int32Array.from([0, 1, 0]), classes: ['x', 'y'], ids: ['a', 'b', 'c'],
    meta: { note: 'é' }, convMap: { c: 1, h: 1, w: 2, data: Float32Array.from([1, 1, 2, 2, 3, 3]) },
  };
}

describe('feature file format', () => {
  it('round-trips features, labels, ids and conv maps', async () => {
    const dir = await tempDir();
    const f = sample();
    await writeFeatures(path.join(dir, 'f.bin'), f);
    const g = await readFeatures(path.join(dir, 'f.bin'));
    expect(Array.from(g.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(g.labels)).toEqual([0, 1, 0]);
    expect(g.ids).toEqual(['a', 'b', 'c']);
    expect(g.meta).toEqual({ note: 'é' });
    expect(Array.from(g.convMap!.data)).toEqual([1, 1, 2, 2, 3, 3]);
  });

  it('names the file when it is truncated or not a feature file', async () => {
    const bytes = serializeFeatures(sample());
    expect(() => deserializeFeatures(bytes.subarray(0, bytes.length - 4), 'x.bin')).toThrow(/x\.bin: truncated/);
    expect(() => deserializeFeatures(new Uint8Array(20), 'y.bin')).toThrow(/y\.bin: not a dilo feature file/);
  });

  it('selects rows together with their conv maps', () => {
    const s = selectRows(sample(), [2, 0]);
    expect(Array.from(s.data)).toEqual([5, 6, 1, 2]);
    expect(s.ids).toEqual(['c', 'a']);
    expect(Array.from(s.convMap!.data)).toEqual([3, 3, 1, 1]);
  });
});

describe('extractFeatureSet', () => {
  it('caches per (extractor, manifest, transform) and returns identical features on a hit', async () => {
    const dir = await tempDir();
    await writeTinyFolder(path.join(dir, 'data'));
    const m = await imageFolder(path.join(dir, 'data'));
    const store = new ArtifactStore(path.join(dir, 'cache'));
    const ex = randomConvExtractor({ seed: 3, channels: 8, kernel: 3 });
    const t = { resize: 12, crop: 12 };
    const a = await extractFeatureSet(m, ex, { transform: t, store, convMap: true, progress: false, batchSize: 5 });
    expect(a.cacheHit).toBe(false);
    expect(a.features.n).toBe(12);
    expect(a.features.d).toBe(8);
    const b = await extractFeatureSet(m, ex, { transform: t, store, convMap: true, progress: false });
    expect(b.cacheHit).toBe(true);
    expect(b.features.data).toEqual(a.features.data);
    // another transform, another extractor seed, or a changed file: a miss
    expect((await extractFeatureSet(m, ex, { transform: { resize: 12, crop: 10 }, store, progress: false })).cacheHit).toBe(false);
    expect((await extractFeatureSet(m, randomConvExtractor({ seed: 4, channels: 8, kernel: 3 }), { transform: t, store, convMap: true, progress: false })).cacheHit).toBe(false);
    await fs.appendFile(m.samples[0].image, Buffer.from([0]));
    expect((await extractFeatureSet(m, ex, { transform: t, store, convMap: true, progress: false })).cacheHit).toBe(false);
  });

  it('random-conv pooled features are the spatial means of the conv map (exact CAM)', async () => {
    const dir = await tempDir();
    await writeTinyFolder(path.join(dir, 'data'), ['a', 'b'], 2, 10);
    const m = await imageFolder(path.join(dir, 'data'));
    const { features: f } = await extractFeatureSet(m, randomConvExtractor({ channels: 4, kernel: 3, stride: 2 }), { transform: { resize: 10, crop: 10 }, store: null, convMap: true, progress: false });
    const cm = f.convMap!;
    expect([cm.c, cm.h, cm.w]).toEqual([4, 5, 5]);
    for (let i = 0; i < f.n; i++) {
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let p = 0; p < 25; p++) s += cm.data[(i * 4 + c) * 25 + p];
        expect(f.data[i * 4 + c]).toBeCloseTo(s / 25, 5);
      }
    }
  });

  it('pixel features average pixel blocks', async () => {
    const ex = pixelExtractor({ size: 2 });
    const data = new Float32Array(3 * 4 * 4);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) data[y * 4 + x] = y < 2 && x < 2 ? 1 : 0;
    const out = await ex.extract({ n: 1, height: 4, width: 4, data });
    expect(Array.from(out.pooled.subarray(0, 4))).toEqual([1, 0, 0, 0]);
  });
});
