import type { Argv, CommandModule } from 'yargs';
import { DiloUsageError, printJsonResult, decodeImage } from '@dilo/core';
import { mocoLinearProbe } from '../probe-moco';
import { mocoLinearProbeImages } from '../probe-moco-images';
import { fitProbe, pct, probeOptions, resolveExtractor, resolveFeatures, resolveSplits, round, saveResult, sourceOptions, type ProbeArgs, type SourceArgs } from './common';

interface LinearArgs extends SourceArgs, ProbeArgs {
  protocol: 'fast' | 'moco' | 'moco-images';
  epochs: number;
  lr: number;
  'batch-size': number;
}

export const linearCommand: CommandModule<object, LinearArgs> = {
  command: 'linear',
  describe: 'Linear probe: fast L-BFGS logistic regression with a weight-decay search, or the MoCo SGD protocol',
  builder: (y: Argv) =>
    probeOptions(sourceOptions(y))
      .option('protocol', { choices: ['fast', 'moco', 'moco-images'] as const, default: 'fast' as const, describe: 'fast: L-BFGS on cached features; moco: SGD lr 30 on cached features; moco-images: SGD with RandomResizedCrop+flip through the encoder' })
      .option('epochs', { type: 'number', default: 100, describe: 'MoCo protocol epochs (lr x0.1 at 60% and 80%)' })
      .option('lr', { type: 'number', default: 30, describe: 'MoCo protocol learning rate' })
      .option('batch-size', { type: 'number', default: 256, describe: 'MoCo protocol batch size' }) as unknown as Argv<LinearArgs>,
  handler: async (a) => {
    const t0 = Date.now();
    let result: Record<string, unknown>;
    if (a.protocol === 'moco-images') {
      const extractor = await resolveExtractor(a);
      if (!extractor) throw new DiloUsageError('--protocol moco-images needs an encoder: --checkpoint, --random-init or --pixels, with --data');
      const splits = await resolveSplits(a, false);
      const crop = a.crop ?? extractor.inputSize ?? Math.min(224, (await decodeImage(splits.test.samples[0].image)).width);
      const r = await mocoLinearProbeImages(extractor, splits.train, splits.test, { crop, epochs: a.epochs, lr: a.lr, batchSize: a['batch-size'], seed: a.seed, store: a.cache ? undefined : null });
      result = { protocol: a.protocol, features: extractor.name, top1: r.top1, top5: r.top5, n: r.n, epochs: r.epochs, crop, history: r.history, inputs: splits.inputs };
    } else {
      const f = await resolveFeatures(a);
      if (a.protocol === 'moco') {
        const r = mocoLinearProbe(f.train, f.test, { epochs: a.epochs, lr: a.lr, batchSize: a['batch-size'], seed: a.seed });
        result = { protocol: a.protocol, features: f.source, top1: r.top1, top5: r.top5, n: r.n, epochs: r.epochs, history: r.history, inputs: f.inputs };
      } else {
        const r = fitProbe(f.train, f.test, a, (e) => process.stderr.write(`linear: ${e.phase} wd=${e.wd}${e.heldOutTop1 !== undefined ? ` held-out top-1 ${pct(e.heldOutTop1)}` : ''}\n`));
        result = { protocol: a.protocol, features: f.source, top1: r.top1, top5: r.top5, n: r.n, wd: r.wd, trainTop1: r.trainTop1, search: r.search, iterations: r.iterations, converged: r.converged, inputs: f.inputs };
      }
    }
    result = { kind: 'linear', ...result, top1: round(result.top1 as number), top5: round(result.top5 as number), seconds: round((Date.now() - t0) / 1000, 2) };
    await saveResult(a, 'linear', result);
    if (a.json) printJsonResult(result);
    else process.stdout.write(`linear probe (${a.protocol}) on ${result.features}: top-1 ${pct(result.top1 as number)}, top-5 ${pct(result.top5 as number)} (n=${result.n})\n`);
  },
};
