import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { encodePng } from '@dilo/core';
import { parseMetrics, readRun } from './run';
import { linePlotSvg, niceTicks } from './svg-plot';
import { writeReport } from './write-report';
import { tempDir } from '../test-helpers';

describe('metrics parsing', () => {
  it('makes loss and accuracy series against the epoch, prefixing fields logged by several events', () => {
    const text = [
      JSON.stringify({ t: 'x', event: 'train', epoch: 1, loss: 2.5, lr: 0.03 }),
      JSON.stringify({ t: 'x', event: 'train', epoch: 2, loss: 2.0, lr: 0.03 }),
      JSON.stringify({ t: 'x', event: 'val', epoch: 2, loss: 2.2, top1: 0.4 }),
      '',
    ].join('\n');
    const { curves, xLabel } = parseMetrics(text, 'm.jsonl');
    expect(xLabel).toBe('epoch');
    expect(curves.loss.map((s) => s.name).sort()).toEqual(['train.loss', 'val.loss']);
    expect(curves.loss.find((s) => s.name === 'train.loss')!.points).toEqual([[1, 2.5], [2, 2.0]]);
    expect(curves.accuracy).toEqual([{ name: 'top1', points: [[2, 0.4]] }]);
    expect(curves.other.map((s) => s.name)).toEqual(['lr']);
  });

  it('names the file and line of a broken record', () => {
    expect(() => parseMetrics('{"a":1}\nnope\n', 'm.jsonl')).toThrow(/m\.jsonl: line 2 is not JSON/);
  });
});

describe('svg plots', () => {
  it('chooses round ticks', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3, 97, 5)).toEqual([20, 40, 60, 80]);
  });

  it('draws one polyline per series, scaled into the plot box', () => {
    const svg = linePlotSvg([{ name: 'a', points: [[0, 0], [10, 1]] }, { name: 'b<', points: [[0, 1], [10, 0]] }], { title: 'T', width: 200, height: 100 });
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('b&lt;');
    const coords = svg.match(/points="([^"]+)"/)![1].split(' ').map((p) => p.split(',').map(Number));
    for (const [x, y] of coords) {
      expect(x).toBeGreaterThanOrEqual(58);
      expect(x).toBeLessThanOrEqual(186);
      expect(y).toBeGreaterThanOrEqual(28);
      expect(y).toBeLessThanOrEqual(58);
    }
  });
});

describe('writeReport', () => {
  it('writes a self-contained HTML page and markdown with tables, curves and CAM images', async () => {
    const dir = await tempDir();
    const run = path.join(dir, 'run-a');
    await fs.mkdir(path.join(run, 'eval', 'cam'), { recursive: true });
    await fs.writeFile(path.join(run, 'metrics.jsonl'), [1, 2, 3].map((e) => JSON.stringify({ event: 'epoch', epoch: e, loss: 3 - e / 2, top1: e / 10 })).join('\n') + '\n');
    await fs.writeFile(path.join(run, 'eval', 'linear.json'), JSON.stringify({ kind: 'linear', protocol: 'fast', features: 'f', top1: 0.8123, top5: 0.99, wd: 0.001 }));
    await fs.writeFile(path.join(run, 'eval', 'backgrounds.json'), JSON.stringify({ variants: { original: { top1: 0.8 }, 'mixed-same': { top1: 0.7 }, 'mixed-rand': { top1: 0.4 } }, bgGap: 0.3 }));
    await fs.writeFile(path.join(run, 'eval', 'cam', 'x.png'), await encodePng({ width: 2, height: 1, data: Uint8Array.from([255, 0, 0, 0, 0, 255]) }));
    await fs.writeFile(path.join(run, 'eval', 'cam.json'), JSON.stringify({ energyInside: 0.5, maskAreaFraction: 0.2, pointingAccuracy: 0.9, tolerance: 4, target: 'label', n: 10, examples: [{ file: 'cam/x.png', className: 'disc', energyInside: 0.5, pointingHit: true }] }));
    const other = path.join(dir, 'run-b');
    await fs.mkdir(other);
    await fs.writeFile(path.join(other, 'knn.json'), JSON.stringify({ weighted: { top1: 0.3, top5: 0.8 }, majority: { top1: 0.35, top5: 0.85 } }));
    const out = path.join(dir, 'report');
    const files = await writeReport([await readRun(run), await readRun(other)], out);
    const html = await fs.readFile(files.html, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('data:image/png;base64,');
    expect(html).toContain('<td>81.23</td>');
    expect(html).toContain('<td>30.00</td>'); // BG-gap and run-b's kNN top-1
    expect(html).not.toMatch(/<script|src="(?!data:)/); // nothing external
    const md = await fs.readFile(files.md, 'utf8');
    expect(md).toContain('| run-a |');
    expect(md).toContain('![disc: energy 50.00%, hit](images/run0-cam0.png)');
    await fs.access(path.join(out, 'images', 'run0-cam0.png'));
  });

  it('refuses a folder with neither metrics nor results', async () => {
    const dir = await tempDir();
    await expect(readRun(dir)).rejects.toThrow(/neither metrics\.jsonl nor evaluation results/);
  });
});
