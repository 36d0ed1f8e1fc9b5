import { existsSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The folder of research-only datasets (env DILO_SHARED_DATA, default ../shared/data from the
 * workspace root). They are read from there, never copied into the repository.
 */
export function sharedDataDir(): string {
  if (process.env.DILO_SHARED_DATA) return path.resolve(process.env.DILO_SHARED_DATA);
  return path.resolve(findWorkspaceRoot(), '..', 'shared', 'data');
}

/** The workspace root: the nearest folder above cwd (or this file) holding pnpm-workspace.yaml. */
export function findWorkspaceRoot(start = process.cwd()): string {
  for (const base of [start, __dirname]) {
    let dir = path.resolve(base);
    for (;;) {
      if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir;
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return process.cwd();
}

/**
 * Path of a shared dataset, or null when absent. Under CI=true a missing dataset is an error:
 * tests that need the data must run in CI, not skip quietly.
 */
export function sharedDataset(name: string): string | null {
  const dir = path.join(sharedDataDir(), name);
  if (existsSync(dir)) return dir;
  if (process.env.CI === 'true') {
    throw new Error(`shared dataset '${name}' not found at ${dir} (set DILO_SHARED_DATA); CI=true requires it`);
  }
  return null;
}
