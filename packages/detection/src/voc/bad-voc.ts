/**
 * A VOCdevkit-style folder with the annotation and image problems a real one has, for testing
 * that detection commands name each bad input once and keep every good image.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { encodeJpeg } from '@dilo/core';

export interface BadVocCorpus {
  /** ids that must load (image + boxes fine) */
  good: string[];
  /** the file each problem must be reported under, relative to the corpus root */
  bad: { file: string; kind: 'missing-xml' | 'malformed-xml' | 'box-outside' | 'unknown-class' | 'truncated-image' | 'wrong-size' | 'missing-image' }[];
  /** split list naming every id (ImageSets/Main/<split>.txt) */
  split: string;
}

function xml(file: string, w: number, h: number, objects: [string, number, number, number, number][]): string {
  const objs = objects.map(([n, a, b, c, d]) => `<object><name>${n}</name><difficult>0</difficult><bndbox><xmin>${a}</xmin><ymin>${b}</ymin><xmax>${c}</xmax><ymax>${d}</ymax></bndbox></object>`).join('');
  return `<annotation><filename>${file}</filename><size><width>${w}</width><height>${h}</height><depth>3</depth></size>${objs}</annotation>`;
}

/** A bright square (the object) on a darker gradient, uint8 RGB HWC. */
function scene(w: number, h: number, seed: number): Uint8Array {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const inside = x >= w / 4 && x < (3 * w) / 4 && y >= h / 4 && y < (3 * h) / 4;
      const i = (y * w + x) * 3;
      data[i] = inside ? 220 : 30 + ((x * 50) / w);
      data[i + 1] = inside ? 40 + seed * 10 : 60;
      data[i + 2] = inside ? 40 : 80 + ((y * 50) / h);
    }
  return data;
}

/** Write the corpus into `root` (created); good images are `size` x 3/4 size with one `dog` box. */
export async function writeBadVocCorpus(root: string, size = 64, goodCount = 2): Promise<BadVocCorpus> {
  for (const d of ['Annotations', 'JPEGImages', 'ImageSets/Main']) mkdirSync(path.join(root, d), { recursive: true });
  const w = size;
  const h = Math.round((size * 3) / 4);
  const box: [number, number, number, number] = [Math.round(w / 4) + 1, Math.round(h / 4) + 1, Math.round((3 * w) / 4), Math.round((3 * h) / 4)];
  const good = Array.from({ length: goodCount }, (_, i) => `good${i + 1}`);
  const ids = [...good, 'no-xml', 'malformed', 'outside', 'unknown-class', 'truncated', 'wrong-size', 'no-image'];
  writeFileSync(path.join(root, 'ImageSets/Main/train.txt'), ids.join('\n') + '\n');
  const ann = (id: string, text: string): void => writeFileSync(path.join(root, 'Annotations', `${id}.xml`), text);
  for (const id of [...good, 'outside', 'unknown-class', 'truncated', 'no-image']) {
    ann(id, xml(`${id}.jpg`, w, h, [[id === 'unknown-class' ? 'unicorn' : 'dog', box[0], box[1], id === 'outside' ? w * 3 : box[2], box[3]]]));
  }
  ann('wrong-size', xml('wrong-size.jpg', w + 16, h + 12, [['cat', ...box]]));
  ann('malformed', '<annotation><size><width>40</width></size>');
  for (const [i, id] of [...good, 'no-xml', 'malformed', 'outside', 'unknown-class', 'wrong-size', 'truncated'].entries()) {
    const jpeg = await encodeJpeg({ width: w, height: h, data: scene(w, h, i) });
    writeFileSync(path.join(root, 'JPEGImages', `${id}.jpg`), id === 'truncated' ? jpeg.subarray(0, jpeg.length >> 1) : jpeg);
  }
  return {
    good,
    split: 'train',
    bad: [
      { file: 'Annotations/malformed.xml', kind: 'malformed-xml' },
      { file: 'Annotations/no-xml.xml', kind: 'missing-xml' },
      { file: 'Annotations/outside.xml', kind: 'box-outside' },
      { file: 'Annotations/unknown-class.xml', kind: 'unknown-class' },
      { file: 'JPEGImages/no-image.jpg', kind: 'missing-image' },
      { file: 'JPEGImages/truncated.jpg', kind: 'truncated-image' },
      { file: 'JPEGImages/wrong-size.jpg', kind: 'wrong-size' },
    ],
  };
}
