import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { generateSynthDataset } from '@dilo/core';
import { AugmentViewSource } from './augment-source';
import type { ViewBatch } from './views';

let tmp: string;
let data: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dilo-augsrc-'));
  data = path.join(tmp, 'synth');
  await generateSynthDataset({ out: data, seed: 2, classes: 3, size: 24, train: 24, val: 3 });
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function collect(it: AsyncIterable<ViewBatch>): Promise<ViewBatch[]> {
  const out: ViewBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

test('a run resumed mid-epoch gets the same @dilo/augment batches as an uninterrupted one', async () => {
  const src = await AugmentViewSource.create({ data: path.join(data, 'train'), method: 'mocov2', size: 16, seed: 7, batch: 4, workers: 0, dilo: { p: 0, background: 'grey' } });
  expect(src.batchesPerEpoch).toBe(6);
  const full = await collect(src.epoch(1, 0));
  const resumed = await collect(src.epoch(1, 4)); // rendered in-process from batch 4 on
  expect(resumed).toHaveLength(2);
  expect(Buffer.from(resumed[0].query.buffer).equals(Buffer.from(full[4].query.buffer))).toBe(true);
  expect(Buffer.from(resumed[1].key.buffer).equals(Buffer.from(full[5].key.buffer))).toBe(true);
  expect(Buffer.from(full[0].query.buffer).equals(Buffer.from(full[0].key.buffer))).toBe(false); // two different views
  await src.close();
});

test('DiLo copy-paste changes the views; p = 0 is plain MoCo; maps are required when p > 0', async () => {
  const base = { data: path.join(data, 'train'), method: 'mocov1' as const, size: 16, seed: 7, batch: 4, workers: 0 };
  const plain = await AugmentViewSource.create({ ...base, dilo: { p: 0, background: 'grey' } });
  const dilo = await AugmentViewSource.create({ ...base, dilo: { p: 1, background: 'grey', maps: path.join(data, 'masks', 'train') } });
  expect(dilo.description).toMatch(/DiLo p=1/);
  const [a] = await collect(plain.epoch(0, 5));
  const [b] = await collect(dilo.epoch(0, 5));
  expect(Buffer.from(a.query.buffer).equals(Buffer.from(b.query.buffer))).toBe(false);
  await expect(AugmentViewSource.create({ ...base, dilo: { p: 0.3, background: 'grey' } })).rejects.toThrow(/--maps/);
  await expect(AugmentViewSource.create({ ...base, dilo: { p: 0.3, background: 'stripes', maps: path.join(data, 'masks', 'train') } })).rejects.toThrow(/--background/);
});
