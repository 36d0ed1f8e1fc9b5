import type { Argv, CommandModule } from 'yargs';
import { DiloUsageError, printJsonResult } from '@dilo/core';
import { knnClassify } from '../knn';
import { pct, resolveFeatures, round, saveResult, sourceOptions, type SourceArgs } from './common';

interface KnnArgs extends SourceArgs {
  k?: number;
  'majority-k': number;
  temperature: number;
}

export const knnCommand: CommandModule<object, KnnArgs> = {
  command: 'knn',
  describe: 'kNN on frozen features: weighted (k=200, T=0.07) and majority vote (k=20), cosine similarity',
  builder: (y: Argv) =>
    sourceOptions(y)
      .option('k', { type: 'number', default: 200, describe: 'neighbours of the weighted vote' })
      .option('majority-k', { type: 'number', default: 20, describe: 'neighbours of the majority vote' })
      .option('temperature', { type: 'number', default: 0.07, describe: 'temperature of the weighted vote' }) as unknown as Argv<KnnArgs>,
  handler: async (a) => {
    for (const [name, v] of [['--k', a.k], ['--majority-k', a['majority-k']]] as const) if (!Number.isInteger(v) || (v as number) < 1) throw new DiloUsageError(`${name} must be a positive integer, got ${v}`);
    if (!(a.temperature > 0)) throw new DiloUsageError(`--temperature must be positive, got ${a.temperature}`);
    const t0 = Date.now();
    const f = await resolveFeatures(a);
    const w = knnClassify(f.train, f.test, { mode: 'weighted', k: a.k, temperature: a.temperature });
    const m = knnClassify(f.train, f.test, { mode: 'majority', k: a['majority-k'] });
    const result = {
      kind: 'knn',
      features: f.source,
      n: w.n,
      weighted: { k: w.k, temperature: w.temperature, top1: round(w.top1), top5: round(w.top5) },
      majority: { k: m.k, top1: round(m.top1), top5: round(m.top5) },
      inputs: f.inputs,
      seconds: round((Date.now() - t0) / 1000, 2),
    };
    await saveResult(a, 'knn', result);
    if (a.json) printJsonResult(result);
    else {
      process.stdout.write(`kNN on ${f.source} (n=${w.n})\n`);
      process.stdout.write(`  weighted k=${w.k} T=${w.temperature}: top-1 ${pct(w.top1)}, top-5 ${pct(w.top5)}\n`);
      process.stdout.write(`  majority k=${m.k}: top-1 ${pct(m.top1)}, top-5 ${pct(m.top5)}\n`);
    }
  },
};
