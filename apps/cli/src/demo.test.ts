import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateSynthDataset } from '@dilo/core';
import { runStage, cliEntry } from './pipeline/stage';

describe('dilo demo (smoke: tiny dataset, 2 steps per run)', () => {
  it('runs saliency, two pre-training runs, the evaluations and the report, then reuses them', async () => {
    if (!existsSync(cliEntry())) throw new Error(`${cliEntry()} missing: build the CLI first (nx run cli:build)`);
    const root = mkdtempSync(path.join(os.tmpdir(), 'dilo-demo-'));
    const data = path.join(root, 'data');
    // the demo reuses a dataset with its seed and generator version, so a small one stands in
    await generateSynthDataset({ out: data, seed: 0, classes: 4, size: 32, train: 128, val: 32 });
    const out = path.join(root, 'run');
    const args = ['demo', '--data', data, '--out', out, '--epochs', '1', '--max-steps', '2'];
    const first = await runStage('demo', args, { quiet: true });
    const s = first.json as unknown as {
      runs: Record<'moco' | 'dilo', { diloP: number; linearTop1: number; knnTop1: number; backgrounds: Record<string, number>; bgGap: number; camEnergyInside: number }>;
      report: string;
      wallSeconds: number;
    };
    expect(s.runs.moco.diloP).toBe(0);
    expect(s.runs.dilo.diloP).toBe(0.5); // the default paste rate (pipeline/demo-config.ts)
    for (const r of [s.runs.moco, s.runs.dilo]) {
      expect(Object.keys(r.backgrounds).sort()).toEqual(['mixed-rand', 'mixed-same', 'only-bg', 'only-fg', 'original']);
      for (const v of [r.linearTop1, r.knnTop1, r.camEnergyInside, ...Object.values(r.backgrounds)]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      expect(r.bgGap).toBeCloseTo(r.backgrounds['mixed-same'] - r.backgrounds['mixed-rand'], 3); // results are rounded to 1e-4
    }
    expect(readFileSync(s.report, 'utf8')).toMatch(/<html/i);
    // the DiLo run pasted onto grey with the RBD maps the demo computed
    const maps = path.join(out, 'saliency', 'rbd', 'train');
    expect(existsSync(maps)).toBe(true);
    // rerun: finished pre-training is reused, not recomputed
    const second = await runStage('demo', args, { quiet: true });
    const s2 = second.json as unknown as typeof s;
    expect(s2.runs.moco.linearTop1).toBe(s.runs.moco.linearTop1);
    expect(s2.runs.dilo.knnTop1).toBe(s.runs.dilo.knnTop1);
  }, 600_000);
});
