import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { encodePng, imageSize, writeFileAtomic, type Manifest } from '@dilo/core';

/**
 * Stand-in saliency maps for benchmarking when no real ones exist: a centred Gaussian blob
 * (sigma = a quarter of each side), soft 0-255, the image's size. Deterministic; written once
 * under `dir` mirroring the images' ids, and reused.
 */
export function blobMap(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const sx = width / 4;
  const sy = height / 4;
  for (let y = 0; y < height; y++) {
    const dy = (y + 0.5 - height / 2) / sy;
    for (let x = 0; x < width; x++) {
      const dx = (x + 0.5 - width / 2) / sx;
      out[y * width + x] = Math.round(255 * Math.exp(-0.5 * (dx * dx + dy * dy)));
    }
  }
  return out;
}

/** Write blob maps for every sample of m under dir (skipping those present); returns m with masks set. */
export async function ensureBlobMaps(m: Manifest, dir: string): Promise<Manifest> {
  const samples = [];
  for (const s of m.samples) {
    const file = path.join(dir, `${s.id}.png`);
    try {
      await fs.access(file);
    } catch {
      const { width, height } = await imageSize(s.image);
      await writeFileAtomic(file, await encodePng({ width, height, data: blobMap(width, height) }));
    }
    samples.push({ ...s, mask: file });
  }
  return { ...m, samples };
}
