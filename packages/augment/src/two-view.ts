import { closeSync, openSync, readSync } from 'node:fs';
import { DiloInputError, Rng, type GrayImage, type RgbImage } from '@dilo/core';
import { decodeImageFast, decodeMaskFast } from './fast-decode';
import type { AugmentConfig } from './config';
import { planView, type ViewPlan } from './view-plan';
import { ViewRenderer, type BackgroundPixels, type DecodedSample } from './view-renderer';
import { checkMapSize } from './transforms/copy-paste';

/** One training sample as the loader sees it: files only (decoded on demand). */
export interface SampleRef {
  image: string;
  /** the saliency map; a sample without one is never pasted */
  map?: string;
  label: number;
}

/** The stream of view v (0 = query, 1 = key) of sample `index` in epoch `epoch`. */
export function viewRng(seed: number, epoch: number, index: number, view: number): Rng {
  return new Rng(seed, ['view', epoch, index, view]);
}

/** Width and height from a PNG's IHDR chunk, or null when the file is not a PNG. */
export function pngSize(file: string): { width: number; height: number } | null {
  const head = Buffer.alloc(24);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new DiloInputError(file, `cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  try {
    if (readSync(fd, head, 0, 24, 0) < 24) return null;
  } finally {
    closeSync(fd);
  }
  const isPng = head.readUInt32BE(0) === 0x89504e47 && head.readUInt32BE(4) === 0x0d0a1a0a && head.toString('latin1', 12, 16) === 'IHDR';
  return isPng ? { width: head.readUInt32BE(16), height: head.readUInt32BE(20) } : null;
}

/** Decode an image and its map, checking that their sizes match. */
export async function decodeSample(ref: SampleRef): Promise<DecodedSample> {
  const [image, map] = await Promise.all([decodeImageFast(ref.image), ref.map ? decodeMaskFast(ref.map) : Promise.resolve(undefined)]);
  if (map) checkMapSize(image, map, ref.map as string, ref.image);
  return { image, map, imageFile: ref.image, mapFile: ref.map };
}

/** Decoded textures, the most recently used `capacity` of them kept (textures can be large). */
class TextureCache {
  private readonly cache = new Map<number, Promise<RgbImage>>();
  constructor(
    private readonly files: readonly string[],
    private readonly capacity = 64,
  ) {}
  get(i: number): Promise<RgbImage> {
    let p = this.cache.get(i);
    if (p) this.cache.delete(i); // re-inserted below: Map order is recency order
    else p = decodeImageFast(this.files[i]);
    this.cache.set(i, p);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value as number);
    return p;
  }
}

export interface TwoViewSamplerOptions {
  samples: readonly SampleRef[];
  config: AugmentConfig;
  seed: number;
}

/**
 * Makes the (query, key) pair of a sample: both views' plans come from streams keyed by
 * (seed, epoch, sample index, view), so the result does not depend on who computes it.
 */
export class TwoViewSampler {
  readonly renderer: ViewRenderer;
  /** samples whose map size was checked against their image */
  private readonly mapChecked = new Set<number>();
  private readonly textures: TextureCache | null;

  constructor(readonly opts: TwoViewSamplerOptions) {
    this.renderer = new ViewRenderer(opts.config);
    const bg = opts.config.paste?.background;
    this.textures = bg?.kind === 'texture' ? new TextureCache(bg.files) : null;
  }

  plan(sample: DecodedSample, epoch: number, index: number, view: number): ViewPlan {
    return this.planFor(sample.image, !!sample.map, epoch, index, view);
  }

  private planFor(size: { width: number; height: number }, hasMap: boolean, epoch: number, index: number, view: number): ViewPlan {
    return planView(
      this.opts.config,
      { width: size.width, height: size.height, hasMap, index, datasetSize: this.opts.samples.length },
      viewRng(this.opts.seed, epoch, index, view),
    );
  }

  /**
   * Decode a sample and plan both views, decoding its saliency map only when a view pastes
   * (about half the samples at p = 0.3 need none). Same plans and pixels as decodeSample +
   * prepare; a map of the wrong size is still an error naming the file when it is used.
   */
  async load(ref: SampleRef, epoch: number, index: number): Promise<PreparedSample> {
    const image = await decodeImageFast(ref.image);
    const hasMap = !!ref.map;
    const plans = [this.planFor(image, hasMap, epoch, index, 0), this.planFor(image, hasMap, epoch, index, 1)] as const;
    let map: GrayImage | undefined;
    if (ref.map && (plans[0].paste || plans[1].paste)) {
      map = await decodeMaskFast(ref.map);
      checkMapSize(image, map, ref.map, ref.image);
      this.mapChecked.add(index);
    } else if (ref.map && !this.mapChecked.has(index)) {
      // not pasted now, but a wrong map must still fail the first epoch: its size from the PNG
      // header (24 bytes), or a full decode for other formats; once per sample and process
      checkMapSize(image, pngSize(ref.map) ?? (await decodeMaskFast(ref.map)), ref.map, ref.image);
      this.mapChecked.add(index);
    }
    const sample: DecodedSample = { image, map, imageFile: ref.image, mapFile: ref.map };
    const bgs = [await this.backgroundFor(plans[0]), await this.backgroundFor(plans[1])] as const;
    return { sample, plans, bgs };
  }

  /** Decode what a plan's background needs. */
  async backgroundFor(plan: ViewPlan): Promise<BackgroundPixels | null> {
    const bg = plan.paste?.background;
    if (!bg || bg.kind === 'grey') return null;
    if (bg.kind === 'texture') return { kind: 'texture', texture: await (this.textures as TextureCache).get(bg.file) };
    const ref = this.opts.samples[bg.index];
    // the other image's map is only needed to remove its foreground
    return { kind: 'natural', sample: await decodeSample(bg.removeForeground ? ref : { ...ref, map: undefined }) };
  }

  /** Plans and background pixels of both views of a decoded sample. */
  async prepare(sample: DecodedSample, epoch: number, index: number): Promise<PreparedSample> {
    const plans = [this.plan(sample, epoch, index, 0), this.plan(sample, epoch, index, 1)] as const;
    const bgs = [await this.backgroundFor(plans[0]), await this.backgroundFor(plans[1])] as const;
    return { sample, plans, bgs };
  }

  /** Render both views into query/key (NCHW) at batch position n. */
  renderPair(p: PreparedSample, query: Float32Array, key: Float32Array, n: number): void {
    const S = this.opts.config.size;
    const per = 3 * S * S;
    this.renderer.render(p.sample, p.plans[0], p.bgs[0], query, n * per);
    this.renderer.render(p.sample, p.plans[1], p.bgs[1], key, n * per);
  }
}

export interface PreparedSample {
  sample: DecodedSample;
  plans: readonly [ViewPlan, ViewPlan];
  bgs: readonly [BackgroundPixels | null, BackgroundPixels | null];
}
