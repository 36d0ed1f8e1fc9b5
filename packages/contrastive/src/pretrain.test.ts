import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { generateSynthDataset, selectBackend } from '@dilo/core';
import { PretrainDivergedError, lastCheckpointPath, pretrain, type PretrainConfigInput } from './pretrain';
import { readCheckpoint } from './checkpoint';
import { loadEncoder, extractFeatures } from './features';
import { registerWasmTrainingKernels } from './wasm-kernels';
import { SimpleViewSource, listTrainingImages, type ViewBatchSource } from './views';

let tmp: string;
let data: string;

// a tiny ResNet-18 (width 1/8, 16 px views) so that 20-odd steps take seconds
const CONFIG: PretrainConfigInput = {
  method: 'mocov2',
  arch: 'resnet18',
  width: 0.125,
  smallStem: true,
  size: 16,
  epochs: 2,
  batch: 8,
  seed: 3,
  queueSize: 32,
  checkpointEvery: 2,
};

beforeAll(async () => {
  await selectBackend({ backend: 'wasm', log: false });
  registerWasmTrainingKernels();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dilo-contrastive-'));
  data = path.join(tmp, 'synth');
  await generateSynthDataset({ out: data, seed: 1, classes: 4, size: 24, train: 64, val: 8 });
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const trainDir = () => path.join(data, 'train');

test('a run killed mid-way and resumed ends with the same weights as an uninterrupted run', async () => {
  // 8 batches per epoch: the kill lands after step 7 (last checkpoint at 6), the resumed part crosses the epoch end
  const full = await pretrain({ out: path.join(tmp, 'full'), config: { ...CONFIG, data: trainDir() }, maxSteps: 10, progress: false });
  expect(full.step).toBe(10);
  expect(full.epoch).toBe(1);

  const killedRun = path.join(tmp, 'killed');
  await expect(
    pretrain({
      out: killedRun,
      config: { ...CONFIG, data: trainDir() },
      maxSteps: 10,
      progress: false,
      onStep: (s) => {
        if (s === 7) throw new Error('simulated kill -9');
      },
    }),
  ).rejects.toThrow('simulated kill -9');
  const partial = await readCheckpoint(lastCheckpointPath(killedRun));
  expect(partial.header.state.step).toBe(6);

  const resumed = await pretrain({ out: killedRun, resume: true, maxSteps: 10, progress: false });
  expect(resumed.resumedFrom).toBe(6);
  expect(resumed.step).toBe(10);
  expect(resumed.weightsSha256).toBe(full.weightsSha256);
  expect(resumed.finalLoss).toBe(full.finalLoss);

  // a different seed gives different weights (the comparison above can fail)
  const other = await pretrain({ out: path.join(tmp, 'other'), config: { ...CONFIG, seed: 4, data: trainDir() }, maxSteps: 2, progress: false });
  expect(other.weightsSha256).not.toBe(full.weightsSha256);

  const metrics = (await fs.readFile(path.join(killedRun, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  expect(metrics.filter((m) => m.event === 'resume')).toHaveLength(1);
  // the step computed before the kill and again after it (7) is logged once: steps 1..10 in order
  expect(metrics.filter((m) => m.event === 'step').map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(metrics.find((m) => m.event === 'resume').droppedLines).toBe(1);
  expect(metrics.filter((m) => m.event === 'step').every((m) => Number.isFinite(m.loss) && m.lr > 0 && m.imgPerSec > 0)).toBe(true);
}, 120000);

test('the saved encoder loads and gives pooled features and conv maps with BN in inference mode', async () => {
  const enc = await loadEncoder(path.join(tmp, 'full'));
  expect(enc.featureDim).toBe(64); // 512 * 0.125
  expect(enc.step).toBe(10);
  const n = 3;
  const images = { data: new Float32Array(n * 3 * 16 * 16).map((_, i) => Math.sin(i)), n, height: 16, width: 16 };
  const f = extractFeatures(enc, images);
  expect(f.pooled.shape).toEqual([n, 64]);
  expect(f.map.shape).toEqual([n, 64, 2, 2]);
  // the pooled feature is the mean of the map (inference BN: independent of the other images)
  for (let c = 0; c < 64; c += 17) {
    const m = (f.map.data[c * 4] + f.map.data[c * 4 + 1] + f.map.data[c * 4 + 2] + f.map.data[c * 4 + 3]) / 4;
    expect(f.pooled.data[c]).toBeCloseTo(m, 5);
  }
  const one = extractFeatures(enc, { data: images.data.subarray(0, 3 * 16 * 16), n: 1, height: 16, width: 16 });
  for (let c = 0; c < 64; c++) expect(one.pooled.data[c]).toBeCloseTo(f.pooled.data[c], 5);
  enc.dispose();
});

test('a NaN loss stops the run with a clear message and keeps the last good checkpoint', async () => {
  const files = await listTrainingImages(trainDir());
  const base = new SimpleViewSource(files, 8, 16, 3);
  const poisoned: ViewBatchSource = {
    batchesPerEpoch: base.batchesPerEpoch,
    async *epoch(e, from) {
      let b = from;
      for await (const batch of base.epoch(e, from)) {
        if (b === 4) batch.query[5] = NaN; // a corrupt pixel in the fifth batch
        b++;
        yield batch;
      }
    },
  };
  const run = path.join(tmp, 'nan');
  const err = await pretrain({ out: run, config: { ...CONFIG }, source: poisoned, maxSteps: 8, progress: false }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PretrainDivergedError);
  expect((err as Error).message).toMatch(/loss is NaN at step 5 .*last good checkpoint .*last\.dckpt \(step 4\) is kept/);
  const kept = await readCheckpoint(lastCheckpointPath(run));
  expect(kept.header.state.step).toBe(4);
});

test('the time spent waiting for the view loader is measured per step and for the run', async () => {
  const files = await listTrainingImages(trainDir());
  const base = new SimpleViewSource(files, 8, 16, 3);
  const delayMs = 120;
  // a loader that needs 120 ms per batch before handing it over (a slow decode, too few workers)
  const slow: ViewBatchSource = {
    batchesPerEpoch: base.batchesPerEpoch,
    async *epoch(e, from) {
      for await (const batch of base.epoch(e, from)) {
        await new Promise((r) => setTimeout(r, delayMs));
        yield batch;
      }
    },
  };
  const run = path.join(tmp, 'slow-loader');
  const steps = 4;
  const r = await pretrain({ out: run, config: { ...CONFIG }, source: slow, maxSteps: steps, progress: false });
  expect(r.dataSeconds).toBeGreaterThanOrEqual((steps * (delayMs - 5)) / 1000);
  expect(r.dataSeconds).toBeLessThanOrEqual(r.seconds);
  const metrics = (await fs.readFile(path.join(run, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  const stepLines = metrics.filter((m) => m.event === 'step');
  expect(stepLines).toHaveLength(steps);
  for (const m of stepLines) expect(m.dataSeconds).toBeGreaterThanOrEqual((delayMs - 5) / 1000);
  // the training step itself is not counted as waiting: the same run on the undelayed source waits less
  const fast = await pretrain({ out: path.join(tmp, 'fast-loader'), config: { ...CONFIG }, source: base, maxSteps: steps, progress: false });
  expect(fast.dataSeconds).toBeLessThan(r.dataSeconds - (steps * delayMs * 0.8) / 1000);
});
