import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { DiloInputError, DiloUsageError, markSkippedInputs, printJsonResult, screenManifest, selectBackend, SkipReport, type BackendName, type Collectives, type Manifest } from '@dilo/core';
import { distEnvFrom, joinProcessGroup, launchLocal } from './launch';
import { defaultKeyBnGroups } from './moco';
import { pretrain, resolveConfig, type PretrainConfig, type PretrainConfigInput } from './pretrain';
import { registerWasmTrainingKernels } from './wasm-kernels';
import { AugmentViewSource } from './augment-source';
import { SimpleViewSource, trainingManifest } from './views';
import { RESNET_ARCHS } from './resnet';

export interface PretrainArgs {
  config?: string;
  data?: string;
  method?: string;
  arch?: string;
  width?: number;
  'small-stem'?: boolean;
  size?: number;
  epochs?: number;
  'max-steps'?: number;
  batch?: number;
  seed?: number;
  out?: string;
  resume?: string;
  backend: string;
  lr?: number;
  schedule?: string;
  queue?: number;
  'moco-m'?: number;
  'moco-t'?: number;
  'key-bn-groups'?: number;
  'checkpoint-every'?: number;
  'dilo-p'?: number;
  background?: string;
  maps?: string;
  views?: string;
  workers?: number;
  'skip-bad'?: boolean;
  'query-bn-groups'?: number;
  nproc?: number;
  'dist-timeout'?: number;
  'bucket-mb'?: number;
  json: boolean;
}

/**
 * The training images, each decoded once before training starts. A bad file stops the run here,
 * with the whole list, unless skipBad: then the run trains on the rest (the skips are reported and
 * the exit code is 3). A run never dies at step 40,000 on a truncated JPEG.
 */
export async function screenTrainingImages(data: string, skipBad: boolean, quiet = false): Promise<{ manifest: Manifest; report: SkipReport }> {
  const manifest = await trainingManifest(data);
  const report = quiet ? new SkipReport(() => undefined) : new SkipReport();
  const screened = await screenManifest(manifest, { report });
  if (report.skipped > 0 && !skipBad) {
    throw new DiloInputError(data, `${report.skipped} of ${manifest.samples.length + (manifest.unreadable?.length ?? 0)} training image(s) cannot be read (listed above): fix or remove them, or pass --skip-bad to train on the other ${screened.samples.length}`);
  }
  if (screened.samples.length === 0) throw new DiloInputError(data, 'no readable training images');
  return { manifest: screened, report };
}

/** Keys of a --config JSON file, with the CLI's option names (camelCase also accepted). */
const CONFIG_KEYS = [
  'data', 'method', 'arch', 'width', 'small-stem', 'size', 'epochs', 'max-steps', 'batch', 'seed', 'out', 'resume', 'backend', 'lr', 'schedule',
  'queue', 'moco-m', 'moco-t', 'key-bn-groups', 'checkpoint-every', 'dilo-p', 'background', 'maps', 'views', 'workers', 'skip-bad', 'query-bn-groups',
];

function camel(k: string): string {
  return k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Merge a JSON config file under the command line (command-line values win). */
async function withConfigFile(a: PretrainArgs, given: Set<string>): Promise<PretrainArgs> {
  if (!a.config) return a;
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(await fs.readFile(a.config, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new DiloInputError(a.config, `cannot read the config as JSON (${(err as Error).message})`);
  }
  const out: Record<string, unknown> = { ...a };
  const base = path.dirname(path.resolve(a.config));
  for (const [k, v] of Object.entries(obj)) {
    const key = CONFIG_KEYS.find((c) => c === k || camel(c) === k);
    if (!key) throw new DiloInputError(a.config, `unknown key '${k}' (expected ${CONFIG_KEYS.join(', ')})`);
    if (given.has(key)) continue;
    // paths in a config file are relative to the file
    out[key] = ['data', 'out', 'resume', 'maps'].includes(key) && typeof v === 'string' ? path.resolve(base, v) : v;
  }
  return out as unknown as PretrainArgs;
}

/** Key BN groups of a data-parallel run: the one-process default when every process gets whole groups, else one per process. */
function distKeyGroups(batch: number, world: number): number {
  const g = defaultKeyBnGroups(batch);
  return g % world === 0 ? g : world;
}

function need<T>(v: T | undefined, flag: string): T {
  if (v === undefined || v === null) throw new DiloUsageError(`--${flag} is required (or give it in --config)`);
  return v;
}

export const pretrainCommand: CommandModule<object, PretrainArgs> = {
  command: 'pretrain',
  describe: 'Pre-train a ResNet with MoCo v1/v2 (optionally with DiLo copy-paste views); resumable',
  builder: (y: Argv) =>
    y
      .option('config', { type: 'string', describe: 'JSON file with any of these options (command line wins)' })
      .option('data', { type: 'string', describe: 'training images (ImageFolder layout or a plain folder)' })
      .option('method', { type: 'string', choices: ['mocov1', 'mocov2'], describe: 'MoCo v1 (linear head, T 0.07, step lr) or v2 (MLP head, T 0.2, cosine)' })
      .option('arch', { type: 'string', choices: [...RESNET_ARCHS], describe: 'backbone' })
      .option('width', { type: 'number', describe: 'channel width multiplier (default 1)' })
      .option('small-stem', { type: 'boolean', describe: '3x3 stride-1 stem, no max-pool (small images)' })
      .option('size', { type: 'number', describe: 'view side in pixels (default 224)' })
      .option('epochs', { type: 'number', describe: 'epochs (sets the lr schedule)' })
      .option('max-steps', { type: 'number', describe: 'stop after this many optimiser steps in all (smoke runs)' })
      .option('batch', { type: 'number', describe: 'batch size B (lr 0.03 * B / 256 unless --lr)' })
      .option('seed', { type: 'number', describe: 'random seed (default 0)' })
      .option('out', { type: 'string', describe: 'run folder (checkpoints, metrics.jsonl, config.json)' })
      .option('resume', { type: 'string', describe: 'continue the run in this folder from its last checkpoint' })
      .option('backend', { type: 'string', default: 'auto', describe: 'tensor backend: auto, tensorflow, torch, wasm or cpu' })
      .option('lr', { type: 'number', describe: 'base learning rate' })
      .option('schedule', { type: 'string', choices: ['cosine', 'step'], describe: 'lr schedule (v1: step, v2: cosine)' })
      .option('queue', { type: 'number', describe: 'queue size K, a multiple of the batch (default 65536)' })
      .option('moco-m', { type: 'number', describe: 'key encoder momentum m (default 0.999)' })
      .option('moco-t', { type: 'number', describe: 'temperature T (v1 0.07, v2 0.2)' })
      .option('key-bn-groups', { type: 'number', describe: 'BN groups of the shuffled key batch (shuffling-BN substitute)' })
      .option('checkpoint-every', { type: 'number', describe: 'steps between checkpoints (default 500; also at epoch ends)' })
      .option('dilo-p', { type: 'number', describe: "DiLo paste probability (0 = plain MoCo; paper: 0.3)" })
      .option('background', { type: 'string', describe: 'DiLo background: grey, textures:DIR or images (default grey)' })
      .option('maps', { type: 'string', describe: 'saliency maps of the training images (needed when --dilo-p > 0)' })
      .option('views', { type: 'string', choices: ['augment', 'builtin'], describe: "view maker: @dilo/augment's MoCo pipeline (default) or the built-in crop+flip+jitter" })
      .option('workers', { type: 'number', describe: 'view-rendering worker threads (default 1)' })
      .option('query-bn-groups', { type: 'number', describe: 'BN groups of the query batch (default 1; with several processes, one per process as DDP)' })
      .option('nproc', { type: 'number', describe: 'data-parallel processes on this machine (c10d/Gloo; cores split between them). Across machines, start one per process with torchrun\'s RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (or under Slurm)' })
      .option('bucket-mb', { type: 'number', default: 25, describe: "data parallel: gradient bucket size in MB (DDP's bucket_cap_mb); each bucket's all-reduce starts during the backward pass once it is full" })
      .option('dist-timeout', { type: 'number', default: 300, describe: 'seconds a collective waits for the other processes before failing (a dead process stops the rest)' })
      .option('skip-bad', { type: 'boolean', describe: 'train without the images that cannot be read (named on stderr; exit code 3) instead of stopping before training' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object as the last line' }) as unknown as Argv<PretrainArgs>,
  handler: async (raw) => {
    const given = new Set(process.argv.slice(2).filter((s) => s.startsWith('--')).map((s) => s.slice(2).split('=')[0].replace(/^no-/, '')));
    const a = await withConfigFile(raw, given);
    const distEnv = distEnvFrom();
    const nproc = a.nproc ?? 1;
    if (!Number.isInteger(nproc) || nproc < 1) throw new DiloUsageError(`--nproc must be a positive integer, got ${a.nproc}`);
    if (!(a['bucket-mb']! > 0)) throw new DiloUsageError(`--bucket-mb must be positive, got ${a['bucket-mb']}`);
    if (!(a['dist-timeout']! > 0)) throw new DiloUsageError(`--dist-timeout must be positive seconds, got ${a['dist-timeout']}`);
    if (nproc > 1 && !distEnv) {
      // the launcher: this same command line once per rank, with torchrun's variables
      const r = await launchLocal(process.argv.slice(1), nproc);
      const bad = r.codes.map((c, rank) => ({ c, rank })).filter((x) => x.c !== 0 && x.c !== 3);
      if (bad.length) throw new Error(`data-parallel run failed: ${bad.map((x) => `rank ${x.rank} exited with code ${x.c}`).join(', ')} (the others were stopped; its error is above)`);
      if (r.codes[0] === 3) markSkippedInputs();
      return;
    }
    const backend = a.backend as BackendName | 'auto';
    let choice;
    try {
      choice = await selectBackend({ backend });
    } catch (err) {
      throw new DiloUsageError((err as Error).message);
    }
    if (choice.backend === 'wasm') registerWasmTrainingKernels();
    let dist: Collectives | null = null;
    if (distEnv) {
      try {
        dist = joinProcessGroup(distEnv, a['dist-timeout']! * 1000);
      } catch (err) {
        throw new Error(`rank ${distEnv.rank} of ${distEnv.worldSize}: cannot join the process group at ${distEnv.masterAddr}:${distEnv.masterPort}: ${(err as Error).message}`);
      }
    }
    const lead = !dist || dist.rank === 0;
    const maxSteps = a['max-steps'];
    if (maxSteps !== undefined && !(Number.isInteger(maxSteps) && maxSteps >= 1)) throw new DiloUsageError(`--max-steps must be a positive integer, got ${maxSteps}`);
    const workers = a.workers ?? 1;
    let inputs: SkipReport | null = null;
    const makeSource = async (cfg: PretrainConfig, shard: { rank: number; world: number }) => {
      if (!cfg.data) throw new DiloUsageError('--data is required');
      const { manifest, report } = await screenTrainingImages(cfg.data, a['skip-bad'] === true, !lead);
      inputs = report;
      if (report.skipped && lead) process.stderr.write(`dilo pretrain: training on ${report.processed} images, ${report.skipped} skipped (listed above)\n`);
      if (cfg.views === 'builtin') return new SimpleViewSource(manifest.samples.map((s) => s.image), cfg.batch, cfg.size, cfg.seed, undefined, shard);
      return AugmentViewSource.create({ data: cfg.data, manifest, method: cfg.method, size: cfg.size, seed: cfg.seed, batch: cfg.batch, workers, dilo: cfg.dilo ?? { p: 0, background: 'grey' }, shard });
    };
    const world = dist?.worldSize ?? 1;
    let result;
    try {
      if (a.resume) {
        result = await pretrain({ out: a.resume, resume: true, maxSteps, makeSource, dist: dist ?? undefined, bucketMb: a['bucket-mb'] });
      } else {
        const dilo = { p: a['dilo-p'] ?? 0, background: a.background ?? 'grey', maps: a.maps ? path.resolve(a.maps) : undefined };
        if (dilo.p > 0 && !dilo.maps) throw new DiloUsageError('--dilo-p > 0 needs --maps DIR');
        if (a.views === 'builtin' && dilo.p > 0) throw new DiloUsageError('--views builtin has no DiLo copy-paste: drop --dilo-p or use --views augment');
        const input: PretrainConfigInput = {
          method: need(a.method, 'method') as PretrainConfig['method'],
          arch: (a.arch ?? 'resnet50') as PretrainConfig['arch'],
          epochs: need(a.epochs, 'epochs'),
          batch: need(a.batch, 'batch'),
          seed: a.seed ?? 0,
          width: a.width,
          smallStem: a['small-stem'],
          size: a.size,
          lr: a.lr,
          schedule: a.schedule as PretrainConfig['schedule'] | undefined,
          queueSize: a.queue,
          momentum: a['moco-m'],
          temperature: a['moco-t'],
          // several processes: each normalises its own share of the keys and of the queries (DDP)
          keyBnGroups: a['key-bn-groups'] ?? (world > 1 ? distKeyGroups(need(a.batch, 'batch'), world) : undefined),
          queryBnGroups: a['query-bn-groups'] ?? (world > 1 ? world : undefined),
          checkpointEvery: a['checkpoint-every'],
          data: path.resolve(need(a.data, 'data')),
          views: a.views === 'builtin' ? 'builtin' : 'augment',
          dilo: dilo.p > 0 ? dilo : null,
        };
        try {
          resolveConfig(input);
        } catch (err) {
          if (err instanceof RangeError) throw new DiloUsageError(err.message);
          throw err;
        }
        result = await pretrain({ out: path.resolve(need(a.out, 'out')), config: input, maxSteps, makeSource, dist: dist ?? undefined, bucketMb: a['bucket-mb'] });
      }
    } catch (err) {
      if (err instanceof RangeError) throw new DiloUsageError(err.message);
      throw dist ? new Error(`rank ${dist.rank} of ${dist.worldSize}: ${(err as Error).message}`, { cause: err }) : err;
    } finally {
      dist?.destroy();
    }
    if (!lead) return; // rank 0 reports for the group
    const out = { ...result, inputs: (inputs as SkipReport | null)?.counts() ?? null, backend: choice.backend, imgPerSec: +result.imgPerSec.toFixed(3), seconds: +result.seconds.toFixed(2), dataSeconds: +result.dataSeconds.toFixed(2) };
    if (a.json) printJsonResult(out);
    else process.stdout.write(`pretrain: step ${out.step}, loss ${out.finalLoss.toFixed(4)}, ${out.imgPerSec} img/s (${out.seconds > 0 ? Math.round((100 * out.dataSeconds) / out.seconds) : 0}% of the time waiting for views); checkpoint ${out.checkpoint} (weights sha256 ${out.weightsSha256.slice(0, 16)}...)\n`);
  },
};
