#!/usr/bin/env node
// Builds the ComfyUI frontend extension into web/js, the WEB_DIRECTORY that ComfyUI serves (and import()s
// every **/*.js of) at /extensions/<plugin>/:
//   web/src/extensions/dp-hyperlora/*.ts  →  web/js/*.js     (ES modules, no source maps)
//   docs/nodes/<NodeId>.md                →  web/js/docs/<NodeId>.md   (the frontend's node help pages)
// web/js is committed, so that the extension is there right after a git clone; test/web/build.test.ts checks
// that it equals a fresh build.
//
// Usage: node scripts/build-web.mjs [--out-dir DIR] [--no-typecheck]
// - Type-check: the whole web program (web/tsconfig.json) against @comfyorg/comfyui-frontend-types, which
//   lives in web/node_modules (`npm --prefix web ci`); it cannot sit in the root package, whose zod 4 clashes
//   with the types' zod 3 peer dependency.
// - Emit: each file on its own (ts.transpileModule; the config sets verbatimModuleSyntax), so the bytes depend
//   only on the sources and the TypeScript version, never on whether the types are installed.
// - Help pages: every node id in nodes/manifest.json must have docs/nodes/<id>.md, and every page a node.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const webDir = join(root, 'web');
const TYPES_PACKAGE = '@comfyorg/comfyui-frontend-types';

function fail(message) {
  process.stderr.write(`build-web: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { outDir: join(webDir, 'js'), typecheck: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--no-typecheck') args.typecheck = false;
    else if (argv[i] === '--out-dir' && argv[i + 1] !== undefined) args.outDir = resolve(argv[++i]);
    else fail(`unknown argument ${JSON.stringify(argv[i])}; usage: node scripts/build-web.mjs [--out-dir DIR] [--no-typecheck]`);
  }
  return args;
}

function readConfig() {
  const configPath = join(webDir, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) fail(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, webDir, undefined, configPath);
  if (parsed.errors.length > 0) fail(parsed.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'));
  return parsed;
}

function typecheck(parsed) {
  if (!existsSync(join(webDir, 'node_modules', TYPES_PACKAGE))) {
    fail(`${TYPES_PACKAGE} is not installed; run \`npm --prefix web ci\` (or pass --no-typecheck to emit only).`);
  }
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length > 0) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
    fail(`type errors:\n${ts.formatDiagnostics(diagnostics, host)}`);
  }
}

/** Emits every non-declaration source to outDir, keeping its path below rootDir. */
function emit(parsed, outDir) {
  const rootDir = parsed.options.rootDir;
  if (rootDir === undefined) fail('web/tsconfig.json must set rootDir');
  const written = [];
  for (const file of parsed.fileNames.filter((f) => !f.endsWith('.d.ts')).sort()) {
    const rel = relative(rootDir, file);
    if (rel.startsWith('..')) fail(`${relative(root, file)} is outside rootDir; the only emitted sources are under ${relative(root, rootDir)}`);
    const { outputText, diagnostics } = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: parsed.options, fileName: file, reportDiagnostics: true });
    if (diagnostics?.length) fail(`${relative(root, file)}: ${diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ')}`);
    const banner = `// Generated from web/src/extensions/dp-hyperlora/${rel.split('\\').join('/')} by scripts/build-web.mjs; edit the source, then run \`npm run build:web\`.\n`;
    const target = join(outDir, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, banner + outputText);
    written.push(relative(outDir, target));
  }
  return written;
}

/** Copies docs/nodes/<NodeId>.md to outDir/docs/, after checking that pages and manifest nodes match one to one. */
function copyHelpPages(outDir) {
  const manifest = JSON.parse(readFileSync(join(root, 'nodes', 'manifest.json'), 'utf8'));
  const ids = manifest.nodes.map((n) => n.id).sort();
  const pages = readdirSync(join(root, 'docs', 'nodes')).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3)).sort();
  const missing = ids.filter((id) => !pages.includes(id));
  const orphans = pages.filter((p) => !ids.includes(p));
  if (missing.length > 0 || orphans.length > 0) {
    fail(`help pages and nodes/manifest.json disagree: missing docs/nodes/ pages for [${missing.join(', ')}], pages for no node [${orphans.join(', ')}]`);
  }
  mkdirSync(join(outDir, 'docs'), { recursive: true });
  for (const id of ids) writeFileSync(join(outDir, 'docs', `${id}.md`), readFileSync(join(root, 'docs', 'nodes', `${id}.md`)));
  return ids.map((id) => join('docs', `${id}.md`));
}

const args = parseArgs(process.argv.slice(2));
const parsed = readConfig();
if (args.typecheck) typecheck(parsed);
// web/js is generated output only: start from an empty folder so that a renamed source leaves nothing stale.
if (args.outDir === join(webDir, 'js')) rmSync(args.outDir, { recursive: true, force: true });
else if (existsSync(args.outDir) && readdirSync(args.outDir).length > 0) fail(`--out-dir ${args.outDir} must be empty or absent`);
const files = [...emit(parsed, args.outDir), ...copyHelpPages(args.outDir)];
process.stdout.write(`build-web: wrote ${files.length} files to ${relative(process.cwd(), args.outDir) || '.'}${args.typecheck ? ' (type-checked)' : ''}\n`);
