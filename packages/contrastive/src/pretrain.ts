import * as path from 'node:path';
import { existsSync, promises as fs } from 'node:fs';
import { DiloInputError, JsonlLog, Progress, Rng, type Collectives, type RngState, writeFileAtomic } from '@dilo/core';
import { Moco, type MocoMethod, defaultKeyBnGroups, mocoDefaults } from './moco';
import type { ResNetArch } from './resnet';
import { type ScheduleKind, learningRate, scaledLearningRate } from './sgd';
import { type CheckpointTensor, loadParamMap, paramMapTensors, readCheckpoint, saveCheckpoint } from './checkpoint';
import { toTorchLayout, torchShape } from './params';
import { SimpleViewSource, listTrainingImages, type ViewBatchSource } from './views';

/** Everything that defines a run; saved in every checkpoint and in RUN/config.json. */
export interface PretrainConfig {
  method: MocoMethod;
  arch: ResNetArch;
  width: number;
  smallStem: boolean;
  /** view side in pixels */
  size: number;
  epochs: number;
  batch: number;
  seed: number;
  /** base lr (default 0.03 * batch / 256) */
  lr: number;
  schedule: ScheduleKind;
  dim: number;
  queueSize: number;
  momentum: number;
  temperature: number;
  keyBnGroups: number;
  /** BN groups of the global query batch: 1 on one process; data parallel: a multiple of the processes (each normalises its share) */
  queryBnGroups: number;
  weightDecay: number;
  sgdMomentum: number;
  /** optimiser steps between checkpoints (also at each epoch end) */
  checkpointEvery: number;
  /** the image folder (null when views come from a caller's source) */
  data: string | null;
  /** which view maker produced the batches: 'builtin' (SimpleViewSource) or 'augment' (@dilo/augment) */
  views: string;
  /** DiLo copy-paste settings of the augment views (null: plain MoCo) */
  dilo: { p: number; background: string; maps?: string } | null;
}

export type PretrainConfigInput = Pick<PretrainConfig, 'method' | 'arch' | 'epochs' | 'batch' | 'seed'> & Partial<PretrainConfig>;

/** Fill the reference defaults in and check the values. */
export function resolveConfig(c: PretrainConfigInput): PretrainConfig {
  const d = mocoDefaults(c.method);
  const cfg: PretrainConfig = {
    width: 1,
    smallStem: false,
    size: 224,
    lr: scaledLearningRate(c.batch),
    schedule: c.method === 'mocov1' ? 'step' : 'cosine',
    dim: d.dim,
    queueSize: d.queueSize,
    momentum: d.momentum,
    temperature: d.temperature,
    keyBnGroups: defaultKeyBnGroups(c.batch),
    queryBnGroups: 1,
    weightDecay: 1e-4,
    sgdMomentum: 0.9,
    checkpointEvery: 500,
    data: null,
    views: 'builtin',
    dilo: null,
    ...stripUndefined(c),
  } as PretrainConfig;
  const bad = (m: string) => {
    throw new RangeError(m);
  };
  if (!['mocov1', 'mocov2'].includes(cfg.method)) bad(`--method must be mocov1 or mocov2, got ${cfg.method}`);
  if (!Number.isInteger(cfg.batch) || cfg.batch < 2) bad(`--batch must be an integer >= 2, got ${cfg.batch}`);
  if (!Number.isInteger(cfg.epochs) || cfg.epochs < 1) bad(`--epochs must be a positive integer, got ${cfg.epochs}`);
  if (!Number.isInteger(cfg.seed)) bad(`--seed must be an integer, got ${cfg.seed}`);
  if (!Number.isInteger(cfg.size) || cfg.size < 8) bad(`--size must be an integer >= 8, got ${cfg.size}`);
  if (!(cfg.width > 0)) bad(`--width must be positive, got ${cfg.width}`);
  if (cfg.queueSize % cfg.batch !== 0) bad(`the queue size ${cfg.queueSize} must be a multiple of the batch ${cfg.batch}`);
  if (cfg.batch % cfg.keyBnGroups !== 0) bad(`the batch ${cfg.batch} must divide into ${cfg.keyBnGroups} key BN groups`);
  if (!Number.isInteger(cfg.queryBnGroups) || cfg.queryBnGroups < 1 || cfg.batch % cfg.queryBnGroups !== 0) bad(`the batch ${cfg.batch} must divide into ${cfg.queryBnGroups} query BN groups`);
  if (!(cfg.lr > 0)) bad(`--lr must be positive, got ${cfg.lr}`);
  if (!Number.isInteger(cfg.checkpointEvery) || cfg.checkpointEvery < 1) bad(`--checkpoint-every must be a positive integer`);
  return cfg;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface PretrainOptions {
  /** run folder (checkpoints, metrics.jsonl, config.json) */
  out: string;
  /** new run: its configuration (ignored when resuming: the checkpoint's is used) */
  config?: PretrainConfigInput;
  /** continue the run in `out` from its last checkpoint */
  resume?: boolean;
  /** stop once the global step count reaches this (the schedule still follows `epochs`) */
  maxSteps?: number;
  /** the views (default: the built-in view maker on config.data) */
  source?: ViewBatchSource;
  /** builds the source from the resolved config (used on resume by the CLI); `shard`: this process's share of each batch */
  makeSource?: (cfg: PretrainConfig, shard: { rank: number; world: number }) => Promise<ViewBatchSource>;
  /**
   * Data parallel: a c10d process group (createProcessGroup). Every rank runs pretrain() with the
   * same options; batches are sharded, gradients all-reduced, and only rank 0 writes the run folder.
   */
  dist?: Collectives;
  /** data parallel: gradient bucket size in MB (default 25, DDP's); a run-time setting, so a resumed run may change it */
  bucketMb?: number;
  /** progress bar on stderr (default true) */
  progress?: boolean;
  /** called after every step; throwing from it aborts the run without a checkpoint (tests simulate kill -9 this way) */
  onStep?: (step: number, loss: number) => void;
}

export interface PretrainResult {
  run: string;
  checkpoint: string;
  weightsSha256: string;
  step: number;
  epoch: number;
  finalLoss: number;
  imgPerSec: number;
  seconds: number;
  /**
   * seconds the training loop waited for the view loader (MoCo's "Data" meter, summed over the
   * run's steps); near 0 when the loader keeps up, a large share of `seconds` when it is the
   * bottleneck (more --workers, or fewer torch threads, then help)
   */
  dataSeconds: number;
  resumedFrom: number | null;
}

/** The run's checkpoint file (latest state; replaced atomically). */
export function lastCheckpointPath(run: string): string {
  return path.join(run, 'checkpoints', 'last.dckpt');
}

export class PretrainDivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PretrainDivergedError';
  }
}

interface RunState {
  config: PretrainConfig;
  step: number;
  shuffleRng: RngState;
  queuePtr: number;
  loss: number | null;
}

function checkpointTensors(moco: Moco): CheckpointTensor[] {
  const out = [...paramMapTensors('encoder_q.', moco.encoderQ.params), ...paramMapTensors('encoder_k.', moco.encoderK.params)];
  for (const [name, e] of moco.encoderQ.params.params) {
    // momentum buffers share their parameter's layout; before the first step they are zero
    const buf = moco.sgd.buffers.get(name);
    const t = buf ? toTorchLayout(e.kind, buf) : null;
    const shape = torchShape(e.kind, e.variable.shape);
    out.push({ name: `optimizer.momentum_buffer.encoder_q.${name}`, kind: e.kind, shape, data: t ? (t.dataSync() as Float32Array) : new Float32Array(e.variable.size) });
    t?.dispose();
  }
  out.push({ name: 'queue', kind: 'vector', shape: [moco.config.dim, moco.config.queueSize], data: moco.queue.data });
  return out;
}

/**
 * MoCo pre-training with checkpoints and exact resume: the batches, the key shuffles and the
 * updates are functions of (seed, step), and a checkpoint holds everything else.
 */
export async function pretrain(opts: PretrainOptions): Promise<PretrainResult> {
  const ckptFile = lastCheckpointPath(opts.out);
  let cfg: PretrainConfig;
  let resumed: Awaited<ReturnType<typeof readCheckpoint>> | null = null;
  if (opts.resume) {
    if (!existsSync(ckptFile)) throw new DiloInputError(ckptFile, 'no checkpoint to resume from');
    resumed = await readCheckpoint(ckptFile);
    // runs written before query BN groups existed normalised the whole query batch at once
    const saved = (resumed.header.state as unknown as RunState).config;
    cfg = { ...saved, queryBnGroups: saved.queryBnGroups ?? 1 };
  } else {
    if (!opts.config) throw new RangeError('pretrain: a config is needed for a new run');
    cfg = resolveConfig(opts.config);
    if (existsSync(ckptFile)) throw new DiloInputError(opts.out, 'already holds a run (use --resume to continue it, or another --out)');
  }
  const dist = opts.dist ?? null;
  const world = dist?.worldSize ?? 1;
  const lead = !dist || dist.rank === 0; // writes config, metrics, checkpoints and the progress bar
  if (cfg.batch % world !== 0) throw new RangeError(`the batch ${cfg.batch} does not split into ${world} equal process shares`);
  for (const [what, g] of [['key', cfg.keyBnGroups], ['query', cfg.queryBnGroups]] as const) {
    if (g % world !== 0) throw new RangeError(`${what} BN groups ${g} of this run are not a multiple of ${world} processes (each process normalises its own share); run with a number of processes that divides ${g}`);
  }
  const shard = { rank: dist?.rank ?? 0, world };
  const source = opts.source ?? (opts.makeSource ? await opts.makeSource(cfg, shard) : await builtinSource(cfg, shard));
  const bpe = source.batchesPerEpoch;
  const total = Math.min(cfg.epochs * bpe, opts.maxSteps ?? Infinity);

  const moco = new Moco(
    { method: cfg.method, arch: cfg.arch, width: cfg.width, smallStem: cfg.smallStem, dim: cfg.dim, queueSize: cfg.queueSize, momentum: cfg.momentum, temperature: cfg.temperature, keyBnGroups: cfg.keyBnGroups, queryBnGroups: cfg.queryBnGroups },
    cfg.seed,
    { momentum: cfg.sgdMomentum, weightDecay: cfg.weightDecay },
    dist,
  );
  if (opts.bucketMb !== undefined) moco.bucketMb = opts.bucketMb;
  let step = 0;
  let lastLoss: number | null = null;
  let lastSaved: { step: number; sha: string } | null = null;
  if (resumed) {
    const st = resumed.header.state as unknown as RunState;
    loadParamMap('encoder_q.', moco.encoderQ.params, resumed.tensors, ckptFile);
    loadParamMap('encoder_k.', moco.encoderK.params, resumed.tensors, ckptFile);
    moco.sgd.loadBuffers(moco.encoderQ.params, resumed.tensors, 'optimizer.momentum_buffer.encoder_q.', ckptFile);
    const q = resumed.tensors.get('queue');
    if (!q || q.data.length !== moco.queue.data.length) throw new DiloInputError(ckptFile, 'checkpoint has no queue of the configured size');
    moco.queue.data.set(q.data);
    moco.queue.ptr = st.queuePtr;
    moco.shuffleRng = Rng.fromState(st.shuffleRng);
    step = st.step;
    lastLoss = st.loss;
    lastSaved = { step, sha: resumed.header.weightsSha256 };
  }
  const resumedFrom = resumed ? step : null;
  const metricsFile = path.join(opts.out, 'metrics.jsonl');
  let log: Pick<JsonlLog, 'write'> = { write: () => undefined };
  if (lead) {
    await writeFileAtomic(path.join(opts.out, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
    const dropped = resumed ? await truncateMetrics(metricsFile, step) : null;
    log = new JsonlLog(metricsFile);
    log.write(resumed ? 'resume' : 'start', { step, total, config: cfg, processes: world, ...(dropped ? { droppedLines: dropped } : {}) });
  }

  const save = async () => {
    if (!lead) return; // the ranks hold the same weights, queue and RNG state: rank 0 writes them
    const state: RunState = { config: cfg, step, shuffleRng: moco.shuffleRng.getState(), queuePtr: moco.queue.ptr, loss: lastLoss };
    const header = await saveCheckpoint(ckptFile, { ...state, epoch: Math.floor(step / bpe) } as unknown as Record<string, unknown>, checkpointTensors(moco));
    lastSaved = { step, sha: header.weightsSha256 };
    log.write('checkpoint', { step, file: ckptFile, weightsSha256: header.weightsSha256 });
  };

  const progress = new Progress({ label: 'pretrain', total: (total - step) * cfg.batch, silent: opts.progress === false || !lead });
  const t0 = Date.now();
  let images = 0;
  let dataMs = 0;
  try {
    outer: while (step < total) {
      const epoch = Math.floor(step / bpe);
      const lr = learningRate(cfg.lr, cfg.schedule, epoch, cfg.epochs);
      let waitFrom = Date.now();
      for await (const b of source.epoch(epoch, step % bpe)) {
        if (b.size !== cfg.size || b.n * world !== cfg.batch) throw new Error(`view source gave a batch of ${b.n} x ${b.size}px, the run is configured for ${cfg.batch / world} x ${cfg.size}px per process`);
        const ts = Date.now();
        const dataSeconds = (ts - waitFrom) / 1000;
        dataMs += ts - waitFrom;
        const r = moco.step(b.query, b.key, b.n, b.size, lr);
        if (!Number.isFinite(r.loss)) {
          const keep = lastSaved ? `the last good checkpoint ${ckptFile} (step ${lastSaved.step}) is kept` : 'no checkpoint had been written yet';
          log.write('diverged', { step: step + 1, loss: String(r.loss) });
          throw new PretrainDivergedError(`loss is ${r.loss} at step ${step + 1} (epoch ${epoch}, lr ${lr}): training stopped; ${keep}. Lower --lr or check the input images.`);
        }
        step++;
        images += b.n * world;
        lastLoss = r.loss;
        const imgPerSec = images / ((Date.now() - t0) / 1000);
        log.write('step', { step, epoch, loss: r.loss, accuracy: r.accuracy, lr, stepSeconds: (Date.now() - ts) / 1000, dataSeconds, imgPerSec });
        progress.tick(b.n * world, { loss: r.loss, lr, ep: epoch, wait: `${Math.round((100 * dataMs) / Math.max(1, Date.now() - t0))}%` });
        opts.onStep?.(step, r.loss);
        if (step % cfg.checkpointEvery === 0 || step % bpe === 0 || step === total) await save();
        if (step >= total) break outer;
        waitFrom = Date.now();
      }
    }
  } finally {
    progress.stop();
    if (!opts.source) await source.close?.();
  }
  if (lead && (!lastSaved || lastSaved.step !== step)) await save();
  const seconds = (Date.now() - t0) / 1000;
  const result: PretrainResult = {
    run: opts.out,
    checkpoint: ckptFile,
    weightsSha256: lastSaved?.sha ?? '',
    step,
    epoch: Math.floor(step / bpe),
    finalLoss: lastLoss ?? NaN,
    imgPerSec: seconds > 0 ? images / seconds : 0,
    seconds,
    dataSeconds: dataMs / 1000,
    resumedFrom,
  };
  log.write('end', { ...result });
  moco.dispose();
  return result;
}

/**
 * On resume, metrics.jsonl keeps what happened up to the checkpoint: the step lines after it
 * (computed again now) and a line cut short by the kill are dropped, so every step appears once.
 */
async function truncateMetrics(file: string, step: number): Promise<number> {
  if (!existsSync(file)) return 0;
  const lines = (await fs.readFile(file, 'utf8')).split('\n').filter((l) => l.length > 0);
  const keep = lines.filter((l) => {
    try {
      const e = JSON.parse(l) as { event?: string; step?: number };
      return !((e.event === 'step' || e.event === 'checkpoint') && (e.step ?? 0) > step);
    } catch {
      return false;
    }
  });
  if (keep.length !== lines.length) await writeFileAtomic(file, keep.map((l) => l + '\n').join(''));
  return lines.length - keep.length;
}

async function builtinSource(cfg: PretrainConfig, shard: { rank: number; world: number }): Promise<ViewBatchSource> {
  if (!cfg.data) throw new RangeError('pretrain: --data is required');
  return new SimpleViewSource(await listTrainingImages(cfg.data), cfg.batch, cfg.size, cfg.seed, undefined, shard);
}
