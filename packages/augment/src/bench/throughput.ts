/**
 * One throughput measurement of the dilo loader (spawned by run-bench with taskset for the
 * one-core figure): decode image + map, DiLo paste, two MoCo v2 views at `size`, batched.
 * Usage: node dist/bench/throughput.js LIST --workers N --batch 32 --epochs E --size 224 --warmup 2
 * LIST holds "image<TAB>map" lines. Prints one JSON object.
 */
import { promises as fs } from 'node:fs';
import { printJsonResult } from '@dilo/core';
import { augmentPreset } from '../config';
import { TwoViewLoader } from '../loader';
import { viewKernelKind } from '../native';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

async function main(): Promise<void> {
  const list = process.argv[2];
  const lines = (await fs.readFile(list, 'utf8')).split('\n').filter((l) => l.trim());
  const samples = lines.map((l, i) => {
    const [image, map] = l.split('\t');
    return { image, map, label: i };
  });
  const workers = arg('workers', 0);
  const batch = arg('batch', 32);
  const epochs = arg('epochs', 2);
  const warmup = arg('warmup', 2);
  const config = augmentPreset('mocov2', { size: arg('size', 224) }); // DiLo paste p 0.3, grey, blur 0.5 @ 5 px
  const loader = new TwoViewLoader({ samples, config, seed: 0, batchSize: batch, workers });
  let seen = 0;
  let n = 0;
  let t0 = 0;
  let c0 = process.cpuUsage();
  let checksum = 0;
  try {
    for (let e = 0; e < epochs; e++) {
      for await (const b of loader.epoch(e)) {
        checksum += b.query[0] + b.key[b.key.length - 1];
        seen++;
        if (seen === warmup) {
          t0 = performance.now();
          c0 = process.cpuUsage();
        }
        else if (seen > warmup) n += b.n;
      }
    }
  } finally {
    await loader.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  // all threads of this process (main, workers, sharp/libuv): all the work
  const c = process.cpuUsage(c0);
  const cpuSeconds = (c.user + c.system) / 1e6;
  printJsonResult({ imgPerSec: n / seconds, imgPerCpuSec: n / cpuSeconds, images: n, seconds, cpuSeconds, workers, kernels: viewKernelKind(), checksum });
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
