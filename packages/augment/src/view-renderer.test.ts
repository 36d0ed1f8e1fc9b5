import { augmentPreset } from './config';
import { planView } from './view-plan';
import { viewRng } from './two-view';
import { ViewRenderer, type DecodedSample } from './view-renderer';
import { normalizeChw } from './transforms/normalize';
import { nativeViewKernels } from './native';

// A 40x30 test image with colour gradients and a soft centred map.
const W = 40;
const H = 30;
const data = new Uint8Array(W * H * 3);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.set([(x * 6) % 256, (y * 8) % 256, ((x + y) * 5 + 40) % 256], (y * W + x) * 3);
const map = new Uint8Array(W * H);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) map[y * W + x] = Math.max(0, 255 - 12 * Math.hypot(x - 20, y - 15));
const sample: DecodedSample = { image: { width: W, height: H, data }, map: { width: W, height: H, data: map }, imageFile: 'img.png', mapFile: 'map.png' };

describe('ViewRenderer', () => {
  for (const preset of ['mocov1', 'mocov2'] as const) {
    it(`${preset}: the fused render equals the step-by-step view, normalised`, () => {
      const cfg = augmentPreset(preset, { size: 24, paste: { p: 0.5 } });
      const fused = new ViewRenderer(cfg, null);
      const ref = new ViewRenderer(cfg, null);
      const per = 3 * 24 * 24;
      const a = new Float32Array(per);
      const b = new Float32Array(per);
      const seen = { blur: 0, gray: 0, flip: 0, jitter: 0, paste: 0, none: 0 };
      for (let i = 0; i < 300; i++) {
        const plan = planView(cfg, { width: W, height: H, hasMap: true, index: i, datasetSize: 300 }, viewRng(4, 0, i, 0));
        fused.render(sample, plan, null, a, 0);
        normalizeChw(ref.viewHwc(sample, plan, null), 24, 24, plan.flip, cfg.mean, cfg.std, b, 0);
        for (let k = 0; k < per; k++) {
          if (Math.abs(a[k] - b[k]) > 1e-4) throw new Error(`view ${i} (${JSON.stringify(plan)}) differs at ${k}: ${a[k]} vs ${b[k]}`);
        }
        if (plan.blurSigma !== null) seen.blur++;
        if (plan.grayscale) seen.gray++;
        if (plan.flip) seen.flip++;
        if (plan.jitter) seen.jitter++;
        if (plan.paste) seen.paste++;
        if (!plan.jitter && !plan.grayscale && plan.blurSigma === null) seen.none++;
      }
      // every branch of the fused path was taken
      for (const [k, v] of Object.entries(seen)) if (!(preset === 'mocov1' && (k === 'blur' || k === 'none'))) expect([k, v > 0]).toEqual([k, true]);
    });
  }
});

describe('native view kernels', () => {
  const kernels = nativeViewKernels();
  // CI builds the addon at install: there a missing addon is a failure, not a skip
  if (!kernels && process.env.CI !== 'true') {
    it.skip('native addon not built (pnpm nx run augment:build-native)', () => undefined);
    return;
  }
  // a second image as a natural background, and its map
  const bgData = new Uint8Array(W * H * 3);
  for (let q = 0; q < bgData.length; q++) bgData[q] = (q * 37 + 11) % 256;
  const other: DecodedSample = { image: { width: W, height: H, data: bgData }, map: { width: W, height: H, data: map.slice().reverse() }, imageFile: 'o.png', mapFile: 'om.png' };

  for (const preset of ['mocov1', 'mocov2'] as const) {
    for (const bg of ['grey', 'natural'] as const) {
      it(`${preset}, ${bg} paste: renders what the TypeScript kernels render`, () => {
        expect(kernels).not.toBeNull();
        const background = bg === 'grey' ? ({ kind: 'grey' } as const) : ({ kind: 'natural', removeForeground: true } as const);
        const cfg = augmentPreset(preset, { size: 24, paste: { p: 0.6, background } });
        const native = new ViewRenderer(cfg, kernels);
        const ts = new ViewRenderer(cfg, null);
        const per = 3 * 24 * 24;
        const a = new Float32Array(per + 5);
        const b = new Float32Array(per + 5);
        let maxDiff = 0;
        let pasted = 0;
        for (let i = 0; i < 200; i++) {
          const plan = planView(cfg, { width: W, height: H, hasMap: true, index: i, datasetSize: 300 }, viewRng(7, 1, i, 1));
          const bgPixels = plan.paste && plan.paste.background.kind === 'natural' ? ({ kind: 'natural', sample: other } as const) : null;
          if (plan.paste) pasted++;
          native.render(sample, plan, bgPixels, a, 5);
          ts.render(sample, plan, bgPixels, b, 5);
          for (let k = 0; k < 5; k++) expect(a[k]).toBe(0); // nothing written before offset
          for (let k = 5; k < per + 5; k++) maxDiff = Math.max(maxDiff, Math.abs(a[k] - b[k]));
        }
        expect(pasted).toBeGreaterThan(50);
        // normalised units: 1e-3 is 0.06 grey levels; float32 vs float64 rounding only
        expect(maxDiff).toBeLessThan(1e-3);
      });
    }
  }

  it('rejects a crop box outside the image and a short output', () => {
    const k = kernels as NonNullable<typeof kernels>;
    const params = new Float64Array([1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    const out = new Float32Array(3 * 8 * 8);
    expect(() => k.renderView(data, W, H, new Float64Array([0, 0, H + 1, 10]), 8, new Int32Array(0), params, out, 0)).toThrow(/outside the image/);
    expect(() => k.renderView(data, W, H, new Float64Array([0, 0, 10, 10]), 8, new Int32Array(0), params, out, 1)).toThrow(/out too short/);
    expect(() => k.renderView(data, W, H, new Float64Array([0, 0, 10, 10]), 8, new Int32Array([9]), params, out, 0)).toThrow(/unknown op 9/);
  });
});
