import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { DiloUsageError, printJsonResult } from '@dilo/core';
import { writeFeatures } from '../features';
import { resolveFeatures, sourceOptions, type SourceArgs } from './common';

export const featuresCommand: CommandModule<object, SourceArgs> = {
  command: 'features',
  describe: 'Extract (cached) train and test features to OUT/train.feat and OUT/test.feat (for --features, or numpy)',
  builder: (y: Argv) => sourceOptions(y) as unknown as Argv<SourceArgs>,
  handler: async (a) => {
    if (!a.out) throw new DiloUsageError('--out is required');
    const f = await resolveFeatures(a);
    const files = { train: path.join(a.out, 'train.feat'), test: path.join(a.out, 'test.feat') };
    await writeFeatures(files.train, f.train);
    await writeFeatures(files.test, f.test);
    const result = { kind: 'features', features: f.source, train: { file: files.train, n: f.train.n, d: f.train.d }, test: { file: files.test, n: f.test.n, d: f.test.d }, inputs: f.inputs };
    if (a.json) printJsonResult(result);
    else process.stdout.write(`wrote ${files.train} (${f.train.n}x${f.train.d}) and ${files.test} (${f.test.n}x${f.test.d})\n`);
  },
};
