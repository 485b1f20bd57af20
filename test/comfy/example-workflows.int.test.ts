// `batch` runs every API-format example workflow (workflows/api/) against the ComfyUI test server.
// The server knows the node types honestly: the core classes from a real ComfyUI 0.3.64 /object_info
// recording, ours from the node manifest (nodes/, through the same function the bridge uses), and the
// machine-specific dropdowns (checkpoints, packs, folders) list the placeholders the examples name, as a
// server with those files installed would. Our nodes run as the test server's pass-through (no DP maths).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ALL_NODES } from '../../nodes/index.js';
import { readFileSync } from 'node:fs';
import { EXAMPLE_CHECKPOINTS, EXAMPLE_CHOICES, EXAMPLE_CONDITIONING } from '../../scripts/workflow-specs.js';
import { parseVary } from '../../src/comfy/batch-plan.js';
import { runBatch } from '../../src/comfy/batch-run.js';
import { RELEASE_NODE } from '../../src/comfy/release-guard.js';
import { ObjectInfo } from '../../src/comfy/object-info.js';
import { loadWorkflowFile } from '../../src/comfy/workflow-load.js';
import { DpHyperLoraError } from '../../src/errors.js';
import { nodeObjectInfo } from '../../src/worker/object-info.js';
import { realObjectInfo, startFakeComfy } from './fake-comfy-server.js';

const dir = new URL('../../workflows/api/', import.meta.url);
const names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

function serverInfo(): ObjectInfo {
  const core = realObjectInfo();
  const ckpt = core.CheckpointLoaderSimple?.input.required?.ckpt_name;
  if (ckpt !== undefined) ckpt[0] = Object.values(EXAMPLE_CHECKPOINTS);
  // The Stable Diffusion route's examples need ComfyUI_IPAdapter_plus (as a real 0.3.64 served it) and files there.
  const ipadapter = ObjectInfo.parse(JSON.parse(readFileSync(new URL('fixtures/object_info.ipadapter-plus.json', import.meta.url), 'utf8')));
  const C = EXAMPLE_CONDITIONING;
  const lists: [ObjectInfo[string] | undefined, 'folder' | 'clip_name' | 'ipadapter_file', string[]][] = [
    [core.LoadImageSetFromFolderNode, 'folder', [C.privateFolder, C.publicFolder]],
    [core.CLIPVisionLoader, 'clip_name', [C.clipVitH, C.clipBigG]],
    [ipadapter.IPAdapterModelLoader, 'ipadapter_file', [C.ipadapterSd15, C.ipadapterSdxl]],
  ];
  for (const [def, input, values] of lists) {
    const spec = def?.input.required?.[input];
    if (spec !== undefined) spec[0] = values;
  }
  const ours = Object.fromEntries(ALL_NODES.map((n) => [n.id, nodeObjectInfo(n, EXAMPLE_CHOICES)]));
  return ObjectInfo.parse({ ...core, ...ipadapter, ...ours });
}

test('the API-format example workflows exist', () => {
  assert.ok(names.length >= 4, names.join(', '));
});

for (const name of names) {
  test(`batch runs workflows/api/${name} on the test server`, async () => {
    const s = await startFakeComfy({ objectInfo: serverInfo() });
    const out = mkdtempSync(join(tmpdir(), 'batch-examples-'));
    try {
      const workflow = await loadWorkflowFile(new URL(name, dir).pathname);
      assert.equal(workflow.format, 'api');
      const prompt = workflow.format === 'api' ? workflow.prompt : {};
      // Vary the first seed-like input when there is one, else run the workflow twice with two prefixes.
      const seed = Object.entries(prompt).find(([, n]) => typeof n.inputs.seed === 'number');
      const vary = seed === undefined ? [] : [parseVary(`${seed[0]}.inputs.seed=1..2`)];
      const summary = await runBatch({
        servers: [s.url], workflow, outDir: out, set: {}, vary, concurrency: 2, maxAttempts: 1,
        client: { backoff: { initialMs: 20, maxMs: 50 } },
      }, () => undefined);
      assert.equal(summary.failed, 0, JSON.stringify(summary.firstError));
      assert.equal(summary.succeeded, vary.length === 0 ? 1 : 2);
      assert.equal(s.accepted.length, summary.succeeded);
    } finally { await s.close(); }
  });
}

test('batch refuses to vary the release number of a shared workflow (nothing queued) unless told to spend the budget', async () => {
  const s = await startFakeComfy({ objectInfo: serverInfo() });
  const out = mkdtempSync(join(tmpdir(), 'batch-release-'));
  try {
    const workflow = await loadWorkflowFile(new URL('1-sd15-not-yet-needs-an-sd15-pack.json', dir).pathname);
    const prompt = workflow.format === 'api' ? workflow.prompt : {};
    const id = Object.entries(prompt).find(([, n]) => n.class_type === RELEASE_NODE)?.[0];
    assert.ok(id !== undefined, 'the workflow has a Noisy Aggregate node');
    const opts = { servers: [s.url], workflow, outDir: out, set: {}, vary: [parseVary(`${id}.inputs.release=1..3`)], concurrency: 2, maxAttempts: 1,
      client: { backoff: { initialMs: 20, maxMs: 50 } } };
    await assert.rejects(runBatch(opts, () => undefined), (e: unknown) => e instanceof DpHyperLoraError && e.code === 'INVALID_ARGUMENT' &&
      e.message.startsWith(`the batch would make 3 different DP releases at Noisy Aggregate (node ${id}), because the jobs change ${id}.inputs.release.`));
    assert.equal(s.accepted.length, 0, 'nothing was queued');
    const summary = await runBatch({ ...opts, allowNewReleases: true }, () => undefined);
    assert.equal(summary.succeeded, 3);
    assert.equal(s.accepted.length, 3);
  } finally { await s.close(); }
});
