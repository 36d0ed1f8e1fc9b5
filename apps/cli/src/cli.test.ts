import { mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from './cli';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => { out += String(c); return true; });
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => { err += String(c); return true; });
  // yargs prints --help with console.log, which jest captures separately
  const l = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out += a.join(' ') + '\n'; });
  try {
    const code = await runCli(args);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    l.mockRestore();
  }
}

describe('dilo CLI', () => {
  it('exits 2 on a usage error and 0 on --help', async () => {
    expect((await run(['no-such-command'])).code).toBe(2);
    const h = await run(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/dilo data <command>/);
    expect((await run(['data', 'synth', '--help'])).out).toMatch(/--seed/);
  });

  it('data synth --json prints one JSON object as the last line', async () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'dilo-cli-')), 'ds');
    const r = await run(['data', 'synth', '--out', out, '--seed', '3', '--train', '60', '--val', '20', '--size', '24', '--classes', '3', '--json']);
    expect(r.code).toBe(0);
    const last = JSON.parse(r.out.trim().split('\n').pop() as string);
    expect(last.counts).toEqual({ train: 60, 'val-same': 20, 'val-mixed-rand': 20, 'val-only-fg': 20 });
    expect(last.correlation['val-only-fg']).toBe(0);
    expect(JSON.parse(readFileSync(path.join(out, 'meta.json'), 'utf8')).seed).toBe(3);
  });

  it('reports bad values as usage errors (exit 2)', async () => {
    const r = await run(['data', 'synth', '--out', path.join(os.tmpdir(), 'dilo-bad'), '--classes', '40']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/classes must be an integer in \[2, 10\]/);
    const d = await run(['demo', '--background', 'plaid']);
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/--background must be grey, images or textures:DIR, got 'plaid'/);
  });
});
