// Flat ESLint config: typescript-eslint strictTypeChecked plus the layer rules of STYLE.md §3.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const lowerLayers = [
  'src/daemon/**',
  'src/content/**',
  'src/image/**',
  'src/registry/**',
  'src/snapshot/**',
  'src/runtime/**',
  'src/network/**',
  'src/volume/**',
  'src/build/**',
  'src/proc/**',
  'src/store/**',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'native/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'max-lines': ['error', { max: 500, skipBlankLines: true, skipComments: true }],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'fs', message: 'use node:fs' },
            { name: 'child_process', message: 'spawn only in src/proc' },
            { name: 'node:child_process', message: 'spawn only in src/proc' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/skiffd/config/**', 'src/rootless/**', 'src/proc/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'read the environment in cli/, skiffd/config/ or rootless/ and pass it down',
        },
      ],
    },
  },
  {
    files: lowerLayers,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'node:child_process', message: 'spawn only in src/proc' }],
          patterns: [
            {
              group: ['**/rootless/*', '**/rootless'],
              message: 'only skiffd/ wires rootless/; receive HostProfile as data',
            },
            {
              group: ['**/api/*', '**/skiffd/*', '**/cli/*'],
              message: 'dependencies run downward only',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/proc/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**'],
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['describe', 'it', 'test', 'suite'], package: 'node:test' },
          ],
        },
      ],
      'max-lines': 'off',
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests read fixtures with optional chaining for clearer failures; async callbacks keep one shape.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['scripts/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
