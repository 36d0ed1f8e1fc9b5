import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface Target { dependsOn?: string[]; inputs?: unknown[]; outputs?: string[]; options: { command: string } }
type CreateNodes = [string, (files: string[], options: unknown, context: { workspaceRoot: string }) => [string, { projects: Record<string, { targets: Record<string, Target> }> }][]];

// the Nx plugin is plain JS that nx.json loads by path (a workspace tool, not a package); load it the same way
const plugin = require(path.join(__dirname, '..', '..', '..', 'tools', 'nx', 'reproduce-plugin.js')) as { createNodes: CreateNodes };

function targetsOf(grid: unknown, others: Record<string, unknown> = {}): Record<string, Target> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'dilo-plugin-'));
  mkdirSync(path.join(root, 'apps', 'cli'), { recursive: true });
  writeFileSync(path.join(root, 'apps', 'cli', 'reproduce.json'), JSON.stringify({ grids: { g: grid, ...others } }));
  const [[, node]] = plugin.createNodes[1](['apps/cli/reproduce.json'], {}, { workspaceRoot: root });
  return node.projects['apps/cli'].targets;
}

describe('reproduce grid plugin', () => {
  const grid = {
    dataset: { path: '/data/set', train: 'train', test: 'val', testMasks: 'rbd' },
    saliency: {
      rbd: { slic: { compactness: 10 } },
      snet: { net: { pseudo: 'rbd+mc', 'confidence-weight': true, epochs: 3 }, backgrounds: ['grey'] },
    },
    backgrounds: ['grey', 'images'],
    p: [0, 0.5],
    seeds: [0],
    pretrain: { method: 'mocov2', epochs: 1 },
  };

  it('a saliency entry with "net" trains a label-free network on the train images and maps with net:RUN', () => {
    const t = targetsOf(grid);
    const train = t['repro.g.snet.snet'];
    expect(train.options.command).toContain('saliency train --images /data/set/train --pseudo rbd+mc --confidence-weight --epochs 3 --out runs/reproduce/g/saliency-net/snet');
    // resumable like the pre-training runs: same arguments resume, others start afresh
    expect(train.options.command).toContain('--resume');
    expect(train.outputs).toEqual(['{workspaceRoot}/runs/reproduce/g/saliency-net/snet', '{workspaceRoot}/runs/reproduce/g/saliency-net/snet.args']);
    const maps = t['repro.g.maps.snet'];
    expect(maps.dependsOn).toContain('repro.g.snet.snet');
    expect(maps.options.command).toContain("--method net:runs/reproduce/g/saliency-net/snet --params '{}'");
    // the grid-level fields never reach the method's parameters
    expect(maps.options.command).not.toMatch(/backgrounds|pseudo/);
    expect(t['repro.g.maps.rbd'].options.command).toContain(`--method rbd --params '{"slic":{"compactness":10}}'`);
    expect(t['repro.g.maps.rbd'].dependsOn).not.toContain('repro.g.snet.snet');
  });

  it('an entry\'s own backgrounds replace the grid\'s for that method only', () => {
    const t = targetsOf(grid);
    const runs = Object.keys(t).filter((k) => k.startsWith('repro.g.pretrain.')).map((k) => k.slice('repro.g.pretrain.'.length)).sort();
    expect(runs).toEqual(['dilo-rbd-grey-p0.5-s0', 'dilo-rbd-images-p0.5-s0', 'dilo-snet-grey-p0.5-s0', 'moco-s0']);
    expect(t['repro.g.pretrain.dilo-snet-grey-p0.5-s0'].dependsOn).toContain('repro.g.maps.snet');
    expect(t['repro.g.pretrain.dilo-snet-grey-p0.5-s0'].options.command).toContain('--maps runs/reproduce/g/maps/snet');
  });

  it('a grid that extends another is the parent with its own fields, pretrain merged key by key', () => {
    const t = targetsOf(grid, { long: { extends: 'g', backgrounds: ['grey'], pretrain: { epochs: 40 } } });
    const runs = Object.keys(t).filter((k) => k.startsWith('repro.long.pretrain.')).map((k) => k.slice('repro.long.pretrain.'.length)).sort();
    expect(runs).toEqual(['dilo-rbd-grey-p0.5-s0', 'dilo-snet-grey-p0.5-s0', 'moco-s0']);
    // the parent's pretrain settings in the parent's order, epochs replaced
    expect(t['repro.long.pretrain.moco-s0'].options.command).toContain('pretrain --data /data/set/train --method mocov2 --epochs 40 --seed 0 --out runs/reproduce/long/moco-s0/pretrain');
    expect(t['repro.g.pretrain.moco-s0'].options.command).toContain('--method mocov2 --epochs 1 --seed 0');
    expect(t['repro.long.snet.snet'].options.command).toContain('--out runs/reproduce/long/saliency-net/snet');
    expect(() => targetsOf(grid, { bad: { extends: 'nope' } })).toThrow("grid bad: extends unknown grid 'nope'");
    expect(() => targetsOf(grid, { a: { extends: 'b' }, b: { extends: 'a' } })).toThrow('"extends" loops');
  });

  it('a method with no backgrounds only supplies the test masks', () => {
    const t = targetsOf({ ...grid, saliency: { rbd: { backgrounds: [] }, snet: grid.saliency.snet } });
    const runs = Object.keys(t).filter((k) => k.startsWith('repro.g.pretrain.')).map((k) => k.slice('repro.g.pretrain.'.length)).sort();
    expect(runs).toEqual(['dilo-snet-grey-p0.5-s0', 'moco-s0']);
    expect(t['repro.g.eval.moco-s0'].options.command).toContain('--masks runs/reproduce/g/testmaps/rbd');
    expect(t['repro.g.eval.moco-s0'].dependsOn).toContain('repro.g.testmaps.rbd');
    // the rbd entry's own settings stay out of the method's --params
    expect(t['repro.g.testmaps.rbd'].options.command).toContain("--method rbd --params '{}'");
  });
});
