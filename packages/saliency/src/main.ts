#!/usr/bin/env node
/**
 * Stand-alone entry for the saliency commands (`node dist/main.js saliency ...`), used by the Nx
 * targets so they need only this package built, not the whole CLI.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DiloUsageError, EXIT_SKIPPED_INPUTS, skippedInputsThisRun } from '@dilo/core';
import { saliencyCommand } from './cli';

yargs(hideBin(process.argv))
  .scriptName('dilo')
  .command(saliencyCommand as never)
  .demandCommand(1)
  .strict()
  .fail((msg, err) => {
    if (err) throw err;
    throw new DiloUsageError(msg);
  })
  .parseAsync()
  .then(() => {
    if (skippedInputsThisRun() > 0) process.exitCode = EXIT_SKIPPED_INPUTS;
  })
  .catch((err: unknown) => {
    const usage = err instanceof DiloUsageError;
    process.stderr.write(`dilo: ${usage ? '' : 'error: '}${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = usage ? 2 : 1;
  });
