// Install step: compile the estimators' hot loops (native/saliency_kernels.cc). Without a
// compiler the TypeScript kernels run instead (same maps, slower). `--verbose`: compiler output.
'use strict';
const path = require('node:path');
const { buildAddon } = require('@dilo/core/build-addon');

buildAddon({
  root: path.join(__dirname, '..'),
  label: '@dilo/saliency',
  fallback: 'the TypeScript kernels will be used',
  verbose: process.argv.includes('--verbose'),
});
