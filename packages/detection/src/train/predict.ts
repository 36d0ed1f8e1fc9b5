import { Progress, tf } from '@dilo/core';
import type { CocoResult } from '../coco/results';
import type { VocDetection } from '../voc/eval';
import { cocoBboxToVocBox } from '../voc/detections';
import type { FasterRcnn } from '../model/faster-rcnn';
import { batchTensor, type DetectionRecord, prepareImage } from './data';

export interface ImageDetections {
  record: DetectionRecord;
  /** COCO [x, y, w, h] in the original image's pixels */
  bboxes: [number, number, number, number][];
  scores: number[];
  /** class index 0..K-1 */
  classes: number[];
}

export interface PredictOptions {
  /** test short side (detectron2: 800) and long-side cap (1333) */
  short: number;
  maxSize: number;
  scoreThresh?: number;
  nmsThresh?: number;
  topk?: number;
  quiet?: boolean;
}

/** Run the detector on every record: resize to the test short side, detect, map boxes back to the original image. */
export async function predictRecords(model: FasterRcnn, records: DetectionRecord[], o: PredictOptions): Promise<ImageDetections[]> {
  const progress = new Progress({ label: 'detect predict', total: records.length, silent: o.quiet });
  const out: ImageDetections[] = [];
  for (const r of records) {
    const im = await prepareImage(r, o.short, o.maxSize, false);
    const x = batchTensor([im]);
    const d = model.detect(x, { height: im.height, width: im.width }, o);
    x.dispose();
    const bboxes: [number, number, number, number][] = [];
    for (let k = 0; k < d.scores.length; k++) {
      const x0 = d.boxes[4 * k]! / im.scaleX;
      const y0 = d.boxes[4 * k + 1]! / im.scaleY;
      const x1 = d.boxes[4 * k + 2]! / im.scaleX;
      const y1 = d.boxes[4 * k + 3]! / im.scaleY;
      bboxes.push([x0, y0, x1 - x0, y1 - y0]);
    }
    out.push({ record: r, bboxes, scores: Array.from(d.scores), classes: Array.from(d.classes) });
    progress.tick(1, { dets: d.scores.length, tensors: tf.memory().numTensors });
  }
  progress.stop();
  return out;
}

/** The standard COCO results list, with the ground truth's image and category ids. */
export function toCocoResults(dets: ImageDetections[], categoryIds: (number | string)[]): CocoResult[] {
  return dets.flatMap((d) => d.scores.map((score, k) => ({ image_id: d.record.id, category_id: categoryIds[d.classes[k]!]!, bbox: d.bboxes[k]!, score })));
}

/**
 * Dataset-style COCO detections for VOC data (images by file name, categories by VOC class name,
 * annotations with scores), the form `dilo detect eval` reads for both --format voc and coco.
 */
export function toCocoDatasetStyle(dets: ImageDetections[], classNames: string[]) {
  return {
    images: dets.map((d, i) => ({ id: i + 1, file_name: d.record.file.split(/[\\/]/).pop()! })),
    categories: classNames.map((name, i) => ({ id: i + 1, name })),
    annotations: dets.flatMap((d, i) => d.scores.map((score, k) => ({ id: 0, image_id: i + 1, category_id: d.classes[k]! + 1, bbox: d.bboxes[k]!, score }))).map((a, j) => ({ ...a, id: j + 1 })),
  };
}

/** VOC devkit-form detections (converted from COCO boxes as detectron2 writes its VOC results). */
export function toVocDetections(dets: ImageDetections[], classNames: string[]): VocDetection[] {
  return dets.flatMap((d) => d.scores.map((score, k) => ({ image: String(d.record.id), className: classNames[d.classes[k]!]!, score, box: cocoBboxToVocBox(d.bboxes[k]!) })));
}
