// Install step: build the libtorch addon from source with node-gyp. Never fails the install:
// without libtorch (or a compiler) it logs one warning and dilo falls back to another backend.
// Run with --verbose to see the compiler output (`nx run engine-torch:build-native`).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { find, describe } = require('./torch-paths.js');

const root = path.join(__dirname, '..');
const verbose = process.argv.includes('--verbose');

function warn(msg) {
  process.stderr.write(`@dilo/engine-torch: native addon not built (${msg}); the 'torch' backend will be unavailable\n`);
  process.exit(0);
}

/** node-gyp: pnpm and npm put theirs on PATH for install scripts; else npm's bundled copy. */
function nodeGyp() {
  const bundled = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) return [process.execPath, process.env.npm_config_node_gyp];
  const onPath = spawnSync('node-gyp', ['--version'], { encoding: 'utf8' });
  if (onPath.status === 0) return ['node-gyp'];
  if (fs.existsSync(bundled)) return [process.execPath, bundled];
  return null;
}

if (process.env.DILO_SKIP_TORCH_BUILD === '1') warn('DILO_SKIP_TORCH_BUILD=1');
const torch = find();
if (!torch) warn('libtorch not found: install libtorch-dev (Debian/Ubuntu), a PyTorch for python3 (or DILO_PYTHON), or set LIBTORCH to an unpacked libtorch');
// One line: which libtorch this build uses (path, version, CUDA, ABI).
process.stderr.write(`@dilo/engine-torch: building against ${describe(torch)}\n`);
const gyp = nodeGyp();
if (!gyp) warn('node-gyp not found');
// Node's own headers: use the installed ones so the build works offline.
const args = ['rebuild', '--release', '-j', 'max'];
const nodeDir = path.join(path.dirname(process.execPath), '..');
if (fs.existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`);
const t0 = Date.now();
const r = spawnSync(gyp[0], [...gyp.slice(1), ...args], { cwd: root, encoding: 'utf8', stdio: verbose ? 'inherit' : 'pipe' });
if (r.status !== 0) {
  const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' | ');
  warn(`node-gyp ${r.error ? r.error.message : `exited with ${r.status}`}${tail ? `: ${tail}` : ''}`);
}
// What this build was linked against, for the device check at run time (src/device.ts).
fs.writeFileSync(path.join(root, 'build', 'Release', 'torch-info.json'), JSON.stringify(torch));
process.stderr.write(`@dilo/engine-torch: native addon built in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
