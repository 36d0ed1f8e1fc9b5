import type { Argv, CommandModule } from 'yargs';
import { type BackendName, DiloUsageError, printJsonResult, selectBackend } from '@dilo/core';
import { registerWasmTrainingKernels, type ResNetArch } from '@dilo/contrastive';
import { resolveTrainConfig, trainDetector, VOC_SHORT_SIDES } from '../train/train';

interface TrainArgs {
  data?: string;
  init?: string;
  arch?: ResNetArch;
  width?: number;
  iters?: number;
  out: string;
  batch: number;
  'short-sides'?: string;
  'max-size': number;
  flip: boolean;
  lr?: number;
  'warmup-iters': number;
  'rpn-batch': number;
  'roi-batch': number;
  'freeze-at': number;
  'train-proposals': number;
  'test-proposals': number;
  'checkpoint-every': number;
  seed: number;
  resume: boolean;
  'stop-after'?: number;
  backend?: string;
  quiet: boolean;
  json: boolean;
}

export function parseShortSides(s: string): number[] {
  const v = s.split(',').map((x) => Number(x.trim()));
  if (!v.length || v.some((x) => !Number.isInteger(x) || x < 32)) throw new DiloUsageError(`--short-sides must be comma-separated integers >= 32, got '${s}'`);
  return v;
}

/** Choose the tensor backend for training; wasm needs the conv-gradient kernels that @dilo/contrastive registers. */
export async function trainingBackend(backend?: string): Promise<void> {
  const choice = await selectBackend(backend ? { backend: backend as BackendName } : {});
  if (choice.backend === 'wasm') registerWasmTrainingKernels();
}

export const detectTrainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'Fine-tune Faster R-CNN C4 (ResNet trunk, res5 box head, frozen BN) on VOC or COCO data',
  builder: (y: Argv) =>
    y
      .option('data', { type: 'string', describe: 'voc:DIR[:SPLIT] (VOCdevkit year folder) or coco:JSON:IMAGES' })
      .option('init', { type: 'string', describe: 'backbone: a dilo pre-training RUN (or .dckpt), random, or imagenet:FILE (torchvision-named .dckpt)' })
      .option('arch', { choices: ['resnet18', 'resnet50'] as const, describe: 'backbone (taken from the checkpoint for RUN; default resnet50 for random)' })
      .option('width', { type: 'number', describe: 'channel width multiplier (random init; checked against checkpoints)' })
      .option('iters', { type: 'number', describe: 'training iterations (VOC recipe: 24000 at batch 16)' })
      .option('out', { type: 'string', demandOption: true, describe: 'run folder: checkpoints/last.dckpt, metrics.jsonl' })
      .option('batch', { type: 'number', default: 2, describe: 'images per iteration (1-2 on a CPU)' })
      .option('short-sides', { type: 'string', describe: `training short sides, one drawn per image (default ${VOC_SHORT_SIDES.join(',')})` })
      .option('max-size', { type: 'number', default: 1333, describe: 'cap on the long side' })
      .option('flip', { type: 'boolean', default: true, describe: 'random horizontal flips (--no-flip to turn off)' })
      .option('lr', { type: 'number', describe: 'base learning rate (default 0.02 x batch / 16)' })
      .option('warmup-iters', { type: 'number', default: 100, describe: 'linear warmup from lr x 0.001' })
      .option('rpn-batch', { type: 'number', default: 256, describe: 'anchors sampled per image for the RPN loss' })
      .option('roi-batch', { type: 'number', default: 512, describe: 'proposals sampled per image for the box head' })
      .option('freeze-at', { type: 'number', default: 2, describe: 'detectron2 FREEZE_AT: 0 trains all convs, 2 fixes stem and res2' })
      .option('train-proposals', { type: 'number', default: 2000, describe: 'RPN proposals kept after NMS in training' })
      .option('test-proposals', { type: 'number', default: 1000, describe: 'RPN proposals kept after NMS at test time (saved in the model)' })
      .option('checkpoint-every', { type: 'number', default: 500, describe: 'iterations between atomic checkpoints' })
      .option('seed', { type: 'number', default: 0 })
      .option('resume', { type: 'boolean', default: false, describe: 'continue --out from its last checkpoint (--iters may extend the run)' })
      .option('stop-after', { type: 'number', describe: 'stop after this many iterations of this invocation, with a checkpoint (continue with --resume)' })
      .option('backend', { type: 'string', describe: 'tensor backend: auto (default: the best available), tensorflow, torch, wasm or cpu' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object as the last line' }) as unknown as Argv<TrainArgs>,
  handler: async (a) => {
    const positive = (v: number | undefined, name: string) => {
      if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new DiloUsageError(`--${name} must be a positive integer, got ${v}`);
    };
    positive(a.iters, 'iters');
    positive(a.batch, 'batch');
    positive(a['rpn-batch'], 'rpn-batch');
    positive(a['roi-batch'], 'roi-batch');
    positive(a['checkpoint-every'], 'checkpoint-every');
    positive(a['stop-after'], 'stop-after');
    if (a.width !== undefined && !(a.width > 0)) throw new DiloUsageError(`--width must be positive, got ${a.width}`);
    let cfg = null;
    if (!a.resume) {
      if (!a.data || !a.init || a.iters === undefined) throw new DiloUsageError('detect train needs --data, --init and --iters (or --resume)');
      cfg = resolveTrainConfig({
        data: a.data,
        init: a.init,
        arch: a.arch,
        width: a.width,
        iters: a.iters,
        batch: a.batch,
        ...(a['short-sides'] ? { shortSides: parseShortSides(a['short-sides']) } : {}),
        maxSize: a['max-size'],
        flip: a.flip,
        ...(a.lr !== undefined ? { lr: a.lr } : {}),
        warmupIters: a['warmup-iters'],
        rpnBatchPerImage: a['rpn-batch'],
        roiBatchPerImage: a['roi-batch'],
        freezeAt: a['freeze-at'],
        trainProposals: a['train-proposals'],
        testProposals: a['test-proposals'],
        checkpointEvery: a['checkpoint-every'],
        seed: a.seed,
      });
    } else if (a.data || a.init) throw new DiloUsageError('--resume continues the run as it was configured; drop --data/--init');
    await trainingBackend(a.backend);
    const r = await trainDetector(a.out, cfg, { resume: a.resume, iters: a.resume ? a.iters : undefined, quiet: a.quiet, stopAfter: a['stop-after'] });
    if (a.json) printJsonResult(r);
    else process.stdout.write(`detect train: ${r.iters} iterations in ${a.out} (${r.imgPerSec.toFixed(2)} img/s this run, last loss ${r.lastLoss.toFixed(4)}); checkpoint ${r.checkpoint}; inputs ${r.inputs.processed} trained on, ${r.inputs.skipped} skipped${r.inputs.skipped ? ' (listed above)' : ''}\n`);
  },
};
