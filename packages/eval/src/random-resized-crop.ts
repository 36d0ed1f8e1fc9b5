/**
 * RandomResizedCrop + horizontal flip, torchvision semantics (scale (0.08, 1), ratio (3/4, 4/3),
 * 10 tries then a centre crop fallback), drawn from a caller-provided seeded stream.
 */
import { resizeImage, type Rng, type RgbImage } from '@dilo/core';

export interface CropBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

export function sampleCropBox(rng: Rng, width: number, height: number, scale: [number, number] = [0.08, 1], ratio: [number, number] = [3 / 4, 4 / 3]): CropBox {
  const area = width * height;
  const logR = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let t = 0; t < 10; t++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const ar = Math.exp(rng.uniform(logR[0], logR[1]));
    const w = Math.round(Math.sqrt(target * ar));
    const h = Math.round(Math.sqrt(target / ar));
    if (w > 0 && h > 0 && w <= width && h <= height) return { x: rng.int(width - w + 1), y: rng.int(height - h + 1), w, h };
  }
  // fallback: whole image clipped to the ratio range, centred
  const inRatio = width / height;
  let w = width, h = height;
  if (inRatio < ratio[0]) h = Math.round(w / ratio[0]);
  else if (inRatio > ratio[1]) w = Math.round(h * ratio[1]);
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), w, h };
}

export function cropImage(img: RgbImage, b: CropBox): RgbImage {
  const data = new Uint8Array(b.w * b.h * 3);
  for (let y = 0; y < b.h; y++) data.set(img.data.subarray(((b.y + y) * img.width + b.x) * 3, ((b.y + y) * img.width + b.x + b.w) * 3), y * b.w * 3);
  return { width: b.w, height: b.h, data };
}

export function flipHorizontal(img: RgbImage): RgbImage {
  const { width: W, height: H } = img;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) data[(y * W + x) * 3 + c] = img.data[(y * W + W - 1 - x) * 3 + c];
  return { width: W, height: H, data };
}

/** The MoCo linear-probe training augmentation: RandomResizedCrop(size) + flip with p = 0.5. */
export async function randomResizedCropFlip(img: RgbImage, size: number, rng: Rng): Promise<RgbImage> {
  const box = sampleCropBox(rng, img.width, img.height);
  const out = await resizeImage(cropImage(img, box), size, size);
  return rng.bernoulli(0.5) ? flipHorizontal(out) : out;
}
