import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { Progress, JsonlLog, formatSeconds, jobProgress, writeFileAtomic, writeFileAtomicSync } from './index';

function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const w = new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } }) as unknown as NodeJS.WriteStream;
  return { stream: w, text: () => out };
}

describe('progress and logs', () => {
  it('prints plain lines with rate and ETA off a TTY', () => {
    const c = capture();
    const p = new Progress({ label: 'job', total: 4, stream: c.stream, plainInterval: 0 });
    p.tick(1, { loss: 1.2345 });
    p.tick(3);
    p.stop();
    const lines = c.text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^job: 1\/4 \(25%\) [\d.]+\/s ETA \S+ \| loss 1\.234$/);
    expect(lines[1]).toMatch(/^job: 4\/4 \(100%\)/);
  });

  it('jobProgress makes its bar on the first report and follows absolute counts', () => {
    const c = capture();
    const p = jobProgress('maps', { stream: c.stream, plainInterval: 0 });
    p.stop(); // before any report: nothing to stop, nothing printed
    expect(c.text()).toBe('');
    p.onProgress(2, 5);
    p.onProgress(5, 5);
    p.stop();
    const lines = c.text().trim().split('\n');
    expect(lines.map((l) => l.split(' ')[1])).toEqual(['2/5', '5/5']);
  });

  it('formats durations', () => {
    expect(formatSeconds(5)).toBe('5s');
    expect(formatSeconds(125)).toBe('2m05s');
    expect(formatSeconds(3725)).toBe('1h02m');
  });

  it('appends one JSON object per line', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-log-'));
    const log = new JsonlLog(path.join(dir, 'sub', 'm.jsonl'));
    log.write('step', { loss: 1 });
    log.write('step', { loss: 0.5 });
    const rows = readFileSync(path.join(dir, 'sub', 'm.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.event, r.loss])).toEqual([['step', 1], ['step', 0.5]]);
    expect(typeof rows[0].t).toBe('string');
  });

  it('writes files atomically, leaving no temp file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-atomic-'));
    await writeFileAtomic(path.join(dir, 'a', 'x.json'), '{"a":1}');
    writeFileAtomicSync(path.join(dir, 'a', 'x.json'), '{"a":2}');
    expect(readFileSync(path.join(dir, 'a', 'x.json'), 'utf8')).toBe('{"a":2}');
    expect(readdirSync(path.join(dir, 'a'))).toEqual(['x.json']);
  });
});
