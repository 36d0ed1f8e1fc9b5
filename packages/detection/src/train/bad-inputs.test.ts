import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeJpeg, SkipReport } from '@dilo/core';
import { dropUnreadableImages, loadDetectionData } from './data';

function xml(file: string, w: number, h: number, objects: [string, number, number, number, number][]): string {
  const objs = objects.map(([n, a, b, c, d]) => `<object><name>${n}</name><difficult>0</difficult><bndbox><xmin>${a}</xmin><ymin>${b}</ymin><xmax>${c}</xmax><ymax>${d}</ymax></bndbox></object>`).join('');
  return `<annotation><filename>${file}</filename><size><width>${w}</width><height>${h}</height><depth>3</depth></size>${objs}</annotation>`;
}

describe('detection data with bad inputs', () => {
  it('names every bad annotation or image once and keeps every good record', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'dilo-det-bad-'));
    for (const d of ['Annotations', 'JPEGImages', 'ImageSets/Main']) mkdirSync(path.join(root, d), { recursive: true });
    const jpeg = await encodeJpeg({ width: 40, height: 30, data: new Uint8Array(40 * 30 * 3).fill(120) });
    const ids = ['good1', 'good2', 'no-xml', 'malformed', 'outside', 'unknown-class', 'truncated', 'wrong-size', 'no-image'];
    writeFileSync(path.join(root, 'ImageSets/Main/train.txt'), ids.join('\n') + '\n');
    const ann = (id: string, text: string): void => writeFileSync(path.join(root, 'Annotations', `${id}.xml`), text);
    for (const id of ['good1', 'good2', 'outside', 'unknown-class', 'truncated', 'no-image']) ann(id, xml(`${id}.jpg`, 40, 30, [[id === 'unknown-class' ? 'unicorn' : 'dog', 5, 5, id === 'outside' ? 90 : 20, 20]]));
    ann('wrong-size', xml('wrong-size.jpg', 64, 48, [['cat', 5, 5, 20, 20]]));
    ann('malformed', '<annotation><size><width>40</width></size>');
    for (const id of ['good1', 'good2', 'no-xml', 'malformed', 'outside', 'unknown-class', 'wrong-size']) writeFileSync(path.join(root, 'JPEGImages', `${id}.jpg`), jpeg);
    writeFileSync(path.join(root, 'JPEGImages', 'truncated.jpg'), jpeg.subarray(0, jpeg.length >> 1));

    const lines: string[] = [];
    const skips = new SkipReport((l) => lines.push(l));
    const data = await dropUnreadableImages(loadDetectionData(`voc:${root}:train`, skips), skips);
    expect(data.records.map((r) => r.id)).toEqual(['good1', 'good2']);
    const named = skips.counts().skippedFiles.map((f) => [path.relative(root, f.file), f.problem]);
    expect(named.map((n) => n[0])).toEqual([
      'Annotations/malformed.xml',
      'Annotations/no-xml.xml',
      'Annotations/outside.xml',
      'Annotations/unknown-class.xml',
      'JPEGImages/no-image.jpg',
      'JPEGImages/truncated.jpg',
      'JPEGImages/wrong-size.jpg',
    ]);
    const why = Object.fromEntries(named);
    expect(why['Annotations/no-xml.xml']).toMatch(/annotation file missing for image 'no-xml' listed in train\.txt/);
    expect(why['Annotations/malformed.xml']).toMatch(/malformed XML|missing <size>|<height>/);
    expect(why['Annotations/outside.xml']).toMatch(/outside the 40x30 image/);
    expect(why['Annotations/unknown-class.xml']).toMatch(/'unicorn' is not one of the 20 VOC classes/);
    expect(why['JPEGImages/no-image.jpg']).toMatch(/image file missing/);
    expect(why['JPEGImages/truncated.jpg']).toMatch(/corrupt or truncated/);
    expect(why['JPEGImages/wrong-size.jpg']).toMatch(/image is 40x30, its annotation says 64x48/);
    expect(lines).toHaveLength(7);
    for (const l of lines) expect(l).toMatch(/^skip [^\n]+\n$/);
  });

  it('without a report the first bad annotation fails the load, naming the file', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'dilo-det-bad-'));
    mkdirSync(path.join(root, 'Annotations'), { recursive: true });
    writeFileSync(path.join(root, 'Annotations', 'a.xml'), xml('a.jpg', 40, 30, [['unicorn', 1, 1, 9, 9]]));
    expect(() => loadDetectionData(`voc:${root}`)).toThrow(/a\.xml: class 'unicorn'/);
  });
});
