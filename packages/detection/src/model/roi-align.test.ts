import { spawnSync } from 'node:child_process';
import { Rng } from '@dilo/core';
import { roiAlign, roiAlignGrad, type RoiAlignOptions } from './roi-align';

const python = process.env.DILO_TORCH_PYTHON ?? '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torchvision.ops'], { encoding: 'utf8' }).status === 0;
if (!hasTorch) console.warn(`SKIPPED: ROI Align parity with torchvision (${python} cannot import torchvision; set DILO_TORCH_PYTHON)`);

const V2: RoiAlignOptions = { outH: 2, outW: 2, spatialScale: 1, samplingRatio: 0, aligned: true };

describe('ROI Align', () => {
  it('on a ramp f(y, x) = x, a bin averages to its centre (aligned: pixel centres at integer + 0.5)', () => {
    // 1 image, 8x8, 1 channel, value = x. ROI [2, 2, 6, 6] in pixels -> aligned grid starts at 1.5;
    // 2x2 bins of width 2, each 2x2 samples at 2.0, 3.0 (left) and 4.0, 5.0 (right): means 2.5, 4.5.
    const f = Float64Array.from({ length: 64 }, (_, i) => i % 8);
    const out = roiAlign(f, { n: 1, h: 8, w: 8, c: 1 }, [0, 2, 2, 6, 6], V2);
    expect(Array.from(out)).toEqual([2.5, 4.5, 2.5, 4.5]);
    // The gradient of the sum of outputs spreads each bin's 1 over its samples: total mass = bins.
    const g = roiAlignGrad([1, 1, 1, 1], { n: 1, h: 8, w: 8, c: 1 }, [0, 2, 2, 6, 6], V2);
    expect(g.reduce((a, b) => a + b, 0)).toBeCloseTo(4, 12);
  });

  it('rejects a batch index outside the features', () => {
    expect(() => roiAlign(new Float64Array(4), { n: 1, h: 2, w: 2, c: 1 }, [1, 0, 0, 1, 1], V2)).toThrow(/batch index 1/);
  });

  (hasTorch ? it : it.skip)('matches torchvision.ops.roi_align forward and backward (float64)', () => {
    const r = new Rng(0, ['roi-align-parity']);
    const cases = Array.from({ length: 8 }, (_, k) => {
      const shape = { n: r.intBetween(1, 2), h: r.intBetween(3, 12), w: r.intBetween(3, 12), c: r.intBetween(1, 3) };
      const scale = [1, 0.5, 1 / 16][k % 3]!;
      const rois: number[] = [];
      const R = r.intBetween(1, 5);
      for (let i = 0; i < R; i++) {
        const x0 = r.uniform(-3, shape.w / scale);
        const y0 = r.uniform(-3, shape.h / scale);
        rois.push(r.int(shape.n), x0, y0, x0 + r.uniform(0.2, shape.w / scale), y0 + r.uniform(0.2, shape.h / scale));
      }
      const o: RoiAlignOptions = { outH: r.intBetween(1, 4), outW: r.intBetween(1, 4), spatialScale: scale, samplingRatio: k % 2 ? 2 : 0, aligned: k % 4 !== 3 };
      const features = Array.from({ length: shape.n * shape.h * shape.w * shape.c }, () => r.normal());
      const gradOut = Array.from({ length: R * o.outH * o.outW * shape.c }, () => r.normal());
      return { shape, rois, o, features, gradOut };
    });
    const script = `
import json, sys, torch, torchvision
out = []
for c in json.load(sys.stdin):
    s, o = c['shape'], c['o']
    x = torch.tensor(c['features'], dtype=torch.float64).reshape(s['n'], s['h'], s['w'], s['c']).permute(0, 3, 1, 2).contiguous().requires_grad_()
    rois = torch.tensor(c['rois'], dtype=torch.float64).reshape(-1, 5)
    y = torchvision.ops.roi_align(x, rois, (o['outH'], o['outW']), o['spatialScale'], o['samplingRatio'], o['aligned'])
    g = torch.tensor(c['gradOut'], dtype=torch.float64).reshape(y.shape[0], o['outH'], o['outW'], s['c']).permute(0, 3, 1, 2)
    y.backward(g)
    out.append([y.permute(0, 2, 3, 1).reshape(-1).tolist(), x.grad.permute(0, 2, 3, 1).reshape(-1).tolist()])
print(json.dumps(out))`;
    const ref = spawnSync(python, ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 26 });
    if (ref.status !== 0) throw new Error(ref.stderr);
    const want = JSON.parse(ref.stdout) as [number[], number[]][];
    cases.forEach((c, i) => {
      const y = roiAlign(c.features, c.shape, c.rois, c.o);
      const g = roiAlignGrad(c.gradOut, c.shape, c.rois, c.o);
      y.forEach((v, j) => expect([i, j, v]).toEqual([i, j, expect.closeTo(want[i]![0][j]!, 10)]));
      g.forEach((v, j) => expect([i, j, v]).toEqual([i, j, expect.closeTo(want[i]![1][j]!, 10)]));
    });
  });
});
