import { choleskySolveInPlace, luSolveInPlace, otsuThreshold, solveSymmetric } from './linalg';
import { allPairsShortestPaths, dijkstra, graphFromMatrix } from './shortest-paths';
import { fft, fft2 } from './fft';
import { rgbToLab, rgbFloatToLab } from './color';
import { resizeBilinear, resizeArea } from './resize';

describe('linear solvers', () => {
  const A = [4, 1, 0, 1, 3, 1, 0, 1, 2];
  const x = [1, -2, 3];
  const b = [4 * 1 + 1 * -2, 1 - 6 + 3, -2 + 6];
  it('Cholesky solves an SPD system', () => {
    const rhs = Float64Array.from(b);
    expect(choleskySolveInPlace(Float64Array.from(A), 3, [rhs])).toBe(true);
    rhs.forEach((v, i) => expect(v).toBeCloseTo(x[i], 10));
  });
  it('Cholesky refuses an indefinite matrix, LU solves it', () => {
    const M = [0, 1, 1, 0];
    expect(choleskySolveInPlace(Float64Array.from(M), 2, [new Float64Array(2)])).toBe(false);
    const rhs = Float64Array.from([2, 3]);
    luSolveInPlace(Float64Array.from(M), 2, [rhs]);
    expect(Array.from(rhs)).toEqual([3, 2]);
    const r2 = Float64Array.from([2, 3]);
    solveSymmetric(Float64Array.from(M), 2, [r2]);
    expect(Array.from(r2)).toEqual([3, 2]);
  });
  it("Otsu's threshold splits a bimodal set between the modes (MATLAB graythresh scale)", () => {
    const v = [0.1, 0.1, 0.12, 0.11, 0.8, 0.82, 0.79];
    const t = otsuThreshold(v);
    expect(t).toBeGreaterThan(0.12);
    expect(t).toBeLessThanOrEqual(0.79);
    // two values only: any level in [0.2, 0.6) separates; graythresh returns the mean of the tied bins
    expect(otsuThreshold([0.2, 0.6])).toBeCloseTo((51 + 152) / 2 / 255, 6);
  });
});

describe('shortest paths', () => {
  // 0 -1- 1 -1- 2, and 0 -5- 2
  const W = [0, 1, 5, 1, 0, 1, 5, 1, 0];
  const g = graphFromMatrix(3, (i, j) => W[i * 3 + j] > 0, (i, j) => W[i * 3 + j]);
  it('finds the cheaper two-hop path', () => {
    expect(Array.from(dijkstra(g, [0]))).toEqual([0, 1, 2]);
    expect(Array.from(dijkstra(g, [0, 2]))).toEqual([0, 1, 0]);
  });
  it('all pairs, with a distance limit', () => {
    expect(Array.from(allPairsShortestPaths(g))).toEqual([0, 1, 2, 1, 0, 1, 2, 1, 0]);
    expect(Array.from(allPairsShortestPaths(g, 1.5))).toEqual([0, 1, Infinity, 1, 0, 1, Infinity, 1, 0]);
  });
});

describe('fft', () => {
  it('matches the DFT definition and inverts (power of two and not)', () => {
    for (const n of [8, 6]) {
      const re = Float64Array.from({ length: n }, (_, i) => Math.sin(i) + i * 0.1);
      const im = new Float64Array(n);
      const r2 = re.slice();
      const i2 = im.slice();
      fft(r2, i2);
      for (let k = 0; k < n; k++) {
        let sr = 0;
        let si = 0;
        for (let t = 0; t < n; t++) {
          sr += re[t] * Math.cos((-2 * Math.PI * k * t) / n);
          si += re[t] * Math.sin((-2 * Math.PI * k * t) / n);
        }
        expect(r2[k]).toBeCloseTo(sr, 9);
        expect(i2[k]).toBeCloseTo(si, 9);
      }
      fft(r2, i2, true);
      r2.forEach((v, i) => expect(v).toBeCloseTo(re[i], 9));
    }
  });
  it('2-D transform of a constant is a single DC term', () => {
    const re = new Float64Array(4 * 3).fill(2);
    const im = new Float64Array(12);
    fft2(re, im, 3, 4);
    expect(re[0]).toBeCloseTo(24);
    for (let i = 1; i < 12; i++) expect(Math.abs(re[i]) + Math.abs(im[i])).toBeLessThan(1e-9);
  });
});

describe('colour and resampling', () => {
  it('Lab of reference colours (white, black, sRGB red)', () => {
    const lab = rgbToLab({ width: 3, height: 1, data: Uint8Array.from([255, 255, 255, 0, 0, 0, 255, 0, 0]) });
    expect(lab[0]).toBeCloseTo(100, 1);
    expect(Math.abs(lab[1]) + Math.abs(lab[2])).toBeLessThan(0.05);
    expect(lab[3]).toBeCloseTo(0, 3);
    // CIE Lab of sRGB red (D65): 53.24, 80.09, 67.20
    expect(lab[6]).toBeCloseTo(53.24, 1);
    expect(lab[7]).toBeCloseTo(80.09, 0);
    expect(lab[8]).toBeCloseTo(67.2, 0);
    const exact = new Float64Array(3);
    rgbFloatToLab(255, 0, 0, exact, 0);
    expect(exact[0]).toBeCloseTo(lab[6], 2);
  });
  it('bilinear resize keeps a constant and is the identity at the same size; area resize averages blocks', () => {
    const src = Float32Array.from([1, 2, 3, 4]);
    expect(Array.from(resizeBilinear(src, 2, 2, 1, 2, 2))).toEqual([1, 2, 3, 4]);
    expect(Array.from(resizeBilinear(new Float32Array(4).fill(7), 2, 2, 1, 5, 3)).every((v) => Math.abs(v - 7) < 1e-6)).toBe(true);
    expect(Array.from(resizeArea(Float32Array.from([1, 3, 5, 7, 1, 3, 5, 7]), 4, 2, 1, 2, 1))).toEqual([2, 6]);
  });
});
