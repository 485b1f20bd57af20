// Lint rules that guard project invariants. The privacy-critical one: no Math.random (or any
// seedable PRNG) under src/dp, where all noise must come from node:crypto.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'packages/*/dist/**', 'node_modules/**', 'web/dist/**', 'js/**', 'models/**', 'training/**', '**/*.py', '.stryker-tmp*/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['src/dp/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'Privacy noise must come from node:crypto, never Math.random.' }],
      'no-restricted-imports': ['error', { paths: [
        { name: 'seedrandom', message: 'No seedable PRNG in src/dp.' },
        { name: 'fs', message: 'src/dp is pure; storage lives in src/dp/ledger-store.ts only.' },
        { name: 'node:fs', message: 'src/dp is pure; storage lives in src/dp/ledger-store.ts only.' },
        { name: 'fs/promises', message: 'src/dp is pure; storage lives in src/dp/ledger-store.ts only.' },
        { name: 'node:fs/promises', message: 'src/dp is pure; storage lives in src/dp/ledger-store.ts only.' },
        { name: 'better-sqlite3', message: 'src/dp is pure; storage lives in src/dp/ledger-store.ts only.' },
      ] }],
    },
  },
  {
    // The ledger's storage is the one file of src/dp allowed to touch the filesystem and SQLite (STYLE.md).
    // Only the import restriction is relaxed; the Math.random ban above still applies to it.
    files: ['src/dp/ledger-store.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'seedrandom', message: 'No seedable PRNG in src/dp.' }] }],
    },
  },
  {
    // Injected into the ComfyUI page by test/browser/frontend.browser.test.ts: browser globals, not Node's.
    files: ['test/browser/page-probes.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['src/dp/**/*.ts', 'src/lora/**/*.ts', 'src/pack/**/*.ts', 'src/worker/**/*.ts', 'src/comfy/**/*.ts', 'src/diffusion/**/*.ts', 'nodes/**/*.ts'],
    ignores: ['src/log/**'],
    rules: { 'no-console': 'error' },
  },
);
