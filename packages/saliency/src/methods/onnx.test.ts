/**
 * @jest-environment ./jest-realm-env.js
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RgbImage } from '@dilo/core';
import { OnnxEstimator, toNchw } from './onnx';
import { createEstimator } from '../registry';
import { tinySaliencyModel } from '../onnx/writer';

/** An image whose red channel is a ramp and green/blue are constant. */
function ramp(w: number, h: number, offset = 0): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set([(i * 5 + offset) % 256, 100, 30], 3 * i);
  return { width: w, height: h, data };
}

describe('onnx estimator (model built by the test)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dilo-onnx-'));
  const model = path.join(dir, 'tiny.onnx');
  writeFileSync(model, tinySaliencyModel([1, 0, 0]));

  it('normalises NCHW input with mean/std', () => {
    const x = toNchw([{ width: 1, height: 1, data: Uint8Array.from([255, 0, 51]) }], 1, 1, [0.5, 0, 0.2], [0.5, 1, 0.1]);
    expect(Array.from(x).map((v) => +v.toFixed(5))).toEqual([1, 0, 0]);
  });

  it('raw output (index 1) min-max normalised equals the normalised red channel, batched', async () => {
    const est = new OnnxEstimator({ model, inputWidth: 6, inputHeight: 4, mean: [0, 0, 0], std: [1, 1, 1], outputIndex: 1, batchSize: 2 });
    const imgs = [ramp(6, 4), ramp(6, 4, 3), ramp(6, 4, 7)];
    const maps = await est.estimateBatch(imgs);
    expect(maps).toHaveLength(3);
    maps.forEach((m, k) => {
      const red = Array.from({ length: 24 }, (_, i) => imgs[k].data[3 * i]);
      const lo = Math.min(...red);
      const hi = Math.max(...red);
      expect(Array.from(m.data)).toEqual(red.map((r) => Math.round(((r - lo) / (hi - lo)) * 255)));
    });
    // one by one gives the same maps as batched
    expect(Array.from((await est.estimate(imgs[1])).data)).toEqual(Array.from(maps[1].data));
    await est.dispose();
  });

  it('resizes to the network size and back; output 0 (sigmoid) is monotone in red', async () => {
    const est = createEstimator('onnx', { model, inputWidth: 8, inputHeight: 8 });
    const data = new Uint8Array(20 * 10 * 3);
    for (let i = 0; i < 200; i++) data.set([(i % 20) * 12, 100, 30], 3 * i);
    const m = await est.estimate({ width: 20, height: 10, data });
    expect([m.width, m.height]).toEqual([20, 10]);
    // red grows left to right, so does the map
    for (let x = 1; x < 20; x++) expect(m.data[5 * 20 + x]).toBeGreaterThanOrEqual(m.data[5 * 20 + x - 1]);
    expect(m.data[5 * 20 + 2]).toBeLessThan(m.data[5 * 20 + 15]);
    expect(Math.max(...m.data)).toBe(255);
    expect(Math.min(...m.data)).toBe(0);
    expect(est.params.model).toMatch(/^[0-9a-f]{64}$/); // the model's hash keys the cache
    await est.dispose?.();
  });

  it('names the model file when it cannot be loaded, and a bad output index', async () => {
    const bad = path.join(dir, 'bad.onnx');
    writeFileSync(bad, 'not a model');
    await expect(new OnnxEstimator({ model: bad }).estimate(ramp(4, 4))).rejects.toThrow(/bad\.onnx: cannot load ONNX model/);
    await expect(new OnnxEstimator({ model, outputIndex: 5, inputWidth: 4, inputHeight: 4 }).estimate(ramp(4, 4))).rejects.toThrow(/output index 5 out of range/);
  });
});
