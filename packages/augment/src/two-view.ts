import { Rng, type RgbImage } from '@dilo/core';
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
  private readonly textures: TextureCache | null;

  constructor(readonly opts: TwoViewSamplerOptions) {
    this.renderer = new ViewRenderer(opts.config);
    const bg = opts.config.paste?.background;
    this.textures = bg?.kind === 'texture' ? new TextureCache(bg.files) : null;
  }

  plan(sample: DecodedSample, epoch: number, index: number, view: number): ViewPlan {
    return planView(
      this.opts.config,
      { width: sample.image.width, height: sample.image.height, hasMap: !!sample.map, index, datasetSize: this.opts.samples.length },
      viewRng(this.opts.seed, epoch, index, view),
    );
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
