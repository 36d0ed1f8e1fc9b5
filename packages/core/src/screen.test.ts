import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeBadImageCorpus, writeBadMaskCorpus } from './bad-inputs';
import { imageList, imageMaskFolder } from './dataset';
import { screenManifest } from './screen';
import { SkipReport } from './skip-report';

describe('screenManifest', () => {
  it('keeps every good image of the corpus and names every bad one once, on one line', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-screen-'));
    const corpus = await writeBadImageCorpus(dir);
    const lines: string[] = [];
    const report = new SkipReport((l) => lines.push(l));
    const m = await screenManifest(await imageList(dir), { report });
    expect(m.samples.map((s) => path.relative(dir, s.image)).sort()).toEqual(corpus.good);
    expect(report.counts().skippedFiles.map((f) => path.relative(dir, f.file)).sort()).toEqual(corpus.bad);
    expect(report.counts()).toMatchObject({ processed: corpus.good.length, skipped: corpus.bad.length });
    expect(lines).toHaveLength(corpus.bad.length);
    for (const l of lines) expect(l).toMatch(/^skip .+: [^\n]+\n$/);
  });

  it('names every mask problem (wrong size, empty, all white, missing, orphaned) under the right file', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'dilo-screen-masks-'));
    const corpus = await writeBadMaskCorpus(root);
    const report = new SkipReport(() => undefined);
    const m = await screenManifest(await imageMaskFolder(root), { report, masks: 'degenerate' });
    expect(m.samples.map((s) => path.basename(s.image))).toEqual(corpus.good);
    const got = report.counts().skippedFiles.map((f) => [path.relative(root, f.file), f.problem]);
    expect(got.map((g) => g[0])).toEqual(corpus.bad.map((b) => b.file));
    const problem = (kind: string): string => got[corpus.bad.findIndex((b) => b.kind === kind)][1];
    expect(problem('wrong-size')).toMatch(/mask size differs from its image: image 32x32 but mask 40x32/);
    expect(problem('empty')).toMatch(/mask is empty/);
    expect(problem('all-white')).toMatch(/all foreground/);
    expect(problem('missing')).toMatch(/no mask named missing/);
    expect(problem('orphaned')).toMatch(/orphaned/);
  });
});
