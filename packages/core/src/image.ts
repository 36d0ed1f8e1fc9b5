import sharp, { type Sharp } from 'sharp';
import { promises as fs } from 'node:fs';
import { crc32 } from './crc32';
import { DiloInputError } from './errors';

/** An RGB image, interleaved HWC, uint8 0-255. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** length width*height*3, row-major, channel last */
  readonly data: Uint8Array;
}

/** A one-channel map (mask or saliency), HW, uint8 0-255. */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  /** length width*height */
  readonly data: Uint8Array;
}

/** Guard against decompression bombs: images above this many pixels are refused. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface DecodeOptions {
  /** refuse images with more pixels than this (default 1e8) */
  maxPixels?: number;
  /** a name for error messages when decoding a buffer */
  name?: string;
}

type Source = string | Uint8Array;

async function readSource(src: Source, name: string): Promise<Buffer> {
  if (typeof src !== 'string') return Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  try {
    return await fs.readFile(src);
  } catch (err) {
    throw new DiloInputError(name, `cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
}

function describe(err: unknown, head?: Uint8Array): string {
  // libvips messages span several lines (one per failing loader stage): keep one line for `skip <file>: <problem>`.
  const msg = (err instanceof Error ? err.message : String(err))
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/:$/, ''))
    .filter(Boolean)
    .filter((l, i, a) => a.indexOf(l) === i)
    .join('; ');
  // libjpeg's longjmp on a cut-off stream reaches sharp as 'Unknown error'
  if (/^unknown error$/i.test(msg) && head && head[0] === 0xff && head[1] === 0xd8) return 'corrupt or truncated JPEG data (the decoder stopped before the end of the image)';
  if (/pixel limit/i.test(msg)) return `image exceeds the pixel limit (decompression-bomb guard): ${msg}`;
  if (/unsupported image format/i.test(msg)) return 'not a supported image (JPEG, PNG, WebP, TIFF, GIF, AVIF)';
  if (/premature end|truncated|corrupt|VipsJpeg|bad|invalid/i.test(msg)) return `corrupt or truncated image data: ${msg}`;
  return `cannot decode image: ${msg}`;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The first PNG chunk whose CRC does not match, or null. libvips' PNG loader ignores chunk CRCs,
 * so a bit flip in the header or the pixel data would decode to a silently wrong image.
 */
export function pngCrcError(buf: Uint8Array): string | null {
  if (buf.length < 8 || PNG_SIGNATURE.some((b, i) => buf[i] !== b)) return null;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let at = 8; at + 12 <= buf.length; ) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(buf[at + 4], buf[at + 5], buf[at + 6], buf[at + 7]);
    if (at + 12 + len > buf.length) return null; // truncated: the decoder reports it
    if (crc32(buf, at + 4, at + 8 + len) !== view.getUint32(at + 8 + len)) return `corrupt PNG: bad CRC in chunk ${type} at byte ${at}`;
    if (type === 'IEND') break;
    at += 12 + len;
  }
  return null;
}

async function decodeRaw(src: Source, channels: 1 | 3, opts: DecodeOptions): Promise<{ data: Uint8Array; width: number; height: number }> {
  const name = opts.name ?? (typeof src === 'string' ? src : '<buffer>');
  const buf = await readSource(src, name);
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (buf.length === 0) throw new DiloInputError(name, 'empty file (0 bytes)');
  const crcError = pngCrcError(buf);
  if (crcError) throw new DiloInputError(name, crcError);
  try {
    // failOn 'truncated' turns a cut-off file into an error instead of a grey band.
    let pipe = sharp(buf, { limitInputPixels: maxPixels, failOn: 'truncated', sequentialRead: true })
      .rotate() // honour EXIF orientation
      .removeAlpha()
      .toColourspace(channels === 1 ? 'b-w' : 'srgb'); // CMYK, grey and 16-bit all end as 8-bit sRGB / grey
    if (channels === 1) pipe = pipe.extractChannel(0);
    const { data, info } = await pipe.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) throw new Error(`expected ${channels} channels after conversion, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (err) {
    throw new DiloInputError(name, describe(err, buf), { cause: err });
  }
}

/** Decode JPEG/PNG/WebP/TIFF to RGB uint8 HWC (EXIF orientation applied; alpha dropped; grey, CMYK and 16-bit converted). */
export async function decodeImage(src: Source, opts: DecodeOptions = {}): Promise<RgbImage> {
  return decodeRaw(src, 3, opts);
}

/** Decode a mask or saliency map to one channel uint8 (a colour file is converted to luminance). */
export async function decodeMask(src: Source, opts: DecodeOptions = {}): Promise<GrayImage> {
  return decodeRaw(src, 1, opts);
}

function toSharp(img: RgbImage | GrayImage): Sharp {
  const channels = img.data.length / (img.width * img.height);
  if (channels !== 1 && channels !== 3) throw new Error(`image buffer has ${img.data.length} bytes for ${img.width}x${img.height}: not 1 or 3 channels`);
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels } });
}

/** Encode an RGB or one-channel image as PNG. */
export async function encodePng(img: RgbImage | GrayImage): Promise<Buffer> {
  return toSharp(img).png({ compressionLevel: 6 }).toBuffer();
}

/** Encode an RGB or one-channel image as JPEG (quality 0-100). */
export async function encodeJpeg(img: RgbImage | GrayImage, quality = 90): Promise<Buffer> {
  return toSharp(img).jpeg({ quality }).toBuffer();
}

export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';

/** Resize to exactly width x height (aspect not kept). Same channel count out as in. */
export async function resizeImage<T extends RgbImage | GrayImage>(img: T, width: number, height: number, kernel: ResizeKernel = 'linear'): Promise<T> {
  const channels = img.data.length / (img.width * img.height);
  let pipe = toSharp(img).resize(width, height, { fit: 'fill', kernel });
  // libvips widens one-band raw input to sRGB on output; keep a mask one channel
  if (channels === 1) pipe = pipe.extractChannel(0);
  const { data, info } = await pipe
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== channels) throw new Error('resize changed the channel count');
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) } as T;
}

/** Read the size of an image without decoding its pixels. */
export async function imageSize(file: string): Promise<{ width: number; height: number }> {
  try {
    const meta = await sharp(file).metadata();
    if (!meta.width || !meta.height) throw new Error('no dimensions in header');
    const swap = (meta.orientation ?? 1) >= 5;
    return swap ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
  } catch (err) {
    throw new DiloInputError(file, describe(err), { cause: err });
  }
}
