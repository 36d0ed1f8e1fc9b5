/**
 * Publishability check: pack workspace packages with pnpm (workspace:* ranges become real
 * versions, `prepack` builds dist/), install the tarballs with npm into an empty project (no
 * workspace, no symlinks: what a user of the registry gets), then require them and run the
 * examples their READMEs mark with `<!-- pack-check -->`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const WORKSPACE_ROOT = path.resolve(__dirname, '..', '..');

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
}

export interface PackResult {
  tarball: string;
  exports: string[];
  /** dilo packages packed alongside, name -> tarball */
  packed: Record<string, string>;
}

export interface PublishablePackage {
  name: string;
  dir: string;
  /** names of the @dilo packages it depends on */
  diloDeps: string[];
}

function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** The packages nx release publishes (nx.json release.projects: packages/* and apps/cli), not private. */
export function publishablePackages(root = WORKSPACE_ROOT): PublishablePackage[] {
  const dirs = [
    ...readdirSync(path.join(root, 'packages')).map((d) => path.join(root, 'packages', d)),
    path.join(root, 'apps', 'cli'),
  ].filter((d) => existsSync(path.join(d, 'package.json')));
  return dirs
    .map((dir) => ({ dir, pj: readPackageJson(dir) }))
    .filter(({ pj }) => !pj.private)
    .map(({ dir, pj }) => ({ name: pj.name, dir, diloDeps: Object.keys(pj.dependencies ?? {}).filter((d) => d.startsWith('@dilo/')) }));
}

/** Dependency order (a package after every dilo package it depends on); a cycle is an error. */
export function dependencyOrder(pkgs: PublishablePackage[]): string[] {
  const byName = new Map(pkgs.map((p) => [p.name, p]));
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`dependency cycle: ${[...trail, name].join(' -> ')}`);
    const p = byName.get(name);
    if (!p) throw new Error(`${trail[trail.length - 1]} depends on ${name}, which is not a publishable workspace package`);
    state.set(name, 'visiting');
    for (const d of p.diloDeps) visit(d, [...trail, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const p of [...pkgs].sort((a, b) => a.name.localeCompare(b.name))) visit(p.name, []);
  return order;
}

function pack(packageDir: string, out: string): { name: string; tarball: string } {
  const before = new Set(readdirSync(out));
  execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: packageDir, stdio: 'pipe' });
  const tgz = readdirSync(out).find((f) => f.endsWith('.tgz') && !before.has(f));
  if (!tgz) throw new Error(`pnpm pack wrote no tarball for ${packageDir}`);
  return { name: readPackageJson(packageDir).name, tarball: path.join(out, tgz) };
}

/** The package and, transitively, the dilo packages it depends on. */
function packWithDeps(packageDir: string, out: string, packed: Record<string, string>): string {
  const pj = readPackageJson(packageDir);
  for (const dep of Object.keys(pj.dependencies ?? {})) {
    if (!dep.startsWith('@dilo/') || packed[dep]) continue;
    packWithDeps(path.join(packageDir, '..', dep.slice('@dilo/'.length)), out, packed);
  }
  const r = pack(packageDir, out);
  packed[r.name] = r.tarball;
  return r.tarball;
}

export interface ConsumerOptions {
  /** build the torch engine's addon at install (slow; needs libtorch). Default false. */
  buildTorch?: boolean;
}

/** An empty npm project that depends on the given tarballs (overrides make nested dilo deps use them too). */
export function installConsumer(packed: Record<string, string>, opts: ConsumerOptions = {}): string {
  const files = Object.fromEntries(Object.entries(packed).map(([n, t]) => [n, `file:${t}`]));
  const project = mkdtempSync(path.join(os.tmpdir(), 'dilo-consumer-'));
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies: files, overrides: files }));
  // onnxruntime-node's install script fetches its optional CUDA provider from nuget.org: no network
  // here, and the CPU provider it ships is what dilo uses (the saliency README says the same)
  const env: NodeJS.ProcessEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
  if (!opts.buildTorch) env.DILO_SKIP_TORCH_BUILD = '1';
  const r = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: project, encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`npm install of ${Object.keys(packed).join(', ')} in ${project} failed (exit ${r.status}):\n${r.stderr.slice(-4000)}`);
  return project;
}

export function packAndImport(packageDir: string): PackResult {
  const out = mkdtempSync(path.join(os.tmpdir(), 'dilo-pack-'));
  const packed: Record<string, string> = {};
  const tarball = packWithDeps(packageDir, out, packed);
  const name = Object.entries(packed).find(([, t]) => t === tarball)?.[0] as string;
  const project = installConsumer(packed);
  const keys = execFileSync(process.execPath, ['-e', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(name)}))))`], { cwd: project, encoding: 'utf8' });
  return { tarball, exports: JSON.parse(keys) as string[], packed };
}

/** Every publishable package packed into one folder: name -> tarball. */
export function packAll(pkgs = publishablePackages()): Record<string, string> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'dilo-pack-all-'));
  const packed: Record<string, string> = {};
  for (const p of pkgs) packed[p.name] = pack(p.dir, out).tarball;
  return packed;
}

export interface ReadmeExample {
  lang: 'js' | 'sh';
  code: string;
  /** 1-based line of the opening fence */
  line: number;
}

/** The fenced blocks that directly follow a `<!-- pack-check -->` line. */
export function readmeExamples(markdown: string, file = 'README.md'): ReadmeExample[] {
  const lines = markdown.split('\n');
  const out: ReadmeExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '<!-- pack-check -->') continue;
    const fence = /^```(\w+)\s*$/.exec(lines[i + 1] ?? '');
    if (!fence) throw new Error(`${file}:${i + 1}: <!-- pack-check --> must be followed by a fenced block`);
    const lang = fence[1];
    if (lang !== 'js' && lang !== 'sh') throw new Error(`${file}:${i + 2}: pack-check blocks are js or sh, not ${lang}`);
    const end = lines.findIndex((l, j) => j > i + 1 && l.trim() === '```');
    if (end < 0) throw new Error(`${file}:${i + 2}: unterminated code block`);
    out.push({ lang, code: lines.slice(i + 2, end).join('\n') + '\n', line: i + 2 });
    i = end;
  }
  return out;
}

export interface ExampleRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run one example in the consumer folder (js with node, sh with bash -e), with a time limit. */
export function runExample(project: string, ex: ReadmeExample, name: string, timeoutMs = 180_000): ExampleRun {
  const file = path.join(project, `example-${name.replace(/[^a-z0-9]+/gi, '-')}-${ex.line}.${ex.lang === 'js' ? 'js' : 'sh'}`);
  writeFileSync(file, ex.code);
  const [cmd, args] = ex.lang === 'js' ? [process.execPath, [file]] : ['bash', ['-e', file]];
  const r = spawnSync(cmd, args, { cwd: project, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, DILO_THREADS: process.env.DILO_THREADS ?? '2' } });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? `\n${r.error.message}` : '') };
}
