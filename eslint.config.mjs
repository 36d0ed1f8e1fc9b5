// Module boundaries: the core is shared by everything; stage packages use core and
// other stages only through their public index; only the CLI may depend on every package.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': ['error', {
        enforceBuildableLibDependency: true,
        allow: [],
        depConstraints: [
          { sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['scope:core'] },
          { sourceTag: 'scope:stage', onlyDependOnLibsWithTags: ['scope:core', 'scope:stage'] },
          { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:core', 'scope:stage'] },
          { sourceTag: 'scope:app', onlyDependOnLibsWithTags: ['*'] },
        ],
      }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['@dilo/*/*'], message: 'Import a dilo package through its public index only.' }] }],
      // optional backends and addons are loaded with require() at run time
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
];
