/**
 * Publishability check: pack a workspace package with pnpm (workspace:* ranges become real
 * versions), install the tarball with npm into an empty project, and require it. dilo packages
 * it depends on are packed the same way and installed from their tarballs (not published yet).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface PackResult {
  tarball: string;
  exports: string[];
  /** dilo packages packed alongside, name -> tarball */
  packed: Record<string, string>;
}

function pack(packageDir: string, out: string): { name: string; tarball: string } {
  const before = new Set(readdirSync(out));
  execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: packageDir, stdio: 'pipe' });
  const tgz = readdirSync(out).find((f) => f.endsWith('.tgz') && !before.has(f));
  if (!tgz) throw new Error(`pnpm pack wrote no tarball for ${packageDir}`);
  return { name: JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')).name as string, tarball: path.join(out, tgz) };
}

/** The package and, transitively, the dilo packages it depends on. */
function packWithDeps(packageDir: string, out: string, packed: Record<string, string>): string {
  const pj = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { name: string; dependencies?: Record<string, string> };
  for (const dep of Object.keys(pj.dependencies ?? {})) {
    if (!dep.startsWith('@dilo/') || packed[dep]) continue;
    packWithDeps(path.join(packageDir, '..', dep.slice('@dilo/'.length)), out, packed);
  }
  const r = pack(packageDir, out);
  packed[r.name] = r.tarball;
  return r.tarball;
}

export function packAndImport(packageDir: string): PackResult {
  const out = mkdtempSync(path.join(os.tmpdir(), 'dilo-pack-'));
  const packed: Record<string, string> = {};
  const tarball = packWithDeps(packageDir, out, packed);
  const name = Object.entries(packed).find(([, t]) => t === tarball)?.[0] as string;
  const files = Object.fromEntries(Object.entries(packed).map(([n, t]) => [n, `file:${t}`]));
  const project = mkdtempSync(path.join(os.tmpdir(), 'dilo-consumer-'));
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies: files, overrides: files }));
  // the torch engine's addon build is optional and slow: skipped here (its own tests build it)
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: project, stdio: 'pipe', env: { ...process.env, DILO_SKIP_TORCH_BUILD: '1' } });
  const keys = execFileSync(process.execPath, ['-e', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(name)}))))`], { cwd: project, encoding: 'utf8' });
  return { tarball, exports: JSON.parse(keys) as string[], packed };
}
