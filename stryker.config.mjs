/**
 * StrykerJS mutation testing of the privacy core and the file formats (docs/testing.md, "Mutation testing").
 *
 *   MUTATE_SCOPE=dp-math nice -n 10 npx stryker run    one part (dp-noise, dp-math, dp-ledger, lora-format,
 *                                                      lora-assemble) against the test files written for it
 *   npm run mutate:dp      src/dp against test/dp (unit tests; the audit is left out: it needs ~20 s per run)
 *   npm run mutate:lora    src/lora against test/lora
 *   npm run mutate:pack    src/pack/png-fast-path.ts against test/pack/preprocess.test.ts
 *   MUTATE_FILES=src/dp/clip.ts,src/dp/grid.ts:40-50 ...  only those files (or line ranges) of the scope
 *   MUTATE_TESTS=test/dp/clip.test.ts,...                only those test files (faster, may kill fewer)
 *   MUTATE_TAG=rerun ...                                 reports (and incremental file) named <scope>-rerun
 *
 * Each scope keeps its own incremental file under reports/mutation/, so a rerun tests only mutants whose code
 * or covering tests changed (but see docs/testing.md: one test file counts as one test). The test runner is the
 * TAP runner: node:test prints TAP, one process per test file, on the esbuild-compiled sandbox; the TypeScript
 * checker drops mutants that do not compile.
 */
const SCOPES = {
  dp: { mutate: ['src/dp/**/*.ts', '!src/dp/index.ts'], tests: ['test/dp/!(*.int|audit).test.ts'] },
  lora: { mutate: ['src/lora/**/*.ts', '!src/lora/index.ts'], tests: ['test/lora/!(*.int).test.ts'] },
  pack: { mutate: ['src/pack/png-fast-path.ts'], tests: ['test/pack/preprocess.test.ts'] },
  // The same two folders in five parts, each against only the test files written for it. Every mutant still
  // runs only the test files that cover it, but a mutant of csprng.ts is covered by nearly every dp test file,
  // and each file is its own node + tsx process (~0.5 s idle, seconds under load); the parts keep that to the
  // files that aim at the code. Together the parts mutate exactly the files of `dp` and `lora`.
  'dp-noise': {
    mutate: ['src/dp/csprng.ts', 'src/dp/discrete-gaussian.ts', 'src/dp/release.ts', 'src/dp/mean-noise.ts'],
    tests: ['test/dp/{csprng,csprng-exact,discrete-gaussian,discrete-gaussian-scale,mean-noise,release,release-exact,release-noise}.test.ts'],
  },
  'dp-math': {
    mutate: ['src/dp/{bisect,calculators,clip,discrete-gaussian-privacy,dyadic,gaussian,grid,normal,types,zcdp}.ts'],
    tests: ['test/dp/{bisect,calculators,clip,discrete-gaussian-privacy,dyadic,gaussian,grid,normal,types,zcdp,release}.test.ts'],
  },
  'dp-ledger': {
    mutate: ['src/dp/{identity,ledger,ledger-budget,ledger-store}.ts'],
    tests: ['test/dp/{identity,ledger,ledger-budget,ledger-log,ledger-store,ledger-store-tamper}.test.ts'],
  },
  'lora-format': {
    mutate: ['src/lora/{dtype,header-json,read-lora,safetensors-reader,safetensors-writer}.ts'],
    tests: ['test/lora/{dtype,safetensors-reader,safetensors-writer,safetensors-fuzz,assemble,read-lora}.test.ts'],
  },
  'lora-assemble': {
    mutate: ['src/lora/{assemble,detect-base,metadata}.ts', 'src/lora/layouts/*.ts'],
    tests: ['test/lora/{assemble,detect-base,layouts,metadata}.test.ts'],
  },
};
const scopeName = process.env.MUTATE_SCOPE ?? 'dp';
const scope = SCOPES[scopeName];
if (scope === undefined) throw new Error(`MUTATE_SCOPE must be one of ${Object.keys(SCOPES).join(', ')}, got ${scopeName}`);
const list = (name) => (process.env[name] ?? '').split(',').map((f) => f.trim()).filter((f) => f !== '');
const only = list('MUTATE_FILES');
// A rerun of part of a scope (e.g. its survivors, as `file.ts:12-14` ranges) writes its own reports.
const name = process.env.MUTATE_TAG ? `${scopeName}-${process.env.MUTATE_TAG}` : scopeName;
const tests = list('MUTATE_TESTS');

export default {
  packageManager: 'npm',
  testRunner: 'tap',
  tap: {
    // The sandbox is compiled to .js beside each .ts (buildCommand), so each test file runs on plain node:
    // about half the start-up of `node --import tsx` per file, which is most of a mutant's cost here.
    testFiles: (tests.length > 0 ? tests : scope.tests).map((f) => f.replace(/\.ts$/, '.js')),
    nodeArgs: ['--test-reporter=tap', '-r', '{{hookFile}}', '{{testFile}}'],
    forceBail: true,
  },
  // esbuild (tsx's own transpiler) strips the types of the instrumented sources and the tests; its glob entry
  // points need no shell. Imports already name the .js files, and fixtures stay where import.meta.url finds them.
  buildCommand: "esbuild src/**/*.ts test/**/*.ts --outdir=. --outbase=. --format=esm --platform=node --log-level=warning",
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.stryker.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: only.length > 0 ? only : scope.mutate,
  ignoreStatic: true,
  ignorePatterns: ['training', 'bench', 'web', 'demo-data', 'dist', 'docs', 'workflows', 'reports', '.stryker-tmp*'],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // Every test file here runs in about a second; a mutant that makes the sampler loop (csprng, discrete Gaussian)
  // is cut off after 2 x its covering files' dry-run time + 4 s instead of minutes. Stryker counts a timeout
  // as detected; docs/testing.md lists how many there were.
  timeoutMS: 4000,
  timeoutFactor: 2,
  incremental: true,
  incrementalFile: `reports/mutation/${name}-incremental.json`,
  reporters: ['clear-text', 'html', 'json', 'progress-append-only'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: `.stryker-tmp-${name}`,
  cleanTempDir: 'always',
};
