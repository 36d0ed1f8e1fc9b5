/**
 * Packs decoded SOD images and masks (every `step`-th pair) into one gzip file, so the timing
 * bench can run on a machine without sharp or the shared data (the lent device machine):
 * `node dist/bench-build/bench/pack.js OUT.gz [step]`.
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { decodeImage, decodeMask, imageMaskFolder, sharedDataset } from '@dilo/core';

async function main(): Promise<void> {
  const sod = sharedDataset('sod');
  if (!sod) throw new Error('shared dataset sod not found');
  const out = process.argv[2];
  const step = Number(process.argv[3] ?? 3);
  const m = await imageMaskFolder(sod);
  const parts: Buffer[] = [];
  const picked = m.samples.filter((_, i) => i % step === 0);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(picked.length);
  parts.push(head);
  for (const s of picked) {
    const img = await decodeImage(s.image);
    const mask = await decodeMask(s.mask as string);
    const h = Buffer.alloc(8);
    h.writeUInt32LE(img.width);
    h.writeUInt32LE(img.height, 4);
    parts.push(h, Buffer.from(img.data), Buffer.from(mask.data));
  }
  writeFileSync(out, gzipSync(Buffer.concat(parts), { level: 6 }));
  process.stdout.write(`${picked.length} pairs -> ${out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exitCode = 1;
});
