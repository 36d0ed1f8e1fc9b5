import { existsSync, statSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { DiloUsageError, printJsonResult } from '@dilo/core';
import { loadCocoDataset } from '../coco/dataset';
import { cocoEvaluate, perCategoryAp, type CocoStats, type IouType } from '../coco/eval';
import { loadCocoResults } from '../coco/results';
import { VOC_CLASSES } from '../voc/classes';
import { loadVocDataset } from '../voc/dataset';
import { loadVocDetections } from '../voc/detections';
import { vocEvaluate } from '../voc/eval';
import { detectPredictCommand } from './predict-command';
import { detectTrainCommand } from './train-command';

interface EvalArgs {
  format: 'coco' | 'voc';
  gt: string;
  dets: string;
  'iou-type': IouType;
  split?: string;
  json: boolean;
}

const fmt = (v: number | null): string => (v === null || Number.isNaN(v) ? '   n/a' : v === -1 ? '-1.000' : v.toFixed(3).padStart(6));

/** pycocotools' summary lines, in its order. */
const COCO_LINES: [keyof CocoStats, string][] = [
  ['AP', 'Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]'],
  ['AP50', 'Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ]'],
  ['AP75', 'Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ]'],
  ['APs', 'Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ]'],
  ['APm', 'Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]'],
  ['APl', 'Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ]'],
  ['AR1', 'Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ]'],
  ['AR10', 'Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ]'],
  ['AR100', 'Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]'],
  ['ARs', 'Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ]'],
  ['ARm', 'Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]'],
  ['ARl', 'Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ]'],
];

function evalCoco(a: EvalArgs): void {
  const gt = loadCocoDataset(a.gt);
  const dets = loadCocoResults(a.dets, gt);
  const cats = new Set(gt.categories.map((c) => c.id));
  const foreign = dets.filter((d) => !cats.has(d.category_id)).length;
  if (foreign) process.stderr.write(`dilo: warning: ${foreign} detection(s) have a category not in ${a.gt}; they are not scored (as in pycocotools)\n`);
  const r = cocoEvaluate(gt, dets, a['iou-type']);
  if (a.json) {
    printJsonResult(r.stats);
    return;
  }
  const out: string[] = [`COCO ${a['iou-type']} evaluation: ${gt.images.length} images, ${gt.annotations.length} ground-truth objects, ${dets.length} detections`];
  for (const [k, label] of COCO_LINES) out.push(` ${label} = ${fmt(r.stats[k])}   ${k}`);
  out.push('', 'Per-category AP (IoU=0.50:0.95, all areas, maxDets=100; -1: no ground truth):');
  const names = new Map(gt.categories.map((c) => [c.id, c.name]));
  for (const [id, ap] of perCategoryAp(r)) out.push(`  ${String(names.get(id)).padEnd(20)} ${fmt(ap)}`);
  process.stdout.write(out.join('\n') + '\n');
}

function evalVoc(a: EvalArgs): void {
  if (!existsSync(a.gt) || !statSync(a.gt).isDirectory()) throw new DiloUsageError(`--gt for --format voc must be a VOC folder (Annotations/, ImageSets/Main/), got ${a.gt}`);
  const ds = loadVocDataset(a.gt, { split: a.split ?? null });
  const names = new Set(ds.images.flatMap((im) => im.objects.map((o) => o.name)));
  // The 20 VOC classes in devkit order when the set uses only those; else the names present.
  const classes = [...names].every((n) => (VOC_CLASSES as readonly string[]).includes(n)) ? VOC_CLASSES : [...names].sort();
  const dets = loadVocDetections(a.dets);
  const evaluated = new Set<string>(classes);
  const foreign = dets.filter((d) => !evaluated.has(d.className)).length;
  if (foreign) process.stderr.write(`dilo: warning: ${foreign} detection(s) have a class that ${a.gt} does not use; they are not scored\n`);
  const r = vocEvaluate(ds, dets, { classes });
  const defined = (v: number | null) => (v === null || Number.isNaN(v) ? null : v);
  const result = {
    mAP: defined(r.mAP),
    mAP07: defined(r.mAP07),
    perClass: Object.fromEntries(Object.entries(r.perClass).map(([c, v]) => [c, { ap: v.ap, ap07: v.ap07, npos: v.npos, ndets: v.ndets }])),
    detectron2: { use07: r.detectron2.use07, AP: defined(r.detectron2.AP), AP50: defined(r.detectron2.AP50), AP75: defined(r.detectron2.AP75) },
  };
  if (a.json) {
    printJsonResult(result);
    return;
  }
  const out: string[] = [`VOC evaluation (devkit voc_eval, IoU > 0.5, difficult ignored): ${ds.images.length} images${ds.split ? ` (${ds.split})` : ''}, ${dets.length} detections`];
  out.push(`  ${'class'.padEnd(14)} ${'AP'.padStart(6)} ${'AP07'.padStart(6)} ${'gt'.padStart(6)} ${'dets'.padStart(6)}`);
  for (const [c, v] of Object.entries(r.perClass)) out.push(`  ${c.padEnd(14)} ${fmt(v.ap)} ${fmt(v.ap07)} ${String(v.npos).padStart(6)} ${String(v.ndets).padStart(6)}`);
  out.push(`  ${'mean'.padEnd(14)} ${fmt(r.mAP)} ${fmt(r.mAP07)}   (mAP: area under curve, VOC2010+; mAP07: 11-point, VOC2007)`);
  out.push(`  detectron2-style (${r.detectron2.use07 ? '11-point' : 'area'}): AP ${fmt(r.detectron2.AP)}  AP50 ${fmt(r.detectron2.AP50)}  AP75 ${fmt(r.detectron2.AP75)}`);
  process.stdout.write(out.join('\n') + '\n');
}

export const detectEvalCommand: CommandModule<object, EvalArgs> = {
  command: 'eval',
  describe: 'Score detections with the VOC devkit or pycocotools COCOeval semantics',
  builder: (y: Argv) =>
    y
      .option('format', { choices: ['coco', 'voc'] as const, demandOption: true, describe: 'ground-truth format' })
      .option('gt', { type: 'string', demandOption: true, describe: 'COCO annotations JSON, or VOC folder (Annotations/, ImageSets/Main/)' })
      .option('dets', { type: 'string', demandOption: true, describe: 'detections JSON (COCO results list; VOC: [{image, class, score, box|bbox}]; or dataset-style with images/categories)' })
      .option('iou-type', { choices: ['bbox', 'segm'] as const, default: 'bbox' as const, describe: 'COCO only: box or mask IoU' })
      .option('split', { type: 'string', describe: 'VOC only: image list ImageSets/Main/<split>.txt (default: every annotation file)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object as the last line' }) as unknown as Argv<EvalArgs>,
  handler: (a) => {
    if (a.format === 'coco') {
      if (a.split !== undefined) throw new DiloUsageError('--split applies to --format voc only');
      evalCoco(a);
    } else {
      if (a['iou-type'] !== 'bbox') throw new DiloUsageError('--iou-type segm applies to --format coco only');
      evalVoc(a);
    }
  },
};

/** `dilo detect`: detection transfer (train, predict, eval). */
export const detectCommand: CommandModule = {
  command: 'detect <command>',
  describe: 'Detection transfer: fine-tune Faster R-CNN C4, predict, evaluate on VOC or COCO data',
  builder: (y: Argv) => y.command(detectTrainCommand).command(detectPredictCommand).command(detectEvalCommand).demandCommand(1, 'Name a detect command (see dilo detect --help).'),
  handler: () => undefined,
};
