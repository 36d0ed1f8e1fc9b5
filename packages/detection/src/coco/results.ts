import { DiloInputError } from '@dilo/core';
import { z } from 'zod';
import { rleArea, rleToBbox, type Bbox } from '../mask/rle';
import { type CocoSegmentation, segmentationToRle } from '../mask/segmentation';
import type { CocoDataset, CocoId } from './dataset';
import { parseWith, readJsonFile } from './json';
import { segmentationSchema } from './dataset';

/** One scored detection after pycocotools' COCO.loadRes: area, id (1-based) and iscrowd = 0 filled in. */
export interface CocoDetection {
  id: number;
  image_id: CocoId;
  category_id: CocoId;
  bbox: Bbox;
  score: number;
  area: number;
  iscrowd: 0;
  segmentation?: CocoSegmentation;
}

/** A detection as written in a COCO results file. */
export interface CocoResult {
  image_id: CocoId;
  category_id: CocoId;
  score: number;
  bbox?: Bbox;
  segmentation?: CocoSegmentation;
}

const id = z.union([z.number(), z.string()]);
const result = z.object({
  image_id: id,
  category_id: id,
  score: z.number(),
  bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]).optional(),
  segmentation: segmentationSchema.optional(),
});
const resultsList = z.array(result);
/** Dataset-style detections (images, categories, annotations with scores), matched to the ground truth by file and class name. */
const resultsDataset = z.object({
  images: z.array(z.object({ id, file_name: z.string() })),
  categories: z.array(z.object({ id, name: z.string() })),
  annotations: resultsList,
});

/**
 * Load detections for `gt`: either the standard COCO results list, or a dataset-style file whose
 * own image and category ids are mapped onto the ground truth's through `file_name` and category
 * `name` (the form of ../shared/data/voc-coco-100/detections).
 */
export function loadCocoResults(file: string, gt: CocoDataset): CocoDetection[] {
  const raw = readJsonFile(file);
  let list: CocoResult[];
  if (Array.isArray(raw)) {
    list = parseWith(file, resultsList, raw, 'COCO results list') as CocoResult[];
  } else {
    const ds = parseWith(file, resultsDataset, raw, 'COCO results list or dataset-style detections');
    const gtImageByFile = new Map(gt.images.map((im) => [im.file_name, im.id]));
    const gtCatByName = new Map(gt.categories.map((c) => [c.name, c.id]));
    const imageMap = new Map<CocoId, CocoId>();
    for (const im of ds.images) {
      const g = gtImageByFile.get(im.file_name);
      if (g === undefined) throw new DiloInputError(file, `image '${im.file_name}' is not in the ground truth ${gt.file}`);
      imageMap.set(im.id, g);
    }
    const catMap = new Map<CocoId, CocoId>();
    for (const c of ds.categories) {
      const g = gtCatByName.get(c.name);
      if (g === undefined) throw new DiloInputError(file, `category '${c.name}' is not in the ground truth ${gt.file}`);
      catMap.set(c.id, g);
    }
    list = ds.annotations.map((a, i) => {
      const image_id = imageMap.get(a.image_id);
      const category_id = catMap.get(a.category_id);
      if (image_id === undefined) throw new DiloInputError(file, `annotations[${i}]: image_id ${a.image_id} is not in its images list`);
      if (category_id === undefined) throw new DiloInputError(file, `annotations[${i}]: category_id ${a.category_id} is not in its categories list`);
      return { ...(a as CocoResult), image_id, category_id };
    });
  }
  return prepareCocoResults(list, gt, file);
}

/**
 * pycocotools' COCO.loadRes: every result must name a ground-truth image; the first result decides
 * the kind: with a box, area = w*h for all (a rectangle polygon stands in for a missing mask);
 * otherwise area and box come from the mask. Ids are 1-based in file order.
 */
export function prepareCocoResults(list: CocoResult[], gt: CocoDataset, file = '(results)'): CocoDetection[] {
  const missing = [...new Set(list.map((r) => r.image_id).filter((i) => !gt.imgs.has(i)))];
  if (missing.length) {
    throw new DiloInputError(file, `results refer to ${missing.length} image id(s) not in the ground truth ${gt.file}, e.g. ${JSON.stringify(missing[0])}`);
  }
  if (list.length === 0) return [];
  const boxes = list[0]!.bbox !== undefined;
  return list.map((r, i) => {
    if (boxes) {
      if (!r.bbox) throw new DiloInputError(file, `result ${i} has no bbox, but the first result has one (pycocotools reads all as boxes)`);
      const [x, y, w, h] = r.bbox;
      const segmentation = r.segmentation ?? [[x, y, x, y + h, x + w, y + h, x + w, y]];
      return { id: i + 1, image_id: r.image_id, category_id: r.category_id, bbox: r.bbox, score: r.score, area: w * h, iscrowd: 0, segmentation };
    }
    if (!r.segmentation || Array.isArray(r.segmentation)) {
      throw new DiloInputError(file, `result ${i} has neither a bbox nor an RLE segmentation`);
    }
    const img = gt.imgs.get(r.image_id)!;
    const R = segmentationToRle(r.segmentation, img.height, img.width);
    return { id: i + 1, image_id: r.image_id, category_id: r.category_id, bbox: r.bbox ?? rleToBbox(R), score: r.score, area: rleArea(R), iscrowd: 0, segmentation: r.segmentation };
  });
}
