import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { decodeImage, DiloInputError, DiloUsageError, resizeImage, type RgbImage, type Rng, tf } from '@dilo/core';
import { IMAGENET_MEAN, IMAGENET_STD } from '@dilo/contrastive';
import { type CocoId, loadCocoDataset } from '../coco/dataset';
import { VOC_CLASSES } from '../voc/classes';
import { loadVocDataset, vocBoxToXyxy } from '../voc/dataset';
import type { TrainTarget } from '../model/faster-rcnn';
import type { SkipReport } from '@dilo/core';

/** One annotated image, boxes in its original pixels (continuous 0-based x0, y0, x1, y1). */
export interface DetectionRecord {
  /** VOC image id (file stem) or COCO image id */
  id: string | number;
  file: string;
  width: number;
  height: number;
  boxes: Float64Array;
  classes: Int32Array;
}

export interface DetectionData {
  /** what --data said, normalised */
  spec: string;
  format: 'voc' | 'coco';
  classNames: string[];
  /** COCO category id per contiguous class index (COCO only) */
  categoryIds?: CocoId[];
  records: DetectionRecord[];
}

/** Why a box [x0, y0, x1, y1] (continuous, 0-based) cannot be a label of a W x H image, or null. Half a pixel of slack for rounding in exporters. */
export function boxProblem(b: ArrayLike<number>, width: number, height: number): string | null {
  const [x0, y0, x1, y1] = [b[0]!, b[1]!, b[2]!, b[3]!];
  if (![x0, y0, x1, y1].every(Number.isFinite)) return 'a box coordinate is not finite';
  if (!(x1 > x0 && y1 > y0)) return `box [${x0}, ${y0}, ${x1}, ${y1}] is empty or inverted`;
  if (x0 < -0.5 || y0 < -0.5 || x1 > width + 0.5 || y1 > height + 0.5) return `box [${x0}, ${y0}, ${x1}, ${y1}] lies outside the ${width}x${height} image`;
  return null;
}

/**
 * `voc:DIR[:SPLIT]` (a VOCdevkit year folder, every annotation or ImageSets/Main/SPLIT.txt) or
 * `coco:JSON:IMAGES`. Training follows detectron2's loaders: VOC keeps difficult objects and
 * uses the 20 classes in devkit order; COCO drops crowd boxes, maps category ids to contiguous
 * indices in id order. Images without boxes are kept here; training skips them.
 *
 * With `skips`, a bad input is left out with one `skip <file>: <problem>` line instead of failing
 * the load: a missing or malformed VOC XML, a box outside its image or a class not in the set
 * (the whole image: its labels are wrong), a COCO annotation whose image or category does not
 * exist (that annotation, named `JSON#annotation=<id>`). A folder or JSON that cannot be read at
 * all still fails: there is nothing left to run on.
 */
export function loadDetectionData(spec: string, skips?: SkipReport): DetectionData {
  const [kind, ...rest] = spec.split(':');
  const fail = (err: DiloInputError): void => {
    if (!skips) throw err;
    skips.skipError(err);
  };
  if (kind === 'voc') {
    if (rest.length < 1 || rest.length > 2 || !rest[0]) throw new DiloUsageError(`--data voc:DIR[:SPLIT], got '${spec}'`);
    const dir = rest[0];
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DiloInputError(dir, 'not a VOC folder (Annotations/, JPEGImages/)');
    const ds = loadVocDataset(dir, { split: rest[1] ?? null, skips });
    const classNames = [...VOC_CLASSES] as string[];
    const records: DetectionRecord[] = [];
    for (const im of ds.images) {
      const xml = path.join(dir, 'Annotations', `${im.id}.xml`);
      const boxes: number[] = [];
      const classes: number[] = [];
      let bad: DiloInputError | null = null;
      for (const [i, o] of im.objects.entries()) {
        const c = classNames.indexOf(o.name);
        if (c < 0) bad = new DiloInputError(xml, `class '${o.name}' is not one of the 20 VOC classes`);
        const b = vocBoxToXyxy(o.box);
        const why = boxProblem(b, im.width, im.height);
        if (why) bad = new DiloInputError(xml, `<object> #${i + 1} (${o.name}): ${why}`);
        if (bad) break;
        boxes.push(...b);
        classes.push(c);
      }
      if (bad) fail(bad);
      else records.push({ id: im.id, file: im.file, width: im.width, height: im.height, boxes: Float64Array.from(boxes), classes: Int32Array.from(classes) });
    }
    return { spec, format: 'voc', classNames, records };
  }
  if (kind === 'coco') {
    if (rest.length !== 2 || !rest[0] || !rest[1]) throw new DiloUsageError(`--data coco:JSON:IMAGES, got '${spec}'`);
    const [json, imagesDir] = rest as [string, string];
    const ds = loadCocoDataset(json);
    const cats = [...ds.categories].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const index = new Map(cats.map((c, i) => [c.id, i]));
    const byImage = new Map<CocoId, { boxes: number[]; classes: number[] }>();
    const badImages = new Map<CocoId, string>();
    for (const a of ds.annotations) {
      if (a.iscrowd || !a.bbox) continue;
      const c = index.get(a.category_id);
      const im = ds.imgs.get(a.image_id);
      if (c === undefined) {
        fail(new DiloInputError(`${json}#annotation=${a.id}`, `category ${a.category_id} is not in categories`));
        continue;
      }
      if (!im) {
        fail(new DiloInputError(`${json}#annotation=${a.id}`, `image_id ${a.image_id} is not in images (orphaned annotation)`));
        continue;
      }
      const [x, y, w, h] = a.bbox;
      if (!(w > 0 && h > 0)) continue;
      const why = boxProblem([x, y, x + w, y + h], im.width, im.height);
      if (why) {
        if (!badImages.has(im.id)) badImages.set(im.id, `annotation ${a.id}: ${why}`);
        continue;
      }
      let e = byImage.get(a.image_id);
      if (!e) byImage.set(a.image_id, (e = { boxes: [], classes: [] }));
      e.boxes.push(x, y, x + w, y + h);
      e.classes.push(c);
    }
    const records: DetectionRecord[] = [];
    for (const im of ds.images) {
      const file = path.join(imagesDir, im.file_name);
      const why = badImages.get(im.id);
      if (why) {
        fail(new DiloInputError(file, why));
        continue;
      }
      const e = byImage.get(im.id);
      records.push({ id: im.id, file, width: im.width, height: im.height, boxes: Float64Array.from(e?.boxes ?? []), classes: Int32Array.from(e?.classes ?? []) });
    }
    return { spec, format: 'coco', classNames: cats.map((c) => c.name), categoryIds: cats.map((c) => c.id), records };
  }
  throw new DiloUsageError(`--data must be voc:DIR[:SPLIT] or coco:JSON:IMAGES, got '${spec}'`);
}

/**
 * Leave out records whose image file is missing, does not decode (all of it: a truncated JPEG
 * fails only at its end), or is of another size than its annotation says (one `skip` line each),
 * so that a long training run does not stop on image 9,000.
 */
export async function dropUnreadableImages(data: DetectionData, skips: SkipReport, concurrency = 4): Promise<DetectionData> {
  const ok = new Array<boolean>(data.records.length).fill(false);
  let next = 0;
  const check = async (r: DetectionRecord): Promise<boolean> => {
    if (!existsSync(r.file)) {
      skips.skip(r.file, `image file missing (image ${r.id})`);
      return false;
    }
    try {
      const s = await decodeImage(r.file);
      if (s.width !== r.width || s.height !== r.height) throw new DiloInputError(r.file, `image is ${s.width}x${s.height}, its annotation says ${r.width}x${r.height}`);
      return true;
    } catch (err) {
      skips.skipError(err);
      return false;
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, data.records.length) }, async () => {
      while (next < data.records.length) {
        const i = next++;
        ok[i] = await check(data.records[i]);
      }
    }),
  );
  return { ...data, records: data.records.filter((_, i) => ok[i]) };
}

/** detectron2 ResizeShortestEdge: scale the short side to `short`, the long side at most maxSize. */
export function resizedSize(height: number, width: number, short: number, maxSize: number): { height: number; width: number; scale: number } {
  let scale = short / Math.min(height, width);
  if (Math.max(height, width) * scale > maxSize) scale = maxSize / Math.max(height, width);
  return { height: Math.trunc(height * scale + 0.5), width: Math.trunc(width * scale + 0.5), scale };
}

/** An input image ready for the network: HWC normalised as torchvision (the checkpoints' statistics). */
export interface PreparedImage {
  record: DetectionRecord;
  data: Float32Array;
  height: number;
  width: number;
  /** resized / original, per axis */
  scaleX: number;
  scaleY: number;
  flipped: boolean;
  target: TrainTarget;
}

async function readImage(r: DetectionRecord): Promise<RgbImage> {
  if (!existsSync(r.file)) throw new DiloInputError(r.file, `image file missing (image ${r.id})`);
  const img = await decodeImage(r.file);
  if (img.width !== r.width || img.height !== r.height) throw new DiloInputError(r.file, `image is ${img.width}x${img.height}, its annotation says ${r.width}x${r.height}`);
  return img;
}

/** Decode, resize (short side), optionally flip horizontally, normalise; boxes follow. */
export async function prepareImage(r: DetectionRecord, short: number, maxSize: number, flip: boolean): Promise<PreparedImage> {
  const img = await readImage(r);
  const size = resizedSize(r.height, r.width, short, maxSize);
  const res = size.width === img.width && size.height === img.height ? img : await resizeImage(img, size.width, size.height, 'linear');
  const { width: W, height: H } = res;
  const data = new Float32Array(H * W * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const src = (y * W + (flip ? W - 1 - x : x)) * 3;
      const dst = (y * W + x) * 3;
      for (let c = 0; c < 3; c++) data[dst + c] = (res.data[src + c]! / 255 - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!;
    }
  }
  const sx = W / r.width;
  const sy = H / r.height;
  const boxes = new Float64Array(r.boxes.length);
  for (let i = 0; i < r.boxes.length; i += 4) {
    const x0 = r.boxes[i]! * sx;
    const x1 = r.boxes[i + 2]! * sx;
    boxes[i] = flip ? W - x1 : x0;
    boxes[i + 1] = r.boxes[i + 1]! * sy;
    boxes[i + 2] = flip ? W - x0 : x1;
    boxes[i + 3] = r.boxes[i + 3]! * sy;
  }
  return { record: r, data, height: H, width: W, scaleX: sx, scaleY: sy, flipped: flip, target: { height: H, width: W, boxes, classes: r.classes } };
}

/** Stack prepared images into one NHWC tensor, zero-padded (the mean pixel after normalising) bottom-right. */
export function batchTensor(images: PreparedImage[]): tf.Tensor4D {
  const H = Math.max(...images.map((i) => i.height));
  const W = Math.max(...images.map((i) => i.width));
  const out = new Float32Array(images.length * H * W * 3);
  images.forEach((im, n) => {
    for (let y = 0; y < im.height; y++) out.set(im.data.subarray(y * im.width * 3, (y + 1) * im.width * 3), ((n * H + y) * W) * 3);
  });
  return tf.tensor4d(out, [images.length, H, W, 3]);
}

/**
 * The batch of training step `step` (0-based): images visited in a fresh seeded permutation each
 * epoch (detectron2's TrainingSampler), each with its own short side from the list and a
 * horizontal flip with p 0.5. A function of (seed, step) only, so a resumed run sees the same data.
 */
export async function trainingBatch(records: DetectionRecord[], step: number, batch: number, shortSides: number[], maxSize: number, flip: boolean, rng: Rng): Promise<PreparedImage[]> {
  const N = records.length;
  const out: PreparedImage[] = [];
  for (let b = 0; b < batch; b++) {
    const k = step * batch + b;
    const epoch = Math.floor(k / N);
    const r = records[rng.stream('epoch', epoch).permutation(N)[k % N]!]!;
    const aug = rng.stream('augment', k);
    const short = shortSides[aug.int(shortSides.length)]!;
    const flipped = aug.bernoulli(0.5);
    out.push(await prepareImage(r, short, maxSize, flip && flipped));
  }
  return out;
}
