/** `dilo convert` (PyTorch checkpoint -> dilo run) and `dilo export` (dilo run -> PyTorch / detectron2 / safetensors). */
import type { Argv, CommandModule } from 'yargs';
import { DiloUsageError, printJsonResult, selectBackend } from '@dilo/core';
import { convertCheckpoint, type ConvertOptions } from './convert';
import { EXPORT_FORMATS, type ExportFormat, exportRun } from './export';
import { IMPORT_LAYOUTS } from './layouts';

interface ConvertArgs {
  input: string;
  from: string;
  out: string;
  size: number;
  json: boolean;
}

export const convertCommand: CommandModule<object, ConvertArgs> = {
  command: 'convert <input>',
  describe: 'Import a PyTorch checkpoint (torchvision, MoCo, DiLo, detectron2 .pkl, safetensors) as a dilo run; no pickle code runs',
  builder: (y: Argv) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: '.pth / .pth.tar / .pkl / .safetensors file' })
      .option('from', { type: 'string', default: 'auto', choices: ['auto', ...IMPORT_LAYOUTS], describe: 'layout of the tensor names (auto: detected from them)' })
      .option('out', { type: 'string', demandOption: true, describe: 'run folder to write (RUN/checkpoints/last.dckpt, RUN/import.json)' })
      .option('size', { type: 'number', default: 224, describe: 'image side the weights are meant for (the eval commands default to it)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object as the last line' })
      .example('$0 convert moco_v2_800ep_pretrain.pth.tar --out runs/moco-v2', 'the official MoCo v2 release: its query encoder becomes the run')
      .example('$0 eval linear --checkpoint runs/moco-v2 --data DIR', 'then every eval and detect command reads the run') as unknown as Argv<ConvertArgs>,
  handler: async (a) => {
    if (!Number.isInteger(a.size) || a.size < 8 || a.size > 1024) throw new DiloUsageError(`--size must be an integer in 8..1024, got ${a.size}`);
    await selectBackend({ log: false });
    const s = await convertCheckpoint({ from: a.from as ConvertOptions['from'], input: a.input, out: a.out, size: a.size });
    if (a.json) printJsonResult(s);
    else {
      process.stdout.write(`Imported ${s.input} (${s.container}, ${s.layout} layout${s.stateDictPath ? ` at '${s.stateDictPath}'` : ''}): ${s.arch} width ${s.width}${s.smallStem ? ' 3x3 stem' : ''}, ${s.tensors} tensors, ${s.parameters.toLocaleString('en-US')} values\n`);
      if (s.ignored.length) process.stdout.write(`  not part of the backbone, left out: ${s.ignored.length} tensors (listed in ${a.out}/import.json)\n`);
      process.stdout.write(`  wrote ${s.checkpoint}\n`);
    }
  },
};

interface ExportArgs {
  run: string;
  to: string;
  out: string;
  'num-classes': number;
  json: boolean;
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export <run>',
  describe: "Write a dilo run's query encoder for other tools: torchvision .pth, MoCo .pth.tar, detectron2 .pkl, safetensors",
  builder: (y: Argv) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'run folder or .dckpt checkpoint' })
      .option('to', { type: 'string', demandOption: true, choices: [...EXPORT_FORMATS], describe: 'target format' })
      .option('out', { type: 'string', demandOption: true, describe: 'file to write (atomically)' })
      .option('num-classes', { type: 'number', default: 1000, describe: 'torchvision: rows of the zero fc layer its strict load needs' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object as the last line' })
      .example('$0 export runs/dilo --to detectron2 --out dilo.pkl', "MoCo's detectron2 layout: MODEL.WEIGHTS dilo.pkl, MODEL.PIXEL_MEAN/STD as MoCo's configs")
      .example('$0 export runs/dilo --to torchvision --out r50.pth', 'torchvision.models.resnet50().load_state_dict(torch.load("r50.pth"))') as unknown as Argv<ExportArgs>,
  handler: async (a) => {
    if (!Number.isInteger(a['num-classes']) || a['num-classes'] < 1) throw new DiloUsageError(`--num-classes must be a positive integer, got ${a['num-classes']}`);
    await selectBackend({ log: false });
    const s = await exportRun({ run: a.run, to: a.to as ExportFormat, out: a.out, numClasses: a['num-classes'] });
    if (a.json) printJsonResult(s);
    else {
      process.stdout.write(`Wrote ${s.out} (${s.to}, ${s.arch}, ${s.tensors} backbone tensors from ${s.checkpoint})\n`);
      for (const n of s.notes) process.stdout.write(`  note: ${n}\n`);
    }
  },
};
