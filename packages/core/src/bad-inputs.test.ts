import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeBadImageCorpus } from './bad-inputs';
import { listImages } from './dataset';
import { DiloInputError } from './errors';
import { decodeImage, decodeMask } from './image';

describe('the bad-image corpus against the decoder', () => {
  it('every good file decodes, every bad one is one DiloInputError line naming it, the dangling link is reported by listImages', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-bad-'));
    const corpus = await writeBadImageCorpus(dir);
    const unreadable: string[] = [];
    const files = await listImages(dir, { onUnreadable: (f, p) => unreadable.push(`${path.relative(dir, f)}: ${p}`) });
    expect(unreadable).toEqual(['dangling-link.jpg: dangling symbolic link (its target does not exist)']);
    const listed = files.map((f) => path.relative(dir, f)).sort();
    expect(listed).toEqual([...corpus.good, ...corpus.bad.filter((b) => b !== 'dangling-link.jpg')].sort());
    const decoded: string[] = [];
    const refused: string[] = [];
    for (const rel of listed) {
      const file = path.join(dir, rel);
      try {
        const img = await decodeImage(file);
        expect(img.data.length).toBe(img.width * img.height * 3);
        const mask = await decodeMask(file);
        expect(mask.data.length).toBe(mask.width * mask.height);
        decoded.push(rel);
      } catch (err) {
        expect(err).toBeInstanceOf(DiloInputError);
        const e = err as DiloInputError;
        expect(e.file).toBe(file);
        expect(e.problem).not.toMatch(/\n/);
        refused.push(rel);
      }
    }
    expect(decoded).toEqual(corpus.good);
    expect(refused).toEqual(corpus.bad.filter((b) => b !== 'dangling-link.jpg'));
  });

  it('EXIF orientations 5-8 swap width and height (the orientation is applied)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-exif-'));
    await writeBadImageCorpus(dir, 40);
    for (let o = 1; o <= 8; o++) {
      const img = await decodeImage(path.join(dir, `exif-orientation-${o}.jpg`));
      expect([o, img.width, img.height]).toEqual(o >= 5 ? [o, 30, 40] : [o, 40, 30]);
    }
  });
});
