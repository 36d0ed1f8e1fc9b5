import { Rng } from '@dilo/core';
import { applyGrayscale, applyJitter, sampleJitter, BRIGHTNESS, CONTRAST, SATURATION, HUE, type JitterParams } from './color-jitter';
import expected from '../__fixtures__/jitter-expected.json';

// Expected values: torchvision 0.14 functional ops on float tensors, produced by
// `/usr/bin/python3 packages/augment/bench/jitter_expected.py` (see the fixture's _command).
const PIX = [255, 0, 0, 10, 200, 90, 128, 128, 128, 30, 60, 250, 240, 230, 20, 5, 3, 1];

function run(order: number[], f: Partial<JitterParams>): number[] {
  const buf = Float32Array.from(PIX);
  applyJitter(buf, 6, { order, brightness: 1, contrast: 1, saturation: 1, hue: 0, ...f });
  return Array.from(buf);
}

function expectClose(got: number[], want: number[], tol = 2e-3): void {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => {
    if (Math.abs(g - want[i]) > tol) throw new Error(`element ${i}: got ${g}, torchvision ${want[i]}\n got ${got.map((v) => v.toFixed(3))}\nwant ${want}`);
  });
}

describe('ColorJitter matches torchvision 0.14 formulas', () => {
  it('brightness', () => expectClose(run([BRIGHTNESS], { brightness: 1.3 }), expected['brightness_1.3']));
  it('contrast uses the mean of the grayscale image', () => expectClose(run([CONTRAST], { contrast: 0.7 }), expected['contrast_0.7']));
  it('saturation', () => expectClose(run([SATURATION], { saturation: 1.4 }), expected['saturation_1.4']));
  it('hue shift in HSV, both directions', () => {
    // torchvision computes in float32 through HSV: a few 1e-4 of a level apart
    expectClose(run([HUE], { hue: 0.1 }), expected['hue_0.1'], 5e-3);
    expectClose(run([HUE], { hue: -0.37 }), expected['hue_-0.37'], 5e-3);
  });
  it('the four ops in a permuted order (hue, contrast, brightness, saturation)', () => {
    expectClose(run([HUE, CONTRAST, BRIGHTNESS, SATURATION], { hue: 0.05, contrast: 1.35, brightness: 0.8, saturation: 0.6 }), expected['order_3_1_0_2'], 5e-3);
  });
  it('grayscale uses 0.2989 R + 0.587 G + 0.114 B', () => {
    const buf = Float32Array.from(PIX);
    applyGrayscale(buf, 6);
    expectClose(Array.from(buf), expected.grayscale);
  });
  it('factor 1 and hue 0 leave the image unchanged', () => {
    expectClose(run([HUE, CONTRAST, BRIGHTNESS, SATURATION], {}), PIX, 1e-3);
  });
});

describe('sampleJitter', () => {
  it('draws a permutation of the four ops and factors in torchvision ranges', () => {
    const rng = new Rng(1);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const p = sampleJitter({ p: 1, brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }, rng);
      expect([...p.order].sort()).toEqual([0, 1, 2, 3]);
      seen.add(p.order.join(''));
      for (const f of [p.brightness, p.contrast, p.saturation]) {
        expect(f).toBeGreaterThanOrEqual(0.6);
        expect(f).toBeLessThan(1.4);
      }
      expect(Math.abs(p.hue)).toBeLessThanOrEqual(0.1);
    }
    expect(seen.size).toBe(24); // every order occurs
  });
  it('leaves out ops whose strength is 0, as torchvision does', () => {
    const p = sampleJitter({ p: 1, brightness: 0.4, contrast: 0, saturation: 0, hue: 0 }, new Rng(2));
    expect(p.order).toEqual([BRIGHTNESS]);
  });
});
