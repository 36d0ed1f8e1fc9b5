import type { Argv, CommandModule } from 'yargs';
import { generateSynthDataset, printJsonResult, jobProgress, DiloUsageError } from '@dilo/core';

interface SynthArgs {
  out: string;
  seed: number;
  classes: number;
  size: number;
  train: number;
  val: number;
  correlation: number;
  json: boolean;
}

const synthCommand: CommandModule<object, SynthArgs> = {
  command: 'synth',
  describe: 'Generate the "objects on backgrounds" dataset (deterministic from --seed)',
  builder: (y: Argv) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'output folder (replaced atomically)' })
      .option('seed', { type: 'number', default: 0, describe: 'random seed' })
      .option('classes', { type: 'number', default: 10, describe: 'number of object classes (2-10)' })
      .option('size', { type: 'number', default: 64, describe: 'image side in pixels' })
      .option('train', { type: 'number', default: 2000, describe: 'train images' })
      .option('val', { type: 'number', default: 500, describe: 'images per validation split' })
      .option('correlation', { type: 'number', default: 0.9, describe: 'class-background correlation of train and val-same' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object as the last line' }) as unknown as Argv<SynthArgs>,
  handler: async (a) => {
    if (!Number.isInteger(a.seed)) throw new DiloUsageError(`--seed must be an integer, got ${a.seed}`);
    const progress = jobProgress('synth');
    const t0 = Date.now();
    let summary;
    try {
      summary = await generateSynthDataset({
        out: a.out, seed: a.seed, classes: a.classes, size: a.size, train: a.train, val: a.val, correlation: a.correlation,
        onProgress: progress.onProgress,
      });
    } catch (err) {
      if (err instanceof RangeError) throw new DiloUsageError(err.message);
      throw err;
    } finally {
      progress.stop();
    }
    const result = {
      out: summary.out,
      seed: summary.seed,
      size: summary.size,
      classes: summary.classes,
      counts: Object.fromEntries(Object.entries(summary.splits).map(([k, v]) => [k, v.count])),
      correlation: Object.fromEntries(Object.entries(summary.splits).map(([k, v]) => [k, +v.correlation.toFixed(4)])),
      correlationTarget: summary.correlationTarget,
      seconds: +((Date.now() - t0) / 1000).toFixed(2),
    };
    if (a.json) printJsonResult(result);
    else {
      process.stdout.write(`Generated ${summary.out} (${summary.size}px, ${summary.classes.length} classes) in ${result.seconds}s\n`);
      for (const [k, v] of Object.entries(summary.splits)) process.stdout.write(`  ${k.padEnd(15)} ${String(v.count).padStart(6)} images, class-background correlation ${v.correlation.toFixed(3)}\n`);
    }
  },
};

export const dataCommand: CommandModule = {
  command: 'data <command>',
  describe: 'Datasets: generate the default dataset',
  builder: (y: Argv) => y.command(synthCommand).demandCommand(1, 'Name a data command (see dilo data --help).'),
  handler: () => undefined,
};
