import * as path from 'node:path';
import { DiloInputError } from '@dilo/core';
import { z } from 'zod';
import { parseWith, readJsonFile } from '../coco/json';
import { type VocBox, xyxyToVocBox } from './dataset';
import type { VocDetection } from './eval';

const box4 = z.tuple([z.number(), z.number(), z.number(), z.number()]);
const vocList = z.array(
  z.object({ image: z.string(), class: z.string(), score: z.number(), box: box4.optional(), bbox: box4.optional() }).refine((d) => d.box || d.bbox, 'needs box (devkit [xmin,ymin,xmax,ymax]) or bbox (COCO [x,y,w,h])'),
);
const id = z.union([z.number(), z.string()]);
const datasetStyle = z.object({
  images: z.array(z.object({ id, file_name: z.string() })),
  categories: z.array(z.object({ id, name: z.string() })),
  annotations: z.array(z.object({ image_id: id, category_id: id, score: z.number(), bbox: box4 })),
});

/**
 * COCO [x, y, w, h] (continuous, 0-based) to devkit [xmin, ymin, xmax, ymax], as detectron2's VOC
 * evaluator writes its predictions: xmin = x + 1, ymin = y + 1, xmax = x + w, ymax = y + h.
 */
export function cocoBboxToVocBox(b: [number, number, number, number]): VocBox {
  return xyxyToVocBox([b[0], b[1], b[0] + b[2], b[1] + b[3]]);
}

/**
 * Detections for VOC evaluation from JSON: a list of {image, class, score, box | bbox} (box in
 * devkit coordinates, bbox in COCO form, converted as detectron2 does), or dataset-style
 * {images (file_name), categories (name), annotations with score and bbox}, the image id being
 * the file name's stem.
 */
export function loadVocDetections(file: string): VocDetection[] {
  const raw = readJsonFile(file);
  if (Array.isArray(raw)) {
    return parseWith(file, vocList, raw, 'VOC detections list').map((d) => ({
      image: d.image,
      className: d.class,
      score: d.score,
      box: d.box ?? cocoBboxToVocBox(d.bbox!),
    }));
  }
  const ds = parseWith(file, datasetStyle, raw, 'VOC detections list or dataset-style detections');
  const imgs = new Map(ds.images.map((im) => [im.id, path.basename(im.file_name).replace(/\.[^.]+$/, '')]));
  const cats = new Map(ds.categories.map((c) => [c.id, c.name]));
  return ds.annotations.map((a, i) => {
    const image = imgs.get(a.image_id);
    const className = cats.get(a.category_id);
    if (image === undefined) throw new DiloInputError(file, `annotations[${i}]: image_id ${a.image_id} is not in its images list`);
    if (className === undefined) throw new DiloInputError(file, `annotations[${i}]: category_id ${a.category_id} is not in its categories list`);
    return { image, className, score: a.score, box: cocoBboxToVocBox(a.bbox) };
  });
}
