import { C4_ANCHORS, cellAnchors, gridAnchors } from './anchors';

describe('anchors (detectron2 DefaultAnchorGenerator)', () => {
  it('cell anchors: area size^2, aspect ratio h/w, centred at 0, size-major order', () => {
    const c = cellAnchors([32, 64], [0.5, 1, 2]);
    expect(c).toHaveLength(6 * 4);
    // size 32, ratio 1: a 32x32 square.
    expect(Array.from(c.slice(4, 8))).toEqual([-16, -16, 16, 16]);
    // size 32, ratio .5: w = sqrt(1024 / .5) = 32 sqrt 2, h = .5 w = 16 sqrt 2.
    expect(c[0]).toBeCloseTo(-16 * Math.SQRT2, 12);
    expect(c[1]).toBeCloseTo(-8 * Math.SQRT2, 12);
    // size 64, ratio 2: w = 32 sqrt 2, h = 64 sqrt 2.
    expect(c[5 * 4 + 2]).toBeCloseTo(16 * Math.SQRT2, 12);
    expect(c[5 * 4 + 3]).toBeCloseTo(32 * Math.SQRT2, 12);
    for (let a = 0; a < 6; a++) {
      const w = c[4 * a + 2]! - c[4 * a]!;
      const h = c[4 * a + 3]! - c[4 * a + 1]!;
      expect(w * h).toBeCloseTo([32, 64][Math.floor(a / 3)]! ** 2, 9);
      expect(h / w).toBeCloseTo([0.5, 1, 2][a % 3]!, 12);
    }
  });

  it('grid anchors: shifted by stride, row-major locations then cell anchors', () => {
    const g = gridAnchors(C4_ANCHORS, 2, 3);
    const A = 15;
    expect(g).toHaveLength(2 * 3 * A * 4);
    // y = 1, x = 2, anchor 1 (size 32, ratio 1): [-16, -16, 16, 16] + (32, 16).
    const i = ((1 * 3 + 2) * A + 1) * 4;
    expect(Array.from(g.slice(i, i + 4))).toEqual([16, 0, 48, 32]);
    // offset 0.5 moves centres to pixel-cell centres.
    const h = gridAnchors({ ...C4_ANCHORS, offset: 0.5 }, 1, 1);
    expect(Array.from(h.slice(4, 8))).toEqual([-8, -8, 24, 24]);
  });
});
