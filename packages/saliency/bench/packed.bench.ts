/**
 * One-core timing of every estimator on images packed by pack.ts (no image decoding library
 * needed, so it runs on any machine with Node): `node dist/bench-build/bench/packed.bench.js PACK.gz`.
 * Last stdout line: one JSON object (img/s and quality on the packed subset).
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { gunzipSync } from 'node:zlib';
import type { GrayImage, RgbImage } from '@dilo/core';
import { rbd } from '../src/methods/rbd';
import { gs } from '../src/methods/gs';
import { mc } from '../src/methods/mc';
import { mbd } from '../src/methods/mbd';
import { ft } from '../src/methods/ft';
import { sr } from '../src/methods/sr';
import { slic } from '../src/superpixel/slic';
import { SaliencyEvaluator } from '../src/metrics/evaluator';

// SLIC_ITERATIONS=k overrides the superpixel methods' k-means iterations (reference: 10)
const iters = process.env.SLIC_ITERATIONS ? { slic: { iterations: Number(process.env.SLIC_ITERATIONS) } } : {};
const METHODS: Record<string, (img: RgbImage) => GrayImage> = {
  rbd: (img) => rbd(img, iters),
  gs: (img) => gs(img, iters),
  mc: (img) => mc(img, iters),
  mbd,
  ft,
  sr,
};

function main(): void {
  const buf = gunzipSync(readFileSync(process.argv[2]));
  const count = buf.readUInt32LE(0);
  let o = 4;
  const images: RgbImage[] = [];
  const masks: GrayImage[] = [];
  for (let k = 0; k < count; k++) {
    const width = buf.readUInt32LE(o);
    const height = buf.readUInt32LE(o + 4);
    o += 8;
    const n = width * height;
    images.push({ width, height, data: new Uint8Array(buf.buffer, buf.byteOffset + o, 3 * n) });
    o += 3 * n;
    masks.push({ width, height, data: new Uint8Array(buf.buffer, buf.byteOffset + o, n) });
    o += n;
  }
  const load0 = loadavg()[0];
  const methods: Record<string, Record<string, number>> = {};
  for (const [name, fn] of Object.entries(METHODS)) {
    for (const im of images.slice(0, 3)) fn(im);
    const ev = new SaliencyEvaluator();
    let seconds = 0;
    for (let i = 0; i < images.length; i++) {
      const t = process.hrtime.bigint();
      const map = fn(images[i]);
      seconds += Number(process.hrtime.bigint() - t) / 1e9;
      ev.add(map, masks[i]);
    }
    const s = ev.result();
    methods[name] = { imagesPerSecond: +(images.length / seconds).toFixed(2), maxF: +s.maxF.toFixed(4), mae: +s.mae.toFixed(4) };
    process.stderr.write(`${name} ${JSON.stringify(methods[name])}\n`);
  }
  const t = process.hrtime.bigint();
  for (const im of images) slic(im);
  const slicIps = images.length / (Number(process.hrtime.bigint() - t) / 1e9);
  process.stdout.write(
    JSON.stringify({ n: images.length, slicIterations: process.env.SLIC_ITERATIONS ?? 'default', cpu: cpus()[0]?.model, cpus: cpus().length, loadAverageStart: load0, loadAverageEnd: loadavg()[0], node: process.version, methods, slicImagesPerSecond: +slicIps.toFixed(2) }) + '\n',
  );
}

main();
