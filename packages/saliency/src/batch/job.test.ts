import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { decodeMask, encodeJpeg, encodePng, findWorkspaceRoot } from '@dilo/core';
import { mapPath, parseShard, runSaliencyJob } from './job';
import { defaultWorkerScript } from './pool';
import { syntheticScene } from '../testing/synthetic';

async function makeDataset(): Promise<string> {
  const root = mkdtempSync(path.join(tmpdir(), 'dilo-sal-job-'));
  const images = path.join(root, 'images');
  mkdirSync(path.join(images, 'cats', 'deep'), { recursive: true });
  mkdirSync(path.join(images, 'dogs'), { recursive: true });
  for (let i = 0; i < 5; i++) {
    const { image } = syntheticScene(64, 48, i + 1);
    const dir = i < 2 ? 'cats' : i < 4 ? 'dogs' : path.join('cats', 'deep');
    writeFileSync(path.join(images, dir, `img${i}.${i % 2 ? 'png' : 'jpg'}`), i % 2 ? await encodePng(image) : await encodeJpeg(image));
  }
  writeFileSync(path.join(images, 'dogs', 'broken.jpg'), Buffer.from('this is not a jpeg'));
  return root;
}

function listPngs(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      if (e.isDirectory()) walk(path.join(d, e.name), path.join(rel, e.name));
      else out.push(path.join(rel, e.name));
    }
  };
  walk(dir, '');
  return out.sort();
}

describe('parseShard / mapPath', () => {
  it('parses i/n and refuses nonsense', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(() => parseShard('0/4')).toThrow(/1 <= i <= n/);
    expect(() => parseShard('5/4')).toThrow(/1 <= i <= n/);
    expect(() => parseShard('abc')).toThrow(/i\/n/);
  });
  it('mirrors the layout with a .png extension', () => {
    expect(mapPath('/d/images', '/o', '/d/images/a/b/c.jpg')).toBe(path.join('/o', 'a', 'b', 'c.png'));
  });
});

describe('runSaliencyJob (in-process)', () => {
  it('writes mirrored 8-bit maps, reports the unreadable image, reuses the cache, recomputes a changed image', async () => {
    const root = await makeDataset();
    const images = path.join(root, 'images');
    const out = path.join(root, 'maps');
    const r1 = await runSaliencyJob({ method: 'ft', images, out, workers: 0 });
    expect(r1).toMatchObject({ total: 6, images: 6, computed: 5, cached: 0, failed: 1 });
    expect(r1.failures[0].file).toBe(path.join(images, 'dogs', 'broken.jpg'));
    expect(r1.failures[0].problem).toMatch(/not a supported image|corrupt/);
    expect(listPngs(out)).toEqual([path.join('cats', 'deep', 'img4.png'), path.join('cats', 'img0.png'), path.join('cats', 'img1.png'), path.join('dogs', 'img2.png'), path.join('dogs', 'img3.png')]);
    const m = await decodeMask(path.join(out, 'dogs', 'img3.png'));
    expect([m.width, m.height]).toEqual([64, 48]);
    const first = readFileSync(path.join(out, 'cats', 'img0.png'));

    const r2 = await runSaliencyJob({ method: 'ft', images, out, workers: 0 });
    expect(r2).toMatchObject({ computed: 0, cached: 5, failed: 1 });
    expect(readFileSync(path.join(out, 'cats', 'img0.png')).equals(first)).toBe(true);

    // a changed image is recomputed; a different method or parameters miss the cache
    writeFileSync(path.join(images, 'cats', 'img0.jpg'), await encodeJpeg(syntheticScene(64, 48, 99).image));
    const r3 = await runSaliencyJob({ method: 'ft', images, out, workers: 0 });
    expect(r3).toMatchObject({ computed: 1, cached: 4 });
    expect(readFileSync(path.join(out, 'cats', 'img0.png')).equals(first)).toBe(false);
    const r4 = await runSaliencyJob({ method: 'sr', images, out, workers: 0, params: { sigma: 3 } });
    expect(r4).toMatchObject({ computed: 5, cached: 0 });
  });

  it('shards partition the images', async () => {
    const root = await makeDataset();
    const images = path.join(root, 'images');
    const out = path.join(root, 'maps');
    const a = await runSaliencyJob({ method: 'sr', images, out, workers: 0, shard: { index: 1, count: 2 } });
    const b = await runSaliencyJob({ method: 'sr', images, out, workers: 0, shard: { index: 2, count: 2 } });
    expect(a.images + b.images).toBe(6);
    expect(Math.abs(a.images - b.images)).toBeLessThanOrEqual(1);
    expect(a.computed + b.computed).toBe(5);
    const all = await runSaliencyJob({ method: 'sr', images, out, workers: 0 });
    expect(all).toMatchObject({ computed: 0, cached: 5, failed: 1 });
  });

  it('a run killed part-way resumes: finished maps come from the cache', async () => {
    const root = await makeDataset();
    const images = path.join(root, 'images');
    const out = path.join(root, 'maps');
    const kill = (done: number): void => {
      if (done === 3) throw new Error('killed');
    };
    await expect(runSaliencyJob({ method: 'mbd', images, out, workers: 0, onProgress: kill })).rejects.toThrow('killed');
    const resumed = await runSaliencyJob({ method: 'mbd', images, out, workers: 0 });
    // the first three files in order were finished (one of them may be the unreadable one)
    expect(resumed.cached).toBeGreaterThanOrEqual(2);
    expect(resumed.cached + resumed.computed).toBe(5);
    expect(listPngs(out)).toHaveLength(5);
  });

  it('names the folder when it does not exist', async () => {
    await expect(runSaliencyJob({ method: 'ft', images: '/nonexistent/dilo', out: '/tmp/x', workers: 0 })).rejects.toThrow(/\/nonexistent\/dilo: cannot list folder/);
  });
});

describe('runSaliencyJob with worker threads (compiled dist/)', () => {
  // workers load dist/batch/worker.js: build the package (incremental, fast when up to date)
  let built = false;
  beforeAll(() => {
    try {
      const root = findWorkspaceRoot(__dirname);
      execFileSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-b', path.join(root, 'packages', 'saliency', 'tsconfig.lib.json')], { stdio: 'pipe', timeout: 170_000 });
      built = existsSync(defaultWorkerScript());
    } catch (err) {
      process.stderr.write(`SKIPPED worker-thread test: building @dilo/saliency failed: ${(err as { stdout?: Buffer }).stdout?.toString() ?? String(err)}\n`);
    }
  }, 180_000);

  it('gives byte-identical maps to the in-process run', async () => {
    if (!built) return;
    const root = await makeDataset();
    const images = path.join(root, 'images');
    const viaWorkers = await runSaliencyJob({ method: 'rbd', images, out: path.join(root, 'w'), workers: 2, cacheDir: null });
    expect(viaWorkers).toMatchObject({ computed: 5, failed: 1 });
    const inProcess = await runSaliencyJob({ method: 'rbd', images, out: path.join(root, 'p'), workers: 0, cacheDir: null });
    expect(inProcess.computed).toBe(5);
    for (const f of listPngs(path.join(root, 'p'))) expect(readFileSync(path.join(root, 'w', f)).equals(readFileSync(path.join(root, 'p', f)))).toBe(true);
  });

  it('explains how to build when the worker script is missing', async () => {
    await expect(runSaliencyJob({ method: 'ft', images: (await makeDataset()) + '/images', out: '/tmp/dilo-none', workers: 1, workerScript: '/nonexistent/worker.js' })).rejects.toThrow(/build the package first/);
  });
});
