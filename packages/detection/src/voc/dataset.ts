import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DiloInputError } from '@dilo/core';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { SkipReport } from '@dilo/core';

/**
 * A box as the VOC devkit stores it: [xmin, ymin, xmax, ymax], 1-based pixel indices, both ends
 * inclusive (a one-pixel box has xmin == xmax). Kept as is, because voc_eval's IoU (+1 widths)
 * is defined on these numbers. `vocBoxToXyxy` gives detectron2's continuous 0-based form.
 */
export type VocBox = [number, number, number, number];

export interface VocObject {
  name: string;
  box: VocBox;
  difficult: boolean;
  truncated: boolean;
}

export interface VocImage {
  /** Image id, e.g. 2007_000027 (the file stem). */
  id: string;
  /** Path of the JPEG. */
  file: string;
  width: number;
  height: number;
  objects: VocObject[];
}

export interface VocDataset {
  root: string;
  split: string | null;
  images: VocImage[];
}

/**
 * detectron2's conversion (data/datasets/pascal_voc.py) to continuous 0-based corners
 * [x0, y0, x1, y1]: x0 = xmin - 1, y0 = ymin - 1, x1 = xmax, y1 = ymax, so width = xmax - xmin + 1.
 */
export function vocBoxToXyxy(b: VocBox): [number, number, number, number] {
  return [b[0] - 1, b[1] - 1, b[2], b[3]];
}

/** The inverse, used to write 0-based continuous predictions in devkit form (as detectron2's VOC evaluator does). */
export function xyxyToVocBox(b: [number, number, number, number]): VocBox {
  return [b[0] + 1, b[1] + 1, b[2], b[3]];
}

const parser = new XMLParser({ isArray: (name) => name === 'object', parseTagValue: false, ignoreAttributes: true, trimValues: true });

function num(file: string, v: unknown, what: string): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new DiloInputError(file, `${what} is ${v === undefined ? 'missing' : `not a number (${JSON.stringify(v)})`}`);
  return n;
}

/** Parse one VOC annotation XML file. */
export function parseVocXml(file: string, text: string = readXml(file)): Omit<VocImage, 'file'> & { filename: string } {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new DiloInputError(file, `malformed XML at line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}`);
  const doc = parser.parse(text) as { annotation?: Record<string, unknown> };
  if (doc.annotation === undefined) throw new DiloInputError(file, 'no <annotation> root element');
  // An empty element parses as '': treat it as one without children.
  const ann = typeof doc.annotation === 'object' && doc.annotation !== null ? doc.annotation : {};
  const size = ann.size as Record<string, unknown> | undefined;
  if (!size || typeof size !== 'object') throw new DiloInputError(file, 'missing <size>');
  const width = num(file, size.width, '<size><width>');
  const height = num(file, size.height, '<size><height>');
  const objs = (ann.object as Record<string, unknown>[] | undefined) ?? [];
  const objects = objs.map((o, i): VocObject => {
    const where = `<object> #${i + 1}`;
    if (typeof o !== 'object' || o === null) throw new DiloInputError(file, `${where} is empty`);
    const name = o.name;
    if (typeof name !== 'string' || !name) throw new DiloInputError(file, `${where} has no <name>`);
    const bb = o.bndbox as Record<string, unknown> | undefined;
    if (!bb || typeof bb !== 'object') throw new DiloInputError(file, `${where} (${name}) has no <bndbox>`);
    const box: VocBox = [num(file, bb.xmin, `${where} xmin`), num(file, bb.ymin, `${where} ymin`), num(file, bb.xmax, `${where} xmax`), num(file, bb.ymax, `${where} ymax`)];
    // A missing <difficult>/<truncated> reads as 0 (a few VOC2012 files omit them).
    const difficult = o.difficult === undefined ? false : num(file, o.difficult, `${where} <difficult>`) !== 0;
    const truncated = o.truncated === undefined ? false : num(file, o.truncated, `${where} <truncated>`) !== 0;
    return { name, box, difficult, truncated };
  });
  const stem = path.basename(file).replace(/\.xml$/i, '');
  const filename = typeof ann.filename === 'string' && ann.filename ? ann.filename : `${stem}.jpg`;
  return { id: stem, filename, width, height, objects };
}

function readXml(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new DiloInputError(file, `cannot read: ${(err as Error).message}`, { cause: err });
  }
}

/** Image ids of a split: ImageSets/Main/<split>.txt (first column), or every Annotations/*.xml when no split is given. */
export function vocImageIds(root: string, split: string | null): string[] {
  if (split) {
    const list = path.join(root, 'ImageSets', 'Main', `${split}.txt`);
    if (!existsSync(list)) throw new DiloInputError(list, `split list not found (VOCdevkit layout: ImageSets/Main/${split}.txt)`);
    return readFileSync(list, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim().split(/\s+/)[0]!)
      .filter((s) => s.length > 0);
  }
  const dir = path.join(root, 'Annotations');
  if (!existsSync(dir)) throw new DiloInputError(dir, 'no Annotations folder (VOCdevkit layout: Annotations/*.xml)');
  return readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.xml'))
    .map((f) => f.slice(0, -4))
    .sort();
}

/**
 * Load a VOC folder (JPEGImages, Annotations, ImageSets/Main). With `skips`, an image whose
 * annotation file is missing or malformed is left out (one `skip` line) instead of failing the load.
 */
export function loadVocDataset(root: string, options: { split?: string | null; skips?: SkipReport } = {}): VocDataset {
  const split = options.split ?? null;
  const ids = vocImageIds(root, split);
  const images: VocImage[] = [];
  for (const id of ids) {
    const xml = path.join(root, 'Annotations', `${id}.xml`);
    try {
      if (!existsSync(xml)) throw new DiloInputError(xml, `annotation file missing for image '${id}'${split ? ` listed in ${split}.txt` : ''}`);
      const r = parseVocXml(xml);
      images.push({ id, file: path.join(root, 'JPEGImages', r.filename), width: r.width, height: r.height, objects: r.objects });
    } catch (err) {
      if (!options.skips) throw err;
      options.skips.skipError(err);
    }
  }
  return { root, split, images };
}
