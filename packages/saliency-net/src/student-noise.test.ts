import { Rng } from '@dilo/core';
import { batchArrays, IMAGENET_MEAN, IMAGENET_STD, type PseudoMaskedSet } from './pseudo-set';
import { drawNoisePlan, flipOnlyPlan, noisyBatchArrays, STUDENT_NOISE, type StudentNoisePlan } from './student-noise';
import { SALIENCY_NET_DEFAULTS, stepArrays, validateSaliencyNetConfig, type SaliencyNetConfig } from './train';
import { noiseConfig } from './command';

const S = 8;

/** n random images whose pseudo-mask equals their red channel (so geometry can be checked against it) */
function redMaskSet(n: number, seed = 1): PseudoMaskedSet {
  const rng = new Rng(seed);
  const images = new Uint8Array(n * S * S * 3).map(() => rng.int(256));
  const masks = new Uint8Array(n * S * S);
  for (let p = 0; p < n * S * S; p++) masks[p] = images[p * 3];
  return { images, masks, n, size: S, ids: Array.from({ length: n }, (_, i) => `i${i}`) };
}

const denormRed = (x: Float32Array, p: number) => x[p * 3] * IMAGENET_STD[0] + IMAGENET_MEAN[0];

test('the identity plan with or without a flip gives exactly the flip-only batch', () => {
  const set = redMaskSet(3);
  const flips = [false, true, false];
  const plain = batchArrays(set, [2, 0, 1], flips);
  const noisy = noisyBatchArrays(set, [2, 0, 1], flips.map((f) => flipOnlyPlan(S, f)));
  expect(noisy.y).toEqual(plain.y);
  for (let i = 0; i < plain.x.length; i++) expect(noisy.x[i]).toBeCloseTo(plain.x[i], 5);
});

test('crop and flip move the image and its pseudo-mask together; colour noise touches the image only', () => {
  const set = redMaskSet(4);
  const rng = new Rng(7);
  for (let k = 0; k < 20; k++) {
    const geo = { ...drawNoisePlan(rng.stream(k), S), brightness: 1, contrast: 1, saturation: 1, grey: false };
    const { x, y } = noisyBatchArrays(set, [k % 4], [geo]);
    for (let p = 0; p < S * S; p++) expect(denormRed(x, p)).toBeCloseTo(y[p], 5);
    // with colour noise the target is the same as without
    const coloured = noisyBatchArrays(set, [k % 4], [{ ...geo, brightness: 1.3, contrast: 0.7, grey: true }]);
    expect(coloured.y).toEqual(y);
  }
});

test('a crop of the left half resamples at pixel centres (hand-computed on a column ramp)', () => {
  // red = 10 * column; the left half (4 columns) stretched to 8: output column c samples x = (c + 0.5) / 2 - 0.5
  const images = new Uint8Array(S * S * 3);
  const masks = new Uint8Array(S * S);
  for (let r = 0; r < S; r++) for (let c = 0; c < S; c++) { images[(r * S + c) * 3] = 10 * c; masks[r * S + c] = 10 * c; }
  const set: PseudoMaskedSet = { images, masks, n: 1, size: S, ids: ['ramp'] };
  const plan: StudentNoisePlan = { ...flipOnlyPlan(S, false), crop: { x0: 0, y0: 0, w: S / 2, h: S } };
  const { y } = noisyBatchArrays(set, [0], [plan]);
  const expected = [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25].map((sx) => (10 * sx) / 255);
  for (let c = 0; c < S; c++) expect(y[3 * S + c]).toBeCloseTo(expected[c], 6);
  // flipped: the same crop read right to left
  const f = noisyBatchArrays(set, [0], [{ ...plan, flip: true }]).y;
  for (let c = 0; c < S; c++) expect(f[3 * S + c]).toBeCloseTo(expected[S - 1 - c], 6);
});

test('colour jitter follows torchvision: brightness scales and clips, contrast keeps a flat image, greyscale equalises channels', () => {
  const images = new Uint8Array(S * S * 3);
  for (let p = 0; p < S * S; p++) images.set([200, 100, 50], p * 3);
  const set: PseudoMaskedSet = { images, masks: new Uint8Array(S * S), n: 1, size: S, ids: ['flat'] };
  const rgbAt = (plan: StudentNoisePlan) => {
    const { x } = noisyBatchArrays(set, [0], [plan]);
    return [0, 1, 2].map((ch) => x[ch] * IMAGENET_STD[ch] + IMAGENET_MEAN[ch]);
  };
  const id = flipOnlyPlan(S, false);
  const bright = rgbAt({ ...id, brightness: 1.5 });
  expect(bright[0]).toBeCloseTo(1, 5); // 200/255 * 1.5 clipped
  expect(bright[1]).toBeCloseTo(150 / 255, 5);
  const contrast = rgbAt({ ...id, contrast: 0.5 });
  // contrast blends towards the mean luma, which for a flat image is each pixel's luma
  const g = (0.299 * 200 + 0.587 * 100 + 0.114 * 50) / 255;
  expect(contrast[0]).toBeCloseTo(0.5 * (200 / 255) + 0.5 * g, 5);
  const grey = rgbAt({ ...id, grey: true });
  for (const v of grey) expect(v).toBeCloseTo(g, 5);
});

test('noise plans are a function of the stream, with crops inside the image and within the scale range', () => {
  const a = drawNoisePlan(new Rng(3).stream('x'), 96);
  expect(drawNoisePlan(new Rng(3).stream('x'), 96)).toEqual(a);
  expect(drawNoisePlan(new Rng(4).stream('x'), 96)).not.toEqual(a);
  const rng = new Rng(5);
  let jittered = 0;
  for (let k = 0; k < 500; k++) {
    const p = drawNoisePlan(rng.stream(k), 96);
    expect(p.crop.x0).toBeGreaterThanOrEqual(0);
    expect(p.crop.x0 + p.crop.w).toBeLessThanOrEqual(96 + 1e-9);
    expect(p.crop.y0 + p.crop.h).toBeLessThanOrEqual(96 + 1e-9);
    const area = (p.crop.w * p.crop.h) / (96 * 96);
    expect(area).toBeGreaterThanOrEqual(STUDENT_NOISE.scale[0] - 1e-9);
    expect(area).toBeLessThanOrEqual(STUDENT_NOISE.scale[1] + 1e-9);
    if (p.brightness !== 1) jittered++;
  }
  expect(jittered / 500).toBeGreaterThan(0.7);
  expect(jittered / 500).toBeLessThan(0.9);
});

test("a training step's arrays: 'flip' is the flip-only batch, 'noisy' differs from it and is reproducible", () => {
  const set = redMaskSet(8);
  const c: SaliencyNetConfig = { ...SALIENCY_NET_DEFAULTS, size: S, batch: 4, pseudo: ['rbd'] };
  const flip = stepArrays(c, set, 0, 1);
  const noisy = stepArrays({ ...c, augment: 'noisy' }, set, 0, 1);
  expect(noisy.n).toBe(4);
  expect(noisy.x).not.toEqual(flip.x);
  expect(stepArrays({ ...c, augment: 'noisy' }, set, 0, 1)).toEqual(noisy);
  expect(stepArrays({ ...c, augment: 'noisy' }, set, 1, 1).x).not.toEqual(noisy.x);
});

test('--noise is JSON over the defaults; bad keys and ranges are usage errors', () => {
  expect(noiseConfig(undefined)).toEqual(STUDENT_NOISE);
  expect(noiseConfig('{"scale":[1,1]}')).toEqual({ ...STUDENT_NOISE, scale: [1, 1] });
  expect(() => noiseConfig('{"scal":[1,1]}')).toThrow(/unknown key\(s\) scal/);
  expect(() => noiseConfig('[1]')).toThrow(/JSON object/);
  expect(() => noiseConfig('{scale')).toThrow(/not JSON/);
  const c: SaliencyNetConfig = { ...SALIENCY_NET_DEFAULTS, size: S, batch: 4, augment: 'noisy', pseudo: ['rbd'] };
  expect(() => validateSaliencyNetConfig({ ...c, noise: { ...STUDENT_NOISE, scale: [0.5, 1.5] } })).toThrow(/--noise scale/);
  expect(() => validateSaliencyNetConfig({ ...c, noise: { ...STUDENT_NOISE, greyP: 2 } })).toThrow(/--noise greyP must be a probability/);
  expect(() => validateSaliencyNetConfig({ ...c, augment: 'strong' as 'noisy' })).toThrow(/--augment must be flip or noisy/);
  // colour noise only: every crop is the whole image
  const set = redMaskSet(4);
  const colourOnly = stepArrays({ ...c, noise: noiseConfig('{"scale":[1,1],"ratio":[1,1]}') }, set, 0, 0);
  const flips = stepArrays({ ...c, augment: 'flip' }, set, 0, 0);
  expect(colourOnly.y).not.toEqual(new Float32Array(colourOnly.y.length));
  // same targets up to the flips (drawn from another stream): each target row is a flip-only target row or its mirror
  for (let j = 0; j < 4; j++) {
    const row = (a: Float32Array) => Array.from(a.subarray(j * S * S, (j + 1) * S * S));
    const mirrored = (r: number[]) => r.map((_, p) => r[Math.floor(p / S) * S + (S - 1 - (p % S))]);
    const t = row(colourOnly.y), f = row(flips.y);
    expect(t.every((v, p) => Math.abs(v - f[p]) < 1e-6) || t.every((v, p) => Math.abs(v - mirrored(f)[p]) < 1e-6)).toBe(true);
  }
});
