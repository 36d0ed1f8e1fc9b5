/**
 * `dilo demo`: DiLo end to end on the generated "objects on backgrounds" dataset.
 *   saliency (RBD) -> MoCo v2 and MoCo v2 + DiLo pre-training (same seed)
 *   -> linear, kNN, background robustness, CAM localization -> HTML report.
 * Every stage is a dilo command run with --json; finished stages are reused on a rerun
 * (saliency maps are cached per image, a finished pre-training run is detected by its result).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { generateSynthDataset, jobProgress, SYNTH_VERSION, writeFileAtomic } from '@dilo/core';
import { runStage } from './stage';
import type { DemoConfig } from './demo-config';

export interface DemoRunSummary {
  name: string;
  diloP: number;
  checkpoint: string;
  finalLoss: number;
  pretrainImgPerSec: number;
  linearTop1: number;
  knnTop1: number;
  /** top-1 of the linear probe on each background variant */
  backgrounds: Record<string, number>;
  bgGap: number;
  camEnergyInside: number;
  camPointing: number;
}

export interface DemoSummary {
  dataset: string;
  out: string;
  report: string;
  config: DemoConfig;
  runs: { moco: DemoRunSummary; dilo: DemoRunSummary };
  /** dilo minus moco on the numbers DiLo is about */
  delta: { mixedRand: number; bgGap: number; camEnergyInside: number; linearTop1: number };
  wallSeconds: number;
}

/** Generate the dataset unless it is already there with the same seed and generator version. */
export async function ensureSynthDataset(dir: string, seed: number): Promise<boolean> {
  const metaFile = path.join(dir, 'meta.json');
  if (existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { seed: number; version: number };
    if (meta.seed === seed && meta.version === SYNTH_VERSION) return false;
  }
  const progress = jobProgress('dataset');
  await generateSynthDataset({ out: dir, seed, onProgress: progress.onProgress }).finally(progress.stop);
  return true;
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`demo: stage result lacks a number for ${what}`);
  return v;
}

async function pretrainRun(name: string, cfg: DemoConfig, data: string, out: string, maps: string, p: number): Promise<{ checkpoint: string; finalLoss: number; imgPerSec: number }> {
  const run = path.join(out, name);
  const resultFile = path.join(run, 'pretrain-result.json');
  const pc = cfg.pretrain;
  const args = [
    'pretrain', '--data', path.join(data, 'train'), '--method', pc.method, '--arch', pc.arch, '--width', String(pc.width), '--small-stem',
    '--size', String(pc.size), '--epochs', String(pc.epochs), '--batch', String(pc.batch), '--queue', String(pc.queue),
    '--seed', String(cfg.seed), '--workers', String(pc.workers), '--out', run,
    ...(pc.maxSteps ? ['--max-steps', String(pc.maxSteps)] : []),
    ...(p > 0 ? ['--dilo-p', String(p), '--background', cfg.dilo.background, '--maps', maps] : []),
  ];
  // a finished run with the same arguments is reused; an interrupted one resumes
  if (existsSync(resultFile)) {
    const prev = JSON.parse(readFileSync(resultFile, 'utf8')) as { args: string[]; json: Record<string, unknown> };
    if (JSON.stringify(prev.args) === JSON.stringify(args)) {
      process.stderr.write(`== pretrain ${name}: reusing the finished run in ${run}\n`);
      return { checkpoint: String(prev.json.checkpoint), finalLoss: num(prev.json.finalLoss, 'finalLoss'), imgPerSec: num(prev.json.imgPerSec, 'imgPerSec') };
    }
  }
  const resumable = existsSync(path.join(run, 'checkpoints', 'last.dckpt')) && existsSync(path.join(run, 'demo-args.json')) &&
    readFileSync(path.join(run, 'demo-args.json'), 'utf8') === JSON.stringify(args);
  if (!resumable) await writeFileAtomic(path.join(run, 'demo-args.json'), JSON.stringify(args));
  const r = await runStage(`pretrain ${name}`, resumable ? ['pretrain', '--resume', run] : args);
  await writeFileAtomic(resultFile, JSON.stringify({ args, json: r.json }, null, 2));
  return { checkpoint: String(r.json.checkpoint), finalLoss: num(r.json.finalLoss, 'finalLoss'), imgPerSec: num(r.json.imgPerSec, 'imgPerSec') };
}

export interface EvalRunOptions {
  run: string;
  data: string;
  seed: number;
  /** test split folder under data (default: the eval commands' default) */
  testSplit?: string;
  /** masks of the test split (the generated dataset has its own) */
  masks?: string;
  /** evaluate background robustness and CAM (needs masks; default true) */
  localization?: boolean;
}

export interface EvalRunSummary {
  linearTop1: number;
  linearTop5: number;
  knnTop1: number;
  knnMajorityTop1: number;
  backgrounds: Record<string, number> | null;
  bgGap: number | null;
  camEnergyInside: number | null;
  camPointing: number | null;
}

/** The evaluation stages of one pre-training run; results also land in RUN/eval/<command>.json. */
export async function evaluateRun(label: string, o: EvalRunOptions): Promise<EvalRunSummary> {
  const common = ['--checkpoint', o.run, '--data', o.data, '--seed', String(o.seed), '--out', path.join(o.run, 'eval'),
    ...(o.testSplit ? ['--test-split', o.testSplit] : []), ...(o.masks ? ['--masks', o.masks] : [])];
  const linear = (await runStage(`eval linear ${label}`, ['eval', 'linear', ...common])).json;
  const knn = (await runStage(`eval knn ${label}`, ['eval', 'knn', ...common])).json;
  let backgrounds: Record<string, number> | null = null, bgGap: number | null = null, camEnergyInside: number | null = null, camPointing: number | null = null;
  if (o.localization !== false) {
    const bg = (await runStage(`eval backgrounds ${label}`, ['eval', 'backgrounds', ...common])).json;
    const cam = (await runStage(`eval cam ${label}`, ['eval', 'cam', ...common])).json;
    const variants = bg.variants as Record<string, { top1: number }>;
    backgrounds = Object.fromEntries(Object.entries(variants).map(([k, v]) => [k, num(v.top1, `${k} top1`)]));
    bgGap = num(bg.bgGap, 'bgGap');
    camEnergyInside = num(cam.energyInside, 'cam energyInside');
    camPointing = num(cam.pointingAccuracy, 'cam pointingAccuracy');
  }
  return {
    linearTop1: num(linear.top1, 'linear top1'),
    linearTop5: num(linear.top5, 'linear top5'),
    knnTop1: num((knn.weighted as { top1: number }).top1, 'knn top1'),
    knnMajorityTop1: num((knn.majority as { top1: number }).top1, 'knn majority top1'),
    backgrounds, bgGap, camEnergyInside, camPointing,
  };
}

async function demoEval(name: string, p: number, run: string, data: string, trained: { checkpoint: string; finalLoss: number; imgPerSec: number }, seed: number): Promise<DemoRunSummary> {
  const e = await evaluateRun(name, { run, data, seed });
  return {
    name, diloP: p, checkpoint: trained.checkpoint, finalLoss: trained.finalLoss, pretrainImgPerSec: trained.imgPerSec,
    linearTop1: e.linearTop1, knnTop1: e.knnTop1,
    backgrounds: e.backgrounds as Record<string, number>, bgGap: e.bgGap as number,
    camEnergyInside: e.camEnergyInside as number, camPointing: e.camPointing as number,
  };
}

export async function runDemo(cfg: DemoConfig, data: string, out: string): Promise<DemoSummary> {
  const t0 = Date.now();
  await ensureSynthDataset(data, cfg.seed);
  const maps = path.join(out, 'saliency', cfg.saliency.method, 'train');
  await runStage(`saliency ${cfg.saliency.method}`, [
    'saliency', '--method', cfg.saliency.method, '--params', JSON.stringify(cfg.saliency.params),
    '--images', path.join(data, 'train'), '--out', maps, '--cache', path.join(out, 'saliency', '.cache'),
  ]);
  const moco = await pretrainRun('moco', cfg, data, out, maps, 0);
  const dilo = await pretrainRun('dilo', cfg, data, out, maps, cfg.dilo.p);
  const mocoEval = await demoEval('moco', 0, path.join(out, 'moco'), data, moco, cfg.seed);
  const diloEval = await demoEval('dilo', cfg.dilo.p, path.join(out, 'dilo'), data, dilo, cfg.seed);
  const reportDir = path.join(out, 'report');
  await runStage('report', ['eval', 'report', path.join(out, 'moco'), path.join(out, 'dilo'), '--out', reportDir, '--title', 'dilo demo: MoCo v2 vs MoCo v2 + DiLo']);
  const summary: DemoSummary = {
    dataset: data,
    out,
    report: path.join(reportDir, 'report.html'),
    config: cfg,
    runs: { moco: mocoEval, dilo: diloEval },
    delta: {
      mixedRand: diloEval.backgrounds['mixed-rand'] - mocoEval.backgrounds['mixed-rand'],
      bgGap: diloEval.bgGap - mocoEval.bgGap,
      camEnergyInside: diloEval.camEnergyInside - mocoEval.camEnergyInside,
      linearTop1: diloEval.linearTop1 - mocoEval.linearTop1,
    },
    wallSeconds: (Date.now() - t0) / 1000,
  };
  await writeFileAtomic(path.join(out, 'demo-summary.json'), JSON.stringify(summary, null, 2));
  return summary;
}
