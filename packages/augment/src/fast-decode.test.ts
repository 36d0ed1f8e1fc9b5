import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { decodeImage, decodeMask, DiloInputError } from '@dilo/core';
import { decodeImageFast, decodeMaskFast, hasNoOrientationMetadata } from './fast-decode';

let dir: string;
const W = 13;
const H = 7;
const rgb = new Uint8Array(W * H * 3).map((_, k) => (k * 29) % 256);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dilo-fast-decode-'));
  const raw = { raw: { width: W, height: H, channels: 3 as const } };
  await sharp(rgb, raw).jpeg({ quality: 90 }).toFile(path.join(dir, 'plain.jpg'));
  // EXIF orientation 6 (rotate 90): the fast path must step aside so core rotates it
  await sharp(rgb, raw).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toFile(path.join(dir, 'rotated.jpg'));
  await sharp(rgb, raw).png().toFile(path.join(dir, 'plain.png'));
  await sharp(rgb, raw).toColourspace('b-w').jpeg().toFile(path.join(dir, 'grey.jpg'));
  await sharp(rgb, raw).toColourspace('b-w').png().toFile(path.join(dir, 'map.png'));
  await fs.writeFile(path.join(dir, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('fast decode', () => {
  it('gives exactly what core decodeImage gives, with or without EXIF orientation', async () => {
    for (const f of ['plain.jpg', 'rotated.jpg', 'plain.png', 'grey.jpg']) {
      const file = path.join(dir, f);
      const a = await decodeImage(file);
      const b = await decodeImageFast(file);
      expect([b.width, b.height]).toEqual([a.width, a.height]);
      expect(Buffer.from(b.data).equals(Buffer.from(a.data))).toBe(true);
    }
    expect((await decodeImageFast(path.join(dir, 'rotated.jpg'))).width).toBe(H); // rotated by core
  });
  it('maps decode like core decodeMask', async () => {
    for (const f of ['map.png', 'plain.png']) {
      const a = await decodeMask(path.join(dir, f));
      const b = await decodeMaskFast(path.join(dir, f));
      expect(Buffer.from(b.data).equals(Buffer.from(a.data))).toBe(true);
    }
  });
  it('detects orientation metadata', async () => {
    expect(hasNoOrientationMetadata(await fs.readFile(path.join(dir, 'plain.jpg')))).toBe(true);
    expect(hasNoOrientationMetadata(await fs.readFile(path.join(dir, 'rotated.jpg')))).toBe(false);
    expect(hasNoOrientationMetadata(Buffer.from('not an image'))).toBe(false);
  });
  it('names the file on missing or corrupt input', async () => {
    await expect(decodeImageFast(path.join(dir, 'nope.jpg'))).rejects.toThrow(/nope\.jpg: cannot read file \(ENOENT\)/);
    await expect(decodeImageFast(path.join(dir, 'broken.jpg'))).rejects.toThrow(DiloInputError);
    await expect(decodeImageFast(path.join(dir, 'broken.jpg'))).rejects.toThrow(/broken\.jpg/);
  });
});

describe('pngSize (the map-size check of maps that are not decoded)', () => {
  it('reads width and height from the IHDR chunk, null for other formats, names an unreadable file', async () => {
    const { pngSize } = await import('./two-view');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pngsize-'));
    const png = path.join(dir, 'm.png');
    await sharp(Buffer.alloc(37 * 21, 128), { raw: { width: 37, height: 21, channels: 1 } }).png().toFile(png);
    expect(pngSize(png)).toEqual({ width: 37, height: 21 });
    const jpg = path.join(dir, 'm.jpg');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).jpeg().toFile(jpg);
    expect(pngSize(jpg)).toBeNull();
    expect(() => pngSize(path.join(dir, 'missing.png'))).toThrow(DiloInputError);
    expect(() => pngSize(path.join(dir, 'missing.png'))).toThrow(/missing\.png.*ENOENT/);
    await fs.rm(dir, { recursive: true, force: true });
  });
});
