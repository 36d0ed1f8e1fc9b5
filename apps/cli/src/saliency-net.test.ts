/**
 * `dilo saliency train` -> `dilo saliency --method net:RUN` -> `dilo saliency eval`, as real
 * processes on a small generated dataset: label-free training on RBD pseudo-masks of the train
 * images, maps of unseen images from the exported ONNX graph, scored against true masks.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliEntry } from './pipeline/stage';

function dilo(args: string[]): { code: number | null; stdout: string; stderr: string; json: Record<string, unknown> } {
  const r = spawnSync(process.execPath, [cliEntry(), ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: 240_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json: last.startsWith('{') ? (JSON.parse(last) as Record<string, unknown>) : {} };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-snet-cli-'));
const data = path.join(dir, 'data');
const run = path.join(dir, 'run');

test('train on pseudo-masks, predict with net:RUN, score against true masks', () => {
  const synth = dilo(['data', 'synth', '--out', data, '--seed', '2', '--train', '64', '--val', '16', '--size', '32', '--classes', '2', '--json']);
  expect(synth.code).toBe(0);
  const t = dilo(['saliency', 'train', '--images', path.join(data, 'train'), '--pseudo', 'rbd', '--out', run, '--size', '32', '--base', '4', '--levels', '3', '--epochs', '8', '--batch', '8', '--lr', '0.1', '--warmup-steps', '5', '--workers', '1', '--json']);
  expect(t.stderr).not.toMatch(/Error/);
  expect(t.code).toBe(0);
  expect(t.json).toMatchObject({ finished: true, steps: 64, processed: 64, skipped: 0, method: `net:${run}` });
  expect(existsSync(path.join(run, 'model.onnx')) && existsSync(path.join(run, 'saliency-net.json'))).toBe(true);
  expect(readdirSync(path.join(run, 'pseudo', 'rbd')).length).toBe(2); // class folders of maps
  const maps = path.join(dir, 'maps');
  const p = dilo(['saliency', '--method', `net:${run}`, '--images', path.join(data, 'val-only-fg'), '--out', maps, '--workers', '1', '--json']);
  expect(p.code).toBe(0);
  expect(p.json).toMatchObject({ method: 'onnx', computed: 16, failed: 0 });
  const e = dilo(['saliency', 'eval', '--pred', maps, '--gt', path.join(data, 'masks', 'val-only-fg'), '--json']);
  expect(e.code).toBe(0);
  expect(e.json.n).toBe(16);
  // objects on grey: a network that learnt anything separates them (a flat map scores ~0.2)
  expect(e.json.maxF as number).toBeGreaterThan(0.6);
});

test('a run that is not there, or not finished, is a clear error naming the file', () => {
  const r = dilo(['saliency', '--method', `net:${path.join(dir, 'nothing')}`, '--images', path.join(data, 'train'), '--out', path.join(dir, 'x')]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/nothing\/saliency-net\.json: no saliency-network run here/);
  const h = dilo(['saliency', 'train', '--help']);
  expect(h.code).toBe(0);
  expect(h.stdout).toMatch(/--pseudo/);
  expect(h.stdout).toMatch(/--resume/);
});
