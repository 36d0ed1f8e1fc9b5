import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodePng, Rng } from '@dilo/core';

/**
 * A small image folder for tests: `n` RGB images (random blocks on a gradient) of w x h in two
 * class folders, a soft map for each (an ellipse with a ramp edge), and a few texture images.
 */
export async function makeDataset(n = 10, w = 48, h = 40): Promise<{ root: string; images: string; maps: string; textures: string }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dilo-augment-test-'));
  const images = path.join(root, 'images');
  const maps = path.join(root, 'maps');
  const textures = path.join(root, 'textures');
  const rng = new Rng(123);
  for (let i = 0; i < n; i++) {
    const cls = i % 2 === 0 ? 'a' : 'b';
    const data = new Uint8Array(w * h * 3);
    const base = [rng.int(256), rng.int(256), rng.int(256)];
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = (base[c] + x * 3 + y * 2 * c) & 255;
    const map = new Uint8Array(w * h);
    const cx = w / 2 + rng.int(7) - 3;
    const cy = h / 2 + rng.int(7) - 3;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const d = Math.hypot((x - cx) / (w / 4), (y - cy) / (h / 4));
        map[y * w + x] = Math.round(255 * Math.min(1, Math.max(0, 1.5 - d)));
      }
    }
    await fs.mkdir(path.join(images, cls), { recursive: true });
    await fs.mkdir(path.join(maps, cls), { recursive: true });
    await fs.writeFile(path.join(images, cls, `img${i}.png`), await encodePng({ width: w, height: h, data }));
    await fs.writeFile(path.join(maps, cls, `img${i}.png`), await encodePng({ width: w, height: h, data: map }));
  }
  await fs.mkdir(textures, { recursive: true });
  for (let t = 0; t < 3; t++) {
    const tw = 30 + 20 * t;
    const th = 70 - 10 * t;
    const data = new Uint8Array(tw * th * 3);
    for (let q = 0; q < data.length; q++) data[q] = ((q * (7 + t)) % 97) * 2;
    await fs.writeFile(path.join(textures, `tex${t}.png`), await encodePng({ width: tw, height: th, data }));
  }
  return { root, images, maps, textures };
}
