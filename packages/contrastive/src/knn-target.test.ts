import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { decodeImage, generateSynthDataset, readSynthRecords, selectBackend, type SplitName } from '@dilo/core';
import { pretrain } from './pretrain';
import { loadEncoder, extractFeatures, randomEncoder, type LoadedEncoder } from './features';
import { registerWasmTrainingKernels } from './wasm-kernels';
import { normalizeImage } from './views';
import { knnAccuracy } from './knn';

let tmp: string;
let data: string;

async function split(name: SplitName): Promise<{ images: Float32Array; labels: number[] }> {
  const recs = await readSynthRecords(data, name);
  const per = 3 * 32 * 32;
  const images = new Float32Array(recs.length * per);
  for (let i = 0; i < recs.length; i++) {
    const img = await decodeImage(path.join(data, name, recs[i].class, `${recs[i].id}.png`));
    normalizeImage(img, images, i * per);
  }
  return { images, labels: recs.map((r) => r.label) };
}

function knn(enc: LoadedEncoder, bank: { images: Float32Array; labels: number[] }, test: { images: Float32Array; labels: number[] }): number {
  const f = (s: typeof bank) => extractFeatures(enc, { data: s.images, n: s.labels.length, height: 32, width: 32 }).pooled;
  const a = f(bank);
  return knnAccuracy(a.data, bank.labels, f(test).data, test.labels, a.shape[1], { k: 20, temperature: 0.07 });
}

beforeAll(async () => {
  await selectBackend({ backend: 'wasm', log: false });
  registerWasmTrainingKernels();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dilo-knn-'));
  data = path.join(tmp, 'synth');
  await generateSynthDataset({ out: data, seed: 5, classes: 10, size: 32, train: 640, val: 200 });
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

// The target: a short run lowers the loss and its features beat random initialisation
// on weighted kNN (k = 20, T = 0.07; bank: the 640 train images, test: val-same) by a stated
// margin, under a fixed seed. Measured with this seed: random init 0.315, after 40 steps 0.420
// (loss over steps 21-25 6.441, last 5 6.382; an earlier build measured 0.405 after 20 steps and
// 0.360 after 30: short runs are noisy, hence 40 steps and a margin below the gap).
// ResNet-18 at width 1/4, 32 px, small stem, batch 32, K = 640, lr 0.06.
const STEPS = 40;
const MARGIN = 0.08;

test(`${STEPS} MoCo v2 steps of a tiny ResNet-18 lower the loss and beat random init on kNN by >= ${MARGIN}`, async () => {
  const bank = await split('train');
  const test = await split('val-same');
  const run = path.join(tmp, 'run');
  const config = { method: 'mocov2', arch: 'resnet18', width: 0.25, smallStem: true, size: 32, epochs: 4, batch: 32, seed: 0, queueSize: 640, lr: 0.06 } as const;
  const random = randomEncoder(config, config.seed);
  const accRandom = knn(random, bank, test);
  random.dispose();
  const t0 = Date.now();
  const res = await pretrain({ out: run, config: { ...config, checkpointEvery: 1000, data: path.join(data, 'train') }, maxSteps: STEPS, progress: false });
  const trainSeconds = (Date.now() - t0) / 1000;
  const enc = await loadEncoder(run);
  const accTrained = knn(enc, bank, test);
  enc.dispose();
  const losses = (await fs.readFile(path.join(run, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((m) => m.event === 'step')
    .map((m) => m.loss as number);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  // the queue holds its random initial keys (easy negatives) for 20 steps (K = 640): compare the loss after that
  const early = mean(losses.slice(20, 25));
  const late = mean(losses.slice(-5));
  process.stderr.write(`knn target: random init ${accRandom.toFixed(3)}, after ${res.step} steps ${accTrained.toFixed(3)}; loss steps 21-25 ${early.toFixed(3)} -> last 5 ${late.toFixed(3)}; training ${trainSeconds.toFixed(1)} s\n`);
  expect(res.step).toBe(STEPS);
  expect(late).toBeLessThan(early);
  expect(accTrained).toBeGreaterThanOrEqual(accRandom + MARGIN);
}, 600000);
