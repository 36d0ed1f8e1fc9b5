import type { Argv, CommandModule } from 'yargs';
import { backgroundsCommand } from './backgrounds';
import { camCommand } from './cam';
import { featuresCommand } from './features';
import { knnCommand } from './knn';
import { linearCommand } from './linear';
import { reportCommand } from './report';

export const evalCommand: CommandModule = {
  command: 'eval <command>',
  describe: 'Evaluate features: linear probe, kNN, CAM localization, background robustness, report',
  builder: (y: Argv) =>
    y
      .command(linearCommand)
      .command(knnCommand)
      .command(camCommand)
      .command(backgroundsCommand)
      .command(featuresCommand)
      .command(reportCommand)
      .demandCommand(1, 'Name an eval command (see dilo eval --help).'),
  handler: () => undefined,
};
