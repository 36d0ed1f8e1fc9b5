import * as path from 'node:path';
import { selectBackend } from '@dilo/core';
import { pretrain, registerWasmTrainingKernels } from '@dilo/contrastive';
import { checkpointExtractor, normalizeBatch } from './checkpoint-extractor';
import { tempDir, writeTinyFolder } from './test-helpers';

describe('checkpointExtractor (a one-step MoCo run of @dilo/contrastive)', () => {
  let run: string;

  beforeAll(async () => {
    await selectBackend({ backend: 'wasm', log: false });
    registerWasmTrainingKernels();
    const dir = await tempDir();
    await writeTinyFolder(path.join(dir, 'data'), ['a', 'b'], 8, 16);
    run = path.join(dir, 'run');
    await pretrain({
      out: run,
      config: { method: 'mocov2', arch: 'resnet18', width: 0.25, smallStem: true, size: 16, epochs: 1, batch: 8, seed: 0, queueSize: 16, data: path.join(dir, 'data'), views: 'builtin' },
      maxSteps: 1,
      progress: false,
    });
  }, 120000);

  it('gives batch-independent features (BN in inference mode) whose pooled part is the conv map mean', async () => {
    const ex = await checkpointExtractor(run);
    expect(ex.id).toMatch(/^[0-9a-f]{64}$/);
    const n = 3, hw = 16 * 16;
    const data = new Float32Array(n * 3 * hw);
    for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 255) / 255;
    const all = await ex.extract({ n, height: 16, width: 16, data }, { convMap: true });
    const one = await ex.extract({ n: 1, height: 16, width: 16, data: data.subarray(0, 3 * hw) });
    for (let j = 0; j < all.d; j++) expect(one.pooled[j]).toBeCloseTo(all.pooled[j], 4);
    const cm = all.convMap!;
    expect(cm.c).toBe(all.d);
    const P = cm.h * cm.w;
    for (let c = 0; c < 5; c++) {
      let s = 0;
      for (let p = 0; p < P; p++) s += cm.data[c * P + p];
      expect(all.pooled[c]).toBeCloseTo(s / P, 4);
    }
    ex.dispose?.();
  }, 120000);

  it('normalises [0, 1] images with the ImageNet mean and std', () => {
    const b = normalizeBatch({ n: 1, height: 1, width: 1, data: Float32Array.from([0.485, 0.456, 0.406 + 0.225]) });
    expect(b.data[0]).toBeCloseTo(0, 6);
    expect(b.data[1]).toBeCloseTo(0, 6);
    expect(b.data[2]).toBeCloseTo(1, 5);
  });
});
