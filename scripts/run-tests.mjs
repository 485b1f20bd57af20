#!/usr/bin/env node
// Runs one kind of test, or all of them. Kinds are told apart by file name, mirroring the source tree:
//   unit         test/**/*.test.ts            (pure, fast; also packages/*/test/**)
//   integration  test/**/*.int.test.ts        (real ONNX models, real local servers on port 0)
//   e2e          test/**/*.e2e.test.ts        (spawns the built CLI or worker)
//   py           test/**/test_*.py            (bridge/ and training/, through pytest)
//   browser      test/**/*.browser.test.ts    (a real ComfyUI and Chromium; skipped, saying why, without COMFYUI_URL
//                                              and CHROMIUM: docs/frontend.md)
// Node 20's runner does not expand globs, so this script lists the files itself.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const kind = process.argv[2] ?? 'all';
// browser before py: in CI it only skips, and the run's last closing line stays a suite that ran tests.
const kinds = kind === 'all' ? ['unit', 'integration', 'e2e', 'browser', 'py'] : [kind];

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

// Workspace packages keep their own tests under packages/*/test; they run with ours.
const packageTests = readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name, 'test'))
  .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory());
const all = [join(root, 'test'), ...packageTests].flatMap(walk).map((p) => relative(root, p)).sort();
const pick = {
  unit: (f) => f.endsWith('.test.ts') && !f.endsWith('.int.test.ts') && !f.endsWith('.e2e.test.ts') && !f.endsWith('.browser.test.ts'),
  integration: (f) => f.endsWith('.int.test.ts'),
  e2e: (f) => f.endsWith('.e2e.test.ts'),
  py: (f) => /(^|\/)test_[^/]*\.py$/.test(f),
  browser: (f) => f.endsWith('.browser.test.ts'),
};

let failed = false;
for (const k of kinds) {
  if (!pick[k]) { console.error(`unknown test kind "${k}"; use unit, integration, e2e, py, browser or all`); process.exit(2); }
  const files = all.filter(pick[k]);
  if (files.length === 0) { console.log(`# ${k}: no test files`); continue; }
  console.log(`# ${k}: ${files.length} file(s)`);
  const r = k === 'py'
    ? spawnSync('/usr/bin/python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', ...files], { cwd: root, stdio: 'inherit' })
    : spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
      { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } });
  if (r.status !== 0) { failed = true; console.error(`# ${k}: FAILED (exit ${r.status ?? r.signal})`); }
}
process.exit(failed ? 1 : 0);
