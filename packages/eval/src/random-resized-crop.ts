/**
 * The MoCo linear-probe training augmentation: RandomResizedCrop (torchvision semantics and
 * defaults: scale (0.08, 1), ratio (3/4, 4/3), 10 tries then the centre-crop fallback; the crop
 * box is @dilo/augment's `sampleCrop`) + horizontal flip, drawn from a caller-provided stream.
 */
import { resizeImage, type Rng, type RgbImage } from '@dilo/core';
import { sampleCrop, type CropBox } from '@dilo/augment';

/** torchvision.transforms.RandomResizedCrop's default scale and ratio (the MoCo probe's). */
export const PROBE_RRC = { scale: [0.08, 1] as [number, number], ratio: [3 / 4, 4 / 3] as [number, number] };

export function cropImage(img: RgbImage, b: CropBox): RgbImage {
  const data = new Uint8Array(b.w * b.h * 3);
  for (let y = 0; y < b.h; y++) data.set(img.data.subarray(((b.i + y) * img.width + b.j) * 3, ((b.i + y) * img.width + b.j + b.w) * 3), y * b.w * 3);
  return { width: b.w, height: b.h, data };
}

export function flipHorizontal(img: RgbImage): RgbImage {
  const { width: W, height: H } = img;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) data[(y * W + x) * 3 + c] = img.data[(y * W + W - 1 - x) * 3 + c];
  return { width: W, height: H, data };
}

/** RandomResizedCrop(size) + flip with p = 0.5. */
export async function randomResizedCropFlip(img: RgbImage, size: number, rng: Rng): Promise<RgbImage> {
  const box = sampleCrop(img.width, img.height, PROBE_RRC, rng);
  const out = await resizeImage(cropImage(img, box), size, size);
  return rng.bernoulli(0.5) ? flipHorizontal(out) : out;
}
