import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArtifactStore, cacheKey, canonicalJson } from './index';

const dist = path.resolve(__dirname, '..', 'dist', 'index.js');

describe('cache keys', () => {
  it('depend on input bytes, method, parameters (order-free) and code version', () => {
    const base = { input: new Uint8Array([1, 2, 3]), method: 'rbd', params: { a: 1, b: [2, 3] }, codeVersion: '1' };
    const k = cacheKey(base);
    expect(cacheKey({ ...base, params: { b: [2, 3], a: 1 } })).toBe(k);
    expect(cacheKey({ ...base, input: new Uint8Array([1, 2, 4]) })).not.toBe(k);
    expect(cacheKey({ ...base, method: 'gs' })).not.toBe(k);
    expect(cacheKey({ ...base, params: { a: 2, b: [2, 3] } })).not.toBe(k);
    expect(cacheKey({ ...base, codeVersion: '2' })).not.toBe(k);
    expect(canonicalJson({ z: 1, a: { y: 2, b: undefined } })).toBe('{"a":{"y":2},"z":1}');
  });
});

describe('ArtifactStore', () => {
  it('stores, retrieves and computes once', async () => {
    const store = new ArtifactStore(mkdtempSync(path.join(os.tmpdir(), 'dilo-cache-')));
    const key = cacheKey({ input: 'x', method: 'm', codeVersion: '1' });
    let calls = 0;
    const compute = async () => { calls++; return new Uint8Array([9, 8, 7]); };
    expect((await store.getOrCompute(key, compute)).hit).toBe(false);
    const again = await store.getOrCompute(key, compute);
    expect(again.hit).toBe(true);
    expect(Array.from(again.value)).toEqual([9, 8, 7]);
    expect(calls).toBe(1);
  });

  it('detects a damaged entry and recomputes it', async () => {
    const store = new ArtifactStore(mkdtempSync(path.join(os.tmpdir(), 'dilo-cache-')));
    const key = cacheKey({ input: 'y', method: 'm', codeVersion: '1' });
    await store.put(key, new Uint8Array(100).fill(1));
    const file = store.pathOf(key);
    writeFileSync(file, readFileSync(file).subarray(0, 50)); // truncated by a crash or a full disk
    expect(await store.get(key)).toBeNull();
    expect(store.corrupt).toBe(1);
    expect(existsSync(file)).toBe(false);
  });

  it('stays intact with two processes filling it at once', async () => {
    if (!existsSync(dist)) throw new Error(`${dist} missing: run 'pnpm nx run core:build' first (the test target depends on build)`);
    const root = mkdtempSync(path.join(os.tmpdir(), 'dilo-cache-race-'));
    // both writers put the same 200 keys (1..64 KiB each) in opposite orders
    const script = `
      const { ArtifactStore, cacheKey } = require(${JSON.stringify(dist)});
      const store = new ArtifactStore(process.argv[1]);
      const order = [...Array(200).keys()]; if (process.argv[2] === 'rev') order.reverse();
      (async () => {
        for (const i of order) {
          const key = cacheKey({ input: String(i), method: 'race', codeVersion: '1' });
          const data = new Uint8Array(1024 * (1 + (i % 64))).fill(i % 251);
          await store.getOrCompute(key, async () => data);
        }
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const run = (dir: string) => new Promise<number>((resolve) => spawn(process.execPath, ['-e', script, root, dir], { stdio: 'inherit' }).on('exit', (c) => resolve(c ?? 1)));
    expect(await Promise.all([run('fwd'), run('rev')])).toEqual([0, 0]);
    const store = new ArtifactStore(root);
    for (let i = 0; i < 200; i++) {
      const v = await store.get(cacheKey({ input: String(i), method: 'race', codeVersion: '1' }));
      expect(v).not.toBeNull();
      expect(v!.length).toBe(1024 * (1 + (i % 64)));
      expect(v!.every((b) => b === i % 251)).toBe(true);
    }
    expect(store.corrupt).toBe(0);
    // no temp files left behind
    const leftovers = readdirSync(root, { recursive: true }).map(String).filter((f) => f.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });
});
