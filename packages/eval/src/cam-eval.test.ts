import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { decodeImage, encodePng, imageFolder, pairMasks } from '@dilo/core';
import { evaluateCam, spreadOverClasses, transformMask } from './cam-eval';
import type { FeatureSet } from './features';
import type { LinearModel } from './softmax';
import { tempDir } from './test-helpers';

/** Two 16x16 images with square objects; conv maps (4x4) that do / do not sit on the object. */
async function fixture(dir: string): Promise<void> {
  for (const [cls, x0, y0] of [['a', 0, 0], ['b', 8, 8]] as const) {
    await fs.mkdir(path.join(dir, 'img', cls), { recursive: true });
    await fs.mkdir(path.join(dir, 'mask', cls), { recursive: true });
    const rgb = new Uint8Array(16 * 16 * 3).fill(60);
    const m = new Uint8Array(16 * 16);
    for (let y = y0; y < y0 + 8; y++) for (let x = x0; x < x0 + 8; x++) m[y * 16 + x] = 255;
    await fs.writeFile(path.join(dir, 'img', cls, '0.png'), await encodePng({ width: 16, height: 16, data: rgb }));
    await fs.writeFile(path.join(dir, 'mask', cls, '0.png'), await encodePng({ width: 16, height: 16, data: m }));
  }
}

describe('evaluateCam', () => {
  it('scores a CAM on the object as localised and one off the object as not, and writes overlays', async () => {
    const dir = await tempDir();
    await fixture(dir);
    const man = await pairMasks(await imageFolder(path.join(dir, 'img')), path.join(dir, 'mask'));
    // one channel; sample 0 (object top-left) has its map top-left; sample 1 (object bottom-right) has it top-left too
    const conv = new Float32Array(2 * 16);
    for (const s of [0, 1]) for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) conv[s * 16 + y * 4 + x] = 1;
    const f: FeatureSet = { n: 2, d: 1, data: Float32Array.from([0.25, 0.25]), labels: Int32Array.from([0, 1]), classes: ['a', 'b'], convMap: { c: 1, h: 4, w: 4, data: conv } };
    const model: LinearModel = { numClasses: 2, dim: 1, weight: Float64Array.from([1, 1]), bias: Float64Array.from([0, 0]) };
    const out = path.join(dir, 'out');
    const r = await evaluateCam(man, f, model, { transform: { resize: 16, crop: 16 }, tolerance: 0, outDir: out, examples: 2 });
    expect(r.n).toBe(2);
    expect(r.maskAreaFraction).toBe(0.25);
    expect(r.perClass[0].pointingAccuracy).toBe(1);
    expect(r.perClass[1].pointingAccuracy).toBe(0);
    // bilinear x4 upsampling of a 2-pixel plateau: per axis the profile is 1 (x 0..5), .875, .625 | .375, .125,
    // so 7.5 of 8 units fall inside the 8-pixel object: (7.5/8)^2 in 2-D
    expect(r.perClass[0].energyInside).toBeCloseTo((7.5 / 8) ** 2, 6);
    expect(r.perClass[1].energyInside).toBeCloseTo((0.5 / 8) ** 2, 8); // only the .375 + .125 tail reaches it
    expect(r.pointingAccuracy).toBe(0.5);
    expect(r.examples).toHaveLength(2);
    const png = await decodeImage(r.examples[0].file);
    expect([png.width, png.height]).toEqual([48, 16]); // image | CAM | overlay
  });

  it('transforms masks with nearest-neighbour resize and centre crop', async () => {
    const m = { width: 4, height: 4, data: Uint8Array.from([255, 255, 0, 0, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) };
    const t = await transformMask(m, { resize: 8, crop: 4 });
    expect(Array.from(t.data)).toEqual([255, 255, 0, 0, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('spreads examples over classes', () => {
    expect(spreadOverClasses(Int32Array.from([0, 0, 0, 1, 2, 2]), 4)).toEqual([0, 3, 4, 1]);
    expect(spreadOverClasses(Int32Array.from([0, 1]), 5)).toEqual([0, 1]);
  });
});
