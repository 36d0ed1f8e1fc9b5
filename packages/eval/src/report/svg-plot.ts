/** Self-contained SVG line plots (no scripts, no external assets) for the HTML report. */

export interface Series {
  name: string;
  points: [number, number][];
}

export interface PlotOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(1) : String(+v.toPrecision(4));
}

export function linePlotSvg(series: Series[], opts: PlotOptions): string {
  const W = opts.width ?? 560, H = opts.height ?? 300;
  const m = { l: 58, r: 14, t: 28, b: 42 };
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(opts.title)}" font-family="sans-serif" font-size="11">`;
  const title = `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(opts.title)}</text>`;
  if (pts.length === 0) return `${head}${title}<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#888">no data</text></svg>`;
  let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - Math.max(1e-3, Math.abs(y0) * 0.1), y1 + Math.max(1e-3, Math.abs(y1) * 0.1)];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [head, `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="#fff" stroke="#999"/>`, title];
  for (const t of niceTicks(x0, x1, 6)) parts.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${H - m.b}" y2="${H - m.b + 4}" stroke="#666"/><text x="${sx(t)}" y="${H - m.b + 15}" text-anchor="middle">${fmt(t)}</text>`);
  for (const t of niceTicks(y0, y1, 5)) parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/><text x="${m.l - 5}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  if (opts.xLabel) parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  if (opts.yLabel) parts.push(`<text transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(opts.yLabel)}</text>`);
  series.forEach((s, i) => {
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const stride = Math.max(1, Math.ceil(p.length / 1500)); // keep the file small for long runs
    const d = p.filter((_, k) => k % stride === 0 || k === p.length - 1).map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    const color = PALETTE[i % PALETTE.length];
    if (p.length === 1) parts.push(`<circle cx="${sx(p[0][0])}" cy="${sy(p[0][1])}" r="3" fill="${color}"/>`);
    else parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.6" points="${d}"/>`);
    parts.push(`<rect x="${W - m.r - 150}" y="${m.t + 6 + i * 15}" width="10" height="3" fill="${color}"/><text x="${W - m.r - 136}" y="${m.t + 10 + i * 15}">${escapeXml(s.name.slice(0, 24))}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
