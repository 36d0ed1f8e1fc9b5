import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ArtifactStore, cacheKey, DiloInputError, DiloUsageError, listImages, writeFileAtomic } from '@dilo/core';
import { createEstimator, SALIENCY_CODE_VERSION, type MethodName } from '../registry';
import { computeMapPng } from './compute';
import { WorkerPool } from './pool';

export interface Shard {
  /** 1-based shard number */
  index: number;
  count: number;
}

/** Parse "i/n" (1 <= i <= n). */
export function parseShard(s: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  if (!m) throw new DiloUsageError(`--shard must look like i/n (e.g. 2/4), got '${s}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new DiloUsageError(`--shard ${s}: need 1 <= i <= n`);
  return { index, count };
}

export interface SaliencyJobOptions {
  method: MethodName;
  params?: Record<string, unknown>;
  /** input folder (searched recursively) */
  images: string;
  /** output folder: <out>/<same relative path>.png */
  out: string;
  /** worker threads; 0 computes in this thread (default 0) */
  workers?: number;
  shard?: Shard;
  /** artifact cache folder (default <out>/.cache); null disables the cache */
  cacheDir?: string | null;
  /** called after each image */
  onProgress?: (done: number, total: number) => void;
  /** worker script override (tests) */
  workerScript?: string;
}

export interface SaliencyJobFailure {
  file: string;
  problem: string;
}

export interface SaliencyJobReport {
  method: string;
  out: string;
  shard: string;
  /** images in the folder, and in this shard */
  total: number;
  images: number;
  computed: number;
  /** taken from the cache (finished by an earlier run) */
  cached: number;
  failed: number;
  failures: SaliencyJobFailure[];
  seconds: number;
  imagesPerSecond: number;
}

/** Output path of one input: same relative folder, same stem, .png. */
export function mapPath(imagesRoot: string, outRoot: string, file: string): string {
  const rel = path.relative(imagesRoot, file);
  return path.join(outRoot, rel.slice(0, rel.length - path.extname(rel).length) + '.png');
}

async function sameBytes(file: string, data: Uint8Array): Promise<boolean> {
  try {
    const cur = await fs.readFile(file);
    return Buffer.compare(cur, Buffer.from(data.buffer, data.byteOffset, data.byteLength)) === 0;
  } catch {
    return false;
  }
}

/**
 * Compute the saliency map of every image under `images` into `out`, mirroring the folder layout.
 * Each map is cached under a key of (image bytes, method, parameters, code version), so a rerun
 * (or a run resumed after a kill) only computes what is missing, and a changed image is
 * recomputed. Unreadable images are reported and skipped; the job goes on.
 */
export async function runSaliencyJob(opts: SaliencyJobOptions): Promise<SaliencyJobReport> {
  const t0 = Date.now();
  const estimator = createEstimator(opts.method, opts.params as never);
  const params = estimator.params;
  const shard = opts.shard ?? { index: 1, count: 1 };
  // a dangling link is an input the user meant to give: report it (in shard 1 only, so once per job)
  const dangling: SaliencyJobFailure[] = [];
  const all = await listImages(opts.images, { onUnreadable: (file, problem) => shard.index === 1 && dangling.push({ file, problem }) });
  // round-robin shards: balanced even when folders differ in image size
  const files = all.filter((_, i) => i % shard.count === shard.index - 1);
  const outs = new Map<string, string>();
  for (const f of files) {
    const o = mapPath(opts.images, opts.out, f);
    const prev = outs.get(o);
    if (prev) throw new DiloInputError(f, `its map ${o} would overwrite the map of ${prev} (same name, different extension)`);
    outs.set(o, f);
  }
  const store = opts.cacheDir === null ? null : new ArtifactStore(opts.cacheDir ?? path.join(opts.out, '.cache'));
  const workers = Math.max(0, Math.floor(opts.workers ?? 0));
  const pool = workers > 0 ? new WorkerPool(workers, { method: opts.method, params: (opts.params ?? {}) as Record<string, unknown> }, opts.workerScript) : null;
  const report: SaliencyJobReport = {
    method: opts.method,
    out: opts.out,
    shard: `${shard.index}/${shard.count}`,
    total: all.length,
    images: files.length,
    computed: 0,
    cached: 0,
    failed: dangling.length,
    failures: dangling,
    seconds: 0,
    imagesPerSecond: 0,
  };
  let done = 0;
  const one = async (file: string): Promise<void> => {
    const outFile = mapPath(opts.images, opts.out, file);
    try {
      let bytes: Buffer;
      try {
        bytes = await fs.readFile(file);
      } catch (err) {
        throw new DiloInputError(file, `cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      }
      const key = cacheKey({ input: bytes, method: opts.method, params, codeVersion: SALIENCY_CODE_VERSION });
      let png = store ? await store.get(key) : null;
      if (png) report.cached++;
      else {
        const input = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        png = pool ? Buffer.from(await pool.run(file, input)) : Buffer.from(await computeMapPng(estimator, input, file));
        if (store) await store.put(key, png);
        report.computed++;
      }
      if (!(await sameBytes(outFile, png))) await writeFileAtomic(outFile, png);
    } catch (err) {
      const e = err as Error & { inputError?: boolean };
      if (!(err instanceof DiloInputError) && !e.inputError) throw err;
      report.failed++;
      report.failures.push({ file, problem: err instanceof DiloInputError ? err.problem : e.message.replace(`${file}: `, '') });
    } finally {
      done++;
      opts.onProgress?.(done, files.length);
    }
  };
  try {
    // a few tasks in flight per worker keeps the workers fed while the main thread does I/O
    const concurrency = pool ? workers * 2 : 1;
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, files.length) }, async () => {
        while (next < files.length) await one(files[next++]);
      }),
    );
  } finally {
    await pool?.close();
    await estimator.dispose?.();
  }
  report.failures.sort((a, b) => (a.file < b.file ? -1 : 1));
  report.seconds = (Date.now() - t0) / 1000;
  report.imagesPerSecond = report.seconds > 0 ? files.length / report.seconds : 0;
  return report;
}
