import yargs, { type Argv, type CommandModule } from 'yargs';
import { DiloInputError, DiloUsageError, EXIT_SKIPPED_INPUTS, resetSkippedInputs, skippedInputsThisRun } from '@dilo/core';
import { dataCommand } from './commands/data';
import { demoCommand } from './commands/demo';
import { backendCommand } from './commands/backend';
import { reproduceCommand } from './commands/reproduce';
import { pretrainCommand } from '@dilo/contrastive';
import { evalCommand } from '@dilo/eval';
import { makeSaliencyCommand } from '@dilo/saliency';
import { saliencyTrainCommand } from '@dilo/saliency-net';
import { detectCommand } from '@dilo/detection';
import { augmentCommand } from '@dilo/augment';
import { convertCommand, exportCommand } from '@dilo/interop';

/** Every sub-command, in --help order. Stage packages contribute theirs here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const COMMANDS: CommandModule<any, any>[] = [demoCommand, dataCommand, backendCommand, evalCommand, detectCommand, makeSaliencyCommand([saliencyTrainCommand as CommandModule]), augmentCommand, pretrainCommand, convertCommand, exportCommand, reproduceCommand];

/** Exit codes: 0 ok, 1 failure, 2 usage error, 3 finished but skipped some inputs (each named on stderr). */
export async function runCli(argv: string[]): Promise<number> {
  let usageError = false;
  resetSkippedInputs();
  const parser: Argv = yargs(argv)
    .scriptName('dilo')
    .usage('$0 <command> [options]\n\nDiLo: saliency, copy-paste augmentation, MoCo pre-training, evaluation and detection.')
    .command(COMMANDS)
    .demandCommand(1, 'Name a command (see --help).')
    .exitProcess(false)
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      if (err) throw err;
      usageError = true;
      process.stderr.write(`dilo: ${msg}\nRun 'dilo --help' for usage.\n`);
    });
  try {
    await parser.parseAsync();
    return usageError ? 2 : skippedInputsThisRun() > 0 ? EXIT_SKIPPED_INPUTS : 0;
  } catch (err) {
    if (err instanceof DiloUsageError) {
      process.stderr.write(`dilo: ${err.message}\n`);
      return 2;
    }
    if (err instanceof DiloInputError) {
      process.stderr.write(`dilo: error: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`dilo: error: ${err instanceof Error ? (process.env.DILO_DEBUG ? err.stack : err.message) : String(err)}\n`);
    return 1;
  }
}
