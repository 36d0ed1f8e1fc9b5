import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng, selectBackend, sharedDataset } from '@dilo/core';
import { backboneSpec, encodeTorchZip, type SaveValue } from '@dilo/interop';
import { runCli } from './cli';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => { out += String(c); return true; });
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => { err += String(c); return true; });
  const l = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out += a.join(' ') + '\n'; });
  try {
    return { code: await runCli(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    l.mockRestore();
  }
}

const lastJson = (r: { out: string }): Record<string, unknown> => JSON.parse(r.out.trim().split('\n').pop() as string);

/** A torchvision-named ResNet-18 (width 1/16) state_dict as torch.save writes it, He-initialised. */
function torchvisionCheckpoint(file: string): void {
  const rng = new Rng(7, ['interop-cli']);
  const entries: [string, SaveValue][] = backboneSpec({ arch: 'resnet18', width: 0.0625, smallStem: false }).map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (s.kind === 'conv') {
      const std = Math.sqrt(2 / (s.shape[1] * s.shape[2] * s.shape[3]));
      for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
    } else if (/\.(weight|running_var)$/.test(s.name)) data.fill(1);
    return [s.name, { dtype: 'float32', shape: s.shape, data }];
  });
  entries.push(['fc.weight', { dtype: 'float32', shape: [10, 32], data: new Float32Array(320) }], ['fc.bias', { dtype: 'float32', shape: [10], data: new Float32Array(10) }]);
  writeFileSync(file, encodeTorchZip({ ordered: true, entries }));
}

describe('dilo convert / export feed the other commands', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-cli-interop-'));
  const run1 = path.join(dir, 'imported');

  beforeAll(async () => {
    await selectBackend({ log: false });
    torchvisionCheckpoint(path.join(dir, 'r18.pth'));
    const c = await run(['convert', path.join(dir, 'r18.pth'), '--out', run1, '--size', '32', '--json']);
    expect(c.err).toBe('');
    expect(c.code).toBe(0);
    expect(lastJson(c)).toMatchObject({ layout: 'torchvision', container: 'zip', arch: 'resnet18', width: 0.0625, tensors: 100 });
  }, 60_000);

  it('--help of both commands', async () => {
    expect((await run(['convert', '--help'])).out).toMatch(/--from.*\n?.*torchvision/);
    expect((await run(['export', '--help'])).out).toMatch(/detectron2/);
  });

  it('eval knn and eval backgrounds read the converted run', async () => {
    const ds = path.join(dir, 'ds');
    expect((await run(['data', 'synth', '--out', ds, '--seed', '1', '--train', '40', '--val', '20', '--size', '32', '--classes', '2'])).code).toBe(0);
    const knn = await run(['eval', 'knn', '--checkpoint', run1, '--data', ds, '--no-cache', '--json']);
    expect(knn.code).toBe(0);
    expect(JSON.stringify(lastJson(knn))).toMatch(/top1|accuracy/);
    const bg = await run(['eval', 'backgrounds', '--checkpoint', run1, '--data', ds, '--no-cache', '--json']);
    expect(bg.code).toBe(0);
  }, 120_000);

  it('export writes every format; a bad --from is refused naming the file', async () => {
    for (const to of ['torchvision', 'moco', 'detectron2', 'safetensors']) {
      const r = await run(['export', run1, '--to', to, '--out', path.join(dir, `out.${to}`), '--json']);
      expect({ to, code: r.code, err: r.err }).toEqual({ to, code: 0, err: '' });
      expect(lastJson(r)).toMatchObject({ to, arch: 'resnet18', tensors: 100 });
    }
    const back = await run(['convert', path.join(dir, 'out.safetensors'), '--out', path.join(dir, 'back'), '--json']);
    expect(back.code).toBe(0);
    const bad = await run(['convert', path.join(dir, 'r18.pth'), '--from', 'detectron2', '--out', path.join(dir, 'bad')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe(`dilo: error: ${path.join(dir, 'r18.pth')}: --from detectron2, but its tensor names look like a torchvision checkpoint\n`);
  }, 60_000);

  const voc = sharedDataset('voc-coco-100');
  (voc ? it : it.skip)('detect train --init takes the converted run', async () => {
    const v = path.join(dir, 'voc');
    for (const sub of ['Annotations', 'JPEGImages']) mkdirSync(path.join(v, sub), { recursive: true });
    for (const id of ['2007_000027', '2007_000039']) {
      symlinkSync(path.join(voc!, 'Annotations', `${id}.xml`), path.join(v, 'Annotations', `${id}.xml`));
      symlinkSync(path.join(voc!, 'JPEGImages', `${id}.jpg`), path.join(v, 'JPEGImages', `${id}.jpg`));
    }
    const r = await run(['detect', 'train', '--data', `voc:${v}`, '--init', run1, '--batch', '2', '--short-sides', '64', '--max-size', '96', '--rpn-batch', '32', '--roi-batch', '8', '--train-proposals', '50', '--test-proposals', '20', '--freeze-at', '0', '--iters', '1', '--out', path.join(dir, 'det'), '--quiet', '--json']);
    expect({ code: r.code, err: r.err.split('\n').filter((l) => l.startsWith('dilo:')) }).toEqual({ code: 0, err: [] });
    expect(lastJson(r)).toMatchObject({ iters: 1 });
  }, 120_000);
});
