import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A Python with torch + torchvision (DILO_PYTHON, /usr/bin/python3, python3); under CI=true its absence fails. */
export function torchPython(): string | null {
  for (const py of [process.env.DILO_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean) as string[]) {
    const r = spawnSync(py, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  if (process.env.CI === 'true') throw new Error('CI=true but no Python with torch and torchvision (install python3-torch python3-torchvision)');
  return null;
}

/** Run a Python script (text) with arguments; throws with its stderr on failure. */
export function runPython(py: string, script: string, args: string[] = [], cwd?: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dilo-py-'));
  const file = path.join(dir, 'script.py');
  writeFileSync(file, script);
  const r = spawnSync(py, [file, ...args], { encoding: 'utf8', cwd, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`python failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
}
