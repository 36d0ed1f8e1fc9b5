import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { sharedDataset } from '@dilo/core';
import { loadCocoDataset } from './coco/dataset';
import { rleArea, rleDecode, rleToBbox } from './mask/rle';
import { segmentationToMask, segmentationToRle } from './mask/segmentation';
import { loadVocDataset, parseVocXml, vocBoxToXyxy } from './voc/dataset';

const vocCoco = sharedDataset('voc-coco-100');
const instSeg = sharedDataset('coco-instseg-3');
if (!vocCoco) console.warn('SKIPPED: shared dataset voc-coco-100 not found (set DILO_SHARED_DATA)');
if (!instSeg) console.warn('SKIPPED: shared dataset coco-instseg-3 not found (set DILO_SHARED_DATA)');

const XML = (objects: string) =>
  `<annotation><filename>a.jpg</filename><size><width>50</width><height>40</height><depth>3</depth></size>${objects}</annotation>`;

describe('VOC annotations', () => {
  it('parses objects, keeps devkit 1-based boxes and the difficult flag', () => {
    const r = parseVocXml(
      '/x/a.xml',
      XML(
        '<object><name>dog</name><difficult>1</difficult><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>10</xmax><ymax>20</ymax></bndbox></object>' +
          '<object><name>cat</name><bndbox><xmin>5</xmin><ymin>5</ymin><xmax>5</xmax><ymax>6</ymax></bndbox></object>',
      ),
    );
    expect(r).toMatchObject({ id: 'a', width: 50, height: 40 });
    expect(r.objects).toEqual([
      { name: 'dog', box: [1, 2, 10, 20], difficult: true, truncated: false },
      { name: 'cat', box: [5, 5, 5, 6], difficult: false, truncated: false },
    ]);
    // detectron2's continuous form: a one-pixel-wide box [5..5] becomes [4, 5): width 1.
    expect(vocBoxToXyxy([5, 5, 5, 6])).toEqual([4, 4, 5, 6]);
  });

  it('names the file and the problem for malformed or incomplete XML', () => {
    expect(() => parseVocXml('/data/bad.xml', '<annotation><size></annotation>')).toThrow(/\/data\/bad\.xml: malformed XML at line 1/);
    expect(() => parseVocXml('/data/nosize.xml', '<annotation></annotation>')).toThrow(/nosize\.xml: missing <size>/);
    expect(() => parseVocXml('/d/b.xml', XML('<object><name>dog</name><bndbox><xmin>1</xmin><ymin>x</ymin><xmax>3</xmax><ymax>4</ymax></bndbox></object>'))).toThrow(
      /b\.xml: <object> #1 ymin is not a number/,
    );
  });

  it('reads ImageSets/Main split lists and reports missing files', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'voc-'));
    mkdirSync(path.join(root, 'Annotations'));
    mkdirSync(path.join(root, 'ImageSets', 'Main'), { recursive: true });
    writeFileSync(path.join(root, 'Annotations', 'im1.xml'), XML(''));
    writeFileSync(path.join(root, 'Annotations', 'im2.xml'), XML(''));
    writeFileSync(path.join(root, 'ImageSets', 'Main', 'test.txt'), 'im2\n');
    writeFileSync(path.join(root, 'ImageSets', 'Main', 'bad.txt'), 'im3\n');
    expect(loadVocDataset(root, { split: 'test' }).images.map((i) => i.id)).toEqual(['im2']);
    expect(loadVocDataset(root).images.map((i) => i.id)).toEqual(['im1', 'im2']);
    expect(() => loadVocDataset(root, { split: 'bad' })).toThrow(/im3\.xml: annotation file missing for image 'im3' listed in bad\.txt/);
    expect(() => loadVocDataset(root, { split: 'val' })).toThrow(/val\.txt: split list not found/);
  });
});

describe('COCO annotations', () => {
  it('names the file for invalid JSON and for schema problems', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'coco-'));
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"images": [');
    expect(() => loadCocoDataset(bad)).toThrow(/bad\.json: invalid JSON/);
    const wrong = path.join(dir, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ images: [], categories: [], annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [1, 2, 3] }] }));
    expect(() => loadCocoDataset(wrong)).toThrow(/wrong\.json: not a valid COCO dataset: at annotations\[0\]\.bbox/);
  });
});

(vocCoco ? describe : describe.skip)('voc-coco-100: the same 273 boxes in VOC XML and COCO JSON', () => {
  // The fixture's COCO files were made with x = xmin, w = xmax - xmin (no -1 shift), so the
  // corners [x, y, x + w, y + h] equal the devkit's [xmin, ymin, xmax, ymax]. (detectron2 would
  // write x = xmin - 1, w = xmax - xmin + 1; vocBoxToXyxy does that.)
  const key = (img: string, name: string, b: number[]) => `${img}|${name}|${b.join(',')}`;
  let vocKeys: string[];
  beforeAll(() => {
    const voc = loadVocDataset(vocCoco!);
    vocKeys = voc.images.flatMap((im) => im.objects.map((o) => key(im.id, o.name, o.box))).sort();
  });
  it.each(['instances_v1.json', 'instances_v2.json'])('%s', (f) => {
    const coco = loadCocoDataset(path.join(vocCoco!, 'coco', f));
    const cats = new Map(coco.categories.map((c) => [c.id, c.name]));
    const keys = coco.annotations
      .map((a) => {
        const [x, y, w, h] = a.bbox!;
        return key(coco.imgs.get(a.image_id)!.file_name.replace(/\.jpg$/, ''), cats.get(a.category_id)!, [x, y, x + w, y + h]);
      })
      .sort();
    expect(vocKeys).toHaveLength(273);
    expect(keys).toEqual(vocKeys);
  });
});

(instSeg ? describe : describe.skip)('coco-instseg-3: polygon masks', () => {
  it("mask areas match the annotations' area field", () => {
    const coco = loadCocoDataset(path.join(instSeg!, 'annotations.json'));
    expect(coco.annotations).toHaveLength(12);
    for (const a of coco.annotations) {
      const img = coco.imgs.get(a.image_id)!;
      const R = segmentationToRle(a.segmentation!, img.height, img.width);
      const mask = segmentationToMask(a.segmentation!, img.height, img.width);
      expect([mask.width, mask.height]).toEqual([img.width, img.height]);
      expect(mask.data.reduce((s, v) => s + v, 0)).toBe(rleArea(R));
      expect(rleDecode(R).reduce((s, v) => s + v, 0)).toBe(rleArea(R));
      // Row-major: the mask's bounding box equals the RLE's.
      const [bx, by, bw, bh] = rleToBbox(R);
      const xs: number[] = [];
      const ys: number[] = [];
      for (let y = 0; y < mask.height; y++) {
        for (let x = 0; x < mask.width; x++) {
          if (mask.data[y * mask.width + x]) {
            xs.push(x);
            ys.push(y);
          }
        }
      }
      const lo = (v: number[]) => v.reduce((a, b) => Math.min(a, b));
      const hi = (v: number[]) => v.reduce((a, b) => Math.max(a, b));
      const [x0, x1, y0, y1] = [lo(xs), hi(xs), lo(ys), hi(ys)];
      expect([x0, y0, x1 - x0 + 1, y1 - y0 + 1]).toEqual([bx, by, bw, bh]);
      // labelme computed `area` from its own PIL-filled mask of the same polygon; PIL also paints
      // the outline, so its area exceeds COCO's rasterisation by at most about half the perimeter.
      let halfPerimeter = 0;
      for (const poly of a.segmentation as number[][]) {
        for (let i = 0; i < poly.length; i += 2) {
          const j = (i + 2) % poly.length;
          halfPerimeter += Math.hypot(poly[j]! - poly[i]!, poly[j + 1]! - poly[i + 1]!) / 2;
        }
      }
      const diff = a.area! - rleArea(R);
      expect(diff).toBeGreaterThanOrEqual(0);
      expect(diff).toBeLessThanOrEqual(halfPerimeter);
      expect(diff / a.area!).toBeLessThan(0.07);
    }
  });
});
