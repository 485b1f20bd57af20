import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ALL_NODES } from '../../nodes/index.js';

test('every node has a help page under docs/nodes that documents each of its inputs', () => {
  for (const n of ALL_NODES) {
    const page = readFileSync(new URL(`../../docs/nodes/${n.id}.md`, import.meta.url), 'utf8');
    assert.ok(page.startsWith(`# ${n.displayName}\n`), `${n.id}: help page title`);
    for (const i of n.inputs) assert.ok(page.includes(`| ${i.name}`), `${n.id}: help page documents input ${i.name}`);
    for (const o of n.outputs) assert.ok(page.includes(`| ${o.name} |`), `${n.id}: help page documents output ${o.name}`);
  }
});
