import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { decodeImage, DiloInputError, encodePng, imageFolder, listImages, pairMasks } from '@dilo/core';
import { augmentPreset, type AugmentConfig } from './config';
import { TwoViewLoader, type TwoViewLoaderOptions } from './loader';
import { samplesFromManifest } from './samples';
import type { TwoViewBatch } from './batch';
import type { SampleRef } from './two-view';
import { makeDataset } from './__fixtures__/make-dataset';
import type * as Dist from './index';

let ds: Awaited<ReturnType<typeof makeDataset>>;
let samples: SampleRef[];
let textures: string[];

beforeAll(async () => {
  ds = await makeDataset(10);
  samples = samplesFromManifest(await pairMasks(await imageFolder(ds.images), ds.maps));
  textures = await listImages(ds.textures);
});
afterAll(async () => {
  await fs.rm(ds.root, { recursive: true, force: true });
});

async function collect(opts: Omit<TwoViewLoaderOptions, 'samples'> & { samples?: SampleRef[] }, epoch = 0): Promise<TwoViewBatch[]> {
  const loader = new TwoViewLoader({ samples, ...opts });
  const out: TwoViewBatch[] = [];
  try {
    for await (const b of loader.epoch(epoch)) out.push(b);
  } finally {
    await loader.close();
  }
  return out;
}

function sameBatches(a: TwoViewBatch[], b: TwoViewBatch[]): void {
  expect(b.length).toBe(a.length);
  a.forEach((x, k) => {
    expect(Array.from(b[k].indices)).toEqual(Array.from(x.indices));
    expect(Array.from(b[k].labels)).toEqual(Array.from(x.labels));
    // bit-identical views
    expect(Buffer.from(b[k].query.buffer).equals(Buffer.from(x.query.buffer))).toBe(true);
    expect(Buffer.from(b[k].key.buffer).equals(Buffer.from(x.key.buffer))).toBe(true);
  });
}

const cfg = (over: Partial<AugmentConfig> = {}): AugmentConfig => ({ ...augmentPreset('mocov2', { size: 32, paste: { p: 0.5 } }), ...over });

describe('TwoViewSampler.load', () => {
  it('plans and renders what decodeSample + prepare does, decoding maps only for pasted views', async () => {
    const { TwoViewSampler, decodeSample } = await import('./two-view');
    const config = cfg();
    const sampler = new TwoViewSampler({ samples, config, seed: 5 });
    const per = 3 * 32 * 32;
    let skipped = 0;
    for (let i = 0; i < samples.length; i++) {
      const lazy = await sampler.load(samples[i], 2, i);
      const eager = await sampler.prepare(await decodeSample(samples[i]), 2, i);
      expect(lazy.plans).toEqual(eager.plans);
      if (!lazy.sample.map) skipped++;
      const a = new Float32Array(2 * per);
      const b = new Float32Array(2 * per);
      sampler.renderPair(lazy, a.subarray(0, per), a.subarray(per), 0);
      sampler.renderPair(eager, b.subarray(0, per), b.subarray(per), 0);
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    }
    expect(skipped).toBeGreaterThan(0); // p = 0.5 per view: some samples paste in neither view
  });
});

describe('TwoViewLoader (in-process)', () => {
  it('yields float32 NCHW query/key batches in the epoch order', async () => {
    const batches = await collect({ config: cfg(), seed: 1, batchSize: 4 });
    expect(batches).toHaveLength(2); // 10 samples, drop_last
    const order = new TwoViewLoader({ samples, config: cfg(), seed: 1, batchSize: 4 }).epochOrder(0);
    expect([...order].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    batches.forEach((b, k) => {
      expect(b.n).toBe(4);
      expect(b.size).toBe(32);
      expect(b.query).toBeInstanceOf(Float32Array);
      expect(b.query.length).toBe(4 * 3 * 32 * 32);
      expect(b.key.length).toBe(4 * 3 * 32 * 32);
      expect(Array.from(b.indices)).toEqual(order.slice(k * 4, k * 4 + 4));
      expect(Array.from(b.labels)).toEqual(Array.from(b.indices).map((i) => samples[i].label));
      expect(b.query.every(Number.isFinite)).toBe(true);
      expect(Buffer.from(b.query.buffer).equals(Buffer.from(b.key.buffer))).toBe(false); // two different views
    });
  });

  it('same seed and epoch: same batches; another epoch: another order and other views', async () => {
    const a = await collect({ config: cfg(), seed: 1, batchSize: 5 });
    sameBatches(a, await collect({ config: cfg(), seed: 1, batchSize: 5, prefetch: 3, lookahead: 1 }));
    const e1 = await collect({ config: cfg(), seed: 1, batchSize: 5 }, 1);
    expect(Array.from(e1[0].indices)).not.toEqual(Array.from(a[0].indices));
    const b = await collect({ config: cfg(), seed: 2, batchSize: 5 });
    expect(Buffer.from(b[0].query.buffer).equals(Buffer.from(a[0].query.buffer))).toBe(false);
  });

  it('renders texture and natural backgrounds deterministically', async () => {
    for (const background of [{ kind: 'texture' as const, files: textures }, { kind: 'natural' as const, removeForeground: true }, { kind: 'natural' as const, removeForeground: false }]) {
      const c = augmentPreset('mocov1', { size: 24, paste: { p: 1, background } });
      const a = await collect({ config: c, seed: 3, batchSize: 5, dropLast: false });
      expect(a.every((b) => b.query.every(Number.isFinite) && b.key.every(Number.isFinite))).toBe(true);
      sameBatches(a, await collect({ config: c, seed: 3, batchSize: 5, dropLast: false }));
    }
  });

  it('with every random step switched off a view is the normalised image (and its mirror)', async () => {
    const one = [samples[0]];
    const plain: AugmentConfig = {
      ...augmentPreset('mocov2', { size: 48, paste: null }),
      rrc: { scale: [1, 1], ratio: [48 / 40, 48 / 40] },
      colorJitter: { p: 0, brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 },
      grayscaleP: 0,
      blur: null,
      flipP: 0,
    };
    // a 48x40 image, output 48x48: the crop is the whole image, stretched vertically
    const [b] = await collect({ config: plain, samples: one, seed: 0, batchSize: 1 });
    const [m] = await collect({ config: { ...plain, flipP: 1 }, samples: one, seed: 0, batchSize: 1 });
    const plane = 48 * 48;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 48; y++) {
        for (let x = 0; x < 48; x++) expect(m.query[c * plane + y * 48 + x]).toBeCloseTo(b.query[c * plane + y * 48 + 47 - x], 5);
      }
    }
    // the top-left pixel of the first row: exactly the source pixel, normalised
    const img = await decodeImage(samples[0].image);
    const want = (img.data[0] / 255 - plain.mean[0]) / plain.std[0];
    expect(b.query[0]).toBeCloseTo(want, 4);
    expect(b.query).toEqual(b.key);
  });

  it('a map whose size differs from its image is a DiloInputError naming the map', async () => {
    const bad = path.join(ds.root, 'bad-map.png');
    await fs.writeFile(bad, await encodePng({ width: 10, height: 10, data: new Uint8Array(100) }));
    const broken = samples.map((s, i) => (i === 3 ? { ...s, map: bad } : s));
    const run = collect({ config: cfg(), samples: broken, seed: 1, batchSize: 10 });
    await expect(run).rejects.toThrow(DiloInputError);
    await expect(collect({ config: cfg(), samples: broken, seed: 1, batchSize: 10 })).rejects.toThrow(/bad-map\.png: saliency map is 10x10 but its image .*img\d+\.png is 48x40/);
  });

  it('refuses bad options', () => {
    expect(() => new TwoViewLoader({ samples, config: cfg(), seed: 0, batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new TwoViewLoader({ samples, config: cfg(), seed: 0, batchSize: 2, workers: -1 })).toThrow(/workers/);
    expect(() => new TwoViewLoader({ samples, config: { ...cfg(), size: 0 }, seed: 0, batchSize: 2 })).toThrow(/size/);
  });
});

describe('TwoViewLoader shards (data parallel)', () => {
  it('the shards of 2 processes are the halves of the unsharded batches, byte for byte', async () => {
    const whole = await collect({ config: cfg(), seed: 5, batchSize: 4 }, 1);
    const shards = await Promise.all([0, 1].map((rank) => collect({ config: cfg(), seed: 5, batchSize: 4, shard: { rank, world: 2 } }, 1)));
    expect(whole.length).toBeGreaterThan(0);
    whole.forEach((b, k) => {
      const per = b.query.length / 2;
      for (const rank of [0, 1]) {
        const s = shards[rank][k];
        expect(s.n).toBe(2);
        expect(Array.from(s.indices)).toEqual(Array.from(b.indices.subarray(rank * 2, rank * 2 + 2)));
        expect(Buffer.from(s.query.buffer).equals(Buffer.from(b.query.buffer, rank * per * 4, per * 4))).toBe(true);
        expect(Buffer.from(s.key.buffer).equals(Buffer.from(b.key.buffer, rank * per * 4, per * 4))).toBe(true);
      }
    });
    expect(() => new TwoViewLoader({ samples, config: cfg(), seed: 5, batchSize: 5, shard: { rank: 0, world: 2 } })).toThrow(/does not split into 2/);
  });
});

describe('TwoViewLoader with worker threads (compiled dist)', () => {
  let dist: typeof Dist;
  beforeAll(() => {
    // worker_threads cannot load TypeScript: build this package (and core) to dist first
    const root = path.resolve(__dirname, '..');
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', path.join(root, 'tsconfig.lib.json')], { stdio: 'inherit' });
    dist = require(path.join(root, 'dist', 'index.js'));
  }, 120000);

  it('gives the same batches for 0, 1, 2 and 4 workers', async () => {
    const config = cfg();
    const ref = await collect({ config, seed: 9, batchSize: 3, dropLast: false }, 2);
    expect(ref).toHaveLength(4);
    for (const workers of [1, 2, 4]) {
      const loader = new dist.TwoViewLoader({ samples, config, seed: 9, batchSize: 3, dropLast: false, workers, prefetch: workers });
      const got: TwoViewBatch[] = [];
      try {
        for await (const b of loader.epoch(2)) got.push(b);
      } finally {
        await loader.close();
      }
      sameBatches(ref, got);
    }
  });

  it('a bad input file in a worker surfaces as a DiloInputError naming it', async () => {
    const broken = samples.map((s, i) => (i === 5 ? { ...s, image: path.join(ds.root, 'missing.png') } : s));
    const loader = new dist.TwoViewLoader({ samples: broken, config: cfg(), seed: 1, batchSize: 5, workers: 2 });
    const run = async (): Promise<void> => {
      for await (const _b of loader.epoch(0)) void _b;
    };
    await expect(run()).rejects.toThrow(/missing\.png: cannot read file \(ENOENT\)/);
    await loader.close();
  });
});
