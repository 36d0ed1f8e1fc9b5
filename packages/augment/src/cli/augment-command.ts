import type { Argv, CommandModule } from 'yargs';
import { DiloUsageError, listImages, printJsonResult } from '@dilo/core';
import { augmentPreview } from '../preview';

interface PreviewArgs {
  images: string;
  maps: string;
  out: string;
  n: number;
  seed: number;
  textures?: string;
  size: number;
  p: number;
  cell: number;
  json: boolean;
}

const previewCommand: CommandModule<object, PreviewArgs> = {
  command: 'preview',
  describe: 'Write a grid image: original, map, copy-paste composites on each background, final query/key views',
  builder: (y: Argv) =>
    y
      .option('images', { type: 'string', demandOption: true, describe: 'folder of images (recursive)' })
      .option('maps', { type: 'string', demandOption: true, describe: 'folder of saliency maps, same relative names as the images' })
      .option('out', { type: 'string', demandOption: true, describe: 'output PNG (written atomically)' })
      .option('n', { type: 'number', default: 8, describe: 'rows (samples) in the grid' })
      .option('seed', { type: 'number', default: 0, describe: 'random seed (which samples, which views)' })
      .option('textures', { type: 'string', describe: 'folder of texture images: adds a texture-background column' })
      .option('size', { type: 'number', default: 224, describe: 'view size of the MoCo v2 pipeline' })
      .option('p', { type: 'number', default: 0.3, describe: 'paste probability of the query/key views' })
      .option('cell', { type: 'number', default: 160, describe: 'side of one grid cell in pixels' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object as the last line' }) as unknown as Argv<PreviewArgs>,
  handler: async (a) => {
    if (!Number.isInteger(a.seed)) throw new DiloUsageError(`--seed must be an integer, got ${a.seed}`);
    if (!Number.isInteger(a.n) || a.n < 1) throw new DiloUsageError(`--n must be a positive integer, got ${a.n}`);
    if (!Number.isInteger(a.size) || a.size < 8 || a.size > 1024) throw new DiloUsageError(`--size must be an integer in 8..1024, got ${a.size}`);
    if (!(a.p >= 0 && a.p <= 1)) throw new DiloUsageError(`--p must be in [0, 1], got ${a.p}`);
    if (!Number.isInteger(a.cell) || a.cell < 16) throw new DiloUsageError(`--cell must be an integer >= 16, got ${a.cell}`);
    const textures = a.textures ? await listImages(a.textures) : undefined;
    if (a.textures && textures?.length === 0) throw new DiloUsageError(`--textures ${a.textures} holds no images`);
    const r = await augmentPreview({ images: a.images, maps: a.maps, out: a.out, n: a.n, seed: a.seed, textures, size: a.size, p: a.p, cell: a.cell });
    if (a.json) printJsonResult(r);
    else {
      process.stdout.write(`Wrote ${r.out} (${r.width}x${r.height}, ${r.rows} rows: ${r.columns.join(' | ')})\n`);
      process.stdout.write(`  inputs: ${r.processed} processed, ${r.skipped} skipped${r.skipped ? ' (listed above)' : ''}\n`);
    }
  },
};

/** `dilo augment <command>`. */
export const augmentCommand: CommandModule = {
  command: 'augment <command>',
  describe: 'DiLo copy-paste augmentation: preview what it does',
  builder: (y: Argv) => y.command(previewCommand).demandCommand(1, 'Name an augment command (see dilo augment --help).'),
  handler: () => undefined,
};
