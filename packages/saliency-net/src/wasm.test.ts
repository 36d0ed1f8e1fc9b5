import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Rng, selectBackend } from '@dilo/core';
import { SALIENCY_NET_DEFAULTS, trainSaliencyNet } from './train';

// without libtorch the trainer runs on tfjs-backend-wasm, which lacks a Conv2DBackpropFilter kernel
// of its own (found by the README example in a fresh install)
test('training runs on the wasm backend and lowers the loss', async () => {
  await selectBackend({ backend: 'wasm', threads: 1, log: false });
  const size = 16;
  const n = 16;
  const r = new Rng(0);
  const images = Uint8Array.from({ length: n * size * size * 3 }, () => r.int(256));
  const masks = new Uint8Array(n * size * size);
  for (let i = 0; i < masks.length; i++) masks[i] = images[i * 3] > 128 ? 255 : 0; // foreground = red channel
  const out = mkdtempSync(path.join(tmpdir(), 'dilo-snet-wasm-'));
  const config = { ...SALIENCY_NET_DEFAULTS, unet: { base: 4, levels: 2 }, size, epochs: 6, batch: 8, lr: 0.1, warmupSteps: 1, pseudo: ['test'] };
  const res = await trainSaliencyNet({ config, data: { images, masks, n, size, ids: [] }, out, quiet: true });
  expect(res.finished).toBe(true);
  const losses = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; loss?: number }).filter((e) => e.event === 'step').map((e) => e.loss!);
  expect(losses).toHaveLength(12);
  expect(losses[11]).toBeLessThan(losses[0] * 0.95);
});
