/**
 * One pipeline stage = one `dilo` sub-command run in a child process with --json. Stages are
 * the same commands a user (or an Nx task) runs by hand; each child has its own tfjs engine,
 * its progress bar goes straight to our stderr, and its result is the JSON object on the last
 * stdout line.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { existsSync } from 'node:fs';

export interface StageResult {
  args: string[];
  seconds: number;
  json: Record<string, unknown>;
}

/** The compiled CLI entry point (dist/main.js), also when this module runs from src/ in tests. */
export function cliEntry(): string {
  const beside = path.resolve(__dirname, '..', 'main.js');
  return existsSync(beside) ? beside : path.resolve(__dirname, '..', '..', 'dist', 'main.js');
}

export class StageError extends Error {
  constructor(readonly label: string, readonly code: number | null, readonly stdoutTail: string) {
    super(`stage '${label}' failed (exit ${code}); last output: ${stdoutTail.slice(-400)}`);
    this.name = 'StageError';
  }
}

export async function runStage(label: string, args: string[], opts: { quiet?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<StageResult> {
  const t0 = Date.now();
  const full = [...args, '--json'];
  if (!opts.quiet) process.stderr.write(`\n== ${label}: dilo ${full.join(' ')}\n`);
  const child = spawn(process.execPath, [cliEntry(), ...full], { stdio: ['ignore', 'pipe', opts.quiet ? 'ignore' : 'inherit'], env: { ...process.env, ...opts.env } });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const last = out.trim().split('\n').pop() ?? '';
  if (code !== 0) throw new StageError(label, code, out);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new StageError(label, code, `no JSON result on the last line: ${last}`);
  }
  return { args: full, seconds: (Date.now() - t0) / 1000, json };
}
