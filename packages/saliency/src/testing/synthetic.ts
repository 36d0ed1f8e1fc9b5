import type { GrayImage, RgbImage } from '@dilo/core';

/** Deterministic test scene: a textured background with a distinctly coloured ellipse; returns image and ground truth. */
export function syntheticScene(width = 120, height = 90, seed = 1): { image: RgbImage; gt: GrayImage } {
  const data = new Uint8Array(width * height * 3);
  const gt = new Uint8Array(width * height);
  let s = seed >>> 0;
  const rand = (): number => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const cx = width * 0.55;
  const cy = height * 0.5;
  const rx = width * 0.2;
  const ry = height * 0.25;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const inside = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
      const n = (rand() - 0.5) * 16;
      const base = inside ? [200, 40, 40] : [70 + 0.2 * x, 120 + 0.1 * y, 80];
      for (let c = 0; c < 3; c++) data[3 * i + c] = Math.max(0, Math.min(255, Math.round(base[c] + n)));
      gt[i] = inside ? 255 : 0;
    }
  }
  return { image: { width, height, data }, gt: { width, height, data: gt } };
}

/** Mean of a map inside and outside a binary mask. */
export function insideOutside(map: GrayImage, gt: GrayImage): { inside: number; outside: number } {
  let si = 0;
  let ni = 0;
  let so = 0;
  let no = 0;
  for (let i = 0; i < map.data.length; i++) {
    if (gt.data[i] > 128) {
      si += map.data[i];
      ni++;
    } else {
      so += map.data[i];
      no++;
    }
  }
  return { inside: si / ni, outside: so / no };
}
