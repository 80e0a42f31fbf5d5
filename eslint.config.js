import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import areaOrder from './eslint-rules/area-order.js';

export default tseslint.config(
  { ignores: ['bin/dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'eslint-rules/*.js', 'test/bench/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // DESIGN.md §4: imports go one way between areas, and core/ imports only core/ and shared/.
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    plugins: { jetson: areaOrder },
    rules: { 'jetson/area-order': 'error' },
  },
  {
    // DESIGN.md §4: src/process/ is the only door to child processes (timeouts, process groups, cleanup
    // on exit are decided there once). core/ forbids these too, in its own list below.
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    ignores: ['src/process/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['execa', 'node:child_process', 'child_process'],
              message: 'child processes go through src/process/ (exec.ts, spawn-lines.ts, spawn-detached.ts).',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression[source.value=/^(execa|(node:)?child_process)$/]',
          message: 'child processes go through src/process/ (exec.ts, spawn-lines.ts, spawn-detached.ts).',
        },
      ],
    },
  },
  {
    // The pure folders: every area's core/ and shared/.
    files: ['src/*/core/**', 'src/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'react',
                'react/*',
                'ink',
                'ink-*',
                'execa',
                'systeminformation',
                'node:*',
                'fs',
                'child_process',
                'os',
                'path',
              ],
              message:
                'core/ and shared/ are pure: no React, Ink, execa, node built-ins or systeminformation (STYLE.md).',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'no timers in core' },
        { name: 'setInterval', message: 'no timers in core' },
        { name: 'process', message: 'no process in core' },
      ],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'no clock in core' }],
    },
  },
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setInterval: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'no-console': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs', 'test/**'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off', '@typescript-eslint/no-unsafe-member-access': 'off' },
  },
);
