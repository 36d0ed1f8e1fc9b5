import { decodeImage, decodeMask } from './image';
import type { Manifest, PairedManifest, Sample } from './dataset';
import type { SkipReport } from './skip-report';

export interface ScreenOptions {
  /** where each bad input is named (once) and counted */
  report: SkipReport;
  /** also decode each sample's mask; with `degenerate`, an empty or all-foreground mask is skipped too */
  masks?: 'decode' | 'degenerate';
  /** decodes in flight (sharp decodes on libuv's thread pool) */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Fraction of mask pixels at or above half intensity. */
function foregroundFraction(data: Uint8Array): number {
  let fg = 0;
  for (const v of data) if (v >= 128) fg++;
  return fg / data.length;
}

/**
 * Decode every image (and mask) of a manifest once, before a job starts, and keep the samples that
 * decode. The rest are named in the report with one line each: files listing could not open
 * (dangling links), pairing problems (no mask, wrong size) and decoder failures. A job then never
 * meets a bad file half-way through, and a run that must not skip anything can stop before it
 * begins, with the whole list.
 */
export async function screenManifest<M extends Manifest>(m: M, opts: ScreenOptions): Promise<M> {
  const { report } = opts;
  for (const u of m.unreadable ?? []) report.skip(u.file, u.problem);
  const paired = m as Partial<PairedManifest>;
  for (const i of paired.issues ?? []) report.skip(i.file, i.problem === 'no-mask' ? i.detail : i.problem === 'size-mismatch' ? `mask size differs from its image: ${i.detail}` : i.detail);
  for (const f of paired.orphanMasks ?? []) report.skip(f, 'mask has no image of the same name (orphaned)');
  const ok = new Array<boolean>(m.samples.length).fill(false);
  let next = 0;
  let done = 0;
  const check = async (s: Sample): Promise<boolean> => {
    try {
      await decodeImage(s.image);
      if (s.mask && opts.masks) {
        const mask = await decodeMask(s.mask);
        if (opts.masks === 'degenerate') {
          const f = foregroundFraction(mask.data);
          const degenerate = f === 0 ? 'mask is empty (no foreground pixel >= 128)' : f === 1 ? 'mask is all foreground (no background pixel)' : null;
          if (degenerate) {
            report.skip(s.mask, degenerate);
            return false;
          }
        }
      }
      return true;
    } catch (err) {
      report.skipError(err);
      return false;
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(opts.concurrency ?? 4, m.samples.length) }, async () => {
      while (next < m.samples.length) {
        const i = next++;
        ok[i] = await check(m.samples[i]);
        opts.onProgress?.(++done, m.samples.length);
      }
    }),
  );
  const samples = m.samples.filter((_, i) => ok[i]);
  report.processed += samples.length;
  return { ...m, samples };
}
