import { augmentPreset } from './config';
import { planView } from './view-plan';
import { viewRng } from './two-view';
import { ViewRenderer, type DecodedSample } from './view-renderer';
import { normalizeChw } from './transforms/normalize';

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
      const fused = new ViewRenderer(cfg);
      const ref = new ViewRenderer(cfg);
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
