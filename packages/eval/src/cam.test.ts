import { binarizeMask, camAtImageSize, classActivationMap, colorizeCam, jet, minMaxNormalize, overlayCam, resizeBilinear, type FloatMap } from './cam';
import { argmaxPixel, boxMask, defaultPointingTolerance, energyFraction, pointingHit } from './localization';
import type { LinearModel } from './softmax';

const map = (w: number, h: number, v: number[]): FloatMap => ({ width: w, height: h, data: Float32Array.from(v) });

describe('classActivationMap', () => {
  it('is the class-weighted sum of the conv channels (hand-computed)', () => {
    // 2 channels of 2x2, one sample; class 1 weights (2, -1)
    const conv = { c: 2, h: 2, w: 2, data: Float32Array.from([1, 2, 3, 4, 10, 0, 0, 10]) };
    const model: LinearModel = { numClasses: 2, dim: 2, weight: Float64Array.from([1, 1, 2, -1]), bias: Float64Array.from([0, 5]) };
    expect(Array.from(classActivationMap(conv, 0, model, 1).data)).toEqual([2 - 10, 4, 6, 8 - 10]);
    expect(Array.from(classActivationMap(conv, 0, model, 0).data)).toEqual([11, 2, 3, 14]);
    expect(() => classActivationMap(conv, 0, model, 2)).toThrow(/out of range/);
  });

  it('at image size: upsampled and min-max normalised to [0, 1]', () => {
    const conv = { c: 1, h: 2, w: 2, data: Float32Array.from([0, 0, 0, 4]) };
    const model: LinearModel = { numClasses: 1, dim: 1, weight: Float64Array.from([1]), bias: Float64Array.from([0]) };
    const m = camAtImageSize(conv, 0, model, 0, 4, 4);
    expect(Math.min(...m.data)).toBe(0);
    expect(Math.max(...m.data)).toBe(1);
    expect(argmaxPixel(m)).toEqual({ x: 3, y: 3 });
  });
});

describe('resizeBilinear', () => {
  it('uses half-pixel centres (matches cv2.resize INTER_LINEAR on a 2x2 -> 4x4 case)', () => {
    // cv2.resize(np.float32([[0, 4], [8, 12]]), (4, 4)) row 0: [0, 1, 3, 4]; column 0: [0, 2, 6, 8]
    const r = resizeBilinear(map(2, 2, [0, 4, 8, 12]), 4, 4);
    expect(Array.from(r.data.subarray(0, 4))).toEqual([0, 1, 3, 4]);
    expect([0, 1, 2, 3].map((y) => r.data[y * 4])).toEqual([0, 2, 6, 8]);
  });

  it('leaves a map of the same size unchanged', () => {
    expect(Array.from(resizeBilinear(map(2, 1, [1, 2]), 2, 1).data)).toEqual([1, 2]);
  });
});

describe('normalisation, colormap and overlay', () => {
  it('min-max normalises; a constant map becomes zeros', () => {
    expect(Array.from(minMaxNormalize(map(3, 1, [2, 4, 6])).data)).toEqual([0, 0.5, 1]);
    expect(Array.from(minMaxNormalize(map(2, 1, [3, 3])).data)).toEqual([0, 0]);
  });

  it('jet goes dark blue -> green -> dark red', () => {
    expect(jet(0)).toEqual([0, 0, 128]);
    expect(jet(0.5)).toEqual([128, 255, 128]);
    expect(jet(1)).toEqual([128, 0, 0]);
    expect(colorizeCam(map(1, 1, [1])).data).toEqual(Uint8Array.from([128, 0, 0]));
  });

  it('overlay blends the colormap on the image', () => {
    const img = { width: 1, height: 1, data: Uint8Array.from([100, 100, 100]) };
    expect(Array.from(overlayCam(img, map(1, 1, [1]), 0.5).data)).toEqual([114, 50, 50]);
    expect(Array.from(overlayCam(img, map(1, 1, [1]), 0).data)).toEqual([100, 100, 100]);
  });
});

describe('localization scores', () => {
  // 4x4 map with all its energy in the top-left 2x2 block
  const m = map(4, 4, [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const tl = boxMask([{ x0: 0, y0: 0, x1: 2, y1: 2 }], 4, 4);
  const br = boxMask([{ x0: 2, y0: 2, x1: 4, y1: 4 }], 4, 4);

  it('energy fraction: inside / total', () => {
    expect(energyFraction(m, tl)).toBe(1);
    expect(energyFraction(m, br)).toBe(0);
    const half = boxMask([{ x0: 0, y0: 0, x1: 1, y1: 2 }], 4, 4);
    expect(energyFraction(m, half)).toBe(0.5);
    expect(energyFraction(map(4, 4, new Array(16).fill(0)), tl)).toBe(0);
  });

  it('pointing game: hit inside, miss outside, hit within the tolerance', () => {
    expect(pointingHit(m, tl, 0)).toBe(true);
    expect(pointingHit(m, br, 0)).toBe(false);
    // the maximum is at (0,0) (first in raster order); br starts at (2,2): distance sqrt(8) = 2.83
    expect(pointingHit(m, br, 2.8)).toBe(false);
    expect(pointingHit(m, br, 2.9)).toBe(true);
  });

  it('scales the 15 px / 224 px tolerance to the image', () => {
    expect(defaultPointingTolerance(224, 224)).toBe(15);
    expect(defaultPointingTolerance(64, 80)).toBe(4);
  });

  it('binarises masks at > 127', () => {
    expect(Array.from(binarizeMask({ width: 3, height: 1, data: Uint8Array.from([0, 127, 128]) }))).toEqual([0, 0, 1]);
  });
});
