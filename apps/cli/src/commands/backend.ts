import type { Argv, CommandModule } from 'yargs';
import { selectBackend, printJsonResult, type BackendName } from '@dilo/core';

export const backendCommand: CommandModule<object, { backend: string; threads?: number; json: boolean }> = {
  command: 'backend',
  describe: 'Show which tensor backend dilo selects here (tensorflow > wasm > cpu)',
  builder: (y: Argv) =>
    y
      .option('backend', { type: 'string', default: 'auto', choices: ['auto', 'tensorflow', 'torch', 'wasm', 'cpu'], describe: 'backend to use (env DILO_BACKEND)' })
      .option('threads', { type: 'number', describe: 'thread count (env DILO_THREADS)' })
      .option('json', { type: 'boolean', default: false }) as unknown as Argv<{ backend: string; threads?: number; json: boolean }>,
  handler: async (a) => {
    const choice = await selectBackend({ backend: a.backend as BackendName | 'auto', threads: a.threads, log: !a.json });
    if (a.json) printJsonResult(choice);
    else process.stdout.write(`${choice.backend} (${choice.provider}), ${choice.threads} thread(s)\n`);
  },
};
