import { DiloInputError } from '@dilo/core';
import { z } from 'zod';
import type { Bbox } from '../mask/rle';
import type { CocoSegmentation } from '../mask/segmentation';
import { parseWith, readJsonFile } from './json';

/** COCO ids are numbers in the official files; some exporters write strings, which pycocotools accepts too. */
export type CocoId = number | string;

export interface CocoImage {
  id: CocoId;
  file_name: string;
  width: number;
  height: number;
}

export interface CocoCategory {
  id: CocoId;
  name: string;
  supercategory?: string | null;
}

export interface CocoAnnotation {
  id: CocoId;
  image_id: CocoId;
  category_id: CocoId;
  /** [x, y, width, height] in pixel-edge coordinates (0-based, continuous). */
  bbox?: Bbox;
  /** Object area in pixels; the COCO evaluator's area ranges use this field, not the box. */
  area?: number;
  iscrowd?: number;
  segmentation?: CocoSegmentation;
}

export interface CocoDataset {
  file: string;
  images: CocoImage[];
  categories: CocoCategory[];
  annotations: CocoAnnotation[];
  /** Image by id (the last one wins on duplicate ids, as in pycocotools' index). */
  imgs: Map<CocoId, CocoImage>;
}

const id = z.union([z.number(), z.string()]);
const bbox = z.tuple([z.number(), z.number(), z.number(), z.number()]);
export const segmentationSchema = z.union([
  z.array(z.array(z.number())),
  z.object({ size: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]), counts: z.union([z.array(z.number().int().nonnegative()), z.string()]) }),
]);

const datasetSchema = z.object({
  images: z.array(z.object({ id, file_name: z.string(), width: z.number().int().positive(), height: z.number().int().positive() })),
  categories: z.array(z.object({ id, name: z.string(), supercategory: z.string().nullish() })),
  annotations: z.array(
    z.object({
      id,
      image_id: id,
      category_id: id,
      bbox: bbox.optional(),
      area: z.number().optional(),
      iscrowd: z.union([z.number(), z.boolean().transform((b) => (b ? 1 : 0))]).optional(),
      segmentation: segmentationSchema.optional(),
    }),
  ),
});

/** Index a parsed COCO dataset. */
export function indexCocoDataset(file: string, data: Omit<CocoDataset, 'imgs' | 'file'>): CocoDataset {
  const imgs = new Map<CocoId, CocoImage>();
  for (const im of data.images) imgs.set(im.id, im);
  return { file, ...data, imgs };
}

/** Load a COCO-format ground-truth file (images, categories, annotations). */
export function loadCocoDataset(file: string): CocoDataset {
  const raw = readJsonFile(file);
  const data = parseWith(file, datasetSchema, raw, 'COCO dataset');
  for (const [i, a] of data.annotations.entries()) {
    if (!a.bbox && !a.segmentation) throw new DiloInputError(file, `annotations[${i}] (id ${a.id}) has neither bbox nor segmentation`);
  }
  return indexCocoDataset(file, data as Omit<CocoDataset, 'imgs' | 'file'>);
}
