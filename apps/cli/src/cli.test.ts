import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from './cli';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => { out += String(c); return true; });
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => { err += String(c); return true; });
  // yargs prints --help with console.log, which jest captures separately
  const l = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out += a.join(' ') + '\n'; });
  try {
    const code = await runCli(args);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    l.mockRestore();
  }
}

describe('dilo CLI', () => {
  it('exits 2 on a usage error and 0 on --help', async () => {
    expect((await run(['no-such-command'])).code).toBe(2);
    const h = await run(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/dilo data <command>/);
    expect((await run(['data', 'synth', '--help'])).out).toMatch(/--seed/);
  });

  it('data synth --json prints one JSON object as the last line', async () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'dilo-cli-')), 'ds');
    const r = await run(['data', 'synth', '--out', out, '--seed', '3', '--train', '60', '--val', '20', '--size', '24', '--classes', '3', '--json']);
    expect(r.code).toBe(0);
    const last = JSON.parse(r.out.trim().split('\n').pop() as string);
    expect(last.counts).toEqual({ train: 60, 'val-same': 20, 'val-mixed-rand': 20, 'val-only-fg': 20 });
    expect(last.correlation['val-only-fg']).toBe(0);
    expect(JSON.parse(readFileSync(path.join(out, 'meta.json'), 'utf8')).seed).toBe(3);
  });

  it('reports bad values as usage errors (exit 2)', async () => {
    const r = await run(['data', 'synth', '--out', path.join(os.tmpdir(), 'dilo-bad'), '--classes', '40']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/classes must be an integer in \[2, 10\]/);
    const d = await run(['demo', '--background', 'plaid']);
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/--background must be grey, images or textures:DIR, got 'plaid'/);
  });

  it('reproduce table: mean ± std per configuration and DiLo minus MoCo on the same seeds, by hand', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-table-'));
    const summary = (linear: number, bgGap: number) => ({ linearTop1: linear, linearTop5: 1, knnTop1: linear - 0.1, knnMajorityTop1: 0,
      backgrounds: { 'mixed-rand': 0.5, 'mixed-same': 0.5 + bgGap, 'only-fg': 0.4, 'only-bg': 0.2 }, bgGap, camEnergyInside: 0.3, camPointing: linear - 0.2 });
    const runs: [string, number, number][] = [['moco-s0', 0.4, 0.2], ['moco-s1', 0.4, 0.3], ['moco-s2', 0.6, 0.25],
      ['dilo-rbd-grey-p0.5-s0', 0.5, 0.1], ['dilo-rbd-grey-p0.5-s1', 0.6, 0.2], ['dilo-rbd-grey-p0.5-s2', 0.7, 0.15]];
    for (const [name, linear, gap] of runs) {
      mkdirSync(path.join(dir, name, 'eval'), { recursive: true });
      writeFileSync(path.join(dir, name, 'eval', 'summary.json'), JSON.stringify(summary(linear, gap)));
    }
    // pre-training logs: moco-s0 and -s1 timed (s1 resumed: its log keeps each step once), moco-s2 from before the data-wait field
    const log = (name: string, steps: [number, number?][]) => {
      mkdirSync(path.join(dir, name, 'pretrain'), { recursive: true });
      const lines = [{ event: 'start', step: 0, config: { batch: 8 } }, ...steps.map(([stepSeconds, dataSeconds], i) => ({ event: 'step', step: i + 1, stepSeconds, ...(dataSeconds === undefined ? {} : { dataSeconds }) })), { event: 'checkpoint', step: steps.length }];
      writeFileSync(path.join(dir, name, 'pretrain', 'metrics.jsonl'), lines.map((l) => JSON.stringify(l) + '\n').join(''));
    };
    log('moco-s0', [[0.5, 0.5], [1.5, 0.5]]); // 3 s, 16 images, waiting 1 s
    log('moco-s1', [[1, 0], [0.5, 0.5], [2, 0]]); // 4 s, 24 images, waiting 0.5 s
    log('moco-s2', [[1], [1]]);
    mkdirSync(path.join(dir, 'moco-s3', 'pretrain'), { recursive: true }); // not evaluated yet
    mkdirSync(path.join(dir, 'scratch', 'eval'), { recursive: true }); // not a grid run: reported, not grouped
    writeFileSync(path.join(dir, 'scratch', 'eval', 'summary.json'), JSON.stringify(summary(0.9, 0)));
    const r = await run(['reproduce', 'table', '--grid', 'imagenette-32', '--dir', dir, '--json']);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.out.trim().split('\n').pop() as string);
    expect(t.missing).toEqual(['moco-s3']);
    expect(t.unnamed).toEqual(['scratch']);
    expect(t.rows.map((x: { config: string }) => x.config).sort()).toEqual(['dilo-rbd-grey-p0.5', 'moco']);
    const moco = t.rows.find((x: { config: string }) => x.config === 'moco');
    expect(moco.linearTop1.mean).toBeCloseTo(0.4667, 4);
    expect(moco.linearTop1.std).toBeCloseTo(Math.sqrt(0.04 / 3), 10);
    expect(moco.bgGap.perSeed).toEqual({ s0: 0.2, s1: 0.3, s2: 0.25 });
    const [d] = t.paired;
    expect(d.config).toBe('dilo-rbd-grey-p0.5');
    // linear: diffs 0.1, 0.2, 0.1 -> mean 0.1333, t = 4, df 2
    expect(d.linearTop1.mean).toBeCloseTo(0.4 / 3, 10);
    expect(d.linearTop1.p).toBeCloseTo(1 - 4 / Math.sqrt(18), 8);
    expect(d.linearTop1.higher).toBe(3);
    // BG-gap: -0.1 in every seed -> no spread, no t
    expect(d.bgGap.mean).toBeCloseTo(-0.1, 10);
    expect(d.bgGap.t).toBeNull();
    expect(d.bgGap.higher).toBe(0);
    // CAM pointing accuracy is a column too (the docs' "pointing"): same diffs as linear here
    expect(moco.camPointing.mean).toBeCloseTo(0.4667 - 0.2, 4);
    expect(d.camPointing.mean).toBeCloseTo(0.4 / 3, 10);
    // pre-training cost over the seeds with timed logs: 3 s and 4 s; 16/3 and 24/4 img/s; waiting 1/3 and 1/8
    expect(moco.pretrain.seconds.perSeed).toEqual({ s0: 3, s1: 4 });
    expect(moco.pretrain.seconds.mean).toBeCloseTo(3.5, 10);
    expect(moco.pretrain.imgPerSec.mean).toBeCloseTo((16 / 3 + 6) / 2, 10);
    expect(moco.pretrain.dataShare.perSeed.s0).toBeCloseTo(1 / 3, 10);
    expect(moco.pretrain.dataShare.perSeed.s1).toBeCloseTo(1 / 8, 10);
    expect(t.rows.find((x: { config: string }) => x.config === 'dilo-rbd-grey-p0.5').pretrain).toBeNull();
    expect(JSON.parse(readFileSync(path.join(dir, 'table.json'), 'utf8')).paired).toHaveLength(1);
    const text = await run(['reproduce', 'table', '--grid', 'imagenette-32', '--dir', dir]);
    expect(text.out).toMatch(/paired difference vs moco/);
    expect(text.out).toMatch(/linearTop1 \+13\.3 ± 5\.8 \(3\/3, p 0\.06\)/);
    expect(text.out).toMatch(/moco \(2\)\s+4 ± 1 s\s+5\.7 img\/s\s+wait 22\.9%/);
    writeFileSync(path.join(dir, 'moco-s0', 'pretrain', 'metrics.jsonl'), '{"event":"start"\n');
    const bad = await run(['reproduce', 'table', '--grid', 'imagenette-32', '--dir', dir]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/moco-s0\/pretrain\/metrics\.jsonl: line 1 is not JSON/);
  });

  it('eval backgrounds and eval cam fit the same probe as eval linear under --seed (same weight decay, original = linear top-1)', async () => {
    const ds = path.join(mkdtempSync(path.join(os.tmpdir(), 'dilo-cli-')), 'ds');
    expect((await run(['data', 'synth', '--out', ds, '--seed', '3', '--train', '60', '--val', '20', '--size', '24', '--classes', '3'])).code).toBe(0);
    interface Probed { top1: number; wd: number; probe: { top1: number; wd: number }; variants: { original: { top1: number } } }
    const last = async (args: string[]): Promise<Probed> => {
      const r = await run([...args, '--data', ds, '--no-cache', '--json']);
      expect(r.code).toBe(0);
      return JSON.parse(r.out.trim().split('\n').pop() as string) as Probed;
    };
    // raw pixels do not depend on the seed, so only the probe's held-out split does: on this set
    // seeds 0 and 1 pick different weight decays, which a seed-blind probe would get wrong for one
    const wd: number[] = [];
    for (const seed of ['0', '1']) {
      const lin = await last(['eval', 'linear', '--pixels', '4', '--seed', seed]);
      const bg = await last(['eval', 'backgrounds', '--pixels', '4', '--seed', seed]);
      expect(bg.probe).toEqual({ top1: lin.top1, wd: lin.wd });
      expect(bg.variants.original.top1).toBe(lin.top1);
      wd.push(lin.wd);
    }
    expect(wd[0]).not.toBe(wd[1]);
    // the probe's own flags reach it in every command that fits it
    const probeFlags = ['--pixels', '4', '--seed', '1', '--wd-grid', '0.5', '--holdout', '0.3'];
    const linFlags = await last(['eval', 'linear', ...probeFlags]);
    expect(linFlags.wd).toBe(0.5);
    expect((await last(['eval', 'backgrounds', ...probeFlags])).probe).toEqual({ top1: linFlags.top1, wd: 0.5 });
    const lin = await last(['eval', 'linear', '--random-init', '--crop', '16', '--seed', '1']);
    const cam = await last(['eval', 'cam', '--random-init', '--crop', '16', '--seed', '1']);
    expect(cam.probe).toEqual({ top1: lin.top1, wd: lin.wd });
    const camFlags = await last(['eval', 'cam', '--random-init', '--crop', '16', '--seed', '1', '--wd-grid', '0.5']);
    expect(camFlags.probe.wd).toBe(0.5);
  }, 120_000);
});
