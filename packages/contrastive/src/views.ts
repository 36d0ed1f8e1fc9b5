import { decodeImage, imageFolder, imageList, Rng, type Manifest, type RgbImage, DiloInputError } from '@dilo/core';
import { promises as fs } from 'node:fs';

/** One batch of MoCo's two views, each NCHW float32 [n, 3, size, size], normalised. */
export interface ViewBatch {
  query: Float32Array;
  key: Float32Array;
  n: number;
  size: number;
}

/**
 * Where pre-training gets its views. Deterministic in (seed, epoch, batch index), so a run
 * resumed at any step sees the same batches as an uninterrupted one.
 */
export interface ViewBatchSource {
  /** full batches per epoch (the last partial batch is dropped, as drop_last=True) */
  readonly batchesPerEpoch: number;
  /** the batches of one epoch, starting at batch `from` */
  epoch(epoch: number, from: number): AsyncIterable<ViewBatch>;
  /** release workers (optional) */
  close?(): Promise<void>;
}

/** ImageNet statistics, as torchvision's Normalize in the MoCo reference. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** An RGB image to normalised CHW float32 (no resize). */
export function normalizeImage(img: RgbImage, out = new Float32Array(3 * img.width * img.height), offset = 0): Float32Array {
  const hw = img.width * img.height;
  for (let i = 0; i < hw; i++) {
    for (let c = 0; c < 3; c++) out[offset + c * hw + i] = (img.data[i * 3 + c] / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
  }
  return out;
}

/**
 * A minimal two-view maker (used until @dilo/augment's loader is wired, and by tests):
 * RandomResizedCrop(size, scale 0.2-1, ratio 3/4-4/3) with bilinear sampling, colour jitter
 * (brightness, contrast, saturation 0.4) with p 0.8, grayscale p 0.2, horizontal flip p 0.5.
 * Writes normalised CHW into out at offset.
 */
export function makeView(img: RgbImage, size: number, rng: Rng, out: Float32Array, offset: number): void {
  const { width: W, height: H, data } = img;
  let cw = W;
  let ch = H;
  let cx = 0;
  let cy = 0;
  for (let attempt = 0; attempt < 10; attempt++) {
    const area = W * H * rng.uniform(0.2, 1);
    const ratio = Math.exp(rng.uniform(Math.log(3 / 4), Math.log(4 / 3)));
    const w = Math.round(Math.sqrt(area * ratio));
    const h = Math.round(Math.sqrt(area / ratio));
    if (w > 0 && h > 0 && w <= W && h <= H) {
      cw = w;
      ch = h;
      cx = rng.int(W - w + 1);
      cy = rng.int(H - h + 1);
      break;
    }
  }
  const flip = rng.bernoulli(0.5);
  const jitter = rng.bernoulli(0.8);
  const b = jitter ? rng.uniform(0.6, 1.4) : 1;
  const c = jitter ? rng.uniform(0.6, 1.4) : 1;
  const s = jitter ? rng.uniform(0.6, 1.4) : 1;
  const gray = rng.bernoulli(0.2);
  const hw = size * size;
  const px = new Float32Array(3 * hw);
  let meanLum = 0;
  for (let oy = 0; oy < size; oy++) {
    const sy = Math.min(H - 1, Math.max(0, cy + ((oy + 0.5) * ch) / size - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(H - 1, y0 + 1);
    const fy = sy - y0;
    for (let ox = 0; ox < size; ox++) {
      const tx = flip ? size - 1 - ox : ox;
      const sx = Math.min(W - 1, Math.max(0, cx + ((tx + 0.5) * cw) / size - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(W - 1, x0 + 1);
      const fx = sx - x0;
      const i = oy * size + ox;
      for (let k = 0; k < 3; k++) {
        const v00 = data[(y0 * W + x0) * 3 + k];
        const v01 = data[(y0 * W + x1) * 3 + k];
        const v10 = data[(y1 * W + x0) * 3 + k];
        const v11 = data[(y1 * W + x1) * 3 + k];
        const v = ((v00 * (1 - fx) + v01 * fx) * (1 - fy) + (v10 * (1 - fx) + v11 * fx) * fy) / 255;
        px[k * hw + i] = Math.min(1, v * b);
      }
      meanLum += 0.299 * px[i] + 0.587 * px[hw + i] + 0.114 * px[2 * hw + i];
    }
  }
  meanLum /= hw;
  for (let i = 0; i < hw; i++) {
    const lum = 0.299 * px[i] + 0.587 * px[hw + i] + 0.114 * px[2 * hw + i];
    for (let k = 0; k < 3; k++) {
      let v = px[k * hw + i];
      if (jitter) {
        v = Math.min(1, Math.max(0, (v - meanLum) * c + meanLum));
        v = Math.min(1, Math.max(0, (v - lum) * s + lum));
      }
      if (gray) v = lum;
      out[offset + k * hw + i] = (v - IMAGENET_MEAN[k]) / IMAGENET_STD[k];
    }
  }
}

/** Images of a folder: ImageFolder layout when it has class sub-folders, else every image below it. */
export async function listTrainingImages(dir: string): Promise<string[]> {
  return (await trainingManifest(dir)).samples.map((s) => s.image);
}

/**
 * The training images of a folder as a manifest: ImageFolder when it has class sub-folders with
 * images, else every image below it. Any other error (unreadable folder, permissions) is thrown.
 */
export async function trainingManifest(dir: string): Promise<Manifest> {
  let st;
  try {
    st = await fs.stat(dir);
  } catch {
    throw new DiloInputError(dir, 'data folder does not exist');
  }
  if (!st.isDirectory()) throw new DiloInputError(dir, 'not a folder');
  try {
    return await imageFolder(dir);
  } catch (err) {
    // only "no class folders" / "no images in them" mean a plain folder
    if (!(err instanceof DiloInputError) || err.file !== dir || /not a readable/.test(err.problem)) throw err;
    return imageList(dir);
  }
}

/** The built-in view source: two independent makeView views of every image, shuffled per epoch. */
export class SimpleViewSource implements ViewBatchSource {
  readonly batchesPerEpoch: number;
  private readonly cache = new Map<number, RgbImage>();

  constructor(
    readonly files: readonly string[],
    readonly batch: number,
    readonly size: number,
    readonly seed: number,
    /** keep decoded images in memory (small datasets) */
    readonly cacheImages = files.length <= 50_000,
    /** data-parallel share: only this process's contiguous slice of each batch */
    readonly shard: { rank: number; world: number } = { rank: 0, world: 1 },
  ) {
    if (batch % shard.world !== 0) throw new RangeError(`the batch ${batch} does not split into ${shard.world} equal process shares`);
    this.batchesPerEpoch = Math.floor(files.length / batch);
    if (this.batchesPerEpoch < 1) throw new RangeError(`${files.length} images make no full batch of ${batch}`);
  }

  private async image(i: number): Promise<RgbImage> {
    const hit = this.cache.get(i);
    if (hit) return hit;
    const img = await decodeImage(this.files[i]);
    if (this.cacheImages) this.cache.set(i, img);
    return img;
  }

  async *epoch(epoch: number, from: number): AsyncIterable<ViewBatch> {
    const order = new Rng(this.seed, ['views', 'epoch', epoch]).permutation(this.files.length);
    const per = 3 * this.size * this.size;
    const local = this.batch / this.shard.world;
    for (let b = from; b < this.batchesPerEpoch; b++) {
      const query = new Float32Array(local * per);
      const key = new Float32Array(local * per);
      for (let i = 0; i < local; i++) {
        const idx = order[b * this.batch + this.shard.rank * local + i];
        const img = await this.image(idx);
        makeView(img, this.size, new Rng(this.seed, ['views', epoch, idx, 'q']), query, i * per);
        makeView(img, this.size, new Rng(this.seed, ['views', epoch, idx, 'k']), key, i * per);
      }
      yield { query, key, n: local, size: this.size };
    }
  }
}
