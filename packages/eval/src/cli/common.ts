/** Options and helpers shared by the `dilo eval` sub-commands. */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import { decodeImage, DiloInputError, DiloUsageError, imageFolder, pairMasks, screenManifest, SkipReport, writeFileAtomic, type Manifest, type SkipCounts } from '@dilo/core';
import { pixelExtractor, randomConvExtractor } from '../baselines';
import { checkpointExtractor } from '../checkpoint-extractor';
import type { FeatureExtractor } from '../extractor';
import { extractFeatureSet } from '../extract';
import { readFeatures, type FeatureSet } from '../features';
import { DEFAULT_WD_GRID, fastLinearProbe, type FastProbeOptions, type FastProbeResult } from '../probe-fast';
import { isSynthDataset, synthSplit } from '../synth-data';
import type { EvalTransform } from '../transform';

export interface SourceArgs {
  features?: string;
  'test-features'?: string;
  data?: string;
  'train-split': string;
  'test-split': string;
  masks?: string;
  checkpoint?: string;
  'random-init': boolean;
  pixels?: number;
  seed: number;
  crop?: number;
  resize?: number;
  cache: boolean;
  out?: string;
  json: boolean;
}

export function sourceOptions<T>(y: Argv<T>): Argv<T & SourceArgs> {
  return y
    .option('features', { type: 'string', describe: 'training features file (dilo eval features / the bench writes them)' })
    .option('test-features', { type: 'string', describe: 'test features file (with --features)' })
    .option('data', { type: 'string', describe: 'dataset root: the generated dataset, or a folder with <train-split>/ and <test-split>/ ImageFolders' })
    .option('train-split', { type: 'string', default: 'train', describe: 'training split folder under --data' })
    .option('test-split', { type: 'string', describe: 'test split folder under --data (default: val-same for the generated dataset, else val)' })
    .option('masks', { type: 'string', describe: 'mask folder for the test split (default: <data>/masks/<test-split> when present)' })
    .option('checkpoint', { type: 'string', describe: 'MoCo checkpoint or run folder (@dilo/contrastive)' })
    .option('random-init', { type: 'boolean', default: false, describe: 'random-initialisation baseline features (random conv + ReLU + GAP; not a trained model)' })
    .option('pixels', { type: 'number', describe: 'raw-pixel baseline features at this side (no encoder)' })
    .option('seed', { type: 'number', default: 0, describe: 'seed (random-init weights, splits, variants)' })
    .option('crop', { type: 'number', describe: "evaluation image side (default: the checkpoint's training size, else the dataset image size, at most 224)" })
    .option('resize', { type: 'number', describe: 'resize side before the centre crop (default: = crop)' })
    .option('cache', { type: 'boolean', default: true, describe: 'use the feature cache ($DILO_CACHE or tmp/cache); --no-cache to skip' })
    .option('out', { type: 'string', describe: 'folder for results (<command>.json) and images; `dilo eval report` reads RUN/eval' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object as the last stdout line' }) as unknown as Argv<T & SourceArgs>;
}

export async function resolveExtractor(a: SourceArgs): Promise<FeatureExtractor | null> {
  const chosen = [a.checkpoint ? 'checkpoint' : null, a['random-init'] ? 'random-init' : null, a.pixels !== undefined ? 'pixels' : null].filter(Boolean);
  if (chosen.length > 1) throw new DiloUsageError(`choose one feature source, got ${chosen.join(' and ')}`);
  if (!Number.isInteger(a.seed)) throw new DiloUsageError(`--seed must be an integer, got ${a.seed}`);
  if (a.checkpoint) return checkpointExtractor(a.checkpoint);
  if (a['random-init']) return randomConvExtractor({ seed: a.seed });
  if (a.pixels !== undefined) {
    if (!Number.isInteger(a.pixels) || a.pixels < 1 || a.pixels > 64) throw new DiloUsageError(`--pixels must be an integer in [1, 64], got ${a.pixels}`);
    return pixelExtractor({ size: a.pixels });
  }
  return null;
}

export interface Splits {
  train: Manifest;
  test: Manifest;
  synth: boolean;
  /** images (and masks) decoded before extraction, and the ones left out (each named on stderr) */
  inputs: SkipCounts;
}

export async function resolveSplits(a: SourceArgs, needMasks: boolean): Promise<Splits> {
  if (!a.data) throw new DiloUsageError('--data is required with --checkpoint, --random-init or --pixels');
  const root = path.resolve(a.data);
  if (!existsSync(root)) throw new DiloInputError(root, 'dataset folder not found');
  const synth = isSynthDataset(root);
  const testSplit = a['test-split'] ?? (synth ? 'val-same' : 'val');
  const report = new SkipReport();
  if (synth && !a.masks) {
    const [train, test] = [await synthSplit(root, a['train-split'] as 'train'), await synthSplit(root, testSplit as 'val-same')];
    report.processed = train.samples.length + test.samples.length; // written by dilo data synth: not screened
    return { train, test, synth, inputs: report.counts() };
  }
  let train = await imageFolder(path.join(root, a['train-split']));
  let test: Manifest = await imageFolder(path.join(root, testSplit));
  checkSameClasses(train, test);
  if (needMasks) {
    const masks = a.masks ? path.resolve(a.masks) : path.join(root, 'masks', testSplit);
    if (!existsSync(masks)) throw new DiloInputError(masks, 'mask folder not found (pass --masks)');
    test = await pairMasks(test, masks);
  }
  // decode everything once up front: a bad file is named and left out, never met mid-extraction
  train = await screenManifest(train, { report });
  test = await screenManifest(test, { report, masks: needMasks ? 'degenerate' : undefined });
  if (report.skipped > 0) process.stderr.write(`dilo eval: inputs ${report.summary()}\n`);
  for (const [name, m] of [['train', train], ['test', test]] as const) if (m.samples.length === 0) throw new DiloInputError(m.root, `no usable ${name} image (all skipped, listed above)`);
  return { train, test, synth, inputs: report.counts() };
}

/** Same class folders in both splits, else a clear error naming the odd ones (a mislabelled or misspelt folder). */
function checkSameClasses(train: Manifest, test: Manifest): void {
  if (train.classes.join('\n') === test.classes.join('\n')) return;
  const onlyTrain = train.classes.filter((c) => !test.classes.includes(c));
  const onlyTest = test.classes.filter((c) => !train.classes.includes(c));
  const parts = [onlyTrain.length ? `only in ${train.root}: ${onlyTrain.join(', ')}` : '', onlyTest.length ? `only in ${test.root}: ${onlyTest.join(', ')}` : ''].filter(Boolean);
  throw new DiloInputError(test.root, `its class folders differ from the training split's (${parts.join('; ') || 'same names, different order'}); labels would not match`);
}

export async function resolveTransform(a: SourceArgs, m: Manifest, extractor?: FeatureExtractor | null): Promise<EvalTransform> {
  let crop = a.crop ?? extractor?.inputSize;
  if (crop === undefined) {
    const img = await decodeImage(m.samples[0].image);
    crop = Math.min(224, img.width, img.height);
  }
  const resize = a.resize ?? crop;
  if (!Number.isInteger(crop) || crop < 8 || !Number.isInteger(resize) || resize < crop) throw new DiloUsageError(`need integer --crop >= 8 and --resize >= --crop, got crop ${crop}, resize ${resize}`);
  return { resize, crop };
}

export interface FeaturePair {
  /** what was read and skipped (null for feature files) */
  inputs: SkipCounts | null;
  train: FeatureSet;
  test: FeatureSet;
  extractor: FeatureExtractor | null;
  splits: Splits | null;
  transform: EvalTransform | null;
  source: string;
}

/** Train/test features from files, or extracted (and cached) from the chosen extractor and dataset. */
export async function resolveFeatures(a: SourceArgs, opts: { convMap?: boolean; needMasks?: boolean } = {}): Promise<FeaturePair> {
  const extractor = await resolveExtractor(a);
  if (a.features) {
    if (extractor) throw new DiloUsageError('--features and an extractor (--checkpoint/--random-init/--pixels) are exclusive');
    if (!a['test-features']) throw new DiloUsageError('--features needs --test-features');
    const [train, test] = [await readFeatures(a.features), await readFeatures(a['test-features'])];
    if (train.d !== test.d) throw new DiloInputError(a['test-features'], `feature dimension ${test.d} differs from ${a.features}'s ${train.d}`);
    return { inputs: null, train, test, extractor: null, splits: null, transform: null, source: `files ${a.features}, ${a['test-features']}` };
  }
  if (!extractor) throw new DiloUsageError('give features: --features FILE --test-features FILE, or --data DIR with --checkpoint PATH, --random-init or --pixels N');
  const splits = await resolveSplits(a, !!opts.needMasks);
  const transform = await resolveTransform(a, splits.test, extractor);
  const store = a.cache ? undefined : null;
  const train = (await extractFeatureSet(splits.train, extractor, { transform, store, progress: 'train features' })).features;
  const test = (await extractFeatureSet(splits.test, extractor, { transform, store, convMap: opts.convMap, progress: 'test features' })).features;
  return { inputs: splits.inputs, train, test, extractor, splits, transform, source: extractor.name };
}

/** Write a command's result to OUT/<name>.json (atomic) when --out is given. */
export async function saveResult(a: SourceArgs, name: string, result: unknown): Promise<void> {
  if (!a.out) return;
  await fs.mkdir(a.out, { recursive: true });
  await writeFileAtomic(path.join(a.out, `${name}.json`), JSON.stringify(result, null, 2) + '\n');
}

export function pct(v: number): string {
  return Number.isFinite(v) ? (100 * v).toFixed(2) : 'n/a';
}

export function round(v: number, digits = 4): number {
  return Number.isFinite(v) ? +v.toFixed(digits) : v;
}

/** The fast linear probe's options. `eval linear`, `eval backgrounds` and `eval cam` all take them,
 * so that under the same flags the three fit the same probe (held-out split, weight decay). */
export interface ProbeArgs {
  'wd-grid'?: string;
  holdout: number;
  seed: number;
}

export function probeOptions<T>(y: Argv<T>): Argv<T & ProbeArgs> {
  return y
    .option('wd-grid', { type: 'string', describe: `fast probe weight decays, comma-separated (default ${DEFAULT_WD_GRID.join(',')})` })
    .option('holdout', { type: 'number', default: 0.2, describe: 'fraction of the training set held out for the weight-decay search' }) as unknown as Argv<T & ProbeArgs>;
}

/** fastLinearProbe with the command's --wd-grid, --holdout and --seed, checked */
export function fitProbe(train: FeatureSet, test: FeatureSet, a: ProbeArgs, onStep?: FastProbeOptions['onStep']): FastProbeResult {
  const grid = a['wd-grid'] ? a['wd-grid'].split(',').map(Number) : DEFAULT_WD_GRID;
  if (grid.some((w) => !(w >= 0))) throw new DiloUsageError(`--wd-grid must be non-negative numbers, got '${a['wd-grid']}'`);
  if (!(a.holdout > 0 && a.holdout < 1)) throw new DiloUsageError(`--holdout must be in (0, 1), got ${a.holdout}`);
  return fastLinearProbe(train, test, { wdGrid: grid, holdout: a.holdout, seed: a.seed, onStep });
}

/** how commands that fit the probe as a step report it */
export function probeReport(p: FastProbeResult): { top1: number; wd: number } {
  return { top1: round(p.top1), wd: p.wd };
}
