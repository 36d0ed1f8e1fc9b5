import { Rng } from '@dilo/core';
import { augmentPreset } from './config';
import { planView } from './view-plan';
import { viewRng } from './two-view';

const ctx = { width: 224, height: 224, hasMap: true, index: 3, datasetSize: 100 };

describe('view plans', () => {
  it('pastes each view with probability p, independently: both views at rate p^2', () => {
    const cfg = augmentPreset('mocov2'); // p = 0.3
    const n = 20000;
    let q = 0;
    let k = 0;
    let both = 0;
    let blurred = 0;
    const levels = new Set<number>();
    for (let i = 0; i < n; i++) {
      const a = planView(cfg, { ...ctx, index: i }, viewRng(11, 0, i, 0));
      const b = planView(cfg, { ...ctx, index: i }, viewRng(11, 0, i, 1));
      if (a.paste) q++;
      if (b.paste) k++;
      if (a.paste && b.paste) both++;
      for (const v of [a, b]) {
        if (v.paste) {
          if (v.paste.blurMap) blurred++;
          if (v.paste.background.kind === 'grey') levels.add(v.paste.background.level);
        }
      }
    }
    // binomial standard errors: 0.0032 per view, 0.0020 for both; allow 4 of them
    expect(Math.abs(q / n - 0.3)).toBeLessThan(0.013);
    expect(Math.abs(k / n - 0.3)).toBeLessThan(0.013);
    expect(Math.abs(both / n - 0.09)).toBeLessThan(0.008);
    expect(Math.abs(blurred / (q + k) - 0.5)).toBeLessThan(0.02);
    // grey levels: every value of {0..254}, never 255
    expect(levels.size).toBe(255);
    expect(Math.max(...levels)).toBe(254);
    expect(Math.min(...levels)).toBe(0);
  });

  it('paste probability follows the setting; no map means no paste', () => {
    const cfg = augmentPreset('mocov2', { paste: { p: 0.7 } });
    let pasted = 0;
    for (let i = 0; i < 5000; i++) if (planView(cfg, ctx, new Rng(5, [i])).paste) pasted++;
    expect(Math.abs(pasted / 5000 - 0.7)).toBeLessThan(0.03);
    for (let i = 0; i < 200; i++) expect(planView(cfg, { ...ctx, hasMap: false }, new Rng(5, [i])).paste).toBeNull();
    expect(planView(augmentPreset('mocov2', { paste: null }), ctx, new Rng(1)).paste).toBeNull();
  });

  it('MoCo v2 applies jitter 0.8, grayscale 0.2, blur 0.5 with sigma in [0.1, 2], flip 0.5', () => {
    const cfg = augmentPreset('mocov2');
    const n = 10000;
    let j = 0;
    let g = 0;
    let b = 0;
    let f = 0;
    for (let i = 0; i < n; i++) {
      const p = planView(cfg, ctx, new Rng(9, [i]));
      if (p.jitter) j++;
      if (p.grayscale) g++;
      if (p.flip) f++;
      if (p.blurSigma !== null) {
        b++;
        expect(p.blurSigma).toBeGreaterThanOrEqual(0.1);
        expect(p.blurSigma).toBeLessThan(2);
      }
    }
    expect(Math.abs(j / n - 0.8)).toBeLessThan(0.02);
    expect(Math.abs(g / n - 0.2)).toBeLessThan(0.02);
    expect(Math.abs(b / n - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(f / n - 0.5)).toBeLessThan(0.02);
  });

  it('natural backgrounds never pick the sample itself', () => {
    const cfg = augmentPreset('mocov2', { paste: { p: 1, background: { kind: 'natural', removeForeground: true } } });
    const seen = new Set<number>();
    for (let i = 0; i < 3000; i++) {
      const bg = planView(cfg, { ...ctx, datasetSize: 5, index: 2 }, new Rng(2, [i])).paste?.background;
      if (bg?.kind !== 'natural') throw new Error('expected a natural background');
      seen.add(bg.index);
    }
    expect([...seen].sort()).toEqual([0, 1, 3, 4]);
  });

  it('the plan depends only on (seed, epoch, index, view)', () => {
    const cfg = augmentPreset('mocov1');
    expect(planView(cfg, ctx, viewRng(1, 2, 3, 0))).toEqual(planView(cfg, ctx, viewRng(1, 2, 3, 0)));
    expect(planView(cfg, ctx, viewRng(1, 2, 3, 0))).not.toEqual(planView(cfg, ctx, viewRng(1, 2, 3, 1)));
    expect(planView(cfg, ctx, viewRng(1, 2, 3, 0))).not.toEqual(planView(cfg, ctx, viewRng(1, 3, 3, 0)));
  });
});
