// Install step: compile the view kernels (native/view_kernels.cc). Without a compiler the
// TypeScript kernels run instead (same views, slower). `--verbose` shows the compiler output.
'use strict';
const path = require('node:path');
const { buildAddon } = require('@dilo/core/build-addon');

buildAddon({
  root: path.join(__dirname, '..'),
  label: '@dilo/augment',
  fallback: 'the TypeScript view kernels will be used',
  verbose: process.argv.includes('--verbose'),
});
