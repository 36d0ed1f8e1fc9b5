import { boxRadius, gaussianBlur } from './box-blur';
import { Scratch } from './resample';
import expected from '../__fixtures__/pil-expected.json';

// Expected: PIL ImageFilter.GaussianBlur(radius) on a 'L' image, from
// `/usr/bin/python3 packages/augment/bench/pil_expected.py`; PIL rounds to uint8 after each of
// its six box passes, we stay float: allow 1.5 levels.
const GW = 11;
const GH = 9;

describe('Gaussian blur with PIL GaussianBlur semantics', () => {
  for (const key of ['0.6', '1.0', '2.0'] as const) {
    const sigma = Number(key);
    it(`matches PIL at radius ${sigma}`, () => {
      const buf = Float32Array.from(expected.gray);
      gaussianBlur(buf, GW, GH, 1, sigma, new Scratch());
      const want = expected[`blur_${key}`];
      let worst = 0;
      buf.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - want[k]))));
      expect(worst).toBeLessThanOrEqual(1.5);
    });
  }
  it('the three box passes have variance sigma^2 (away from the borders)', () => {
    for (const sigma of [0.1, 0.7, 1.3, 2, 5]) {
      const n = 201;
      const buf = new Float32Array(n);
      buf[100] = 1;
      gaussianBlur(buf, n, 1, 1, sigma, new Scratch());
      let m = 0;
      let v = 0;
      let s = 0;
      buf.forEach((w, x) => {
        s += w;
        m += w * x;
      });
      m /= s;
      buf.forEach((w, x) => (v += (w * (x - m) * (x - m)) / s));
      expect(s).toBeCloseTo(1, 5);
      expect(Math.sqrt(v)).toBeCloseTo(sigma, 3);
    }
  });
  it('blurs each channel of an RGB image alike', () => {
    const rgb = new Float32Array(GW * GH * 3);
    expected.gray.forEach((g, k) => rgb.set([g, 255 - g, g / 2], k * 3));
    gaussianBlur(rgb, GW, GH, 3, 1.0, new Scratch());
    const one = Float32Array.from(expected.gray);
    gaussianBlur(one, GW, GH, 1, 1.0, new Scratch());
    one.forEach((g, k) => {
      expect(rgb[k * 3]).toBeCloseTo(g, 3);
      expect(rgb[k * 3 + 1]).toBeCloseTo(255 - g, 3);
      expect(rgb[k * 3 + 2]).toBeCloseTo(g / 2, 3);
    });
  });
  it('box radius follows PIL _gaussian_blur_radius', () => {
    // sigma 2, 3 passes: sigma2 = 4/3, L = sqrt(17), l = 1, a = 3 (2 - 4) / (6 (4/3 - 4)) = 0.375
    expect(boxRadius(2)).toBeCloseTo(1.375, 10);
  });
});
