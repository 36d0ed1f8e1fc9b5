/**
 * Data-parallel MoCo on PyTorch's c10d (Gloo over loopback), as real processes of the built CLI:
 * N processes follow one process with the same global batch and one BN group per process, a
 * killed rank stops the others, and a run written by 2 processes resumes on 1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateSynthDataset, selectBackend } from '@dilo/core';
import { freePort, readCheckpoint } from '@dilo/contrastive';
import { cliEntry } from './pipeline/stage';

async function torchHere(): Promise<boolean> {
  try {
    await selectBackend({ backend: 'torch', log: false });
    return true;
  } catch (err) {
    const msg = `data-parallel tests need the torch engine: ${(err as Error).message}`;
    if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: the addon must be built)`);
    process.stderr.write(`\n  SKIPPED ${msg}\n\n`);
    return false;
  }
}

interface Run {
  code: number | null;
  stderr: string;
  json: Record<string, unknown>;
}

function dilo(args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [cliEntry(), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return { code: r.status, stderr: r.stderr, json: last.startsWith('{') ? (JSON.parse(last) as Record<string, unknown>) : {} };
}

const losses = (run: string): number[] =>
  readFileSync(path.join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; loss?: number })
    .filter((e) => e.event === 'step')
    .map((e) => e.loss as number);

function expectClose(a: number[], b: number[], tol: number): void {
  expect(a).toHaveLength(b.length);
  const worst = Math.max(...a.map((x, i) => Math.abs(x - b[i]) / (1e-6 + Math.abs(b[i]))));
  expect(worst).toBeLessThan(tol);
}

async function maxWeightDiff(a: string, b: string): Promise<number> {
  const [x, y] = [await readCheckpoint(path.join(a, 'checkpoints', 'last.dckpt')), await readCheckpoint(path.join(b, 'checkpoints', 'last.dckpt'))];
  let worst = 0;
  for (const [name, t] of x.tensors) {
    if (!name.startsWith('encoder_q.')) continue;
    const u = y.tensors.get(name)!.data;
    for (let i = 0; i < t.data.length; i++) worst = Math.max(worst, Math.abs(t.data[i] - u[i]));
  }
  return worst;
}

let ok = false;
const root = mkdtempSync(path.join(os.tmpdir(), 'dilo-ddp-'));
const data = path.join(root, 'data');
// a tiny ResNet-18 (width 1/8, 16 px views): each run takes seconds
const base = (out: string, steps: number): string[] => [
  'pretrain', '--data', path.join(data, 'train'), '--method', 'mocov2', '--arch', 'resnet18', '--width', '0.125', '--small-stem', '--size', '16',
  '--epochs', '2', '--batch', '16', '--queue', '64', '--seed', '3', '--max-steps', String(steps), '--checkpoint-every', '1', '--backend', 'torch', '--out', out, '--json',
];

beforeAll(async () => {
  if (!existsSync(cliEntry())) throw new Error(`${cliEntry()} missing: build the CLI first (nx run cli:build)`);
  ok = await torchHere();
  if (ok) await generateSynthDataset({ out: data, seed: 1, classes: 4, size: 32, train: 64, val: 8 });
}, 120_000);

const maybe = (name: string, fn: () => Promise<void>, timeout: number): void => it(name, async () => (ok ? fn() : undefined), timeout);

describe('dilo pretrain --nproc (c10d, Gloo)', () => {
  maybe('2 processes follow 1 process with the same global batch and 2 BN groups; bit-identical when repeated, whatever the gradient buckets', async () => {
    const one = dilo([...base(path.join(root, 'one'), 6), '--query-bn-groups', '2', '--key-bn-groups', '2']);
    const two = dilo([...base(path.join(root, 'two'), 6), '--nproc', '2']);
    // repeated with 10 kB buckets: many all-reduces in flight during the backward pass instead of one
    const again = dilo([...base(path.join(root, 'two-again'), 6), '--nproc', '2', '--bucket-mb', '0.01']);
    for (const r of [one, two, again]) expect({ code: r.code, err: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, err: '' });
    expectClose(losses(path.join(root, 'two')), losses(path.join(root, 'one')), 1e-4);
    expect(await maxWeightDiff(path.join(root, 'two'), path.join(root, 'one'))).toBeLessThan(1e-4);
    // same machine, same processes: the same bits (Gloo's 2-rank sum has a fixed order, and each
    // gradient element is summed once whichever bucket carries it)
    expect(again.json.weightsSha256).toBe(two.json.weightsSha256);
    const cfg = JSON.parse(readFileSync(path.join(root, 'two', 'config.json'), 'utf8')) as { queryBnGroups: number; keyBnGroups: number };
    expect(cfg).toMatchObject({ queryBnGroups: 2, keyBnGroups: 2 });
    // what per-process BN legitimately changes: one process normalising the whole query batch at once
    // starts from the same weights but its queries, hence its losses, differ
    const whole = dilo([...base(path.join(root, 'whole'), 6), '--key-bn-groups', '2']);
    expect(whole.code).toBe(0);
    const [w, t] = [losses(path.join(root, 'whole')), losses(path.join(root, 'two'))];
    expect(Math.abs(w[0] - t[0])).toBeGreaterThan(1e-4);
    for (const l of w) expect(Number.isFinite(l)).toBe(true);
  }, 300_000);

  maybe('a checkpoint written by 2 processes resumes on 1 and continues as the uninterrupted run', async () => {
    const split = path.join(root, 'split');
    expect(dilo([...base(split, 3), '--nproc', '2']).code).toBe(0);
    const resumed = dilo(['pretrain', '--resume', split, '--max-steps', '6', '--backend', 'torch', '--json']);
    expect({ code: resumed.code, err: resumed.code === 0 ? '' : resumed.stderr }).toEqual({ code: 0, err: '' });
    expect(resumed.json).toMatchObject({ step: 6, resumedFrom: 3 });
    expectClose(losses(split), losses(path.join(root, 'one')), 1e-4);
    expect(await maxWeightDiff(split, path.join(root, 'one'))).toBeLessThan(1e-4);
    // 3 processes cannot split 2 BN groups: a clear error, nothing written
    const three = dilo(['pretrain', '--resume', split, '--max-steps', '8', '--backend', 'torch', '--nproc', '3']);
    expect(three.code).not.toBe(0);
    expect(three.stderr).toMatch(/not a multiple of 3 processes|does not split into 3/);
  }, 300_000);

  maybe('torchrun-style ranks: SIGKILL of rank 1 makes rank 0 exit non-zero within 30 s, no hang', async () => {
    const port = await freePort();
    const out = path.join(root, 'killed');
    const args = [cliEntry(), ...base(out, 10_000), '--dist-timeout', '20'];
    const t0 = Date.now();
    const ranks = [0, 1].map((rank) => {
      const p = spawn(process.execPath, args, { env: { ...process.env, RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), DILO_THREADS: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<{ code: number | null; signal: string | null; at: number; err: () => string }>((resolve) => p.on('exit', (code, signal) => resolve({ code, signal, at: Date.now(), err: () => err })));
      return { p, exited };
    });
    // wait until training runs (rank 0 has written a checkpoint), then kill rank 1 hard
    const metrics = path.join(out, 'metrics.jsonl');
    while (!(existsSync(metrics) && readFileSync(metrics, 'utf8').includes('"checkpoint"'))) {
      if (Date.now() - t0 > 120_000) throw new Error('the 2-rank run did not start training within 120 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const killedAt = Date.now();
    ranks[1].p.kill('SIGKILL');
    const [r0, r1] = await Promise.all(ranks.map((r) => r.exited));
    expect(r1.signal).toBe('SIGKILL');
    expect(r0.code).not.toBe(0);
    expect(r0.code).not.toBeNull();
    expect(r0.at - killedAt).toBeLessThan(30_000);
    process.stderr.write(`data-parallel: rank 0 exited ${r0.at - killedAt} ms after rank 1 was killed (code ${r0.code})\n`);
    expect(r0.err()).toMatch(/rank 0 of 2: .*(c10d|Connection|closed|timed out)/i);
    // the last checkpoint rank 0 wrote is intact and resumable
    expect(existsSync(path.join(out, 'checkpoints', 'last.dckpt'))).toBe(true);
    await readCheckpoint(path.join(out, 'checkpoints', 'last.dckpt'));
  }, 300_000);
});
