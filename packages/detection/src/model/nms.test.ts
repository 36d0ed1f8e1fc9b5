import { spawnSync } from 'node:child_process';
import { Rng } from '@dilo/core';
import { batchedNms, nms } from './nms';

const python = process.env.DILO_TORCH_PYTHON ?? '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torchvision.ops'], { encoding: 'utf8' }).status === 0;
if (!hasTorch) console.warn(`SKIPPED: NMS parity with torchvision (${python} cannot import torchvision; set DILO_TORCH_PYTHON)`);

describe('NMS', () => {
  it('hand case: suppress only IoU > threshold, by descending score', () => {
    const boxes = [0, 0, 10, 10, 0, 0, 10, 5, 1, 0, 11, 10, 20, 20, 30, 30];
    // IoU(0,1) = 50/100 = .5 (not > .5: kept); IoU(0,2) = 90/110 = .818 (suppressed by 0);
    // IoU(1,2) = 45/105; box 3 is disjoint.
    expect(nms(boxes, [0.9, 0.8, 0.85, 0.1], 0.5)).toEqual([0, 1, 3]);
    expect(nms(boxes, [0.9, 0.8, 0.85, 0.1], 0.49)).toEqual([0, 3]);
    // Box 2 first: it suppresses 0 (.818) but not 1 (45/105 = .43).
    expect(nms(boxes, [0.5, 0.8, 0.95, 0.1], 0.5)).toEqual([2, 1, 3]);
    // Per category at .3: {0, 1} -> 0 suppresses 1 (.5 > .3); {2, 3} -> both; merged by score.
    expect(batchedNms(boxes, [0.9, 0.8, 0.85, 0.1], [0, 0, 1, 1], 0.3)).toEqual([0, 2, 3]);
  });

  (hasTorch ? it : it.skip)('matches torchvision.ops.nms and batched_nms on random boxes', () => {
    const r = new Rng(0, ['nms-parity']);
    const cases = Array.from({ length: 20 }, () => {
      const n = r.intBetween(1, 300);
      const boxes: number[] = [];
      for (let i = 0; i < n; i++) {
        const x = r.uniform(0, 200);
        const y = r.uniform(0, 200);
        boxes.push(x, y, x + r.uniform(1, 80), y + r.uniform(1, 80));
      }
      const scores = Array.from({ length: n }, () => r.float());
      const cats = Array.from({ length: n }, () => r.int(4));
      return { boxes, scores, cats, thr: [0.3, 0.5, 0.7][r.int(3)]! };
    });
    const script = `
import json, sys, torch, torchvision
out = []
for c in json.load(sys.stdin):
    b = torch.tensor(c['boxes'], dtype=torch.float64).reshape(-1, 4)
    s = torch.tensor(c['scores'], dtype=torch.float64)
    k = torch.tensor(c['cats'])
    out.append([torchvision.ops.nms(b, s, c['thr']).tolist(), torchvision.ops.batched_nms(b, s, k, c['thr']).tolist()])
print(json.dumps(out))`;
    const ref = spawnSync(python, ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 26 });
    if (ref.status !== 0) throw new Error(ref.stderr);
    const want = JSON.parse(ref.stdout) as [number[], number[]][];
    cases.forEach((c, i) => {
      expect(nms(c.boxes, c.scores, c.thr)).toEqual(want[i]![0]);
      expect(batchedNms(c.boxes, c.scores, c.cats, c.thr)).toEqual(want[i]![1]);
    });
  });
});
