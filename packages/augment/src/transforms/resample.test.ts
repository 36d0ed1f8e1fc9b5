import { axisCoeffs, cropResizeRgb, Scratch } from './resample';
import expected from '../__fixtures__/pil-expected.json';

// Expected: torchvision F.resized_crop on a PIL image (bilinear), from
// `/usr/bin/python3 packages/augment/bench/pil_expected.py`. PIL rounds its intermediate rows to
// uint8 and uses fixed-point weights, so values may differ by about one level.
const W = 8;
const H = 6;
const rgb = new Uint8Array(W * H * 3);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) rgb.set([(x * 37 + y * 11) % 256, (x * 5 + y * 41) % 256, (x * y * 13) % 256], (y * W + x) * 3);

function crop(box: { i: number; j: number; h: number; w: number }, outW: number, outH: number): number[] {
  const dst = new Float32Array(outW * outH * 3);
  cropResizeRgb(rgb, W, box, outW, outH, dst, new Scratch());
  return Array.from(dst);
}

describe('crop + resize (PIL bilinear)', () => {
  it('upscaling a crop matches PIL within rounding', () => {
    const got = crop({ i: 1, j: 2, h: 4, w: 5 }, 9, 7);
    const want = expected['crop_1_2_4_5_to_9x7'];
    got.forEach((g, k) => expect(Math.abs(g - want[k])).toBeLessThanOrEqual(1.01));
  });
  it('downscaling antialiases like PIL (support widened by the scale)', () => {
    const got = crop({ i: 0, j: 0, h: 6, w: 8 }, 3, 2);
    const want = expected['crop_0_0_6_8_to_3x2'];
    got.forEach((g, k) => expect(Math.abs(g - want[k])).toBeLessThanOrEqual(1.01));
  });
  it('identity size copies the crop exactly', () => {
    const got = crop({ i: 2, j: 3, h: 3, w: 4 }, 4, 3);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) for (let c = 0; c < 3; c++) expect(got[(y * 4 + x) * 3 + c]).toBeCloseTo(rgb[((y + 2) * W + x + 3) * 3 + c], 4);
  });
  it('weights of every output sum to 1 and taps stay inside the crop', () => {
    const c = axisCoeffs(5, 105, 5, 105, 224);
    for (let k = 0; k < 224; k++) {
      let s = 0;
      for (let t = 0; t < c.count[k]; t++) s += c.weights[k * c.ksize + t];
      expect(s).toBeCloseTo(1, 5);
      expect(c.start[k]).toBeGreaterThanOrEqual(5);
      expect(c.start[k] + c.count[k]).toBeLessThanOrEqual(105);
    }
  });
});
