/**
 * StrykerJS mutation testing of the privacy core and the file formats (docs/testing.md, "Mutation testing").
 *
 *   npm run mutate:dp      src/dp against test/dp (unit tests; the audit is left out: it needs ~20 s per run)
 *   npm run mutate:lora    src/lora against test/lora
 *   npm run mutate:pack    src/pack/png-fast-path.ts against test/pack/preprocess.test.ts
 *   MUTATE_FILES=src/dp/clip.ts,src/dp/grid.ts npm run mutate:dp    only those files of the scope
 *   MUTATE_TESTS=test/dp/clip.test.ts,...                             only those test files (faster, may kill fewer)
 *
 * Each scope keeps its own incremental file under reports/mutation/, so a rerun tests only mutants whose code
 * or covering tests changed. The test runner is the TAP runner: node:test prints TAP, one process per test
 * file (through tsx); the TypeScript checker drops mutants that do not compile.
 */
const SCOPES = {
  dp: { mutate: ['src/dp/**/*.ts', '!src/dp/index.ts'], tests: ['test/dp/!(*.int|audit).test.ts'] },
  lora: { mutate: ['src/lora/**/*.ts', '!src/lora/index.ts'], tests: ['test/lora/!(*.int).test.ts'] },
  pack: { mutate: ['src/pack/png-fast-path.ts'], tests: ['test/pack/preprocess.test.ts'] },
};
const scopeName = process.env.MUTATE_SCOPE ?? 'dp';
const scope = SCOPES[scopeName];
if (scope === undefined) throw new Error(`MUTATE_SCOPE must be one of ${Object.keys(SCOPES).join(', ')}, got ${scopeName}`);
const list = (name) => (process.env[name] ?? '').split(',').map((f) => f.trim()).filter((f) => f !== '');
const only = list('MUTATE_FILES');
const tests = list('MUTATE_TESTS');

export default {
  packageManager: 'npm',
  testRunner: 'tap',
  tap: {
    testFiles: tests.length > 0 ? tests : scope.tests,
    nodeArgs: ['--import', 'tsx', '--test-reporter=tap', '-r', '{{hookFile}}', '{{testFile}}'],
    forceBail: true,
  },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.stryker.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: only.length > 0 ? only : scope.mutate,
  ignoreStatic: true,
  ignorePatterns: ['training', 'bench', 'web', 'demo-data', 'dist', 'docs', 'workflows', 'reports', '.stryker-tmp*'],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 10000,
  timeoutFactor: 3,
  incremental: true,
  incrementalFile: `reports/mutation/${scopeName}-incremental.json`,
  reporters: ['clear-text', 'html', 'json', 'progress-append-only'],
  htmlReporter: { fileName: `reports/mutation/${scopeName}.html` },
  jsonReporter: { fileName: `reports/mutation/${scopeName}.json` },
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: `.stryker-tmp-${scopeName}`,
  cleanTempDir: 'always',
};
