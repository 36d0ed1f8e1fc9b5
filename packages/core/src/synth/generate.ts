/**
 * "Objects on backgrounds": the generated default dataset. Deterministic from a seed.
 *
 * Layout of OUT:
 *   <split>/<class>/<id>.png        RGB images (ImageFolder layout)
 *   masks/<split>/<class>/<id>.png  exact foreground masks (0/255)
 *   <split>.jsonl                   one line per image: class, background family, placement
 *   meta.json                       parameters, counts and measured class-background correlation
 *
 * Splits: train and val-same (background family = the class's family with probability
 * `correlation`: a background shortcut by construction), val-mixed-rand (uniformly random
 * family), val-only-fg (uniform grey). The three val splits hold the same objects at the same
 * places: only the background differs, so accuracies compare image for image.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { Rng } from '../rng';
import { OBJECT_CLASSES, drawPlacement, paintObject } from './shapes';
import { BACKGROUND_FAMILIES } from './backgrounds';
import { writeFileAtomic } from '../atomic';

export const SYNTH_VERSION = 1;

export interface SynthOptions {
  out: string;
  seed: number;
  /** number of classes K (at most 10) */
  classes?: number;
  /** image side in pixels */
  size?: number;
  train?: number;
  /** images per validation split */
  val?: number;
  /** probability that a train / val-same image has its class's background family */
  correlation?: number;
  /** grey level of val-only-fg (0-255) */
  grey?: number;
  onProgress?: (done: number, total: number) => void;
}

export type SplitName = 'train' | 'val-same' | 'val-mixed-rand' | 'val-only-fg';
export const SYNTH_SPLITS: readonly SplitName[] = ['train', 'val-same', 'val-mixed-rand', 'val-only-fg'];

export interface SynthRecord {
  id: string;
  split: SplitName;
  label: number;
  class: string;
  /** background family index, -1 for uniform grey */
  family: number;
  cx: number;
  cy: number;
  radius: number;
  foregroundPixels: number;
}

export interface SynthSummary {
  out: string;
  seed: number;
  size: number;
  classes: string[];
  families: string[];
  correlationTarget: number;
  splits: Record<SplitName, { count: number; perClass: number[]; correlation: number }>;
  version: number;
}

function familyFor(split: SplitName, label: number, rng: Rng, k: number, correlation: number): number {
  if (split === 'val-only-fg') return -1;
  if (split === 'val-mixed-rand') return rng.int(k);
  if (rng.bernoulli(correlation)) return label;
  const other = rng.int(k - 1); // another family, uniformly: the measured rate equals `correlation`
  return other >= label ? other + 1 : other;
}

/** Render one image and its mask; pure function of (seed, split group, index). */
export function renderSample(seed: number, split: SplitName, index: number, k: number, size: number, correlation: number, grey = 128): { rgb: Uint8Array; mask: Uint8Array; record: SynthRecord } {
  const root = new Rng(seed, ['synth']);
  // val splits share objects: their object stream is keyed by 'val', not by the split name
  const group = split === 'train' ? 'train' : 'val';
  const objRng = root.stream(group, index, 'object');
  const label = objRng.int(k);
  const cls = OBJECT_CLASSES[label];
  const placement = drawPlacement(objRng, size);
  const bgRng = root.stream(split === 'train' ? 'train' : split === 'val-same' ? 'val-same' : split, index, 'background');
  const family = familyFor(split, label, bgRng, k, correlation);
  const rgb = new Uint8Array(size * size * 3);
  if (family < 0) rgb.fill(grey);
  else BACKGROUND_FAMILIES[family].paint(bgRng, rgb, size);
  const mask = new Uint8Array(size * size);
  const fg = paintObject(cls, objRng.stream('paint'), rgb, mask, size, placement);
  const id = `${split}-${String(index).padStart(6, '0')}`;
  return {
    rgb,
    mask,
    record: { id, split, label, class: cls.name, family, cx: +placement.cx.toFixed(3), cy: +placement.cy.toFixed(3), radius: +placement.radius.toFixed(3), foregroundPixels: fg },
  };
}

async function png(data: Uint8Array, size: number, channels: 1 | 3): Promise<Buffer> {
  // fixed encoder settings: the same seed gives byte-identical files
  return sharp(data, { raw: { width: size, height: size, channels } }).png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer();
}

/**
 * Generate the dataset into opts.out. It is built in a sibling temp folder and renamed into
 * place at the end, so an interrupted run never leaves a half dataset behind.
 */
export async function generateSynthDataset(opts: SynthOptions): Promise<SynthSummary> {
  const k = opts.classes ?? 10;
  const size = opts.size ?? 64;
  const nTrain = opts.train ?? 2000;
  const nVal = opts.val ?? 500;
  const correlation = opts.correlation ?? 0.9;
  const grey = opts.grey ?? 128;
  if (!Number.isInteger(k) || k < 2 || k > OBJECT_CLASSES.length) throw new RangeError(`classes must be an integer in [2, ${OBJECT_CLASSES.length}], got ${k}`);
  if (!Number.isInteger(size) || size < 16 || size > 1024) throw new RangeError(`size must be an integer in [16, 1024], got ${size}`);
  if (!(correlation >= 0 && correlation <= 1)) throw new RangeError(`correlation must be in [0, 1], got ${correlation}`);
  if (!Number.isInteger(nTrain) || nTrain < 1 || !Number.isInteger(nVal) || nVal < 1) throw new RangeError('train and val counts must be positive integers');

  const out = path.resolve(opts.out);
  const tmp = `${out}.partial-${process.pid}`;
  await fs.rm(tmp, { recursive: true, force: true });
  const classes = OBJECT_CLASSES.slice(0, k).map((c) => c.name);
  const total = nTrain + 3 * nVal;
  let done = 0;
  const splits = {} as SynthSummary['splits'];
  for (const split of SYNTH_SPLITS) {
    const n = split === 'train' ? nTrain : nVal;
    const records: SynthRecord[] = [];
    const perClass = new Array(k).fill(0);
    let matched = 0;
    for (const c of classes) {
      await fs.mkdir(path.join(tmp, split, c), { recursive: true });
      await fs.mkdir(path.join(tmp, 'masks', split, c), { recursive: true });
    }
    const batch = 32;
    for (let start = 0; start < n; start += batch) {
      const jobs = [];
      for (let i = start; i < Math.min(n, start + batch); i++) {
        const s = renderSample(opts.seed, split, i, k, size, correlation, grey);
        records.push(s.record);
        perClass[s.record.label]++;
        if (s.record.family === s.record.label) matched++;
        const rel = path.join(s.record.class, `${s.record.id}.png`);
        jobs.push(png(s.rgb, size, 3).then((b) => fs.writeFile(path.join(tmp, split, rel), b)));
        jobs.push(png(s.mask, size, 1).then((b) => fs.writeFile(path.join(tmp, 'masks', split, rel), b)));
      }
      await Promise.all(jobs);
      done += jobs.length / 2;
      opts.onProgress?.(done, total);
    }
    await fs.writeFile(path.join(tmp, `${split}.jsonl`), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    splits[split] = { count: n, perClass, correlation: matched / n };
  }
  const summary: SynthSummary = {
    out,
    seed: opts.seed,
    size,
    classes,
    families: BACKGROUND_FAMILIES.slice(0, k).map((f) => f.name),
    correlationTarget: correlation,
    splits,
    version: SYNTH_VERSION,
  };
  await writeFileAtomic(path.join(tmp, 'meta.json'), JSON.stringify({ ...summary, out: undefined, train: nTrain, val: nVal, grey }, null, 2) + '\n');
  await fs.rm(out, { recursive: true, force: true });
  await fs.rename(tmp, out);
  return summary;
}

/** Read the records of one split back (for evaluation: true labels and families). */
export async function readSynthRecords(root: string, split: SplitName): Promise<SynthRecord[]> {
  const text = await fs.readFile(path.join(root, `${split}.jsonl`), 'utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as SynthRecord);
}
