/**
 * A run as the report sees it: RUN/metrics.jsonl (training curves, one JSON object per line)
 * and the evaluation results that `dilo eval … --out RUN/eval` wrote (linear.json, knn.json,
 * cam.json, backgrounds.json, cam/*.png). A folder holding those JSON files directly also works.
 */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DiloInputError } from '@dilo/core';
import type { Series } from './svg-plot';

export interface RunData {
  name: string;
  dir: string;
  evalDir: string;
  metricsFile: string | null;
  /** series grouped into plots: loss, accuracy, other */
  curves: { loss: Series[]; accuracy: Series[]; other: Series[] };
  xLabel: string;
  evals: Record<string, Record<string, unknown>>;
}

// step first: training logs carry both, and epoch is constant within an epoch
const X_KEYS = ['step', 'epoch', 'iter', 'iteration'];
/** bookkeeping fields that are not curves */
const SKIP_KEYS = ['t', 'total', 'seconds'];
const EVAL_KINDS = ['linear', 'knn', 'cam', 'backgrounds'];

/** Curves from JSONL metrics: every numeric field becomes a series against epoch/step/iter (or the line number). */
export function parseMetrics(text: string, file: string): { curves: RunData['curves']; xLabel: string } {
  const rows: Record<string, unknown>[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const v = JSON.parse(line);
      if (v && typeof v === 'object') rows.push(v);
    } catch {
      throw new DiloInputError(file, `line ${i + 1} is not JSON`);
    }
  });
  const xKey = X_KEYS.find((k) => rows.some((r) => typeof r[k] === 'number')) ?? null;
  const byName = new Map<string, [number, number][]>();
  const eventsOf = new Map<string, Set<string>>();
  rows.forEach((r, i) => {
    const x = xKey && typeof r[xKey] === 'number' ? (r[xKey] as number) : i;
    for (const [k, v] of Object.entries(r)) {
      if (typeof v !== 'number' || k === xKey || X_KEYS.includes(k) || SKIP_KEYS.includes(k)) continue;
      const ev = typeof r.event === 'string' ? r.event : '';
      const name = ev ? `${ev}.${k}` : k;
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name)!.push([x, v]);
      if (!eventsOf.has(k)) eventsOf.set(k, new Set());
      eventsOf.get(k)!.add(ev);
    }
  });
  const curves: RunData['curves'] = { loss: [], accuracy: [], other: [] };
  for (const [name, points] of byName) {
    const field = name.includes('.') ? name.slice(name.indexOf('.') + 1) : name;
    // drop the event prefix when the field name is unambiguous
    const label = (eventsOf.get(field)?.size ?? 0) > 1 ? name : field;
    const s = { name: label, points };
    if (/loss/i.test(field)) curves.loss.push(s);
    else if (/acc|top-?1|top-?5/i.test(field)) curves.accuracy.push(s);
    else curves.other.push(s);
  }
  return { curves, xLabel: xKey ?? 'record' };
}

export async function readRun(dir: string): Promise<RunData> {
  const abs = path.resolve(dir);
  if (!existsSync(abs)) throw new DiloInputError(abs, 'run folder not found');
  const evalDir = existsSync(path.join(abs, 'eval')) ? path.join(abs, 'eval') : abs;
  let name = path.basename(abs);
  for (const cfg of ['config.json', 'run.json']) {
    const f = path.join(abs, cfg);
    if (existsSync(f)) {
      try {
        const j = JSON.parse(await fs.readFile(f, 'utf8'));
        if (typeof j.name === 'string') name = j.name;
      } catch {
        throw new DiloInputError(f, 'not valid JSON');
      }
    }
  }
  const metricsFile = existsSync(path.join(abs, 'metrics.jsonl')) ? path.join(abs, 'metrics.jsonl') : null;
  const parsed = metricsFile ? parseMetrics(await fs.readFile(metricsFile, 'utf8'), metricsFile) : { curves: { loss: [], accuracy: [], other: [] }, xLabel: 'record' };
  const evals: RunData['evals'] = {};
  for (const k of EVAL_KINDS) {
    const f = path.join(evalDir, `${k}.json`);
    if (!existsSync(f)) continue;
    try {
      evals[k] = JSON.parse(await fs.readFile(f, 'utf8'));
    } catch {
      throw new DiloInputError(f, 'not valid JSON');
    }
  }
  if (!metricsFile && Object.keys(evals).length === 0) throw new DiloInputError(abs, 'neither metrics.jsonl nor evaluation results (eval/*.json) found');
  return { name, dir: abs, evalDir, metricsFile, curves: parsed.curves, xLabel: parsed.xLabel, evals };
}
