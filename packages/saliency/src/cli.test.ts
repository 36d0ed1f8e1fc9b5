import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import yargs from 'yargs';
import { DiloUsageError, encodePng, resetSkippedInputs, skippedInputsThisRun } from '@dilo/core';
import { saliencyCommand } from './cli';
import { syntheticScene } from './testing/synthetic';

async function run(args: string[]): Promise<{ stdout: string; stderr: string; error: Error | null }> {
  let stdout = '';
  let stderr = '';
  resetSkippedInputs();
  const orig = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => {
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => {
    stderr += chunk;
    return true;
  }) as typeof process.stderr.write;
  let error: Error | null = null;
  try {
    await yargs(args).command(saliencyCommand as never).strict().fail((msg, err) => {
      throw err ?? new DiloUsageError(msg);
    }).parseAsync();
  } catch (err) {
    error = err as Error;
  } finally {
    process.stdout.write = orig;
    process.stderr.write = origErr;
  }
  return { stdout, stderr, error };
}

describe('dilo saliency CLI', () => {
  it('computes maps then scores them; eval prints the documented JSON keys last', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'dilo-sal-cli-'));
    mkdirSync(path.join(root, 'images'));
    mkdirSync(path.join(root, 'gt'));
    for (let i = 0; i < 3; i++) {
      const { image, gt } = syntheticScene(90, 60, i + 3);
      writeFileSync(path.join(root, 'images', `s${i}.png`), await encodePng(image));
      writeFileSync(path.join(root, 'gt', `s${i}.png`), await encodePng(gt));
    }
    const c = await run(['saliency', '--method', 'rbd', '--images', path.join(root, 'images'), '--out', path.join(root, 'maps'), '--workers', '0', '--json', '--params', '{"slic":{"pixelsPerSuperpixel":100}}']);
    expect(c.error).toBeNull();
    const rep = JSON.parse(c.stdout.trim().split('\n').pop() as string);
    expect(rep).toMatchObject({ method: 'rbd', images: 3, computed: 3, failed: 0 });

    const csv = path.join(root, 'per-image.csv');
    const e = await run(['saliency', 'eval', '--pred', path.join(root, 'maps'), '--gt', path.join(root, 'gt'), '--json', '--per-image', csv]);
    expect(e.error).toBeNull();
    const scores = JSON.parse(e.stdout.trim().split('\n').pop() as string);
    for (const k of ['mae', 'maxF', 'meanF', 'adaptiveF', 'S', 'E', 'n']) expect(scores).toHaveProperty(k);
    expect(scores.n).toBe(3);
    expect(scores.maxF).toBeGreaterThan(0.8);
    expect(readFileSync(csv, 'utf8').trim().split('\n')).toHaveLength(4);

    // the ground truth scored against itself is perfect
    const self = await run(['saliency', 'eval', '--pred', path.join(root, 'gt'), '--gt', path.join(root, 'gt'), '--json']);
    const p = JSON.parse(self.stdout.trim().split('\n').pop() as string);
    expect(p).toMatchObject({ mae: 0, maxF: 1, adaptiveF: 1, S: 1 });

    // the oracle over the maps and the ground truth itself picks the ground truth on every image
    const o = await run(['saliency', 'oracle', '--gt', path.join(root, 'gt'), '--pred', path.join(root, 'maps'), path.join(root, 'gt'), '--json']);
    expect(o.error).toBeNull();
    const or = JSON.parse(o.stdout.trim().split('\n').pop() as string);
    expect(or.folders.map((f: { picked: number }) => f.picked)).toEqual([0, 3]);
    expect(or.folders[0].maxF).toBe(scores.maxF);
    expect(or.oracle).toMatchObject({ mae: 0, maxF: 1, n: 3 });
    // averaging with the ground truth halves every pixel's error (up to the 8-bit rounding)
    expect(or.average.mae).toBeCloseTo(scores.mae / 2, 2);
    expect((await run(['saliency', 'oracle', '--gt', 'g', '--pred', 'a'])).error?.message).toMatch(/two or more --pred/);
  });

  it('usage errors: unknown method, missing folders, onnx without a model', async () => {
    expect((await run(['saliency', '--method', 'nope', '--images', 'a', '--out', 'b'])).error).toBeInstanceOf(DiloUsageError);
    expect((await run(['saliency', '--method', 'rbd'])).error?.message).toMatch(/--images DIR and --out DIR/);
    expect((await run(['saliency', '--method', 'onnx', '--images', 'a', '--out', 'b'])).error?.message).toMatch(/--model/);
    expect((await run(['saliency', 'eval', '--pred', 'a'])).error).toBeInstanceOf(DiloUsageError);
  });

  it('eval names each ground-truth mask without a map, scores the rest and counts it', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'dilo-sal-cli-'));
    mkdirSync(path.join(root, 'gt'));
    mkdirSync(path.join(root, 'pred'));
    const { gt } = syntheticScene(20, 20);
    writeFileSync(path.join(root, 'gt', 'a.png'), await encodePng(gt));
    writeFileSync(path.join(root, 'gt', 'b.png'), await encodePng(gt));
    writeFileSync(path.join(root, 'pred', 'a.png'), await encodePng(gt));
    const r = await run(['saliency', 'eval', '--pred', path.join(root, 'pred'), '--gt', path.join(root, 'gt'), '--json']);
    expect(r.error).toBeNull();
    expect(r.stderr.split('\n').filter((l) => l.startsWith('skip '))).toEqual([`skip ${path.join(root, 'gt', 'b.png')}: no map named b.* under ${path.join(root, 'pred')}`]);
    expect(JSON.parse(r.stdout.trim().split('\n').pop() as string)).toMatchObject({ n: 1, missing: 1, processed: 1, skipped: 1 });
    expect(skippedInputsThisRun()).toBe(1);
  });
});
