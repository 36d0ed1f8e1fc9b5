// Install-time build of an optional N-API addon with node-gyp (used by the packages' own
// scripts/build.js). Never fails the install: without a compiler or node-gyp it prints one
// warning naming what is missing, and the package runs its TypeScript kernels instead.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/**
 * @param {{ root: string, label: string, fallback: string, verbose?: boolean }} o
 *   root: the package folder (holds binding.gyp); label: its name in messages; fallback: what runs instead
 * @returns {boolean} whether the addon was built
 */
function buildAddon(o) {
  const skip = (why) => {
    process.stderr.write(`${o.label}: native kernels not built (${why}); ${o.fallback}\n`);
    return false;
  };
  if (process.env.DILO_SKIP_NATIVE_BUILD === '1') return skip('DILO_SKIP_NATIVE_BUILD=1');
  // pnpm and npm give install scripts their node-gyp; else the one bundled with npm, else PATH
  const bundled = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const fromEnv = process.env.npm_config_node_gyp;
  const cmd = fromEnv && fs.existsSync(fromEnv) ? [process.execPath, fromEnv] : fs.existsSync(bundled) ? [process.execPath, bundled] : ['node-gyp'];
  const args = ['rebuild', '--release', '-j', 'max'];
  // the running Node's own headers, so no download is needed
  const nodeDir = path.join(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`);
  const t0 = Date.now();
  const r = spawnSync(cmd[0], [...cmd.slice(1), ...args], { cwd: o.root, encoding: 'utf8', stdio: o.verbose ? 'inherit' : 'pipe' });
  if (r.status !== 0) {
    const errors = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' | ');
    return skip(`node-gyp ${r.error ? r.error.message : `exited with ${r.status}`}${errors ? `: ${errors}` : ''}`);
  }
  process.stderr.write(`${o.label}: native kernels built in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  return true;
}

module.exports = { buildAddon };
