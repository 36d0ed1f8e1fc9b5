import * as path from 'node:path';
import { decodeImage, imageMaskFolder, sharedDataset, type RgbImage } from '@dilo/core';
import { nativeSaliencyKernels, withTypeScriptKernels } from './native';
import { createEstimator, METHOD_NAMES, type MethodName } from './registry';
import { syntheticScene } from './testing/synthetic';
import { LAB_TABLES, rgbToLab } from './util/color';
import { slic } from './superpixel/slic';
import { greyBinned, resizeArea, resizeBilinear, upscaleToUint8 } from './util/resize';
import { fastMbd } from './methods/mbd';
import { toUint8 } from './util/map';

const classic = METHOD_NAMES.filter((m) => m !== 'onnx') as Exclude<MethodName, 'onnx'>[];
const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => Object.is(v, b[i]));

/** A noisy image: every colour and odd sizes, so no kernel gets an easy case. */
function noisyImage(w: number, h: number, seed: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = (s >>> 16) & 255;
  }
  return { width: w, height: h, data };
}

describe('native saliency kernels give the same bits as the TypeScript', () => {
  const k = nativeSaliencyKernels();
  // CI builds the addon at install: there a missing addon is a failure, not a skip
  if (!k && process.env.CI !== 'true') {
    it.skip('native addon not built (pnpm nx run saliency:build-native)', () => undefined);
    return;
  }

  it('is loaded', () => expect(k).not.toBeNull());

  const images: [string, RgbImage][] = [
    ['synthetic scene 150x100', syntheticScene(150, 100).image],
    ['noise 97x61', noisyImage(97, 61, 3)],
  ];
  const sod = sharedDataset('sod');
  if (sod) {
    // two real photos (481x321 / 321x481 in SOD)
    const picked = (async () => (await imageMaskFolder(sod)).samples.slice(0, 2))();
    images.push(['SOD photo 1', null as unknown as RgbImage], ['SOD photo 2', null as unknown as RgbImage]);
    beforeAll(async () => {
      const s = await picked;
      for (let i = 0; i < 2; i++) images[images.length - 2 + i][1] = await decodeImage(s[i].image, { name: path.basename(s[i].image) });
    });
  }

  it.each(classic)('%s: identical maps', async (name) => {
    for (const [label, img] of images) {
      const est = createEstimator(name);
      const fast = await est.estimate(img);
      const ref = await withTypeScriptKernels(() => est.estimate(img));
      expect([label, same(fast.data, ref.data)]).toEqual([label, true]);
    }
  });

  it('kernels one by one: Lab, SLIC labels, area and bilinear resizes, grey bins, FastMBD, to 8 bits', () => {
    for (const [, img] of images) {
      const { width: w, height: h } = img;
      const both = <T>(f: () => T): [T, T] => [f(), withTypeScriptKernels(f)];
      const [lab, labRef] = both(() => rgbToLab(img));
      expect(same(lab, labRef)).toBe(true);
      const [sp, spRef] = both(() => slic(img, { iterations: 4 }));
      expect(sp.count).toBe(spRef.count);
      expect(same(sp.labels, spRef.labels)).toBe(true);
      const f = Float32Array.from(img.data);
      for (const [dw, dh] of [[Math.floor(w / 3), Math.floor(h / 2)], [w * 2 + 1, h + 3], [w - 1, h - 1]]) {
        const [a, aRef] = both(() => resizeArea(f, w, h, 3, dw, dh));
        expect(same(a, aRef)).toBe(true);
        const [b, bRef] = both(() => resizeBilinear(f, w, h, 3, dw, dh));
        expect(same(b, bRef)).toBe(true);
      }
      const [g, gRef] = both(() => greyBinned(img.data, w, h, 16, 8));
      expect(same(g, gRef)).toBe(true);
      const chan = lab.filter((_, i) => i % 3 === 1);
      const [d, dRef] = both(() => fastMbd(chan, w, h, 3));
      expect(same(d, dRef)).toBe(true);
      const [u, uRef] = both(() => toUint8(d, w, h).data);
      expect(same(u, uRef)).toBe(true);
      const [v, vRef] = both(() => upscaleToUint8(d, w, h, 2 * w + 3, h + 7));
      expect(same(v, vRef)).toBe(true);
      const [a8, a8Ref] = both(() => resizeArea(img.data, w, h, 3, Math.floor(w / 2), Math.floor(h / 3)));
      expect(same(a8, a8Ref)).toBe(true);
    }
  });

  it('rejects wrong and short buffers with a named error', () => {
    const kk = k as NonNullable<typeof k>;
    const t = LAB_TABLES;
    expect(() => kk.ftSaliencyRgb(new Uint8Array(10), 4, 4, t.srgbToLinear, t.f, t.fSteps, t.fMax, new Float32Array(16))).toThrow(/ftSaliencyRgb rgb: too short/);
    expect(() => kk.greyBinned(new Float32Array(48) as unknown as Uint8Array, 4, 4, 2, 2, new Float32Array(4))).toThrow(/greyBinned rgb: wrong typed array type/);
  });
});
