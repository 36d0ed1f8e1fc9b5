import sharp from 'sharp';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { imageFolder, imageList, pairMasks, imageMaskFolder, sharedDataset, manifestToJson, manifestFromJson } from './index';

async function png(file: string, w: number, h: number): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, await sharp({ create: { width: w, height: h, channels: 3, background: '#888' } }).png().toBuffer());
}

describe('ImageFolder and mask pairing', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'dilo-ds-'));

  beforeAll(async () => {
    await png(path.join(root, 'img', 'zebra', 'b.png'), 8, 8);
    await png(path.join(root, 'img', 'zebra', 'a.png'), 8, 8);
    await png(path.join(root, 'img', 'ant', 'x.png'), 8, 8);
    await png(path.join(root, 'img', 'ant', 'y.png'), 8, 8);
    writeFileSync(path.join(root, 'img', 'ant', 'readme.txt'), 'not an image');
    await png(path.join(root, 'masks', 'zebra', 'a.png'), 8, 8);
    await png(path.join(root, 'masks', 'zebra', 'b.png'), 8, 4); // wrong size
    await png(path.join(root, 'masks', 'ant', 'x.png'), 8, 8);
    // ant/y has no mask
  });

  it('lists classes and samples in a stable order', async () => {
    const m = await imageFolder(path.join(root, 'img'));
    expect(m.classes).toEqual(['ant', 'zebra']);
    expect(m.samples.map((s) => [s.id, s.label])).toEqual([['ant/x', 0], ['ant/y', 0], ['zebra/a', 1], ['zebra/b', 1]]);
    const back = manifestFromJson(manifestToJson(m));
    expect(back).toEqual(m);
  });

  it('reports images without a mask and size mismatches', async () => {
    const p = await pairMasks(await imageFolder(path.join(root, 'img')), path.join(root, 'masks'));
    expect(p.samples.map((s) => s.id)).toEqual(['ant/x', 'zebra/a']);
    expect(p.issues.map((i) => [i.id, i.problem])).toEqual([['ant/y', 'no-mask'], ['zebra/b', 'size-mismatch']]);
    expect(p.issues[1].detail).toBe('image 8x8 but mask 8x4');
  });

  it('follows symbolic links to class folders and images, and walks a link cycle once', async () => {
    const linked = mkdtempSync(path.join(os.tmpdir(), 'dilo-ds-links-'));
    symlinkSync(path.join(root, 'img', 'ant'), path.join(linked, 'ant'));
    mkdirSync(path.join(linked, 'zebra'));
    symlinkSync(path.join(root, 'img', 'zebra', 'a.png'), path.join(linked, 'zebra', 'a.png'));
    symlinkSync(path.join(linked, 'zebra'), path.join(linked, 'zebra', 'loop'));
    symlinkSync(path.join(linked, 'missing.png'), path.join(linked, 'zebra', 'dangling.png'));
    const m = await imageFolder(linked);
    expect(m.classes).toEqual(['ant', 'zebra']);
    expect(m.samples.map((s) => s.id)).toEqual(['ant/x', 'ant/y', 'zebra/a']);
  });

  it('fails clearly on a folder that is not a dataset', async () => {
    await expect(imageFolder(path.join(root, 'nope'))).rejects.toThrow(/nope: not a readable dataset folder \(ENOENT\)/);
    const flat = mkdtempSync(path.join(os.tmpdir(), 'dilo-flat-'));
    await png(path.join(flat, 'a.png'), 4, 4);
    await expect(imageFolder(flat)).rejects.toThrow(/no class sub-folders/);
    expect((await imageList(flat)).samples).toHaveLength(1);
  });
});

describe('shared datasets', () => {
  const imagenette = sharedDataset('imagenette-128');
  const sod = sharedDataset('sod');

  (imagenette ? it : it.skip)('reads imagenette-128 as an ImageFolder', async () => {
    const m = await imageFolder(path.join(imagenette as string, 'val'));
    expect(m.classes).toHaveLength(10);
    expect(m.samples.length).toBe(3925);
    expect(m.samples[0].label).toBe(0);
    expect(m.samples[m.samples.length - 1].label).toBe(9);
  });

  (sod ? it : it.skip)('pairs SOD images with their masks', async () => {
    const p = await imageMaskFolder(sod as string);
    expect(p.samples.length + p.issues.length).toBe(300);
    expect(p.samples.length).toBeGreaterThan(290);
    for (const s of p.samples.slice(0, 3)) expect(path.basename(s.mask as string, '.png')).toBe(path.basename(s.image, '.jpg'));
  });

  if (!imagenette || !sod) {
    it('notes that shared data are missing', () => {
      process.stderr.write('dilo: ../shared/data not found: shared-dataset tests skipped (they are required under CI=true)\n');
    });
  }
});
