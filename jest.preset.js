// Shared jest settings: swc transpiles TypeScript (type checking is the build's job),
// and @dilo/* imports resolve to sources so tests never need a prior build.
const path = require('node:path');
const root = __dirname;
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  moduleNameMapper: {
    '^@dilo/(core|engine-torch|saliency|saliency-net|augment|contrastive|detection|eval|interop)$': path.join(root, 'packages/$1/src/index.ts'),
  },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // generous: hooks share it, and CI runs two projects at once on 2 cores
  testTimeout: 180000,
  // one tensor thread unless DILO_THREADS says otherwise (see the file)
  setupFiles: [path.join(root, 'tools/jest/setup-env.js')],
  // the default reporter, plus every failure repeated at the end (see tools/run-tests.js)
  reporters: ['default', path.join(root, 'tools/jest/failure-summary.js')],
};
