import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from './atomic';

/** Parts of a cache key: the input's bytes, the method, its parameters and the code version. */
export interface CacheKeyParts {
  input: Uint8Array | string;
  method: string;
  params?: unknown;
  codeVersion: string;
}

/** Canonical JSON (sorted object keys) so equal parameters hash equally. */
export function canonicalJson(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function cacheKey(parts: CacheKeyParts): string {
  const h = createHash('sha256');
  h.update(sha256(parts.input));
  h.update('\0');
  h.update(parts.method);
  h.update('\0');
  h.update(canonicalJson(parts.params ?? {}));
  h.update('\0');
  h.update(parts.codeVersion);
  return h.digest('hex');
}

const TRAILER = 32; // sha256 of the payload, appended: a damaged entry is detected and recomputed

/**
 * Content-addressed artifact store: one file per key under root/<k[0:2]>/<k>.
 * Writes are atomic (temp + rename), so two processes filling the same store at once
 * never leave a partial entry; both write identical bytes for the same key.
 */
export class ArtifactStore {
  /** entries found damaged and discarded since this store was opened */
  corrupt = 0;

  constructor(readonly root: string) {}

  pathOf(key: string): string {
    if (!/^[0-9a-f]{16,}$/.test(key)) throw new Error(`invalid cache key '${key}'`);
    return path.join(this.root, key.slice(0, 2), key);
  }

  async get(key: string): Promise<Buffer | null> {
    let buf: Buffer;
    try {
      buf = await fs.readFile(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    if (buf.length >= TRAILER) {
      const payload = buf.subarray(0, buf.length - TRAILER);
      if (createHash('sha256').update(payload).digest().equals(buf.subarray(buf.length - TRAILER))) return payload;
    }
    this.corrupt++;
    await fs.rm(this.pathOf(key), { force: true });
    return null;
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== null;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const digest = createHash('sha256').update(data).digest();
    await writeFileAtomic(this.pathOf(key), Buffer.concat([data, digest]));
  }

  /** Return the cached value, or compute, store and return it. `hit` tells which. */
  async getOrCompute(key: string, compute: () => Promise<Uint8Array>): Promise<{ value: Uint8Array; hit: boolean }> {
    const cached = await this.get(key);
    if (cached) return { value: cached, hit: true };
    const value = await compute();
    await this.put(key, value);
    return { value, hit: false };
  }
}
