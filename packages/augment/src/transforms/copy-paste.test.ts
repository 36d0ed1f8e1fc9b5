import { DiloInputError } from '@dilo/core';
import { checkMapSize, compositeGrey, compositeImage, pasteAlpha, removeForeground } from './copy-paste';
import { Scratch } from './resample';

// Hand-made 2x2 examples: out = a * image + (1 - a) * background, a = map / 255.
const image = { width: 2, height: 2, data: Uint8Array.from([200, 100, 0, 10, 20, 30, 255, 255, 255, 0, 0, 0]) };
const map = { width: 2, height: 2, data: Uint8Array.from([255, 0, 51, 102]) }; // a = 1, 0, 0.2, 0.4

describe('copy-paste composite', () => {
  it('a = map / 255, soft, no threshold', () => {
    const a = pasteAlpha(map, null, new Float32Array(4), new Scratch());
    expect(Array.from(a)).toEqual([1, 0, 0.2, 0.4].map((v) => Math.fround(v)));
  });
  it('grey background: a * image + (1 - a) * level', () => {
    const a = pasteAlpha(map, null, new Float32Array(4), new Scratch());
    const out = new Float32Array(12);
    compositeGrey(image, a, 50, out);
    // pixel 0 keeps the image; pixel 1 is all background; pixel 2: 0.2*255 + 0.8*50 = 91;
    // pixel 3: 0.4*0 + 0.6*50 = 30
    const want = [200, 100, 0, 50, 50, 50, 91, 91, 91, 30, 30, 30];
    out.forEach((v, k) => expect(v).toBeCloseTo(want[k], 4));
  });
  it('image background: per-pixel blend', () => {
    const a = pasteAlpha(map, null, new Float32Array(4), new Scratch());
    const bg = Float32Array.from([0, 0, 0, 100, 110, 120, 5, 10, 15, 250, 200, 150]);
    const out = new Float32Array(12);
    compositeImage(image, a, bg, out);
    const want = [200, 100, 0, 100, 110, 120, 0.2 * 255 + 0.8 * 5, 0.2 * 255 + 0.8 * 10, 0.2 * 255 + 0.8 * 15, 0.6 * 250, 0.6 * 200, 0.6 * 150];
    out.forEach((v, k) => expect(v).toBeCloseTo(want[k], 3));
  });
  it('a blurred map stays in [0, 1] and spreads the foreground', () => {
    const big = { width: 21, height: 21, data: new Uint8Array(441) };
    big.data[10 * 21 + 10] = 255;
    const a = pasteAlpha(big, 2, new Float32Array(441), new Scratch());
    expect(a[10 * 21 + 10]).toBeLessThan(0.1);
    expect(a[10 * 21 + 11]).toBeGreaterThan(0);
    let s = 0;
    a.forEach((v) => {
      expect(v).toBeGreaterThanOrEqual(0);
      s += v;
    });
    expect(s).toBeCloseTo(1, 4); // blur keeps the total mass
  });
  it('removing a natural background\'s foreground fills it with its background colour', () => {
    const bg = Float32Array.from([10, 20, 30, 200, 200, 200, 30, 40, 50, 200, 200, 200]);
    const a2 = Float32Array.from([0, 1, 0, 1]);
    removeForeground(bg, a2, 4);
    expect(Array.from(bg)).toEqual([10, 20, 30, 20, 30, 40, 30, 40, 50, 20, 30, 40]);
  });
  it('a map of another size is a DiloInputError naming the map file and both sizes', () => {
    expect(() => checkMapSize({ width: 20, height: 10 }, { width: 10, height: 20 }, '/data/maps/cat.png', '/data/images/cat.jpg')).toThrow(DiloInputError);
    expect(() => checkMapSize({ width: 20, height: 10 }, { width: 10, height: 20 }, '/data/maps/cat.png', '/data/images/cat.jpg')).toThrow(
      /\/data\/maps\/cat\.png: saliency map is 10x20 but its image \/data\/images\/cat\.jpg is 20x10/,
    );
  });
});
