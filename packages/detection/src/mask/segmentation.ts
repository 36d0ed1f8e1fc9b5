import { type Bbox, maskToRowMajor, type Rle, rleDecode, rleFrBbox, rleFrPoly, rleFrString, rleMerge } from './rle';

/** A COCO `segmentation` field: polygons, an uncompressed RLE (counts as numbers) or a compressed one. */
export type CocoSegmentation = number[][] | { size: [number, number]; counts: number[] | string };

/**
 * A COCO segmentation as one RLE, with pycocotools' COCO.annToRLE semantics: polygons are each
 * rasterised and unioned (a first "polygon" of exactly 4 numbers makes the whole list boxes, as
 * frPyObjects decides), RLEs keep their own `size`. Throws on an empty polygon list, which
 * pycocotools cannot rasterise either.
 */
export function segmentationToRle(segm: CocoSegmentation, h: number, w: number): Rle {
  if (Array.isArray(segm)) {
    if (segm.length === 0) throw new Error('empty segmentation (no polygons)');
    const first = segm[0]!;
    const parts =
      first.length === 4
        ? segm.map((bb) => rleFrBbox(bb as Bbox, h, w))
        : segm.map((poly) => rleFrPoly(poly, h, w));
    return rleMerge(parts, false);
  }
  const [rh, rw] = segm.size;
  if (typeof segm.counts === 'string') return rleFrString(segm.counts, rh, rw);
  return { h: rh, w: rw, cnts: Uint32Array.from(segm.counts) };
}

/** A binary mask, row-major (y * width + x), values 0 or 1. */
export interface BinaryMask {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decode a COCO segmentation of an image of the given size to a row-major binary mask. */
export function segmentationToMask(segm: CocoSegmentation, height: number, width: number): BinaryMask {
  const R = segmentationToRle(segm, height, width);
  return { width: R.w, height: R.h, data: maskToRowMajor(rleDecode(R), R.h, R.w) };
}
