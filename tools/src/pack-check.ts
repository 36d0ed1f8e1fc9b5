/**
 * Publishability check: pack a workspace package with pnpm (workspace:* ranges become real
 * versions), install the tarball with npm into an empty project, and require it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface PackResult {
  tarball: string;
  exports: string[];
}

export function packAndImport(packageDir: string, localDeps: Record<string, string> = {}): PackResult {
  const out = mkdtempSync(path.join(os.tmpdir(), 'dilo-pack-'));
  execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: packageDir, stdio: 'pipe' });
  const tgz = readdirSync(out).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`pnpm pack wrote no tarball for ${packageDir}`);
  const project = mkdtempSync(path.join(os.tmpdir(), 'dilo-consumer-'));
  const name = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')).name as string;
  // dilo packages this one depends on are installed from their own tarballs (not published yet)
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies: { ...localDeps, [name]: `file:${path.join(out, tgz)}` }, overrides: localDeps }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts=false'], { cwd: project, stdio: 'pipe', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  const keys = execFileSync(process.execPath, ['-e', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(name)}))))`], { cwd: project, encoding: 'utf8' });
  return { tarball: path.join(out, tgz), exports: JSON.parse(keys) as string[] };
}
