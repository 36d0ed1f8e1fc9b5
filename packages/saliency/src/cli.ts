import { availableParallelism } from 'node:os';
import type { Argv, CommandModule } from 'yargs';
import { DiloUsageError, jobProgress, printJsonResult, SkipReport } from '@dilo/core';
import { isMethodName, METHOD_NAMES, type MethodName } from './registry';
import { resolveMethodSpec } from './methods/net';
import { parseShard, runSaliencyJob } from './batch/job';
import { evaluateFolders } from './metrics/eval-folders';
import { evaluateOracle } from './metrics/oracle';
import type { SaliencyScores } from './metrics/evaluator';

interface EvalArgs {
  pred: string;
  gt: string;
  json: boolean;
  'per-image'?: string;
}

function round(v: number): number {
  return Number.isFinite(v) ? +v.toFixed(4) : v;
}

/** The scores as `--json` prints them: 4 decimals, the keys of SaliencyScores. */
function rounded(s: SaliencyScores): SaliencyScores {
  return { mae: round(s.mae), maxF: round(s.maxF), meanF: round(s.meanF), adaptiveF: round(s.adaptiveF), S: round(s.S), E: round(s.E), maxE: round(s.maxE), meanE: round(s.meanE), n: s.n };
}

export const saliencyEvalCommand: CommandModule<object, EvalArgs> = {
  command: 'eval',
  describe: 'Score saliency maps against ground-truth masks (MAE, max/mean/adaptive F, S, E)',
  builder: (y: Argv) =>
    y
      .option('pred', { type: 'string', describe: 'folder of predicted maps (PNG, any layout mirroring --gt)' })
      .option('gt', { type: 'string', describe: 'folder of ground-truth masks (binarised at > 128)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object as the last line' })
      .option('per-image', { type: 'string', describe: 'write per-image scores to this CSV' }) as unknown as Argv<EvalArgs>,
  handler: async (a) => {
    if (!a.pred || !a.gt) throw new DiloUsageError('saliency eval needs --pred DIR and --gt DIR');
    const progress = jobProgress('eval');
    const skips = new SkipReport();
    const r = await evaluateFolders({
      pred: a.pred,
      gt: a.gt,
      report: skips,
      perImageCsv: a['per-image'],
      onProgress: progress.onProgress,
    }).finally(progress.stop);
    const s = r.scores;
    const result = { ...rounded(s), missing: r.missing.length, resized: r.resized, ...skips.counts() };
    if (a.json) printJsonResult(result);
    else {
      process.stdout.write(`${s.n} maps scored (${r.resized} resized to their mask); ${skips.summary()}\n`);
      for (const k of ['mae', 'maxF', 'meanF', 'adaptiveF', 'S', 'E', 'maxE', 'meanE'] as const) process.stdout.write(`  ${k.padEnd(10)} ${result[k]}\n`);
    }
  },
};

interface OracleArgs {
  pred?: string[];
  gt?: string;
  json: boolean;
}

export const saliencyOracleCommand: CommandModule<object, OracleArgs> = {
  command: 'oracle',
  describe: 'Score several map folders, their average, and the oracle that picks the best map per image with the ground truth (a ceiling for fusing them)',
  builder: (y: Argv) =>
    y
      .option('pred', { type: 'string', array: true, describe: 'map folders to combine, two or more (repeat --pred, or list them after one)' })
      .option('gt', { type: 'string', describe: 'folder of ground-truth masks (binarised at > 128)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object as the last line' }) as unknown as Argv<OracleArgs>,
  handler: async (a) => {
    if (!a.pred || a.pred.length < 2 || !a.gt) throw new DiloUsageError('saliency oracle needs --gt DIR and two or more --pred DIR');
    const progress = jobProgress('oracle');
    const skips = new SkipReport();
    const r = await evaluateOracle({
      preds: a.pred,
      gt: a.gt,
      report: skips,
      onProgress: progress.onProgress,
    }).finally(progress.stop);
    const result = {
      folders: r.folders.map((f, k) => ({ pred: f.pred, ...rounded(f.scores), picked: r.picks[k] })),
      average: rounded(r.average),
      oracle: rounded(r.oracle),
      resized: r.resized,
      ...skips.counts(),
    };
    if (a.json) printJsonResult(result);
    else {
      process.stdout.write(`${r.oracle.n} images scored in every folder; ${skips.summary()}\n`);
      const row = (name: string, s: SaliencyScores, extra = ''): void => {
        process.stdout.write(`  ${name.padEnd(40)} maxF ${s.maxF}  meanF ${s.meanF}  MAE ${s.mae}  S ${s.S}  E ${s.E}${extra}\n`);
      };
      r.folders.forEach((f, k) => row(f.pred, rounded(f.scores), `  (oracle picked ${r.picks[k]})`));
      row('average of the maps', result.average);
      row('oracle (best map per image)', result.oracle);
    }
  },
};

interface ComputeArgs {
  method: string;
  images?: string;
  out?: string;
  workers: number;
  shard?: string;
  cache?: string;
  'no-cache'?: boolean;
  json: boolean;
  model?: string;
  'input-size'?: string;
  mean?: string;
  std?: string;
  'output-index'?: number;
  'batch-size'?: number;
  params?: string;
}

function triple(s: string | undefined, flag: string): [number, number, number] | undefined {
  if (s === undefined) return undefined;
  const v = s.split(',').map(Number);
  if (v.length !== 3 || v.some((x) => !Number.isFinite(x))) throw new DiloUsageError(`${flag} needs three numbers like 0.485,0.456,0.406, got '${s}'`);
  return v as [number, number, number];
}

function methodParams(a: ComputeArgs): Record<string, unknown> {
  let p: Record<string, unknown> = {};
  if (a.params) {
    try {
      p = JSON.parse(a.params) as Record<string, unknown>;
    } catch (err) {
      throw new DiloUsageError(`--params must be a JSON object: ${(err as Error).message}`);
    }
  }
  // net:RUN is the onnx estimator on the run's export: the same flags override the run's settings
  if (a.method === 'onnx' || a.method.startsWith('net:')) {
    if (a.method === 'onnx') {
      if (!a.model) throw new DiloUsageError('--method onnx needs --model FILE.onnx');
      p.model = a.model;
    } else if (a.model) throw new DiloUsageError('--method net:RUN takes its model from RUN; drop --model');
    if (a['input-size']) {
      const m = /^(\d+)(?:x(\d+))?$/.exec(a['input-size']);
      if (!m) throw new DiloUsageError(`--input-size must be N or WxH, got '${a['input-size']}'`);
      p.inputWidth = Number(m[1]);
      p.inputHeight = Number(m[2] ?? m[1]);
    }
    const mean = triple(a.mean, '--mean');
    const std = triple(a.std, '--std');
    if (mean) p.mean = mean;
    if (std) p.std = std;
    if (a['output-index'] !== undefined) p.outputIndex = a['output-index'];
    if (a['batch-size'] !== undefined) p.batchSize = a['batch-size'];
  }
  return p;
}

/**
 * `dilo saliency` with its subcommands: `eval` here, and whatever other packages add (the CLI
 * app adds `train` from @dilo/saliency-net, which depends on this package, not the reverse).
 */
export function makeSaliencyCommand(extra: CommandModule[] = []): CommandModule<object, ComputeArgs> {
  return {
    command: 'saliency',
    describe: 'Compute saliency maps of a folder of images (cached, resumable, shardable); `saliency eval` scores maps',
    builder: (y: Argv) =>
      y
        .command([saliencyEvalCommand as unknown as CommandModule, saliencyOracleCommand as unknown as CommandModule, ...extra])
        .option('method', { type: 'string', default: 'rbd', describe: `estimator: ${METHOD_NAMES.join(', ')}, or net:RUN (a network trained by \`dilo saliency train --out RUN\`)` })
        .option('images', { type: 'string', describe: 'input folder (recursive)' })
        .option('out', { type: 'string', describe: 'output folder; maps mirror the input layout as 8-bit PNG' })
        .option('workers', { type: 'number', default: availableParallelism(), describe: 'worker threads (0: compute in the main thread)' })
        .option('shard', { type: 'string', describe: 'i/n: process only the i-th of n round-robin shards' })
        .option('cache', { type: 'string', describe: 'artifact cache folder (default OUT/.cache)' })
        .option('no-cache', { type: 'boolean', describe: 'do not read or write the cache' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object as the last line' })
        .option('model', { type: 'string', describe: 'onnx: model file' })
        .option('input-size', { type: 'string', describe: 'onnx: network input N or WxH (default 320)' })
        .option('mean', { type: 'string', describe: 'onnx: per-channel mean on [0,1] RGB (default ImageNet)' })
        .option('std', { type: 'string', describe: 'onnx: per-channel std (default ImageNet)' })
        .option('output-index', { type: 'number', describe: 'onnx: which output is the map (default 0)' })
        .option('batch-size', { type: 'number', describe: 'onnx: images per inference (default 4)' })
        .option('params', { type: 'string', describe: 'method parameters as JSON, e.g. \'{"slic":{"compactness":10}}\'' }) as unknown as Argv<ComputeArgs>,
    handler: async (a) => {
      if (!isMethodName(a.method) && !a.method.startsWith('net:')) throw new DiloUsageError(`unknown --method '${a.method}' (known: ${METHOD_NAMES.join(', ')}, net:RUN)`);
      if (!a.images || !a.out) throw new DiloUsageError('saliency needs --images DIR and --out DIR');
      const spec = resolveMethodSpec(a.method, methodParams(a));
      if (!Number.isInteger(a.workers) || a.workers < 0) throw new DiloUsageError(`--workers must be a non-negative integer, got ${a.workers}`);
      const shard = a.shard ? parseShard(a.shard) : undefined;
      // yargs turns --no-cache into cache=false
      const noCache = a['no-cache'] === true || (a.cache as unknown) === false;
      const progress = jobProgress(`saliency ${a.method}`);
      const report = await runSaliencyJob({
        method: spec.method as MethodName,
        params: spec.params,
        images: a.images,
        out: a.out,
        workers: a.workers,
        shard,
        cacheDir: noCache ? null : a.cache,
        onProgress: progress.onProgress,
      }).finally(progress.stop);
      // each unreadable input once, one line; the exit code (3) says the run left inputs out
      const skips = new SkipReport();
      for (const f of report.failures) skips.skip(f.file, f.problem);
      skips.processed = report.computed + report.cached;
      const { skipped, skippedFiles } = skips.counts();
      const result = { ...report, processed: skips.processed, skipped, skippedFiles, seconds: +report.seconds.toFixed(2), imagesPerSecond: +report.imagesPerSecond.toFixed(2) };
      if (a.json) printJsonResult(result);
      else {
        process.stdout.write(
          `${report.method}: ${report.images} images (shard ${report.shard} of ${report.total}) -> ${report.out}: ${report.computed} computed, ${report.cached} from cache, ${skips.summary()}, ${result.seconds}s (${result.imagesPerSecond} img/s)\n`,
        );
      }
    },
  };
}

export const saliencyCommand = makeSaliencyCommand();

