import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { ArtifactStore } from './cache';

// Two real processes fill one store with the same 1,000 keys at once; afterwards every entry
// must verify (sha256 trailer) and hold the expected bytes. Uses the built dist/ in the children
// (plain node cannot load .ts), nx runs core:build before core:test; a missing dist fails the test.
const N = 1000;
const child = `
const { ArtifactStore } = require(${JSON.stringify(path.resolve(__dirname, '../dist/cache.js'))});
const { createHash } = require('node:crypto');
(async () => {
  const s = new ArtifactStore(process.argv[1]);
  for (let i = 0; i < ${N}; i++) {
    const key = createHash('sha256').update('k' + i).digest('hex');
    const value = Buffer.alloc(8 * 8 * 3, i % 251); // a tiny 8x8 RGB "saliency map"
    await s.getOrCompute(key, async () => value);
  }
})().catch((e) => { console.error(e); process.exit(1); });
`;

function run(root: string): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['-e', child, root], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('exit', (code) => resolve(code ?? 1));
  });
}

test('two processes filling one ArtifactStore leave 0 corrupt entries', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'dilo-cache-race-'));
  try {
    expect(await Promise.all([run(root), run(root)])).toEqual([0, 0]);
    const s = new ArtifactStore(root);
    for (let i = 0; i < N; i++) {
      const key = createHash('sha256').update('k' + i).digest('hex');
      const got = await s.get(key);
      expect(got).not.toBeNull();
      expect(Buffer.from(got!).equals(Buffer.alloc(8 * 8 * 3, i % 251))).toBe(true);
    }
    expect(s.corrupt).toBe(0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}, 60_000);
