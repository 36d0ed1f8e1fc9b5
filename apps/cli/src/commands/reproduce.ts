import type { Argv, CommandModule } from 'yargs';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { printJsonResult, findWorkspaceRoot, writeFileAtomic, DiloInputError, DiloUsageError } from '@dilo/core';
import { evaluateRun, type EvalRunSummary } from '../pipeline/demo';
import { meanStd, pairedDifference } from '../pipeline/seed-stats';

interface EvalArgs { run: string; data: string; seed: number; 'test-split'?: string; masks?: string; localization?: boolean; json: boolean }
interface TableArgs { grid: string; config?: string; dir?: string; json: boolean }

const evalCommand: CommandModule<object, EvalArgs> = {
  command: 'eval',
  describe: 'Evaluate one reproduction run (linear, kNN, and with masks background robustness and CAM); writes RUN/eval/summary.json',
  builder: (y: Argv) =>
    y
      .option('run', { type: 'string', demandOption: true, describe: 'reproduction run folder (holds pretrain/)' })
      .option('data', { type: 'string', demandOption: true, describe: 'dataset root' })
      .option('seed', { type: 'number', default: 0 })
      .option('test-split', { type: 'string', describe: 'test split folder under --data' })
      .option('masks', { type: 'string', describe: 'masks of the test split (default: the dataset\'s own when present)' })
      .option('localization', { type: 'boolean', describe: 'background robustness and CAM (default: when masks exist)' })
      .option('json', { type: 'boolean', default: false }) as unknown as Argv<EvalArgs>,
  handler: async (a) => {
    const pre = path.join(a.run, 'pretrain');
    if (!existsSync(pre)) throw new DiloUsageError(`${pre} does not exist: run the pretrain task first`);
    const split = a['test-split'];
    const hasMasks = !!a.masks || existsSync(path.join(a.data, 'masks', split ?? 'val-same'));
    const e = await evaluateRun(path.basename(a.run), { run: pre, data: a.data, seed: a.seed, testSplit: split, masks: a.masks, localization: a.localization ?? hasMasks });
    await writeFileAtomic(path.join(a.run, 'eval', 'summary.json'), JSON.stringify(e, null, 2));
    if (a.json) printJsonResult(e);
    else process.stdout.write(`${JSON.stringify(e, null, 2)}\n`);
  },
};

const METRICS: [string, (e: EvalRunSummary) => number | null][] = [
  ['linearTop1', (e) => e.linearTop1],
  ['knnTop1', (e) => e.knnTop1],
  ['mixedRand', (e) => e.backgrounds?.['mixed-rand'] ?? null],
  ['mixedSame', (e) => e.backgrounds?.['mixed-same'] ?? null],
  ['onlyFg', (e) => e.backgrounds?.['only-fg'] ?? null],
  ['onlyBg', (e) => e.backgrounds?.['only-bg'] ?? null],
  ['bgGap', (e) => e.bgGap],
  ['camEnergyInside', (e) => e.camEnergyInside],
  ['camPointing', (e) => e.camPointing],
];

/**
 * A run's pre-training cost from its pretrain/metrics.jsonl: the time in training steps plus the
 * time waiting for views, summed over the logged steps (start-up and checkpoint writes left out),
 * so a resumed run counts each step once. null when the run has no log, or when its log predates
 * the data-wait field (then the wait is unknown and the time would be undercounted).
 */
export function pretrainCost(runDir: string): { seconds: number; imgPerSec: number; dataShare: number } | null {
  const file = path.join(runDir, 'pretrain', 'metrics.jsonl');
  if (!existsSync(file)) return null;
  let batch: number | null = null;
  let seconds = 0, data = 0, steps = 0;
  for (const [i, line] of readFileSync(file, 'utf8').split('\n').entries()) {
    if (!line.trim()) continue;
    let e: { event?: string; config?: { batch?: number }; stepSeconds?: number; dataSeconds?: number };
    try {
      e = JSON.parse(line);
    } catch {
      throw new DiloInputError(file, `line ${i + 1} is not JSON`);
    }
    if (e.event === 'start' && batch === null) batch = e.config?.batch ?? null;
    if (e.event !== 'step') continue;
    if (typeof e.dataSeconds !== 'number' || typeof e.stepSeconds !== 'number') return null;
    seconds += e.stepSeconds + e.dataSeconds;
    data += e.dataSeconds;
    steps++;
  }
  if (batch === null || steps === 0 || seconds <= 0) return null;
  return { seconds, imgPerSec: (steps * batch) / seconds, dataShare: data / seconds };
}

type PretrainCost = NonNullable<ReturnType<typeof pretrainCost>>;

/** mean ± std over seeds of one pre-training cost figure, with the per-seed values */
function costStat(runs: Map<string, PretrainCost>, k: keyof PretrainCost) {
  const perSeed = Object.fromEntries([...runs].map(([seed, c]) => [seed, c[k]]));
  return { ...meanStd(Object.values(perSeed)), perSeed };
}

const tableCommand: CommandModule<object, TableArgs> = {
  command: 'table',
  describe: 'Results table of a reproduction grid: mean ± std over seeds for every configuration, and each DiLo configuration minus MoCo on the same seeds',
  builder: (y: Argv) =>
    y
      .option('grid', { type: 'string', demandOption: true, describe: 'grid name in apps/cli/reproduce.json' })
      .option('config', { type: 'string', describe: 'grid file (default apps/cli/reproduce.json)' })
      .option('dir', { type: 'string', describe: "the grid's runs (default runs/reproduce/<grid> in the workspace)" })
      .option('json', { type: 'boolean', default: false }) as unknown as Argv<TableArgs>,
  handler: async (a) => {
    const root = findWorkspaceRoot();
    const file = a.config ?? path.join(root, 'apps', 'cli', 'reproduce.json');
    const spec = JSON.parse(readFileSync(file, 'utf8')) as { grids: Record<string, unknown> };
    if (!spec.grids[a.grid]) throw new DiloUsageError(`no grid '${a.grid}' in ${file} (have: ${Object.keys(spec.grids).join(', ')})`);
    const dir = a.dir ?? path.join(root, 'runs', 'reproduce', a.grid);
    // config -> seed -> evaluation
    const groups = new Map<string, Map<string, EvalRunSummary>>();
    const costs = new Map<string, Map<string, PretrainCost>>();
    const missing: string[] = [];
    const unnamed: string[] = [];
    for (const name of existsSync(dir) ? readdirSync(dir).sort() : []) {
      // maps/, testmaps/, saliency-net/ and table.json are the grid's own, not runs
      if (name === 'maps' || name === 'testmaps' || name === 'saliency-net' || !statSync(path.join(dir, name)).isDirectory()) continue;
      const f = path.join(dir, name, 'eval', 'summary.json');
      if (!existsSync(f)) { missing.push(name); continue; }
      const m = /^(.+)-(s\d+)$/.exec(name);
      // every grid run is <config>-s<seed>; anything else is reported, not grouped under a guessed seed
      if (!m) { unnamed.push(name); continue; }
      const [, key, seed] = m;
      if (!groups.has(key)) groups.set(key, new Map());
      groups.get(key)!.set(seed, JSON.parse(readFileSync(f, 'utf8')) as EvalRunSummary);
      const cost = pretrainCost(path.join(dir, name));
      if (cost) {
        if (!costs.has(key)) costs.set(key, new Map());
        costs.get(key)!.set(seed, cost);
      }
    }
    const perSeed = (runs: Map<string, EvalRunSummary>, get: (e: EvalRunSummary) => number | null) =>
      Object.fromEntries([...runs].map(([seed, e]) => [seed, get(e)]).filter((kv): kv is [string, number] => kv[1] !== null));
    const rows = [...groups.entries()].map(([config, runs]) => ({
      config,
      seeds: runs.size,
      ...Object.fromEntries(METRICS.map(([m, get]) => {
        const xs = perSeed(runs, get);
        return [m, Object.keys(xs).length ? { ...meanStd(Object.values(xs)), perSeed: xs } : null];
      })),
      // what the configuration costs to pre-train (runs whose log has the data-wait field)
      pretrain: costs.has(config) ? { seconds: costStat(costs.get(config)!, 'seconds'), imgPerSec: costStat(costs.get(config)!, 'imgPerSec'), dataShare: costStat(costs.get(config)!, 'dataShare') } : null,
    }));
    // every DiLo configuration against plain MoCo on the same seeds (treatment minus baseline)
    const baseline = groups.get('moco');
    const paired = baseline ? [...groups.entries()].filter(([c]) => c !== 'moco').map(([config, runs]) => ({
      config,
      against: 'moco',
      ...Object.fromEntries(METRICS.map(([m, get]) => [m, pairedDifference(perSeed(runs, get), perSeed(baseline, get))])),
    })) : [];
    const result = { grid: a.grid, rows, paired, missing, unnamed };
    await writeFileAtomic(path.join(dir, 'table.json'), JSON.stringify(result, null, 2));
    if (a.json) { printJsonResult(result); return; }
    const cell = (r: object, m: string) => (r as Record<string, unknown>)[m];
    const fmt = (v: unknown) => { const x = v as { mean: number; std: number } | null; return x ? `${(100 * x.mean).toFixed(1)} ± ${(100 * x.std).toFixed(1)}` : '–'; };
    process.stdout.write(`${'config'.padEnd(32)}${METRICS.map(([m]) => m.padStart(16)).join('')}\n`);
    for (const r of rows) process.stdout.write(`${`${r.config} (${r.seeds})`.padEnd(32)}${METRICS.map(([m]) => fmt(cell(r, m)).padStart(16)).join('')}\n`);
    if (paired.length) {
      process.stdout.write('\npaired difference vs moco, same seeds: mean ± std of the differences (seeds higher / seeds, two-sided paired-t p)\n');
      const fmtD = (v: unknown) => { const d = v as ReturnType<typeof pairedDifference>; return d ? `${(100 * d.mean) >= 0 ? '+' : ''}${(100 * d.mean).toFixed(1)} ± ${(100 * d.std).toFixed(1)} (${d.higher}/${d.n}${d.p === null ? '' : `, p ${d.p.toFixed(2)}`})` : '–'; };
      for (const r of paired) process.stdout.write(`${r.config.padEnd(32)}${METRICS.map(([m]) => `${m} ${fmtD(cell(r, m))}`).join('; ')}\n`);
    }
    const timed = rows.filter((r) => r.pretrain);
    if (timed.length) {
      process.stdout.write('\npre-training, mean ± std over the seeds with a timed log: seconds in steps + waiting for views; img/s; share of it waiting\n');
      for (const r of timed) {
        const c = r.pretrain!;
        process.stdout.write(`${`${r.config} (${c.seconds.n})`.padEnd(32)}${`${c.seconds.mean.toFixed(0)} ± ${c.seconds.std.toFixed(0)} s`.padStart(16)}${`${c.imgPerSec.mean.toFixed(1)} img/s`.padStart(16)}${`wait ${(100 * c.dataShare.mean).toFixed(1)}%`.padStart(14)}\n`);
      }
    }
    if (missing.length) process.stdout.write(`runs without evaluation: ${missing.join(', ')}\n`);
    if (unnamed.length) process.stdout.write(`folders that are not <config>-s<seed> runs (ignored): ${unnamed.join(', ')}\n`);
  },
};

export const reproduceCommand: CommandModule = {
  command: 'reproduce <command>',
  describe: 'Reproduction grid pieces (the Nx tasks of `nx run cli:reproduce:<grid>` call these)',
  builder: (y: Argv) => y.command(evalCommand).command(tableCommand).demandCommand(1, 'Name a reproduce command (eval, table).'),
  handler: () => undefined,
};
