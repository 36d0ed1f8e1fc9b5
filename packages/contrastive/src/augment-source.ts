import { DiloInputError, listImages, pairMasks, type Manifest } from '@dilo/core';
import { TwoViewLoader, TwoViewSampler, augmentPreset, makeBatch, samplesFromManifest, shardOfBatch, type BackgroundSpec, type SampleRef } from '@dilo/augment';
import { trainingManifest, type ViewBatch, type ViewBatchSource } from './views';

/** DiLo's switch: paste probability, background and saliency maps. p = 0 is plain MoCo. */
export interface DiloOptions {
  p: number;
  /** 'grey' | 'textures:DIR' | 'images' */
  background: string;
  /** folder of saliency maps, paired with the images by relative name */
  maps?: string;
}

export function parseBackground(spec: string): Promise<BackgroundSpec> | BackgroundSpec {
  if (spec === 'grey') return { kind: 'grey' };
  if (spec === 'images') return { kind: 'natural', removeForeground: false };
  if (spec.startsWith('textures:')) {
    const dir = spec.slice('textures:'.length);
    return listImages(dir).then((files) => {
      if (files.length === 0) throw new DiloInputError(dir, 'no texture images found');
      return { kind: 'texture', files } as BackgroundSpec;
    });
  }
  throw new RangeError(`--background must be grey, textures:DIR or images, got '${spec}'`);
}

/**
 * The MoCo v1/v2 two-view pipeline of @dilo/augment (with DiLo's copy-paste when p > 0) as a
 * ViewBatchSource. A run resumed mid-epoch renders that epoch's remaining batches in-process
 * (the loader always starts at batch 0); full epochs use the loader with its workers.
 * Batches are the same either way: each view depends only on (seed, epoch, index, view).
 */
export class AugmentViewSource implements ViewBatchSource {
  readonly batchesPerEpoch: number;
  private readonly loader: TwoViewLoader;
  private sampler: TwoViewSampler | null = null;

  private constructor(
    private readonly samples: SampleRef[],
    private readonly opts: { config: ReturnType<typeof augmentPreset>; seed: number; batch: number; workers: number; shard?: { rank: number; world: number } },
    readonly description: string,
  ) {
    this.loader = new TwoViewLoader({ samples, config: opts.config, seed: opts.seed, batchSize: opts.batch, workers: opts.workers, shard: opts.shard });
    this.batchesPerEpoch = this.loader.batchesPerEpoch();
    if (this.batchesPerEpoch < 1) throw new RangeError(`${samples.length} images make no full batch of ${opts.batch}`);
  }

  /** `manifest`: the (screened) images of `data`, when the caller has listed them already */
  /** `shard`: render only this process's share of each (global) batch of `batch` */
  static async create(o: { data: string; manifest?: Manifest; method: 'mocov1' | 'mocov2'; size: number; seed: number; batch: number; workers: number; dilo: DiloOptions; shard?: { rank: number; world: number } }): Promise<AugmentViewSource> {
    const manifest = o.manifest ?? (await trainingManifest(o.data));
    let samples = samplesFromManifest(manifest);
    if (!(o.dilo.p >= 0 && o.dilo.p <= 1)) throw new RangeError(`--dilo-p must be in [0, 1], got ${o.dilo.p}`);
    if (o.dilo.p > 0) {
      if (!o.dilo.maps) throw new RangeError('--dilo-p > 0 needs --maps DIR (saliency maps of the training images)');
      const paired = await pairMasks(manifest, o.dilo.maps);
      if (paired.samples.length === 0) throw new DiloInputError(o.dilo.maps, `no saliency map matches an image of ${o.data}`);
      const maps = new Map(paired.samples.map((s) => [s.image, s.mask as string]));
      if (paired.issues.length) {
        process.stderr.write(`dilo: ${paired.issues.length} of ${manifest.samples.length} images have no usable map under ${o.dilo.maps} and are never pasted (first: ${paired.issues[0].detail})\n`);
      }
      samples = manifest.samples.map((s) => ({ image: s.image, label: s.label, ...(maps.has(s.image) ? { map: maps.get(s.image) } : {}) }));
    }
    const paste = o.dilo.p > 0 ? { p: o.dilo.p, background: await parseBackground(o.dilo.background) } : null;
    const config = augmentPreset(o.method, { size: o.size, paste });
    const desc = `@dilo/augment ${o.method}${paste ? ` + DiLo p=${o.dilo.p} background=${o.dilo.background} maps=${o.dilo.maps}` : ''}`;
    return new AugmentViewSource(samples, { config, seed: o.seed, batch: o.batch, workers: o.workers, shard: o.shard }, desc);
  }

  async *epoch(epoch: number, from: number): AsyncIterable<ViewBatch> {
    if (from === 0) {
      for await (const b of this.loader.epoch(epoch)) yield { query: b.query, key: b.key, n: b.n, size: b.size };
      return;
    }
    this.sampler ??= new TwoViewSampler({ samples: this.samples, config: this.opts.config, seed: this.opts.seed });
    const order = this.loader.epochOrder(epoch);
    for (let b = from; b < this.batchesPerEpoch; b++) {
      const indices = shardOfBatch(order.slice(b * this.opts.batch, (b + 1) * this.opts.batch), this.opts.shard);
      const r = await makeBatch(this.sampler, this.samples, epoch, b, indices);
      yield { query: r.query, key: r.key, n: r.n, size: r.size };
    }
  }

  close(): Promise<void> {
    return this.loader.close();
  }
}
