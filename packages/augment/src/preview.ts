import sharp from 'sharp';
import { encodePng, imageList, pairMasks, Rng, screenManifest, SkipReport, writeFileAtomic, DiloInputError, type RgbImage, type SkippedFile } from '@dilo/core';
import { augmentPreset, type AugmentConfig, type BackgroundSpec } from './config';
import { TwoViewSampler, decodeSample, viewRng } from './two-view';
import { planView, type ViewPlan } from './view-plan';
import { samplesFromManifest } from './samples';
import { axisCoeffs, resampleRgb, Scratch } from './transforms/resample';
import { denormalizeToRgb } from './transforms/normalize';

export interface PreviewOptions {
  images: string;
  maps: string;
  out: string;
  /** rows (samples) in the grid */
  n?: number;
  seed?: number;
  /** texture folder for the texture-background column (omitted when absent) */
  textures?: string[];
  /** view size of the MoCo v2 pipeline */
  size?: number;
  /** paste probability of the final views (DiLo: 0.3) */
  p?: number;
  /** side of one grid cell in pixels */
  cell?: number;
  /** where skipped inputs are named (default: one line each on stderr) */
  report?: SkipReport;
}

export interface PreviewResult {
  out: string;
  rows: number;
  columns: string[];
  width: number;
  height: number;
  /** per row: the sample's image and whether the query / key views were pasted */
  samples: { image: string; queryPasted: boolean; keyPasted: boolean }[];
  /** images left out for want of a usable map */
  /** images with a usable map that were drawn from */
  processed: number;
  /** inputs left out (unreadable image or map, no map, map of another size, map without image), each named on stderr */
  skipped: number;
  skippedFiles: SkippedFile[];
}

const HEADER = 24;
const FOOTER = 16;

/** Stretch-free fit of an HWC (uint8 or float) image into a cell, letterboxed on dark grey. */
function fitInto(canvas: Uint8Array, canvasW: number, x0: number, y0: number, cell: number, src: Uint8Array | Float32Array, w: number, h: number, scratch: Scratch): void {
  const s = Math.min(cell / w, cell / h);
  const ow = Math.max(1, Math.round(w * s));
  const oh = Math.max(1, Math.round(h * s));
  const dst = new Float32Array(ow * oh * 3);
  resampleRgb(src, w, axisCoeffs(0, w, 0, w, ow), axisCoeffs(0, h, 0, h, oh), dst, scratch);
  const ox = x0 + Math.floor((cell - ow) / 2);
  const oy = y0 + Math.floor((cell - oh) / 2);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      for (let c = 0; c < 3; c++) {
        const v = dst[(y * ow + x) * 3 + c];
        canvas[((oy + y) * canvasW + ox + x) * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
      }
    }
  }
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);
}

/**
 * A grid for a person to look at: one row per sample with the original, its map, the
 * copy-paste composite on each kind of background (full image, before the crop), and the final
 * MoCo v2 query and key views (de-normalised; below each, whether it was pasted).
 */
export async function augmentPreview(o: PreviewOptions): Promise<PreviewResult> {
  const n = o.n ?? 8;
  const seed = o.seed ?? 0;
  const cell = o.cell ?? 160;
  const size = o.size ?? 224;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--n must be a positive integer, got ${n}`);
  if (!Number.isInteger(cell) || cell < 16) throw new RangeError(`--cell must be an integer >= 16, got ${cell}`);
  const report = o.report ?? new SkipReport();
  const paired = await screenManifest(await pairMasks(await imageList(o.images), o.maps), { report, masks: 'decode' });
  if (paired.samples.length === 0) throw new DiloInputError(o.maps, `no image under ${o.images} has a usable map here (${report.skipped} skipped, listed above)`);
  const samples = samplesFromManifest(paired);
  const picked = new Rng(seed).stream('preview').permutation(samples.length).slice(0, Math.min(n, samples.length));

  const backgrounds: [string, BackgroundSpec][] = [['grey', { kind: 'grey' }]];
  if (o.textures?.length) backgrounds.push(['texture', { kind: 'texture', files: o.textures }]);
  if (samples.length > 1) {
    backgrounds.push(['natural', { kind: 'natural', removeForeground: false }]);
    backgrounds.push(['natural, fg removed', { kind: 'natural', removeForeground: true }]);
  }
  const pasteSamplers = backgrounds.map(([, background]) => {
    const c: AugmentConfig = augmentPreset('mocov2', { size, paste: { p: 1, blurProb: 0.5, background } });
    return new TwoViewSampler({ samples, config: c, seed });
  });
  const viewSampler = new TwoViewSampler({ samples, config: augmentPreset('mocov2', { size, paste: { p: o.p ?? 0.3 } }), seed });

  const columns = ['original', 'map', ...backgrounds.map(([name]) => `on ${name}`), 'query', 'key'];
  const W = columns.length * cell;
  const rowH = cell + FOOTER;
  const H = HEADER + picked.length * rowH;
  const canvas = new Uint8Array(W * H * 3).fill(32);
  const scratch = new Scratch();
  const labels: { x: number; y: number; text: string; size: number }[] = columns.map((t, k) => ({ x: k * cell + cell / 2, y: 16, text: t, size: 12 }));
  const result: PreviewResult['samples'] = [];

  for (let r = 0; r < picked.length; r++) {
    const index = picked[r];
    const sample = await decodeSample(samples[index]);
    const { image, map } = sample;
    const y0 = HEADER + r * rowH;
    let col = 0;
    fitInto(canvas, W, col++ * cell, y0, cell, image.data, image.width, image.height, scratch);
    const mapRgb = new Uint8Array(image.width * image.height * 3);
    if (map) for (let q = 0; q < map.data.length; q++) mapRgb[q * 3] = mapRgb[q * 3 + 1] = mapRgb[q * 3 + 2] = map.data[q];
    fitInto(canvas, W, col++ * cell, y0, cell, mapRgb, image.width, image.height, scratch);
    for (const ps of pasteSamplers) {
      const plan = ps.plan(sample, 0, index, 0);
      const bg = await ps.backgroundFor(plan);
      const src = ps.renderer.pasteSource(sample, plan, bg);
      fitInto(canvas, W, col * cell, y0, cell, src, image.width, image.height, scratch);
      if (plan.paste) labels.push({ x: col * cell + cell / 2, y: y0 + cell + 12, text: describeBg(plan), size: 9 });
      col++;
    }
    const pasted: boolean[] = [];
    for (let v = 0; v < 2; v++) {
      const plan = planView(viewSampler.opts.config, { width: image.width, height: image.height, hasMap: !!map, index, datasetSize: samples.length }, viewRng(seed, 0, index, v));
      const out = new Float32Array(3 * size * size);
      viewSampler.renderer.render(sample, plan, await viewSampler.backgroundFor(plan), out, 0);
      const cfg = viewSampler.opts.config;
      fitInto(canvas, W, col * cell, y0, cell, denormalizeToRgb(out, 0, size, size, cfg.mean, cfg.std), size, size, scratch);
      labels.push({ x: col * cell + cell / 2, y: y0 + cell + 12, text: describeView(plan), size: 9 });
      pasted.push(!!plan.paste);
      col++;
    }
    result.push({ image: samples[index].image, queryPasted: pasted[0], keyPasted: pasted[1] });
  }

  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${labels
    .map((l) => `<text x="${l.x}" y="${l.y}" font-family="sans-serif" font-size="${l.size}" fill="#e8e8e8" text-anchor="middle">${escapeXml(l.text)}</text>`)
    .join('')}</svg>`;
  const grid: RgbImage = { width: W, height: H, data: canvas };
  let png: Buffer;
  try {
    png = await sharp(await encodePng(grid)).composite([{ input: Buffer.from(svg), top: 0, left: 0 }]).png().toBuffer();
  } catch {
    png = await encodePng(grid); // no SVG text support in this libvips: the grid without labels
  }
  await writeFileAtomic(o.out, png);
  return { out: o.out, rows: picked.length, columns, width: W, height: H, samples: result, ...report.counts() };
}

function describeBg(plan: ViewPlan): string {
  const p = plan.paste;
  if (!p) return '';
  const bg = p.background.kind === 'grey' ? `grey ${p.background.level}` : p.background.kind;
  return `${bg}${p.blurMap ? ', map blur' : ''}`;
}

function describeView(plan: ViewPlan): string {
  const parts = [plan.paste ? `pasted ${describeBg(plan)}` : 'not pasted'];
  if (plan.grayscale) parts.push('gray');
  if (plan.blurSigma !== null) parts.push(`σ ${plan.blurSigma.toFixed(1)}`);
  return parts.join(', ');
}
