import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SkipReport } from '@dilo/core';
import { writeBadVocCorpus } from '../voc/bad-voc';
import { dropUnreadableImages, loadDetectionData } from './data';

describe('detection data with bad inputs', () => {
  it('names every bad annotation or image once and keeps every good record', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'dilo-det-bad-'));
    const corpus = await writeBadVocCorpus(root, 40);
    const lines: string[] = [];
    const skips = new SkipReport((l) => lines.push(l));
    const data = await dropUnreadableImages(loadDetectionData(`voc:${root}:${corpus.split}`, skips), skips);
    expect(data.records.map((r) => r.id)).toEqual(corpus.good);
    const named = skips.counts().skippedFiles.map((f) => [path.relative(root, f.file), f.problem]);
    expect(named.map((n) => n[0])).toEqual(corpus.bad.map((b) => b.file));
    const why = (kind: string): string => named[corpus.bad.findIndex((b) => b.kind === kind)][1];
    expect(why('missing-xml')).toMatch(/annotation file missing for image 'no-xml' listed in train\.txt/);
    expect(why('malformed-xml')).toMatch(/malformed XML|missing <size>|<height>/);
    expect(why('box-outside')).toMatch(/outside the 40x30 image/);
    expect(why('unknown-class')).toMatch(/'unicorn' is not one of the 20 VOC classes/);
    expect(why('missing-image')).toMatch(/image file missing/);
    expect(why('truncated-image')).toMatch(/corrupt or truncated/);
    expect(why('wrong-size')).toMatch(/image is 40x30, its annotation says 56x42/);
    expect(lines).toHaveLength(corpus.bad.length);
    for (const l of lines) expect(l).toMatch(/^skip [^\n]+\n$/);
  });

  it('without a report the first bad annotation fails the load, naming the file', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'dilo-det-bad-'));
    mkdirSync(path.join(root, 'Annotations'), { recursive: true });
    writeFileSync(path.join(root, 'Annotations', 'a.xml'), '<annotation><size><width>40</width><height>30</height></size><object><name>unicorn</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object></annotation>');
    expect(() => loadDetectionData(`voc:${root}`)).toThrow(/a\.xml: class 'unicorn'/);
  });
});
