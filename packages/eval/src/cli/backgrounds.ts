import type { Argv, CommandModule } from 'yargs';
import { DiloUsageError, printJsonResult } from '@dilo/core';
import { BACKGROUND_VARIANTS } from '../backgrounds';
import { evaluateBackgrounds } from '../backgrounds-eval';
import { synthSplit } from '../synth-data';
import { fitProbe, pct, probeOptions, probeReport, resolveFeatures, round, saveResult, sourceOptions, type ProbeArgs, type SourceArgs } from './common';

type BackgroundsArgs = SourceArgs & ProbeArgs;

export const backgroundsCommand: CommandModule<object, BackgroundsArgs> = {
  command: 'backgrounds',
  describe: 'Background robustness (Backgrounds Challenge): accuracy on original / only-fg / only-bg / mixed-same / mixed-rand, and BG-gap',
  builder: (y: Argv) => probeOptions(sourceOptions(y)) as unknown as Argv<BackgroundsArgs>,
  handler: async (a) => {
    if (a.features) throw new DiloUsageError('dilo eval backgrounds builds image variants, so it needs the encoder: --data with --checkpoint, --random-init or --pixels');
    const t0 = Date.now();
    const f = await resolveFeatures(a, { needMasks: true });
    // the same probe as `dilo eval linear` with the same --seed, --wd-grid and --holdout: its
    // held-out split picks the weight decay, so `original` here equals that command's top-1
    const probe = fitProbe(f.train, f.test, a);
    const splits = f.splits!;
    // the generated dataset's val splits are native variants of val-same
    const native = splits.synth && splits.test.root.endsWith('val-same')
      ? { 'mixed-rand': await synthSplit(a.data!, 'val-mixed-rand'), 'only-fg': await synthSplit(a.data!, 'val-only-fg') }
      : {};
    const r = await evaluateBackgrounds(splits.test, f.extractor!, probe.model, { transform: f.transform!, seed: a.seed, store: a.cache ? undefined : null, native });
    const result = {
      kind: 'backgrounds',
      features: f.source,
      seed: r.seed,
      variants: Object.fromEntries(Object.entries(r.variants).map(([k, v]) => [k, { ...v, top1: round(v.top1), top5: round(v.top5) }])),
      bgGap: r.bgGap === null ? null : round(r.bgGap),
      probe: probeReport(probe),
      inputs: f.inputs,
      seconds: round((Date.now() - t0) / 1000, 2),
    };
    await saveResult(a, 'backgrounds', result);
    if (a.json) printJsonResult(result);
    else {
      process.stdout.write(`background robustness on ${f.source}\n`);
      for (const v of BACKGROUND_VARIANTS) {
        const x = r.variants[v];
        if (x) process.stdout.write(`  ${v.padEnd(11)} top-1 ${pct(x.top1).padStart(6)}  (${x.source}, n=${x.n})\n`);
      }
      if (r.bgGap !== null) process.stdout.write(`  BG-gap (mixed-same - mixed-rand): ${pct(r.bgGap)} points\n`);
    }
  },
};
