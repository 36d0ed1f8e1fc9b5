import sharp from 'sharp';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeImage, decodeMask, encodePng, encodeJpeg, resizeImage, imageSize, DiloInputError } from './index';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dilo-image-'));

/** A 4x2 RGB test pattern: left half red, right half blue. */
function pattern(): Buffer {
  const b = Buffer.alloc(4 * 2 * 3);
  for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) {
    const p = 3 * (y * 4 + x);
    if (x < 2) b[p] = 255; else b[p + 2] = 255;
  }
  return b;
}

describe('decodeImage', () => {
  it('decodes PNG to RGB HWC uint8', async () => {
    const png = await sharp(pattern(), { raw: { width: 4, height: 2, channels: 3 } }).png().toBuffer();
    const img = await decodeImage(png);
    expect([img.width, img.height, img.data.length]).toEqual([4, 2, 24]);
    expect(Array.from(img.data.slice(0, 3))).toEqual([255, 0, 0]);
    expect(Array.from(img.data.slice(9, 12))).toEqual([0, 0, 255]);
  });

  it('honours EXIF orientation (6 = rotate 90 degrees clockwise)', async () => {
    const jpg = await sharp(pattern(), { raw: { width: 4, height: 2, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(jpg).metadata()).orientation).toBe(6);
    const img = await decodeImage(jpg);
    expect([img.width, img.height]).toEqual([2, 4]);
    // after rotating clockwise the former left (red) half is at the top
    expect(img.data[0]).toBeGreaterThan(200);
    expect(img.data[2]).toBeLessThan(60);
    expect(img.data[3 * 7 + 2]).toBeGreaterThan(200); // bottom row is blue
    expect(await imageSize(writeTmp('rot.jpg', jpg))).toEqual({ width: 2, height: 4 });
  });

  it('converts CMYK JPEG to RGB', async () => {
    const cmyk = await sharp(pattern(), { raw: { width: 4, height: 2, channels: 3 } }).toColourspace('cmyk').jpeg({ quality: 100 }).toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const img = await decodeImage(cmyk);
    expect(img.data.length).toBe(24);
    expect(img.data[0]).toBeGreaterThan(200); // red survives the round trip
    expect(img.data[1]).toBeLessThan(70);
  });

  it('converts 16-bit PNG to 8 bit', async () => {
    // 30000/65535 of full scale -> round(30000/257) = 117 in 8 bit
    const raw = new Uint16Array(4 * 2 * 3).fill(30000);
    const png16 = await sharp(raw, { raw: { width: 4, height: 2, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const img = await decodeImage(png16);
    expect(img.data.length).toBe(24);
    expect(Math.abs(img.data[0] - 117)).toBeLessThanOrEqual(1);
  });

  it('expands grayscale and drops alpha', async () => {
    const grey = await sharp(Buffer.from([0, 128, 255, 64]), { raw: { width: 2, height: 2, channels: 1 } }).png().toBuffer();
    const g = await decodeImage(grey);
    expect(Array.from(g.data.slice(3, 6))).toEqual([128, 128, 128]);
    const rgba = await sharp(Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]), { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    const a = await decodeImage(rgba);
    expect(a.data.length).toBe(6);
    expect(Array.from(a.data.slice(3))).toEqual([40, 50, 60]);
  });

  it('names the file of a truncated JPEG', async () => {
    const jpg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#3a7' } }).jpeg().toBuffer();
    const file = writeTmp('cut.jpg', jpg.subarray(0, Math.floor(jpg.length / 2)));
    await expect(decodeImage(file)).rejects.toThrow(DiloInputError);
    await expect(decodeImage(file)).rejects.toThrow(/cut\.jpg: corrupt or truncated/);
  });

  it('names the file of a non-image and a missing file', async () => {
    const file = writeTmp('notes.png', Buffer.from('hello, not a png'));
    await expect(decodeImage(file)).rejects.toThrow(/notes\.png: .*not a supported image/);
    await expect(decodeImage(path.join(tmp, 'absent.png'))).rejects.toThrow(/absent\.png: cannot read file \(ENOENT\)/);
  });

  it('refuses images over the pixel limit', async () => {
    const png = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#000' } }).png().toBuffer();
    await expect(decodeImage(png, { maxPixels: 5000, name: 'big.png' })).rejects.toThrow(/big\.png: image exceeds the pixel limit/);
  });
});

describe('masks, encode, resize', () => {
  it('decodes a colour mask to one channel', async () => {
    const rgb = await sharp(Buffer.from([255, 255, 255, 0, 0, 0]), { raw: { width: 2, height: 1, channels: 3 } }).png().toBuffer();
    const m = await decodeMask(rgb);
    expect(Array.from(m.data)).toEqual([255, 0]);
  });

  it('round-trips PNG losslessly and JPEG approximately', async () => {
    const img = { width: 4, height: 2, data: new Uint8Array(pattern()) };
    expect(Array.from((await decodeImage(await encodePng(img))).data)).toEqual(Array.from(img.data));
    const j = await decodeImage(await encodeJpeg(img, 95));
    expect(Math.abs(j.data[0] - 255)).toBeLessThan(40);
    const gray = { width: 3, height: 1, data: new Uint8Array([1, 2, 3]) };
    expect(Array.from((await decodeMask(await encodePng(gray))).data)).toEqual([1, 2, 3]);
  });

  it('resizes one- and three-channel images', async () => {
    const img = { width: 4, height: 2, data: new Uint8Array(pattern()) };
    const r = await resizeImage(img, 8, 4, 'nearest');
    expect([r.width, r.height, r.data.length]).toEqual([8, 4, 96]);
    const g = await resizeImage({ width: 2, height: 2, data: new Uint8Array([0, 0, 0, 0]) }, 3, 3);
    expect(g.data.length).toBe(9);
  });
});

function writeTmp(name: string, data: Uint8Array): string {
  const f = path.join(tmp, name);
  writeFileSync(f, data);
  return f;
}

test('decode errors are one line (libvips multi-line noise collapsed)', async () => {
  // a JPEG header followed by garbage makes libvips report over several lines
  const bad = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 0x41)]);
  const err = await decodeImage(bad, { name: 'bad.jpg' }).then(() => null, (e: Error) => e);
  expect(err).not.toBeNull();
  expect(err!.message).toContain('bad.jpg');
  expect(err!.message).not.toMatch(/\n/);
});
