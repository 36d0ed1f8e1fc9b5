/**
 * Benchmark: dilo's fast linear probe against scikit-learn's LogisticRegression on the same
 * exported features and the same hold-out split (bench/sklearn_probe.py, Debian python3).
 *
 * Cases:
 *  - synth-randconv: the generated dataset (data/objects-on-backgrounds-s0, train -> val-same),
 *    random-init conv features (64-d); the primary case, always run.
 *  - imagenette-pixels: imagenette-128 (train -> val), raw 8x8 pixels (192-d); run when the
 *    shared dataset is present and DILO_BENCH_FULL=1.
 * Last stdout line: {diloTop1, sklearnTop1, diff, ...} for the primary case, all cases under `cases`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findWorkspaceRoot, imageFolder, printJsonResult, sharedDataset, writeFileAtomic } from '@dilo/core';
import { extractFeatureSet, fastLinearProbe, pixelExtractor, randomConvExtractor, writeFeatures, DEFAULT_WD_GRID, type FeatureExtractor, type EvalTransform } from '../src/index';

const PYTHON = '/usr/bin/python3';

interface CaseResult {
  case: string;
  features: string;
  nTrain: number;
  nTest: number;
  d: number;
  diloTop1: number;
  diloTop5: number;
  diloWd: number;
  diloSeconds: number;
  sklearnTop1: number;
  sklearnTop5: number;
  sklearnWd: number;
  sklearnSeconds: number;
  sklearnTop1AtDiloWd: number;
  diff: number;
  timeRatio: number;
}

async function runCase(name: string, trainDir: string, testDir: string, extractor: FeatureExtractor, transform: EvalTransform, work: string): Promise<CaseResult> {
  const [trM, teM] = [await imageFolder(trainDir), await imageFolder(testDir)];
  const train = (await extractFeatureSet(trM, extractor, { transform, progress: `${name} train features` })).features;
  const test = (await extractFeatureSet(teM, extractor, { transform, progress: `${name} test features` })).features;
  const t0 = process.hrtime.bigint();
  const r = fastLinearProbe(train, test, { wdGrid: DEFAULT_WD_GRID, seed: 0, onStep: (e) => process.stderr.write(`${name} dilo ${e.phase} wd=${e.wd}${e.heldOutTop1 !== undefined ? ` held-out top-1 ${e.heldOutTop1.toFixed(4)}` : ''}\n`) });
  const diloSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const files = { train: path.join(work, `${name}-train.feat`), test: path.join(work, `${name}-test.feat`), split: path.join(work, `${name}-split.json`) };
  await writeFeatures(files.train, train);
  await writeFeatures(files.test, test);
  await writeFileAtomic(files.split, JSON.stringify({ fit: r.split.fit, heldOut: r.split.heldOut, wdGrid: DEFAULT_WD_GRID, diloWd: r.wd }));
  process.stderr.write(`${name}: running scikit-learn\n`);
  const out = execFileSync(PYTHON, [path.join(__dirname, '..', '..', '..', 'bench', 'sklearn_probe.py'), files.train, files.test, files.split], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const sk = JSON.parse(out.trim().split('\n').pop()!) as { top1: number; top5: number; wd: number; seconds: number; atDiloWd: { top1: number } };
  return {
    case: name,
    features: extractor.name,
    nTrain: train.n,
    nTest: test.n,
    d: train.d,
    diloTop1: r.top1,
    diloTop5: r.top5,
    diloWd: r.wd,
    diloSeconds: +diloSeconds.toFixed(2),
    sklearnTop1: sk.top1,
    sklearnTop5: sk.top5,
    sklearnWd: sk.wd,
    sklearnSeconds: +sk.seconds.toFixed(2),
    sklearnTop1AtDiloWd: sk.atDiloWd.top1,
    diff: +(100 * (r.top1 - sk.top1)).toFixed(2),
    timeRatio: +(diloSeconds / sk.seconds).toFixed(2),
  };
}

async function main(): Promise<void> {
  const root = findWorkspaceRoot();
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'dilo-eval-bench-'));
  const cases: CaseResult[] = [];
  const synth = path.join(root, 'data', 'objects-on-backgrounds-s0');
  if (!existsSync(synth)) throw new Error(`${synth}: generated dataset missing (run: pnpm dilo data synth --out data/objects-on-backgrounds-s0 --seed 0)`);
  cases.push(await runCase('synth-randconv', path.join(synth, 'train'), path.join(synth, 'val-same'), randomConvExtractor({ seed: 0, channels: 64 }), { resize: 64, crop: 64 }, work));
  const inet = sharedDataset('imagenette-128');
  // the imagenette case takes about 12 minutes here: opt-in
  if (inet && process.env.DILO_BENCH_FULL === '1') {
    cases.push(await runCase('imagenette-pixels', path.join(inet, 'train'), path.join(inet, 'val'), pixelExtractor({ size: 8 }), { resize: 128, crop: 128 }, work));
  } else {
    process.stderr.write(`imagenette-pixels: skipped (${inet ? 'set DILO_BENCH_FULL=1 to run it' : 'shared dataset imagenette-128 not found'})\n`);
  }
  await fs.rm(work, { recursive: true, force: true });
  const p = cases[0];
  for (const c of cases) process.stdout.write(`${c.case}: dilo top-1 ${(100 * c.diloTop1).toFixed(2)} (wd ${c.diloWd}, ${c.diloSeconds}s) | sklearn top-1 ${(100 * c.sklearnTop1).toFixed(2)} (wd ${c.sklearnWd}, ${c.sklearnSeconds}s) | diff ${c.diff} points\n`);
  printJsonResult({ diloTop1: p.diloTop1, sklearnTop1: p.sklearnTop1, diff: p.diff, diffUnit: 'top-1 points (dilo - sklearn)', withinOnePoint: cases.every((c) => Math.abs(c.diff) <= 1), cases, machine: `${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}` });
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
