import type { Argv, CommandModule } from 'yargs';
import { DiloUsageError, printJsonResult } from '@dilo/core';
import { readRun } from '../report/run';
import { writeReport } from '../report/write-report';

interface ReportArgs {
  runs: string[];
  out: string;
  title?: string;
  json: boolean;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <runs..>',
  describe: 'Write report.html (self-contained) and report.md comparing runs: tables, curves from RUN/metrics.jsonl, CAM examples',
  builder: (y: Argv) =>
    y
      .positional('runs', { type: 'string', array: true, describe: 'run folders (RUN/metrics.jsonl, RUN/eval/*.json from dilo eval … --out RUN/eval)' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
      .option('title', { type: 'string', describe: 'report title' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object as the last stdout line' }) as unknown as Argv<ReportArgs>,
  handler: async (a) => {
    if (!a.runs?.length) throw new DiloUsageError('name at least one run folder');
    const runs = [];
    for (const r of a.runs) runs.push(await readRun(r));
    const files = await writeReport(runs, a.out, { title: a.title });
    const result = { kind: 'report', html: files.html, md: files.md, runs: runs.map((r) => ({ name: r.name, dir: r.dir, evals: Object.keys(r.evals), curves: r.curves.loss.length + r.curves.accuracy.length + r.curves.other.length })) };
    if (a.json) printJsonResult(result);
    else process.stdout.write(`wrote ${files.html} and ${files.md} (${runs.length} run(s))\n`);
  },
};
