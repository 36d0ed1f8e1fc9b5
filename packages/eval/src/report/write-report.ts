/**
 * The evaluation report: report.html (self-contained: inline SVG plots, CAM examples as base64
 * PNG) and report.md (same tables; images copied beside it under images/).
 */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '@dilo/core';
import { escapeXml, linePlotSvg } from './svg-plot';
import type { RunData } from './run';

type Cell = string | number | null | undefined;

interface Table {
  title: string;
  header: string[];
  rows: Cell[][];
  note?: string;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const pct = (v: unknown): string => (num(v) === null ? '–' : (100 * (v as number)).toFixed(2));
const get = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((a, k) => (a && typeof a === 'object' ? (a as Record<string, unknown>)[k] : undefined), o);

export function reportTables(runs: RunData[]): Table[] {
  const tables: Table[] = [];
  tables.push({
    title: 'Classification (top-1 / top-5, %)',
    header: ['run', 'features', 'linear top-1', 'linear top-5', 'probe', 'kNN w. top-1', 'kNN w. top-5', 'kNN maj. top-1', 'kNN maj. top-5'],
    rows: runs.map((r) => {
      const l = r.evals.linear, k = r.evals.knn;
      return [r.name, String(get(l, 'features') ?? get(k, 'features') ?? '–'), pct(get(l, 'top1')), pct(get(l, 'top5')), l ? `${get(l, 'protocol')}${get(l, 'wd') !== undefined ? ` wd ${get(l, 'wd')}` : ''}` : '–', pct(get(k, 'weighted', 'top1')), pct(get(k, 'weighted', 'top5')), pct(get(k, 'majority', 'top1')), pct(get(k, 'majority', 'top5'))];
    }),
    note: 'kNN weighted: k=200, T=0.07 (weights exp(sim/T)); majority: k=20. Cosine similarity.',
  });
  tables.push({
    title: 'CAM localization (%)',
    header: ['run', 'energy inside mask', 'uniform-map level', 'pointing game', 'tolerance px', 'class', 'n'],
    rows: runs.map((r) => {
      const c = r.evals.cam;
      return [r.name, pct(get(c, 'energyInside')), pct(get(c, 'maskAreaFraction')), pct(get(c, 'pointingAccuracy')), (get(c, 'tolerance') as number) ?? '–', String(get(c, 'target') ?? '–'), (get(c, 'n') as number) ?? '–'];
    }),
    note: 'Energy: share of the min-max normalised CAM inside the ground-truth mask; the uniform-map level is the mean mask area (what a flat map scores).',
  });
  const variants = ['original', 'only-fg', 'only-bg', 'mixed-same', 'mixed-rand'];
  tables.push({
    title: 'Background robustness (top-1, %)',
    header: ['run', ...variants, 'BG-gap'],
    rows: runs.map((r) => {
      const b = r.evals.backgrounds;
      return [r.name, ...variants.map((v) => pct(get(b, 'variants', v, 'top1'))), pct(get(b, 'bgGap'))];
    }),
    note: 'BG-gap = mixed-same − mixed-rand (Xiao et al. 2020). Variants: native splits of the generated dataset where available, else constructed from masks.',
  });
  return tables;
}

function htmlTable(t: Table): string {
  const head = t.header.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${escapeXml(String(c ?? '–'))}</th>` : `<td>${escapeXml(String(c ?? '–'))}</td>`)).join('')}</tr>`).join('\n');
  return `<h2>${escapeXml(t.title)}</h2>\n<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${t.note ? `<p class="note">${escapeXml(t.note)}</p>` : ''}`;
}

function mdTable(t: Table): string {
  const esc = (c: Cell) => String(c ?? '–').replace(/\|/g, '\\|');
  return [`## ${t.title}`, '', `| ${t.header.join(' | ')} |`, `|${t.header.map(() => '---').join('|')}|`, ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`), '', t.note ?? '', ''].join('\n');
}

function camExamples(r: RunData, max: number): { file: string; caption: string }[] {
  const ex = (get(r.evals.cam, 'examples') as { file: string; className: string; energyInside: number; pointingHit: boolean }[] | undefined) ?? [];
  return ex
    .slice(0, max)
    .map((e) => ({ file: path.resolve(r.evalDir, e.file), caption: `${e.className}: energy ${pct(e.energyInside)}%, ${e.pointingHit ? 'hit' : 'miss'}` }))
    .filter((e) => existsSync(e.file));
}

export interface ReportOptions {
  title?: string;
  maxCamExamples?: number;
}

export async function writeReport(runs: RunData[], outDir: string, opts: ReportOptions = {}): Promise<{ html: string; md: string }> {
  const title = opts.title ?? 'dilo evaluation report';
  const maxEx = opts.maxCamExamples ?? 8;
  const tables = reportTables(runs);
  const generated = new Date().toISOString();
  // curves: one loss and one accuracy plot per run (runs differ in what they log)
  const curveHtml: string[] = [];
  for (const r of runs) {
    const plots = [
      r.curves.loss.length ? linePlotSvg(r.curves.loss, { title: `${r.name}: loss`, xLabel: r.xLabel, yLabel: 'loss' }) : '',
      r.curves.accuracy.length ? linePlotSvg(r.curves.accuracy, { title: `${r.name}: accuracy`, xLabel: r.xLabel, yLabel: 'accuracy' }) : '',
      r.curves.other.length ? linePlotSvg(r.curves.other.slice(0, 6), { title: `${r.name}: other`, xLabel: r.xLabel }) : '',
    ].filter(Boolean);
    const probe = get(r.evals.linear, 'history') as { epoch: number; loss: number; trainTop1: number }[] | undefined;
    if (probe?.length) {
      plots.push(linePlotSvg([{ name: 'probe loss', points: probe.map((h) => [h.epoch, h.loss]) }], { title: `${r.name}: linear probe loss`, xLabel: 'epoch', yLabel: 'loss' }));
      plots.push(linePlotSvg([{ name: 'probe train top-1', points: probe.map((h) => [h.epoch, h.trainTop1]) }], { title: `${r.name}: linear probe train accuracy`, xLabel: 'epoch', yLabel: 'top-1' }));
    }
    curveHtml.push(`<h3>${escapeXml(r.name)}</h3>${plots.length ? `<div class="plots">${plots.join('\n')}</div>` : `<p class="note">no curves (no metrics.jsonl${r.metricsFile ? ' numeric fields' : ''})</p>`}`);
  }
  const camHtml: string[] = [];
  const mdImages: string[] = [];
  await fs.mkdir(path.join(outDir, 'images'), { recursive: true });
  for (const [ri, r] of runs.entries()) {
    const ex = camExamples(r, maxEx);
    if (!ex.length) continue;
    const figs: string[] = [];
    mdImages.push(`### ${r.name}`, '');
    for (const [i, e] of ex.entries()) {
      const png = await fs.readFile(e.file);
      figs.push(`<figure><img alt="${escapeXml(e.caption)}" src="data:image/png;base64,${png.toString('base64')}"><figcaption>${escapeXml(e.caption)}</figcaption></figure>`);
      const rel = `images/run${ri}-cam${i}.png`;
      await writeFileAtomic(path.join(outDir, rel), png);
      mdImages.push(`![${e.caption}](${rel}) ${e.caption}  `);
    }
    mdImages.push('');
    camHtml.push(`<h3>${escapeXml(r.name)}</h3><p class="note">each example: image | CAM (jet) | overlay</p><div class="cams">${figs.join('\n')}</div>`);
  }
  const runList = runs.map((r) => `<li><b>${escapeXml(r.name)}</b>: <code>${escapeXml(r.dir)}</code></li>`).join('');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>
body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ccc;padding:4px 10px;text-align:right}
thead th{background:#f0f0f0;text-align:center}tbody th{text-align:left;background:#fafafa}
.note{color:#666;font-size:90%}.plots,.cams{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;font-size:85%}figure img{image-rendering:pixelated;width:288px;display:block;border:1px solid #ccc}
</style></head><body>
<h1>${escapeXml(title)}</h1>
<p class="note">generated ${generated} by <code>dilo eval report</code></p>
<ul>${runList}</ul>
${tables.map(htmlTable).join('\n')}
<h2>Training curves</h2>
${curveHtml.join('\n')}
<h2>CAM examples</h2>
${camHtml.length ? camHtml.join('\n') : '<p class="note">no CAM examples (run dilo eval cam --out RUN/eval)</p>'}
</body></html>
`;
  const md = [`# ${title}`, '', `generated ${generated} by \`dilo eval report\``, '', ...runs.map((r) => `- **${r.name}**: \`${r.dir}\``), '', ...tables.map(mdTable), '', '## CAM examples', '', ...(mdImages.length ? mdImages : ['none']), '', 'Curves are in report.html.', ''].join('\n');
  const files = { html: path.join(outDir, 'report.html'), md: path.join(outDir, 'report.md') };
  await writeFileAtomic(files.html, html);
  await writeFileAtomic(files.md, md);
  return files;
}
