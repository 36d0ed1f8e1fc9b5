/**
 * A folder of hostile and awkward image files, for testing that a command that reads images skips
 * every bad one with one line and still processes every good one. Written with sharp and by hand,
 * so it needs no data from outside.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { crc32 } from './crc32';

export interface BadImageCorpus {
  /** paths relative to the corpus folder that a reader must decode (awkward but valid) */
  good: string[];
  /** paths relative to the corpus folder that a reader must skip, naming each once */
  bad: string[];
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A grey PNG whose header claims width x height, with `rows` rows of real (compressed) data. */
function pngClaiming(width: number, height: number, rows: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc(Math.min(rows, height) * (width + 1)); // filter byte 0 + zeros: compresses ~1000:1
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', zlib.deflateSync(raw, { level: 9 })), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A small test picture: a bright disc on a darker gradient (so saliency has something to find). */
async function picture(width: number, height: number): Promise<Sharp> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const inside = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (Math.min(width, height) / 3) ** 2;
      const i = (y * width + x) * 3;
      data[i] = inside ? 230 : 40 + ((x * 60) / width) | 0;
      data[i + 1] = inside ? 60 : 70;
      data[i + 2] = inside ? 50 : 90 + ((y * 60) / height) | 0;
    }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/**
 * Write the corpus into `dir` (created). Bad: zero bytes, truncated JPEG, random bytes, HTML and
 * text named as images, a PNG with a broken CRC, a decompression bomb (60000 x 60000 claimed,
 * a few kB on disk), an absurd header size (2^31-1 wide), a dangling symbolic link. Good: 16-bit,
 * palette, 1-bit, alpha, CMYK, EXIF orientations 1-8, 1x1, 1xN and Nx1, names with spaces and
 * non-ASCII, and a folder named like an image (holding one good image).
 */
export async function writeBadImageCorpus(dir: string, size = 40): Promise<BadImageCorpus> {
  await fs.mkdir(dir, { recursive: true });
  const good: string[] = [];
  const bad: string[] = [];
  const put = async (rel: string, bytes: Buffer | Promise<Buffer>, isGood: boolean): Promise<void> => {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), await bytes);
    (isGood ? good : bad).push(rel);
  };
  const w = size;
  const h = Math.round((size * 3) / 4);
  const jpeg = await (await picture(w, h)).jpeg({ quality: 90 }).toBuffer();
  const png = await (await picture(w, h)).png().toBuffer();

  // bad
  await put('zero-bytes.jpg', Buffer.alloc(0), false);
  await put('truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2)), false);
  let s = 12345;
  await put('random-bytes.jpg', Buffer.from(Array.from({ length: 4096 }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 255)), false);
  await put('page.jpg', Buffer.from('<!DOCTYPE html>\n<html><body><h1>404 Not Found</h1></body></html>\n'), false);
  await put('notes.png', Buffer.from('these are not pixels\nsecond line\n'), false);
  const badCrc = Buffer.from(png);
  badCrc[8 + 8 + 13] ^= 0xff; // the IHDR chunk's CRC
  await put('bad-crc.png', badCrc, false);
  await put('bomb.png', pngClaiming(60000, 60000, 50), false);
  await put('absurd-header.png', pngClaiming(0x7fffffff, 1, 0), false);
  await fs.symlink(path.join(dir, 'no-such-target.jpg'), path.join(dir, 'dangling-link.jpg'));
  bad.push('dangling-link.jpg');

  // good, awkward
  const pic = async (): Promise<Sharp> => picture(w, h);
  await put('depth-16.png', (await pic()).toColourspace('rgb16').png().toBuffer(), true);
  await put('palette.png', (await pic()).png({ palette: true, colours: 16 }).toBuffer(), true);
  await put('one-bit.png', (await pic()).png({ palette: true, colours: 2 }).toBuffer(), true);
  await put('alpha.png', (await pic()).ensureAlpha(0.5).png().toBuffer(), true);
  await put('cmyk.jpg', (await pic()).toColourspace('cmyk').jpeg().toBuffer(), true);
  for (let o = 1; o <= 8; o++) await put(`exif-orientation-${o}.jpg`, (await pic()).withMetadata({ orientation: o }).jpeg().toBuffer(), true);
  await put('one-pixel.png', sharp({ create: { width: 1, height: 1, channels: 3, background: { r: 200, g: 10, b: 10 } } }).png().toBuffer(), true);
  await put('one-row.png', (await picture(w, 1)).png().toBuffer(), true);
  await put('one-column.png', (await picture(1, h)).png().toBuffer(), true);
  await put('name with spaces.jpg', jpeg, true);
  await put('ñandú-日本語.jpg', jpeg, true);
  await put('folder-named.jpg/inside.png', png, true);
  good.sort();
  bad.sort();
  return { good, bad };
}

export interface BadMaskCorpus {
  /** image file names (relative to the images folder) whose mask is fine */
  good: string[];
  /** file each problem must be reported under (relative to the corpus root), with the problem's kind */
  bad: { file: string; kind: 'wrong-size' | 'empty' | 'all-white' | 'missing' | 'orphaned' }[];
}

/**
 * `root/images` and `root/masks` with the mask problems a SOD-style folder has in practice: a mask
 * of the wrong size, an empty mask, an all-white mask, an image without a mask, a mask without an
 * image; plus two good pairs.
 */
export async function writeBadMaskCorpus(root: string, size = 32): Promise<BadMaskCorpus> {
  const images = path.join(root, 'images');
  const masks = path.join(root, 'masks');
  await fs.mkdir(images, { recursive: true });
  await fs.mkdir(masks, { recursive: true });
  const img = async (name: string): Promise<void> => fs.writeFile(path.join(images, name), await (await picture(size, size)).jpeg().toBuffer());
  const mask = async (name: string, w: number, h: number, fill: 'disc' | 0 | 255): Promise<void> => {
    const data = Buffer.alloc(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = fill === 'disc' ? ((x - w / 2) ** 2 + (y - h / 2) ** 2 < (w / 3) ** 2 ? 255 : 0) : fill;
    await fs.writeFile(path.join(masks, name), await sharp(data, { raw: { width: w, height: h, channels: 1 } }).png().toBuffer());
  };
  for (const n of ['good-a', 'good-b', 'wrong-size', 'empty', 'all-white', 'missing']) await img(`${n}.jpg`);
  await mask('good-a.png', size, size, 'disc');
  await mask('good-b.png', size, size, 'disc');
  await mask('wrong-size.png', size + 8, size, 'disc');
  await mask('empty.png', size, size, 0);
  await mask('all-white.png', size, size, 255);
  await mask('orphaned.png', size, size, 'disc');
  return {
    good: ['good-a.jpg', 'good-b.jpg'],
    bad: [
      { file: 'images/missing.jpg', kind: 'missing' },
      { file: 'masks/all-white.png', kind: 'all-white' },
      { file: 'masks/empty.png', kind: 'empty' },
      { file: 'masks/orphaned.png', kind: 'orphaned' },
      { file: 'masks/wrong-size.png', kind: 'wrong-size' },
    ],
  };
}
