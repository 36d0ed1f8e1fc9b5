import { Rng, type RgbImage } from '@dilo/core';
import { cropImage, flipHorizontal, randomResizedCropFlip } from './random-resized-crop';

// 6x4 image whose red channel is the column and green the row
const img: RgbImage = { width: 6, height: 4, data: Uint8Array.from({ length: 6 * 4 * 3 }, (_, k) => [Math.floor(k / 3) % 6, Math.floor(k / 18), 0][k % 3]) };

test('crop takes rows i..i+h and columns j..j+w; flip mirrors the columns', () => {
  const c = cropImage(img, { i: 1, j: 2, h: 2, w: 3 });
  expect([c.width, c.height]).toEqual([3, 2]);
  expect(Array.from(c.data.filter((_, k) => k % 3 === 0))).toEqual([2, 3, 4, 2, 3, 4]);
  expect(Array.from(c.data.filter((_, k) => k % 3 === 1))).toEqual([1, 1, 1, 2, 2, 2]);
  expect(Array.from(flipHorizontal(c).data.filter((_, k) => k % 3 === 0))).toEqual([4, 3, 2, 4, 3, 2]);
});

test('the probe augmentation has the asked size and is the same under the same seed', async () => {
  const a = await randomResizedCropFlip(img, 5, new Rng(3, ['t']));
  const b = await randomResizedCropFlip(img, 5, new Rng(3, ['t']));
  expect([a.width, a.height]).toEqual([5, 5]);
  expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
  const others = await Promise.all([4, 5, 6, 7].map((s) => randomResizedCropFlip(img, 5, new Rng(s, ['t']))));
  expect(others.some((o) => !Buffer.from(o.data).equals(Buffer.from(a.data)))).toBe(true);
});
