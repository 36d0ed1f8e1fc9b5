import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { decodeImage, DiloInputError, listImages } from '@dilo/core';
import { augmentPreview } from './preview';
import { makeDataset } from './__fixtures__/make-dataset';

let ds: Awaited<ReturnType<typeof makeDataset>>;
beforeAll(async () => {
  ds = await makeDataset(6);
});
afterAll(async () => {
  await fs.rm(ds.root, { recursive: true, force: true });
});

describe('augment preview', () => {
  it('writes a grid: one row per sample, a column per stage and background', async () => {
    const out = path.join(ds.root, 'grid.png');
    const r = await augmentPreview({ images: ds.images, maps: ds.maps, out, n: 3, seed: 1, textures: await listImages(ds.textures), size: 32, cell: 40 });
    expect(r.columns).toEqual(['original', 'map', 'on grey', 'on texture', 'on natural', 'on natural, fg removed', 'query', 'key']);
    expect(r.rows).toBe(3);
    const img = await decodeImage(out);
    expect(img.width).toBe(8 * 40);
    expect(img.height).toBe(r.height);
    // the map cell of the first row shows the map: white centre, black corner
    const y = 24 + 20;
    const px = (x: number): number => img.data[(y * img.width + x) * 3];
    expect(px(40 + 20)).toBeGreaterThan(200);
    expect(img.data[((24 + 6) * img.width + 40 + 1) * 3]).toBeLessThan(20);
  });
  it('names the maps folder when no image has a map', async () => {
    const empty = path.join(ds.root, 'no-maps');
    await fs.mkdir(empty, { recursive: true });
    await expect(augmentPreview({ images: ds.images, maps: empty, out: path.join(ds.root, 'x.png') })).rejects.toThrow(DiloInputError);
  });
});
