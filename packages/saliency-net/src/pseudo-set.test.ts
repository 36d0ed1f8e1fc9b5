import { keepMostConfident, pseudoMaskConfidence, type PseudoMaskedSet } from './pseudo-set';

/** 4 images of 2x2 pixels whose masks are constant per image */
function set(values: number[]): PseudoMaskedSet {
  const n = values.length;
  const masks = new Uint8Array(n * 4);
  const images = new Uint8Array(n * 4 * 3);
  values.forEach((v, i) => {
    masks.fill(v, i * 4, (i + 1) * 4);
    images.fill(i, i * 12, (i + 1) * 12);
  });
  return { images, masks, n, size: 2, ids: values.map((_, i) => `img${i}`) };
}

test('confidence is mean |2t - 1|: 1 for binary masks, 0 for a flat 0.5', () => {
  const s = set([255, 0, 128, 191]);
  const c = pseudoMaskConfidence(s);
  expect(c[0]).toBeCloseTo(1, 6);
  expect(c[1]).toBeCloseTo(1, 6);
  expect(c[2]).toBeCloseTo(1 / 255, 6);
  expect(c[3]).toBeCloseTo(127 / 255, 6);
  // a mixed mask: pixels 0, 255, 128, 128 -> (1 + 1 + 2/255) / 4
  const m: PseudoMaskedSet = { images: new Uint8Array(12), masks: Uint8Array.from([0, 255, 128, 128]), n: 1, size: 2, ids: ['a'] };
  expect(pseudoMaskConfidence(m)[0]).toBeCloseTo((2 + 2 / 255) / 4, 6);
});

test('keepMostConfident keeps the most confident fraction, in the original order, with their images', () => {
  const s = set([128, 255, 150, 0, 200]);
  const k = keepMostConfident(s, 0.6);
  expect(k.n).toBe(3);
  expect(k.ids).toEqual(['img1', 'img3', 'img4']);
  expect([...k.images.subarray(0, 12)]).toEqual(new Array(12).fill(1));
  expect([...k.images.subarray(24, 36)]).toEqual(new Array(12).fill(4));
  expect([...k.masks.subarray(8, 12)]).toEqual([200, 200, 200, 200]);
  expect(keepMostConfident(s, 1)).toBe(s);
  expect(keepMostConfident(s, 0.01).n).toBe(1);
  expect(() => keepMostConfident(s, 0)).toThrow(/fraction/);
  expect(() => keepMostConfident(s, 1.5)).toThrow(/fraction/);
});
