import type { Argv, CommandModule } from 'yargs';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { generateSynthDataset, printJsonResult, Progress, findWorkspaceRoot, SYNTH_VERSION } from '@dilo/core';

interface DemoArgs {
  data?: string;
  seed: number;
  json: boolean;
}

/** The demo's dataset: reused when present with the same parameters, generated otherwise. */
async function ensureDemoDataset(dir: string, seed: number): Promise<{ generated: boolean; meta: Record<string, unknown> }> {
  const metaFile = path.join(dir, 'meta.json');
  if (existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Record<string, unknown>;
    if (meta.seed === seed && meta.version === SYNTH_VERSION) return { generated: false, meta };
  }
  let progress: Progress | null = null;
  await generateSynthDataset({
    out: dir,
    seed,
    onProgress: (done, total) => {
      progress ??= new Progress({ label: 'dataset', total });
      progress.tick(done - progress.value);
    },
  });
  (progress as Progress | null)?.stop();
  return { generated: true, meta: JSON.parse(readFileSync(metaFile, 'utf8')) as Record<string, unknown> };
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'Run the demo on the generated "objects on backgrounds" dataset',
  builder: (y: Argv) =>
    y
      .option('data', { type: 'string', describe: 'dataset folder (default <workspace>/data/objects-on-backgrounds-s<seed>)' })
      .option('seed', { type: 'number', default: 0 })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object as the last line' }) as unknown as Argv<DemoArgs>,
  handler: async (a) => {
    const t0 = Date.now();
    const dir = path.resolve(a.data ?? path.join(findWorkspaceRoot(), 'data', `objects-on-backgrounds-s${a.seed}`));
    const { generated, meta } = await ensureDemoDataset(dir, a.seed);
    const splits = meta.splits as Record<string, { count: number; correlation: number }>;
    const result = {
      dataset: dir,
      generated,
      classes: meta.classes,
      size: meta.size,
      splits: Object.fromEntries(Object.entries(splits).map(([k, v]) => [k, { count: v.count, correlation: +v.correlation.toFixed(4) }])),
      wallSeconds: +((Date.now() - t0) / 1000).toFixed(2),
    };
    if (a.json) {
      printJsonResult(result);
      return;
    }
    process.stdout.write(`dilo demo: dataset ${dir} (${generated ? 'generated' : 'reused'})\n`);
    process.stdout.write(`  ${(meta.classes as string[]).length} classes: ${(meta.classes as string[]).join(', ')}; ${meta.size}px\n`);
    for (const [k, v] of Object.entries(splits)) process.stdout.write(`  ${k.padEnd(15)} ${String(v.count).padStart(6)} images, class-background correlation ${v.correlation.toFixed(3)}\n`);
  },
};
