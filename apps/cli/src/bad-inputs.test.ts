/**
 * The bad-input corpus (packages/core/src/bad-inputs.ts) through every command that reads images,
 * run as real processes so that anything a native decoder prints to fd 2 is seen too. For each:
 * no crash, each bad file named by exactly one `skip <file>: <problem>` line, nothing else on
 * stderr but progress lines and the summary, the counts in --json, exit code 3, and every good
 * file processed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeBadImageCorpus, writeBadMaskCorpus, type BadImageCorpus, type BadMaskCorpus } from '@dilo/core';
import { writeBadVocCorpus } from '@dilo/detection';
import { cliEntry } from './pipeline/stage';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

function dilo(args: string[]): Run {
  const r = spawnSync(process.execPath, [cliEntry(), ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: 240_000 });
  let json: Record<string, unknown> = {};
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (last.startsWith('{')) json = JSON.parse(last) as Record<string, unknown>;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

const skipLines = (r: Run): string[] => r.stderr.split('\n').filter((l) => l.startsWith('skip '));

/** stderr holds skip lines, progress lines (`label: i/n (p%) ...`) and `dilo ...:` summaries, nothing else */
function expectOnlyKnownStderr(r: Run, extra: RegExp[] = []): void {
  const progress = /^[\w -]+: \d+\/\d+ \(\d+%\)/;
  const odd = r.stderr
    .split(/[\n\r]/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('skip ') && !progress.test(l) && !/^dilo( \w+)?: /.test(l) && !extra.some((e) => e.test(l)));
  expect(odd).toEqual([]);
}

/** the files the skip lines name, relative to root, sorted */
function named(r: Run, root: string): string[] {
  return skipLines(r)
    .map((l) => path.relative(root, l.slice('skip '.length, l.indexOf(': ', 'skip '.length + root.length))))
    .sort();
}

describe('every command against the bad-input corpus', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'dilo-bad-cli-'));
  const flat = path.join(root, 'flat');
  const maps = path.join(root, 'maps');
  let corpus: BadImageCorpus;
  const folders = ['train/a', 'train/b', 'val/a', 'val/b'];

  beforeAll(async () => {
    if (!existsSync(cliEntry())) throw new Error(`${cliEntry()} missing: build the CLI first (nx run cli:build)`);
    corpus = await writeBadImageCorpus(flat);
    for (const f of folders) await writeBadImageCorpus(path.join(root, 'ds', f));
  });

  it('saliency: a map for every good image, each bad one named once, exit 3', () => {
    const r = dilo(['saliency', '--method', 'rbd', '--images', flat, '--out', maps, '--json']);
    expect(r.code).toBe(3);
    expect(named(r, flat)).toEqual(corpus.bad);
    expectOnlyKnownStderr(r);
    expect(r.json).toMatchObject({ processed: corpus.good.length, skipped: corpus.bad.length });
    for (const g of corpus.good) expect(existsSync(path.join(maps, g.replace(/\.\w+$/, '.png')))).toBe(true);
    // a second run reads every map from the cache and reports the same skips
    const again = dilo(['saliency', '--method', 'rbd', '--images', flat, '--out', maps, '--json']);
    expect(again.code).toBe(3);
    expect(again.json).toMatchObject({ computed: 0, cached: corpus.good.length, skipped: corpus.bad.length });
  });

  it('saliency eval with the corpus as ground truth: every good mask scored, every bad one named once', () => {
    const r = dilo(['saliency', 'eval', '--pred', maps, '--gt', flat, '--json']);
    expect(r.code).toBe(3);
    expect(named(r, flat)).toEqual(corpus.bad);
    expectOnlyKnownStderr(r);
    expect(r.json).toMatchObject({ n: corpus.good.length, processed: corpus.good.length, skipped: corpus.bad.length });
  });

  it('augment preview: draws from every good image, names every bad one once', () => {
    const out = path.join(root, 'preview.png');
    const r = dilo(['augment', 'preview', '--images', flat, '--maps', maps, '--out', out, '--n', '40', '--size', '32', '--cell', '16', '--json']);
    expect(r.code).toBe(3);
    expect(named(r, flat)).toEqual(corpus.bad);
    expectOnlyKnownStderr(r);
    expect(r.json).toMatchObject({ rows: corpus.good.length, processed: corpus.good.length, skipped: corpus.bad.length });
    expect(existsSync(out)).toBe(true);
  });

  it('eval knn (pixel features): every good image of both splits used, every bad one named once', () => {
    const r = dilo(['eval', 'knn', '--data', path.join(root, 'ds'), '--pixels', '4', '--k', '5', '--majority-k', '3', '--no-cache', '--json']);
    expect(r.code).toBe(3);
    const ds = path.join(root, 'ds');
    expect(named(r, ds)).toEqual(folders.flatMap((f) => corpus.bad.map((b) => `${f}/${b}`)).sort());
    expectOnlyKnownStderr(r, [/^(train|test) features/]);
    expect(r.json).toMatchObject({ n: 2 * corpus.good.length, inputs: { processed: 4 * corpus.good.length, skipped: 4 * corpus.bad.length } });
  });

  const pretrainArgs = (out: string): string[] => [
    'pretrain', '--data', path.join(root, 'ds', 'train'), '--method', 'mocov2', '--arch', 'resnet18', '--width', '0.125', '--small-stem',
    '--size', '16', '--epochs', '1', '--batch', '8', '--queue', '32', '--max-steps', '1', '--backend', 'wasm', '--out', out, '--json',
  ];

  it('pretrain without --skip-bad stops before training with the whole list; with it, trains on the good images', () => {
    const stopped = path.join(root, 'stopped');
    const r = dilo(pretrainArgs(stopped));
    expect(r.code).toBe(1);
    const train = path.join(root, 'ds', 'train');
    const bad = ['a', 'b'].flatMap((c) => corpus.bad.map((b) => `${c}/${b}`)).sort();
    expect(named(r, train)).toEqual(bad);
    expect(r.stderr).toMatch(new RegExp(`${bad.length} of ${2 * (corpus.good.length + corpus.bad.length)} training image\\(s\\) cannot be read .*--skip-bad`));
    expect(existsSync(stopped) ? readdirSync(stopped).filter((f) => f !== 'backend.json') : []).toEqual([]);

    const ok = dilo([...pretrainArgs(path.join(root, 'trained')), '--skip-bad']);
    expect(ok.code).toBe(3);
    expect(named(ok, train)).toEqual(bad);
    expect(ok.json).toMatchObject({ step: 1, inputs: { processed: 2 * corpus.good.length, skipped: bad.length } });
    expect(existsSync(ok.json.checkpoint as string)).toBe(true);
  });

  it('eval backgrounds: mask problems (wrong size, empty, all white, missing, orphaned) each named once, the good pairs evaluated', async () => {
    const ds = path.join(root, 'masked');
    let masks: BadMaskCorpus | null = null;
    for (const [split, c] of [['train', 'a'], ['train', 'b'], ['val', 'a'], ['val', 'b']]) {
      const tmp = path.join(root, `tmp-${split}-${c}`);
      masks = await writeBadMaskCorpus(tmp);
      mkdirSync(path.join(ds, split), { recursive: true });
      renameSync(path.join(tmp, 'images'), path.join(ds, split, c));
      if (split === 'val') {
        mkdirSync(path.join(ds, 'masks', 'val'), { recursive: true });
        renameSync(path.join(tmp, 'masks'), path.join(ds, 'masks', 'val', c));
      }
    }
    const r = dilo(['eval', 'backgrounds', '--data', ds, '--pixels', '4', '--no-cache', '--json']);
    expect(r.code).toBe(3);
    const want = ['a', 'b'].flatMap((c) => masks!.bad.map((b) => (b.file.startsWith('images/') ? `val/${c}/${b.file.slice(7)}` : `masks/val/${c}/${b.file.slice(6)}`))).sort();
    expect(named(r, ds)).toEqual(want);
    expectOnlyKnownStderr(r, [/^(train|test) features/, /^(backgrounds|variant)/i]);
    expect(r.json).toMatchObject({ inputs: { processed: 2 * 6 + 2 * masks!.good.length, skipped: want.length } });
  });

  it('a class folder of the test split that the training split lacks is a clear error naming it', async () => {
    const ds = path.join(root, 'mislabelled');
    for (const f of ['train/cat', 'train/dog', 'val/cat', 'val/dgo']) await writeBadImageCorpus(path.join(ds, f), 16);
    const r = dilo(['eval', 'knn', '--data', ds, '--pixels', '4', '--no-cache']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/val: its class folders differ from the training split's \(only in .*train: dog; only in .*val: dgo\)/);
  });

  it('detect train and detect predict: bad annotations and images named once, the good images used', async () => {
    const voc = path.join(root, 'voc');
    const c = await writeBadVocCorpus(voc, 64, 2);
    const run = path.join(root, 'detector');
    const data = `voc:${voc}:${c.split}`;
    const t = dilo([
      'detect', 'train', '--data', data, '--init', 'random', '--arch', 'resnet18', '--width', '0.0625', '--batch', '2', '--short-sides', '64', '--max-size', '96',
      '--rpn-batch', '16', '--roi-batch', '8', '--train-proposals', '20', '--test-proposals', '10', '--freeze-at', '0', '--iters', '1', '--backend', 'wasm', '--quiet', '--json', '--out', run,
    ]);
    expect(t.stderr.split('\n').filter((l) => !l.startsWith('skip ') && l.trim() && !/^dilo/.test(l))).toEqual([]);
    expect(t.code).toBe(3);
    expect(named(t, voc)).toEqual(c.bad.map((b) => b.file));
    expect(t.json).toMatchObject({ iters: 1, inputs: { processed: c.good.length, skipped: c.bad.length } });
    const p = dilo(['detect', 'predict', '--model', run, '--data', data, '--out', path.join(root, 'dets.json'), '--short', '64', '--backend', 'wasm', '--quiet', '--json']);
    expect(p.code).toBe(3);
    expect(named(p, voc)).toEqual(c.bad.map((b) => b.file));
    expect(p.json).toMatchObject({ images: c.good.length, inputs: { processed: c.good.length, skipped: c.bad.length } });
  }, 120_000);

  it('eval linear, eval features and eval cam name the same bad inputs and exit 3', () => {
    const ds = path.join(root, 'ds');
    const want = folders.flatMap((f) => corpus.bad.map((b) => `${f}/${b}`)).sort();
    const lin = dilo(['eval', 'linear', '--data', ds, '--pixels', '4', '--no-cache', '--json']);
    const feat = dilo(['eval', 'features', '--data', ds, '--pixels', '4', '--no-cache', '--out', path.join(root, 'feats'), '--json']);
    for (const r of [lin, feat]) {
      expect(r.code).toBe(3);
      expect(named(r, ds)).toEqual(want);
      expect(r.json).toMatchObject({ inputs: { processed: 4 * corpus.good.length, skipped: want.length } });
    }
    expect(lin.json.n).toBe(2 * corpus.good.length);
    expect(feat.json).toMatchObject({ train: { n: 2 * corpus.good.length }, test: { n: 2 * corpus.good.length } });
    // cam needs masks: the mask corpus of the backgrounds test
    const cam = dilo(['eval', 'cam', '--data', path.join(root, 'masked'), '--random-init', '--crop', '16', '--no-cache', '--json']);
    expect(cam.code).toBe(3);
    expect(cam.json).toMatchObject({ inputs: { skipped: 10 } });
  });
});
