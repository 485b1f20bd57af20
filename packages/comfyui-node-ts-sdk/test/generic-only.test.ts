// The SDK must stay generic: nothing in it may be about differential privacy or the plugin that uses it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const root = new URL('..', import.meta.url).pathname;
/** Whole words or stems that belong to the DP plugin, not to a generic node SDK (TypeScript's `private` modifier is fine). */
const FORBIDDEN = /\bdp\b|dp[_-]|privacy|private (set|image|data|pixel|embedding)s?|epsilon|ledger|hyperlora|hypernetwork|noisy|clip(ped|ping)? norm|gaussian|lora/i;
/** This file names the forbidden words itself. */
const SELF = 'test/generic-only.test.ts';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name === 'dist' || name === '__pycache__') return [];
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

test('the package names nothing DP-specific (source, python bridge, tests, docs, manifest)', () => {
  const files = walk(root).map((p) => relative(root, p)).filter((f) => f !== SELF);
  assert.ok(files.includes('src/index.ts') && files.includes('package.json') && files.includes('python/comfy_ts_bridge/hub.py'), `walked the package: ${files.join(', ')}`);
  const hits = files.flatMap((f) => readFileSync(join(root, f), 'utf8').split('\n')
    .map((line, i) => ({ f, i: i + 1, line }))
    .filter(({ line }) => FORBIDDEN.test(line)));
  assert.deepEqual(hits.map(({ f, i, line }) => `${f}:${i}: ${line.trim()}`), []);
});

test('the pattern catches what it is meant to catch', () => {
  for (const s of ['import { x } from "../dp/noise.js"', 'DP_HYPERLORA_SHM', 'log = logging.getLogger("dp_hyperlora")', 'class DPHyperLoRAError', 'privacy budget', 'epsilon = 1', 'openLedger()', 'LoRA weights', 'the private set']) {
    assert.ok(FORBIDDEN.test(s), s);
  }
  for (const s of ['export function checkTensor', 'a tensor of shape [1, 2]', 'adapter', 'endpoint', 'private readonly pending = new Map()']) {
    assert.ok(!FORBIDDEN.test(s), s);
  }
});
