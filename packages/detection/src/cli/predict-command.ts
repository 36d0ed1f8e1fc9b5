import type { Argv, CommandModule } from 'yargs';
import { DiloInputError, DiloUsageError, printJsonResult, selectBackend, SkipReport, type BackendName, writeFileAtomic } from '@dilo/core';
import { loadDetector } from '../train/checkpoint';
import { dropUnreadableImages, loadDetectionData } from '../train/data';
import { predictRecords, toCocoDatasetStyle, toCocoResults } from '../train/predict';

interface PredictArgs {
  model: string;
  data: string;
  out: string;
  short: number;
  'max-size': number;
  'score-thresh': number;
  backend?: string;
  quiet: boolean;
  json: boolean;
}

export const detectPredictCommand: CommandModule<object, PredictArgs> = {
  command: 'predict',
  describe: 'Detect objects with a trained detector and write COCO-format detections',
  builder: (y: Argv) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'detector run folder (checkpoints/last.dckpt) or .dckpt file' })
      .option('data', { type: 'string', demandOption: true, describe: 'voc:DIR[:SPLIT] or coco:JSON:IMAGES (the images to detect on)' })
      .option('out', { type: 'string', demandOption: true, describe: 'detections JSON: a COCO results list for coco: data; dataset-style (images, categories, annotations with score) for voc: data' })
      .option('short', { type: 'number', default: 800, describe: 'test short side (detectron2 MIN_SIZE_TEST)' })
      .option('max-size', { type: 'number', default: 1333, describe: 'cap on the long side' })
      .option('score-thresh', { type: 'number', default: 0.05, describe: 'keep detections scoring above this' })
      .option('backend', { type: 'string', describe: 'tensor backend (default: the best available)' })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object as the last line' }) as unknown as Argv<PredictArgs>,
  handler: async (a) => {
    if (!(Number.isInteger(a.short) && a.short >= 32)) throw new DiloUsageError(`--short must be an integer >= 32, got ${a.short}`);
    await selectBackend(a.backend ? { backend: a.backend as BackendName } : {});
    const skips = new SkipReport();
    const data = await dropUnreadableImages(loadDetectionData(a.data, skips), skips);
    skips.processed = data.records.length;
    const { model, state, file } = await loadDetector(a.model);
    if (state.classNames.join('\n') !== data.classNames.join('\n')) {
      throw new DiloInputError(file, `the detector was trained on classes [${state.classNames.join(', ')}], ${a.data} has [${data.classNames.join(', ')}]`);
    }
    const t0 = Date.now();
    const dets = await predictRecords(model, data.records, { short: a.short, maxSize: a['max-size'], scoreThresh: a['score-thresh'], quiet: a.quiet });
    const seconds = (Date.now() - t0) / 1000;
    model.dispose();
    const out = data.format === 'coco' ? toCocoResults(dets, data.categoryIds!) : toCocoDatasetStyle(dets, data.classNames);
    await writeFileAtomic(a.out, JSON.stringify(out));
    const n = dets.reduce((s, d) => s + d.scores.length, 0);
    const result = { images: dets.length, detections: n, out: a.out, seconds, imgPerSec: dets.length / seconds, inputs: skips.counts() };
    if (a.json) printJsonResult(result);
    else process.stdout.write(`detect predict: ${n} detections on ${dets.length} images written to ${a.out}; inputs ${skips.summary()}\n`);
  },
};
