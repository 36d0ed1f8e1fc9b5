import { bbIou, rleArea, rleDecode, rleEncode, rleFrBbox, rleFrPoly, rleFrString, rleIou, rleMerge, rleToBbox, rleToString, type Rle } from './rle';
import { segmentationToRle } from './segmentation';

const R = (h: number, w: number, cnts: number[]): Rle => ({ h, w, cnts: Uint32Array.from(cnts) });

/** Column-major mask from rows of '0'/'1' (rows are y, characters are x). */
function maskOf(rows: string[]): { M: Uint8Array; h: number; w: number } {
  const h = rows.length;
  const w = rows[0]!.length;
  const M = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) M[x * h + y] = rows[y]![x] === '1' ? 1 : 0;
  return { M, h, w };
}

describe('RLE (pycocotools maskApi port)', () => {
  it('encodes column-major runs starting with zeros, and decodes back', () => {
    // 3x3, column x=0: 0,1,1; x=1: 1,1,0; x=2: 0,0,0 -> runs 0:1, 1:4, 0:4
    const { M, h, w } = maskOf(['010', '110', '100']);
    const r = rleEncode(M, h, w);
    expect(Array.from(r.cnts)).toEqual([1, 4, 4]);
    expect(Array.from(rleDecode(r))).toEqual(Array.from(M));
    expect(rleArea(r)).toBe(4);
    // A mask starting with a foreground pixel has a leading zero-length run.
    expect(Array.from(rleEncode(maskOf(['1', '0']).M, 2, 1).cnts)).toEqual([0, 1, 1]);
  });

  it('compressed strings match hand-encoded values (6-bit groups, deltas from i > 2)', () => {
    // [2,3,4]: single chars '2','3','4'. The 4th count is stored as 5 - 3 = 2 -> '2'.
    expect(rleToString(R(1, 14, [2, 3, 4, 5]))).toBe('2342');
    // [1,5,2,1]: 4th delta 1 - 5 = -4: low 5 bits 28 (sign bit 0x10 set), rest -1 -> one char 28+48 = 'L'.
    expect(rleToString(R(1, 9, [1, 5, 2, 1]))).toBe('152L');
    // 1000 = 8 + 31*32: groups 8 (+0x20 more) -> 'X', 31 (sign bit set but rest 0 != -1, so more) -> 'o', then 0 -> '0'.
    expect(rleToString(R(1, 1000, [1000]))).toBe('Xo0');
    for (const c of [[2, 3, 4, 5], [1, 5, 2, 1], [1000], [0, 7, 123456, 3, 99, 1 << 20]]) {
      expect(Array.from(rleFrString(rleToString(R(1, 1, c)), 1, 1).cnts)).toEqual(c);
    }
  });

  it('merges (union and intersection) and computes boxes', () => {
    const a = maskOf(['1100', '1100', '0000']);
    const b = maskOf(['0110', '0000', '0110']);
    const ra = rleEncode(a.M, 3, 4);
    const rb = rleEncode(b.M, 3, 4);
    const union = rleDecode(rleMerge([ra, rb]));
    const inter = rleDecode(rleMerge([ra, rb], true));
    for (let i = 0; i < 12; i++) {
      expect(union[i]).toBe(a.M[i]! | b.M[i]!);
      expect(inter[i]).toBe(a.M[i]! & b.M[i]!);
    }
    expect(rleToBbox(ra)).toEqual([0, 0, 2, 2]);
    // b's single column run wraps from y=2 of column 1 to y=0 of column 2: the box spans full height.
    expect(rleToBbox(rleEncode(maskOf(['0010', '0000', '0100']).M, 3, 4))).toEqual([1, 0, 2, 3]);
    expect(rleToBbox(R(3, 4, [12]))).toEqual([0, 0, 0, 0]);
  });

  it('box IoU: plain and against crowd (intersection over detection area)', () => {
    // dt [0,0,10,10] vs gt [5,0,10,10]: inter 50, union 150 -> 1/3; as crowd: 50/100.
    const o = bbIou([[0, 0, 10, 10]], [[5, 0, 10, 10], [5, 0, 10, 10], [20, 20, 5, 5]], [0, 1, 0]);
    expect(o[0]![0]).toBeCloseTo(1 / 3, 15);
    expect(o[0]![1]).toBe(0.5);
    expect(o[0]![2]).toBe(0);
  });

  it('mask IoU: plain, crowd and size mismatch', () => {
    const a = rleEncode(maskOf(['1100', '1100', '0000']).M, 3, 4); // 4 px
    const b = rleEncode(maskOf(['0111', '0111', '0111']).M, 3, 4); // 9 px, overlap 2
    const o = rleIou([a], [b, b, R(2, 2, [4])], [0, 1, 0]);
    expect(o[0]![0]).toBeCloseTo(2 / 11, 15); // union 4 + 9 - 2
    expect(o[0]![1]).toBe(2 / 4); // crowd: over the detection's area
    expect(o[0]![2]).toBe(0); // empty gt: box filter gives 0 before the size check
    expect(rleIou([a], [R(3, 3, [0, 9])], null)[0]![0]).toBe(-1); // different size, boxes overlap
  });

  it('rasterises polygons like COCO: integer rectangles cover exactly w*h pixels', () => {
    // Corners on pixel edges: [1,1]-[4,3] covers pixels x 1..3, y 1..2.
    const r = rleFrPoly([1, 1, 1, 3, 4, 3, 4, 1], 5, 6);
    const want = maskOf(['000000', '011100', '011100', '000000', '000000']);
    expect(Array.from(rleDecode(r))).toEqual(Array.from(want.M));
    expect(rleArea(rleFrBbox([1, 1, 3, 2], 5, 6))).toBe(6);
    // A triangle: pixels whose centre-ish boundary crossing lies inside; area is COCO's, not the analytic 8.
    const tri = rleFrPoly([0, 0, 4, 0, 0, 4], 4, 4);
    expect(rleArea(tri)).toBeGreaterThanOrEqual(6);
    expect(rleArea(tri)).toBeLessThanOrEqual(10);
    // Clipping: a polygon beyond the image keeps only in-image pixels.
    expect(rleArea(rleFrPoly([-5, -5, -5, 10, 10, 10, 10, -5], 4, 3))).toBe(12);
  });

  it('segmentation field: polygons are unioned, 4-number lists are boxes, RLE dicts keep their size', () => {
    const two = segmentationToRle([[0, 0, 0, 2, 2, 2, 2, 0], [1, 1, 1, 3, 3, 3, 3, 1]], 4, 4);
    expect(rleArea(two)).toBe(4 + 4 - 1);
    expect(rleArea(segmentationToRle([[0, 0, 2, 3]], 4, 4))).toBe(6);
    const unc = segmentationToRle({ size: [3, 4], counts: [1, 4, 7] }, 99, 99);
    expect([unc.h, unc.w, rleArea(unc)]).toEqual([3, 4, 4]);
    const comp = segmentationToRle({ size: [3, 4], counts: rleToString(unc) }, 99, 99);
    expect(Array.from(comp.cnts)).toEqual([1, 4, 7]);
    expect(() => segmentationToRle([], 4, 4)).toThrow(/empty segmentation/);
  });
});
