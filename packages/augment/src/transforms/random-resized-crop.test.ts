import { Rng } from '@dilo/core';
import { centreCropFallback, roundHalfEven, sampleCrop } from './random-resized-crop';

const RRC = { scale: [0.2, 1] as [number, number], ratio: [3 / 4, 4 / 3] as [number, number] };

// torchvision 0.14 RandomResizedCrop.get_params(scale=(0.2, 1), ratio=(3/4, 4/3)) over 200k
// draws, from `/usr/bin/python3 packages/augment/bench/rrc_stats.py`.
const TORCHVISION: Record<string, { meanArea: number; sdArea: number; meanLogRatio: number; sdLogRatio: number }> = {
  '224x224': { meanArea: 0.5404455, sdArea: 0.2008727, meanLogRatio: -0.0002177, sdLogRatio: 0.1580556 },
  '500x375': { meanArea: 0.4954430, sdArea: 0.1854023, meanLogRatio: 0.0368926, sdLogRatio: 0.1632013 },
  '64x300': { meanArea: 0.2675058, sdArea: 0.0272068, meanLogRatio: -0.2505323, sdLogRatio: 0.0695012 },
};

describe('RandomResizedCrop sampling (torchvision 0.14)', () => {
  for (const [size, want] of Object.entries(TORCHVISION)) {
    it(`area and ratio statistics match torchvision on ${size}`, () => {
      const [W, H] = size.split('x').map(Number);
      const rng = new Rng(7);
      const n = 20000;
      const areas: number[] = [];
      const logr: number[] = [];
      for (let k = 0; k < n; k++) {
        const b = sampleCrop(W, H, RRC, rng);
        expect(b.i >= 0 && b.j >= 0 && b.i + b.h <= H && b.j + b.w <= W && b.w > 0 && b.h > 0).toBe(true);
        areas.push((b.w * b.h) / (W * H));
        logr.push(Math.log(b.w / b.h));
      }
      const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
      const sd = (a: number[]): number => Math.sqrt(mean(a.map((v) => v * v)) - mean(a) ** 2);
      // 20k draws: standard errors about 0.0015 (area) and 0.0012 (log ratio); allow ~4 of them
      expect(Math.abs(mean(areas) - want.meanArea)).toBeLessThan(0.006);
      expect(Math.abs(sd(areas) - want.sdArea)).toBeLessThan(0.006);
      expect(Math.abs(mean(logr) - want.meanLogRatio)).toBeLessThan(0.005);
      expect(Math.abs(sd(logr) - want.sdLogRatio)).toBeLessThan(0.005);
      // ranges: area fraction within [0.2, 1] and ratio within [3/4, 4/3], up to integer rounding
      const slack = 2 / Math.min(W, H);
      expect(Math.min(...areas)).toBeGreaterThan(0.2 - 2 * slack);
      expect(Math.max(...areas)).toBeLessThanOrEqual(1);
      expect(Math.exp(Math.min(...logr))).toBeGreaterThan(3 / 4 - 4 * slack);
      expect(Math.exp(Math.max(...logr))).toBeLessThan(4 / 3 + 4 * slack);
    });
  }

  it('falls back to a centre crop with the ratio clamped when 10 attempts fail', () => {
    // a 100x1 image never fits a crop of area >= 20 px with ratio <= 4/3
    const b = sampleCrop(100, 1, RRC, new Rng(3));
    // in_ratio 100 > 4/3: h = 1, w = round(1 * 4/3) = 1, centred
    expect(b).toEqual({ i: 0, j: 49, h: 1, w: 1 });
    expect(centreCropFallback(30, 100, [3 / 4, 4 / 3])).toEqual({ i: 30, j: 0, h: 40, w: 30 });
    expect(centreCropFallback(50, 60, [3 / 4, 4 / 3])).toEqual({ i: 0, j: 0, h: 60, w: 50 });
  });

  it('rounds halves to even like Python', () => {
    expect([0.5, 1.5, 2.5, -0.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, 2, 3]);
  });
});
