/**
 * The evaluation (test-time) transform: resize to resize x resize, centre-crop crop x crop,
 * RGB to [0, 1] NCHW. The MoCo protocol's "resize 256, centre crop 224" scales to small images
 * as resize = round(crop / 0.875).
 */
import { resizeImage, type RgbImage } from '@dilo/core';
import type { ImageBatch } from './extractor';

export interface EvalTransform {
  resize: number;
  crop: number;
}

/** The MoCo test transform scaled to a crop size (224 -> resize 256). */
export function mocoTestTransform(crop: number): EvalTransform {
  return { resize: Math.round(crop / 0.875), crop };
}

export function checkTransform(t: EvalTransform): void {
  if (!Number.isInteger(t.resize) || !Number.isInteger(t.crop) || t.crop < 1 || t.resize < t.crop) {
    throw new RangeError(`transform needs integer sizes with resize >= crop >= 1, got resize ${t.resize}, crop ${t.crop}`);
  }
}

/** Centre crop of an RGB image (the crop must fit). */
export function centerCrop(img: RgbImage, size: number): RgbImage {
  const x0 = Math.floor((img.width - size) / 2);
  const y0 = Math.floor((img.height - size) / 2);
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) data.set(img.data.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + size) * 3), y * size * 3);
  return { width: size, height: size, data };
}

export async function applyTransform(img: RgbImage, t: EvalTransform): Promise<RgbImage> {
  const r = img.width === t.resize && img.height === t.resize ? img : await resizeImage(img, t.resize, t.resize);
  return t.crop === t.resize ? r : centerCrop(r, t.crop);
}

/** Stack same-size RGB images into an NCHW [0, 1] batch. */
export function toBatch(images: RgbImage[]): ImageBatch {
  if (images.length === 0) throw new RangeError('toBatch: no images');
  const { width: W, height: H } = images[0];
  const data = new Float32Array(images.length * 3 * H * W);
  images.forEach((img, b) => {
    if (img.width !== W || img.height !== H) throw new RangeError(`toBatch: image ${b} is ${img.width}x${img.height}, expected ${W}x${H}`);
    const base = b * 3 * H * W;
    for (let p = 0; p < H * W; p++) {
      data[base + p] = img.data[3 * p] / 255;
      data[base + H * W + p] = img.data[3 * p + 1] / 255;
      data[base + 2 * H * W + p] = img.data[3 * p + 2] / 255;
    }
  });
  return { n: images.length, height: H, width: W, data };
}
