import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { WORKSPACE_ROOT, dependencyOrder, publishablePackages } from './pack-check';

// `nx release` as a maintainer runs it, in dry-run mode: nothing is written, tagged or published.
function nxRelease(args: string[]): string {
  const nx = path.join(WORKSPACE_ROOT, 'node_modules', '.bin', 'nx');
  const r = spawnSync(nx, ['release', ...args, '--dry-run', '--verbose'], {
    cwd: WORKSPACE_ROOT,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0' },
    timeout: 240_000,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) throw new Error(`nx release ${args.join(' ')} --dry-run failed (exit ${r.status}):\n${out.slice(-4000)}`);
  return out;
}

describe('nx release (dry run)', () => {
  const pkgs = publishablePackages();
  const names = pkgs.map((p) => p.name);

  it('versions every publishable package together and writes the workspace changelog', () => {
    const version = nxRelease(['version', '9.8.7']);
    for (const n of names) expect(version).toContain(n);
    expect(version.match(/New version 9\.8\.7 written to manifest/g)?.length ?? 0).toBeGreaterThanOrEqual(names.length);
    const changelog = nxRelease(['changelog', '9.8.7', '--first-release']);
    expect(changelog).toMatch(/CHANGELOG\.md/);
    expect(changelog).toMatch(/## 9\.8\.7/);
    expect(changelog).toMatch(/### @dilo\/core/); // commit subjects "core: ..." grouped under their package
  }, 300_000);

  it('publishes (npm publish --dry-run) each package once, in dependency order', () => {
    const out = nxRelease(['publish', '--first-release']);
    const published = [...out.matchAll(/📦\s+(@dilo\/[a-z0-9-]+)@/g)].map((m) => m[1]);
    expect([...published].sort()).toEqual([...names].sort());
    const at = new Map(published.map((n, i) => [n, i]));
    for (const p of pkgs) for (const d of p.diloDeps) expect({ pkg: p.name, after: d, ok: (at.get(d) ?? 99) < (at.get(p.name) ?? -1) }).toEqual({ pkg: p.name, after: d, ok: true });
    expect(dependencyOrder(pkgs)).toHaveLength(names.length);
  }, 300_000);
});
