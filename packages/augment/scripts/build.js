// Install step: compile the view kernels (native/view_kernels.cc) with node-gyp. Never fails the
// install: without a compiler or node-gyp it logs one warning and @dilo/augment runs its
// TypeScript kernels (same results, slower). `--verbose` shows the compiler output.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const verbose = process.argv.includes('--verbose');
const skip = (why) => {
  process.stderr.write(`@dilo/augment: native view kernels not built (${why}); the TypeScript kernels will be used\n`);
  process.exit(0);
};
if (process.env.DILO_SKIP_NATIVE_BUILD === '1') skip('DILO_SKIP_NATIVE_BUILD=1');

// pnpm and npm give install scripts their node-gyp; else the one bundled with npm
const bundled = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const fromEnv = process.env.npm_config_node_gyp;
const cmd = fromEnv && fs.existsSync(fromEnv) ? [process.execPath, fromEnv] : fs.existsSync(bundled) ? [process.execPath, bundled] : ['node-gyp'];
const args = ['rebuild', '--release', '-j', 'max'];
// build against the running Node's own headers, so no download is needed
const nodeDir = path.join(path.dirname(process.execPath), '..');
if (fs.existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`);
const t0 = Date.now();
const r = spawnSync(cmd[0], [...cmd.slice(1), ...args], { cwd: root, encoding: 'utf8', stdio: verbose ? 'inherit' : 'pipe' });
if (r.status !== 0) {
  const errors = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' | ');
  skip(`node-gyp ${r.error ? r.error.message : `exited with ${r.status}`}${errors ? `: ${errors}` : ''}`);
}
process.stderr.write(`@dilo/augment: native view kernels built in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
