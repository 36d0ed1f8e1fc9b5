/**
 * Background-robustness variants (Backgrounds Challenge, Xiao et al. 2020) for any dataset with
 * foreground masks (mask > 127 is foreground):
 *   original    the image
 *   only-fg     the foreground on uniform grey (128)
 *   only-bg     the foreground blacked out (the challenge's only-bg-b)
 *   mixed-same  the foreground pasted on the background of another image of the same class
 *   mixed-rand  the foreground pasted on the background of a random other image
 * A background taken from another image first has that image's own object removed: its
 * foreground pixels are filled by tiling the surrounding background (copied from the nearest
 * pixel one or more object-widths to the left/right, else above/below, else the mean
 * background colour), in the spirit of the challenge's tiled only-bg-t, so no other object
 * leaks in. The source image is chosen with Rng(seed, ['eval', 'backgrounds', variant, index]):
 * deterministic under the seed. BG-gap = acc(mixed-same) - acc(mixed-rand).
 */
import { Rng, resizeImage, type GrayImage, type RgbImage } from '@dilo/core';

export type BackgroundVariant = 'original' | 'only-fg' | 'only-bg' | 'mixed-same' | 'mixed-rand';
export const BACKGROUND_VARIANTS: readonly BackgroundVariant[] = ['original', 'only-fg', 'only-bg', 'mixed-same', 'mixed-rand'];

export const ONLY_FG_GREY = 128;

function fgOf(mask: GrayImage): Uint8Array {
  return mask.data.map((v) => (v > 127 ? 1 : 0));
}

function checkPair(img: RgbImage, mask: GrayImage): void {
  if (img.width !== mask.width || img.height !== mask.height) throw new RangeError(`image ${img.width}x${img.height} but mask ${mask.width}x${mask.height}`);
}

export function onlyForeground(img: RgbImage, mask: GrayImage, grey = ONLY_FG_GREY): RgbImage {
  checkPair(img, mask);
  const fg = fgOf(mask);
  const data = Uint8Array.from(img.data);
  for (let p = 0; p < fg.length; p++) if (!fg[p]) data.fill(grey, 3 * p, 3 * p + 3);
  return { width: img.width, height: img.height, data };
}

export function onlyBackground(img: RgbImage, mask: GrayImage): RgbImage {
  checkPair(img, mask);
  const fg = fgOf(mask);
  const data = Uint8Array.from(img.data);
  for (let p = 0; p < fg.length; p++) if (fg[p]) data.fill(0, 3 * p, 3 * p + 3);
  return { width: img.width, height: img.height, data };
}

/** The background with its object removed by tiling (see the file comment). */
export function fillForeground(img: RgbImage, mask: GrayImage): RgbImage {
  checkPair(img, mask);
  const { width: W, height: H } = img;
  const fg = fgOf(mask);
  let x0 = W, x1 = -1, y0 = H, y1 = -1;
  const mean = [0, 0, 0];
  let nb = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      if (fg[p]) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      } else {
        for (let k = 0; k < 3; k++) mean[k] += img.data[3 * p + k];
        nb++;
      }
    }
  }
  const data = Uint8Array.from(img.data);
  if (x1 < 0) return { width: W, height: H, data };
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const fallback = mean.map((v) => (nb ? Math.round(v / nb) : ONLY_FG_GREY));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const p = y * W + x;
      if (!fg[p]) continue;
      let src = -1;
      // nearest background pixel a whole number of object widths away (keeps texture phase)
      for (let m = 1; src < 0 && (x - m * bw >= 0 || x + m * bw < W); m++) {
        for (const xx of [x - m * bw, x + m * bw]) if (src < 0 && xx >= 0 && xx < W && !fg[y * W + xx]) src = y * W + xx;
      }
      for (let m = 1; src < 0 && (y - m * bh >= 0 || y + m * bh < H); m++) {
        for (const yy of [y - m * bh, y + m * bh]) if (src < 0 && yy >= 0 && yy < H && !fg[yy * W + x]) src = yy * W + x;
      }
      if (src >= 0) data.set(img.data.subarray(3 * src, 3 * src + 3), 3 * p);
      else data.set(fallback, 3 * p);
    }
  }
  return { width: W, height: H, data };
}

/** The foreground of `img` pasted on `background` (resized to img's size when needed). */
export async function pasteForeground(img: RgbImage, mask: GrayImage, background: RgbImage): Promise<RgbImage> {
  checkPair(img, mask);
  const bg = background.width === img.width && background.height === img.height ? background : await resizeImage(background, img.width, img.height);
  const fg = fgOf(mask);
  const data = Uint8Array.from(bg.data);
  for (let p = 0; p < fg.length; p++) if (fg[p]) data.set(img.data.subarray(3 * p, 3 * p + 3), 3 * p);
  return { width: img.width, height: img.height, data };
}

/**
 * The index of the image whose background a mixed variant of sample `index` uses:
 * mixed-same: another sample of the same class (itself when it is its class's only sample);
 * mixed-rand: any other sample.
 */
export function backgroundSource(variant: 'mixed-same' | 'mixed-rand', index: number, labels: ArrayLike<number>, seed: number): number {
  const rng = new Rng(seed, ['eval', 'backgrounds', variant, index]);
  const pool: number[] = [];
  for (let j = 0; j < labels.length; j++) if (j !== index && (variant === 'mixed-rand' || labels[j] === labels[index])) pool.push(j);
  return pool.length ? rng.choice(pool) : index;
}

export interface MaskedSampleLoader {
  labels: ArrayLike<number>;
  image(index: number): Promise<RgbImage>;
  mask(index: number): Promise<GrayImage>;
}

/** Build one variant of sample `index`. */
export async function makeVariant(variant: BackgroundVariant, index: number, src: MaskedSampleLoader, seed: number): Promise<RgbImage> {
  const img = await src.image(index);
  if (variant === 'original') return img;
  const mask = await src.mask(index);
  if (variant === 'only-fg') return onlyForeground(img, mask);
  if (variant === 'only-bg') return onlyBackground(img, mask);
  const j = backgroundSource(variant, index, src.labels, seed);
  const bg = fillForeground(await src.image(j), await src.mask(j));
  return pasteForeground(img, mask, bg);
}
