import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { DiloUsageError, printJsonResult } from '@dilo/core';
import { evaluateCam } from '../cam-eval';
import { fitProbe, pct, probeOptions, probeReport, resolveFeatures, round, saveResult, sourceOptions, type ProbeArgs, type SourceArgs } from './common';

interface CamArgs extends SourceArgs, ProbeArgs {
  tolerance?: number;
  target: 'label' | 'predicted';
  examples: number;
}

export const camCommand: CommandModule<object, CamArgs> = {
  command: 'cam',
  describe: 'Class activation maps of the linear probe over the last conv map: overlays and localization scores against masks',
  builder: (y: Argv) =>
    probeOptions(sourceOptions(y))
      .option('tolerance', { type: 'number', describe: 'pointing-game tolerance in pixels (default: 15 px scaled from 224 px to the crop; 0 = strict)' })
      .option('target', { choices: ['label', 'predicted'] as const, default: 'label' as const, describe: "which class's map is scored" })
      .option('examples', { type: 'number', default: 8, describe: 'overlay PNGs to write under OUT/cam (needs --out)' }) as unknown as Argv<CamArgs>,
  handler: async (a) => {
    if (a.features) throw new DiloUsageError('dilo eval cam needs the encoder for conv maps: --data with --checkpoint or --random-init');
    if (a.tolerance !== undefined && !(a.tolerance >= 0)) throw new DiloUsageError(`--tolerance must be >= 0, got ${a.tolerance}`);
    const t0 = Date.now();
    const f = await resolveFeatures(a, { convMap: true, needMasks: true });
    const probe = fitProbe(f.train, f.test, a); // as `dilo eval linear` with the same flags
    const r = await evaluateCam(f.splits!.test, f.test, probe.model, {
      transform: f.transform!, tolerance: a.tolerance, target: a.target, examples: a.examples, outDir: a.out ? path.join(a.out, 'cam') : undefined,
    });
    const result = {
      kind: 'cam',
      features: f.source,
      n: r.n,
      target: r.target,
      probe: probeReport(probe),
      energyInside: round(r.energyInside),
      pointingAccuracy: round(r.pointingAccuracy),
      maskAreaFraction: round(r.maskAreaFraction),
      tolerance: r.tolerance,
      perClass: r.perClass.map((c) => ({ ...c, energyInside: round(c.energyInside), pointingAccuracy: round(c.pointingAccuracy) })),
      inputs: f.inputs,
      examples: r.examples.map((e) => ({ ...e, file: a.out ? path.relative(a.out, e.file) : e.file, energyInside: round(e.energyInside) })),
      seconds: round((Date.now() - t0) / 1000, 2),
    };
    await saveResult(a, 'cam', result);
    if (a.json) printJsonResult(result);
    else {
      process.stdout.write(`CAM on ${f.source} (n=${r.n}, class: ${r.target}, probe top-1 ${pct(probe.top1)})\n`);
      process.stdout.write(`  energy inside the mask ${pct(r.energyInside)}% (uniform map: ${pct(r.maskAreaFraction)}%), pointing game ${pct(r.pointingAccuracy)}% (tolerance ${r.tolerance} px)\n`);
      if (r.examples.length) process.stdout.write(`  ${r.examples.length} overlays in ${path.join(a.out!, 'cam')}\n`);
    }
  },
};
