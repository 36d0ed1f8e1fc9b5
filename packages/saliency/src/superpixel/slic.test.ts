import { slic, enforceConnectivity } from './slic';
import { superpixelGraph, boundarySuperpixels, distanceMatrix } from './graph';
import { syntheticScene } from '../testing/synthetic';
import type { RgbImage } from '@dilo/core';

/** Number of 4-connected pieces of each label. */
function piecesPerLabel(labels: Int32Array, w: number, h: number, count: number): Int32Array {
  const seen = new Uint8Array(w * h);
  const pieces = new Int32Array(count);
  const stack: number[] = [];
  for (let s = 0; s < w * h; s++) {
    if (seen[s]) continue;
    pieces[labels[s]]++;
    seen[s] = 1;
    stack.push(s);
    while (stack.length) {
      const i = stack.pop() as number;
      const x = i % w;
      const y = (i - x) / w;
      for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        const j = ny * w + nx;
        if (!seen[j] && labels[j] === labels[i]) {
          seen[j] = 1;
          stack.push(j);
        }
      }
    }
  }
  return pieces;
}

describe('slic', () => {
  const { image } = syntheticScene(160, 120);

  it('covers every pixel with about N/600 connected superpixels', () => {
    const r = slic(image);
    expect(r.labels.length).toBe(160 * 120);
    const target = (160 * 120) / 600;
    expect(r.count).toBeGreaterThan(target * 0.6);
    expect(r.count).toBeLessThan(target * 1.4);
    for (const l of r.labels) expect(l >= 0 && l < r.count).toBe(true);
    const pieces = piecesPerLabel(r.labels, 160, 120, r.count);
    expect(Array.from(pieces).every((p) => p === 1)).toBe(true);
  });

  it('follows a strong colour edge: almost no superpixel straddles the two halves', () => {
    const w = 96;
    const h = 64;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(x < 45 ? [250, 250, 250] : [10, 10, 200], 3 * (y * w + x));
    const img: RgbImage = { width: w, height: h, data };
    const r = slic(img, { pixelsPerSuperpixel: 100 });
    const left = new Int32Array(r.count);
    const right = new Int32Array(r.count);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) (x < 45 ? left : right)[r.labels[y * w + x]]++;
    let mixed = 0;
    for (let l = 0; l < r.count; l++) mixed += Math.min(left[l], right[l]);
    expect(mixed).toBe(0);
  });

  it('higher compactness gives rounder superpixels (smaller perimeter)', () => {
    const perimeter = (labels: Int32Array, w: number, h: number): number => {
      let p = 0;
      for (let y = 0; y < h; y++) for (let x = 0; x < w - 1; x++) p += labels[y * w + x] !== labels[y * w + x + 1] ? 1 : 0;
      for (let y = 0; y < h - 1; y++) for (let x = 0; x < w; x++) p += labels[y * w + x] !== labels[(y + 1) * w + x] ? 1 : 0;
      return p;
    };
    const loose = slic(image, { compactness: 2 });
    const tight = slic(image, { compactness: 40 });
    expect(perimeter(tight.labels, 160, 120)).toBeLessThan(perimeter(loose.labels, 160, 120));
  });

  it('is deterministic', () => {
    expect(Buffer.from(slic(image).labels.buffer).equals(Buffer.from(slic(image).labels.buffer))).toBe(true);
  });

  it('enforceConnectivity splits a label in two pieces and merges tiny fragments', () => {
    // 6x4: label 0 on both sides of label 1, plus a 1-pixel island of label 2
    const w = 6;
    const h = 4;
    const labels = Int32Array.from([
      0, 0, 1, 1, 0, 0,
      0, 0, 1, 1, 0, 0,
      0, 0, 1, 1, 0, 0,
      0, 0, 1, 2, 0, 0,
    ]);
    // k = 3 -> min size = floor(24/3) >> 2 = 2: the 1-pixel island is merged
    const r = enforceConnectivity(labels, w, h, 3);
    expect(r.count).toBe(3);
    expect(r.labels[0]).not.toBe(r.labels[5]);
    // merged into a 4-neighbour's piece, as in Achanta's code
    expect([r.labels[3 * w + 2], r.labels[3 * w + 4], r.labels[2 * w + 3]]).toContain(r.labels[3 * w + 3]);
    expect(new Set(r.labels).size).toBe(3);
  });
});

describe('superpixelGraph', () => {
  it('has symmetric adjacency, correct sizes, colours, centroids and boundary membership', () => {
    // 4 vertical stripes of 3 columns each, 2 rows: labels given directly
    const w = 12;
    const h = 2;
    const labels = new Int32Array(w * h).map((_, i) => Math.floor((i % w) / 3));
    const data = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) data.set([labels[i] * 60, 0, 0], 3 * i);
    const lab = new Float32Array(w * h * 3);
    const g = superpixelGraph({ width: w, height: h, data }, { width: w, height: h, labels, count: 4, lab });
    const n = 4;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(g.adjacency[i * n + j]).toBe(Math.abs(i - j) === 1 ? 1 : 0);
    expect(Array.from(g.size)).toEqual([6, 6, 6, 6]);
    expect(g.meanRgb[3 * 2]).toBeCloseTo(120);
    expect(g.meanLab[0]).toBeCloseTo(0, 5); // black
    // centroid of stripe 1: columns 3..5 -> mean 4 (0-based) -> (4+1)/12
    expect(g.centroid[2 * 1 + 1]).toBeCloseTo(5 / 12);
    expect(g.centroid[2 * 1]).toBeCloseTo(1.5 / 2);
    // every stripe touches the top row
    expect(Array.from(g.boundary)).toEqual([1, 1, 1, 1]);
    expect(Array.from(boundarySuperpixels(new Int32Array([0, 0, 0, 0, 1, 0, 0, 0, 0]), 3, 3, 2, 1))).toEqual([1, 0]);
  });

  it('distanceMatrix gives Euclidean distances', () => {
    const d = distanceMatrix(Float64Array.from([0, 0, 3, 4, 6, 8]), 3, 2);
    expect(d[1]).toBeCloseTo(5);
    expect(d[2]).toBeCloseTo(10);
    expect(d[3 * 2 + 1]).toBeCloseTo(5);
  });
});
