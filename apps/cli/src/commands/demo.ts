import type { Argv, CommandModule } from 'yargs';
import * as path from 'node:path';
import { printJsonResult, findWorkspaceRoot, DiloUsageError } from '@dilo/core';
import { runDemo, type DemoSummary } from '../pipeline/demo';
import { DEMO_DEFAULTS, type DemoConfig } from '../pipeline/demo-config';

interface DemoArgs {
  data?: string;
  out?: string;
  seed: number;
  epochs?: number;
  'dilo-p'?: number;
  background?: string;
  'max-steps'?: number;
  json: boolean;
}

function pct(v: number): string {
  return (100 * v).toFixed(1).padStart(6);
}

function printTable(s: DemoSummary): void {
  const { moco, dilo } = s.runs;
  const rows: [string, number, number][] = [
    ['linear top-1 (val-same)', moco.linearTop1, dilo.linearTop1],
    ['kNN top-1 (val-same)', moco.knnTop1, dilo.knnTop1],
    ...Object.keys(moco.backgrounds).map((k) => [`background ${k}`, moco.backgrounds[k], dilo.backgrounds[k]] as [string, number, number]),
    ['BG-gap (mixed-same - mixed-rand)', moco.bgGap, dilo.bgGap],
    ['CAM energy inside mask', moco.camEnergyInside, dilo.camEnergyInside],
    ['CAM pointing game', moco.camPointing, dilo.camPointing],
  ];
  process.stdout.write(`\ndilo demo (${s.wallSeconds.toFixed(0)} s): MoCo v2 vs MoCo v2 + DiLo (p=${dilo.diloP}, ${s.config.dilo.background})\n`);
  process.stdout.write(`${'metric'.padEnd(34)}${'MoCo v2'.padStart(9)}${'+ DiLo'.padStart(9)}\n`);
  for (const [name, a, b] of rows) process.stdout.write(`${name.padEnd(34)}${pct(a)}%  ${pct(b)}%\n`);
  process.stdout.write(`\nreport: ${s.report}\n`);
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'DiLo end to end on the generated dataset: saliency, MoCo v2 with and without DiLo, evaluation, report',
  builder: (y: Argv) =>
    y
      .option('data', { type: 'string', describe: 'dataset folder (default <workspace>/data/objects-on-backgrounds-s<seed>)' })
      .option('out', { type: 'string', describe: 'run folder (default <workspace>/runs/demo-s<seed>)' })
      .option('seed', { type: 'number', default: DEMO_DEFAULTS.seed, describe: 'seed of the dataset and of both pre-training runs' })
      .option('epochs', { type: 'number', describe: `pre-training epochs (default ${DEMO_DEFAULTS.pretrain.epochs})` })
      .option('max-steps', { type: 'number', describe: 'stop each pre-training run after this many steps (smoke runs)' })
      .option('dilo-p', { type: 'number', describe: `DiLo paste probability of the second run (default ${DEMO_DEFAULTS.dilo.p})` })
      .option('background', { type: 'string', describe: `DiLo background of the second run: grey, images (other training images) or textures:DIR (default ${DEMO_DEFAULTS.dilo.background})` })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object as the last line' }) as unknown as Argv<DemoArgs>,
  handler: async (a) => {
    if (!Number.isInteger(a.seed)) throw new DiloUsageError(`--seed must be an integer, got ${a.seed}`);
    if (a.epochs !== undefined && !(Number.isInteger(a.epochs) && a.epochs > 0)) throw new DiloUsageError(`--epochs must be a positive integer, got ${a.epochs}`);
    if (a.background !== undefined && !/^(grey|images|textures:.+)$/.test(a.background)) throw new DiloUsageError(`--background must be grey, images or textures:DIR, got '${a.background}'`);
    const root = findWorkspaceRoot();
    const cfg: DemoConfig = {
      ...DEMO_DEFAULTS,
      seed: a.seed,
      pretrain: { ...DEMO_DEFAULTS.pretrain, epochs: a.epochs ?? DEMO_DEFAULTS.pretrain.epochs, maxSteps: a['max-steps'] ?? null },
      dilo: { ...DEMO_DEFAULTS.dilo, p: a['dilo-p'] ?? DEMO_DEFAULTS.dilo.p, background: a.background ?? DEMO_DEFAULTS.dilo.background },
    };
    const data = path.resolve(a.data ?? path.join(root, 'data', `objects-on-backgrounds-s${a.seed}`));
    const out = path.resolve(a.out ?? path.join(root, 'runs', `demo-s${a.seed}`));
    const s = await runDemo(cfg, data, out);
    if (a.json) printJsonResult(s);
    else printTable(s);
  },
};
