/**
 * Writes the example workflows: workflows/<name>.json (UI format, listed by ComfyUI's template browser)
 * and workflows/api/<name>.json (the API-format twin, for /prompt and `dp-hyperlora batch`). The UI
 * files are built from the compact descriptions below; each twin is converted from its UI file with
 * src/comfy's uiToApi. test/workflows/workflows.test.ts validates what is committed.
 *   node --import tsx scripts/make-workflows.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ALL_NODES } from '../nodes/index.js';
import { ObjectInfo } from '../src/comfy/object-info.js';
import { uiToApi } from '../src/comfy/ui-to-api.js';
import { UiWorkflow } from '../src/comfy/workflow-ui.js';
import { nodeObjectInfo, type ObjectInfoNode } from '../src/worker/object-info.js';
import { EXAMPLE_CHOICES, WORKFLOWS, type WorkflowSpec } from './workflow-specs.js';

const root = new URL('..', import.meta.url);
const PLUGIN = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { name: string; version: string };
/**
 * When the examples' content was last changed by hand; the frontend's workflow schema (zInfo) requires `created` and
 * `modified` beside the description, and a fixed date keeps the generated files byte-stable between runs.
 */
const WORKFLOWS_DATE = '2026-12-07';

/**
 * `extra.info` complete, as the frontend's workflow schema requires it: with only a description, loading the workflow
 * raised "Invalid workflow against zod schema: Required at extra.info.name …" (seen in a real browser, docs/frontend.md).
 */
function workflowInfo(spec: WorkflowSpec): Record<string, string> {
  return {
    name: spec.name, author: PLUGIN.name, description: spec.description, version: PLUGIN.version,
    created: WORKFLOWS_DATE, modified: WORKFLOWS_DATE, software: `${PLUGIN.name} scripts/make-workflows.ts`,
  };
}
const core = ObjectInfo.parse(JSON.parse(readFileSync(new URL('test/comfy/fixtures/object_info.core.json', root), 'utf8')));
// Third-party nodes the Stable Diffusion route's examples use, as ComfyUI_IPAdapter_plus served them on real 0.3.64.
const ipadapter = ObjectInfo.parse(JSON.parse(readFileSync(new URL('test/comfy/fixtures/object_info.ipadapter-plus.json', root), 'utf8')));
const info: Record<string, ObjectInfoNode | ObjectInfo[string]> = { ...core, ...ipadapter };
for (const n of ALL_NODES) info[n.id] = nodeObjectInfo(n, EXAMPLE_CHOICES);

function socketType(type: string, input: string): string {
  const def = info[type];
  const spec = def?.input.required?.[input] ?? def?.input.optional?.[input];
  if (spec === undefined || Array.isArray(spec[0])) throw new Error(`${type}.${input} is not a socket input`);
  return String(spec[0]);
}

/** Builds one UI-format (version 0.4) workflow from its compact description. */
export function buildUi(spec: WorkflowSpec): Record<string, unknown> {
  const links: [number, number, number, number, number, string][] = [];
  const outLinks = new Map<string, number[]>();
  const nodes = spec.nodes.map((n, order) => {
    const def = info[n.type];
    const inputs = Object.entries(n.links ?? {}).map(([name, [from, slot]]) => {
      const type = socketType(n.type, name);
      const id = links.length + 1;
      links.push([id, from, slot, n.id, -1, type]);
      outLinks.set(`${from}:${slot}`, [...(outLinks.get(`${from}:${slot}`) ?? []), id]);
      return { name, type, link: id };
    });
    inputs.forEach((input, slot) => { const l = links[input.link - 1]; if (l) l[4] = slot; });
    return { n, def, inputs, order };
  });
  return {
    last_node_id: Math.max(...spec.nodes.map((n) => n.id)),
    last_link_id: links.length,
    nodes: nodes.map(({ n, def, inputs, order }) => ({
      id: n.id, type: n.type, pos: n.pos, size: n.size ?? [320, 130], flags: {}, order, mode: 0,
      ...(n.title ? { title: n.title } : {}),
      ...(n.color ? { color: n.color, bgcolor: n.color } : {}),
      inputs,
      outputs: (def?.output ?? []).map((type, slot) => ({
        name: def?.output_name?.[slot] ?? String(type), type, links: outLinks.get(`${n.id}:${slot}`) ?? [], slot_index: slot,
      })),
      properties: n.type === 'Note' ? {} : { 'Node name for S&R': n.type, ...(n.type.startsWith('DPHyperLoRA_') ? { cnr_id: 'dp-hyperlora', ver: '0.1.0' } : {}) },
      widgets_values: n.widgets,
    })),
    links,
    groups: (spec.groups ?? []).map((g) => ({ title: g.title, bounding: g.bounding, ...(g.color ? { color: g.color } : {}), font_size: 18 })),
    config: {},
    extra: { ds: { scale: 0.8, offset: [0, 0] }, info: workflowInfo(spec) },
    version: 0.4,
  };
}

const dir = fileURLToPath(new URL('workflows/', root));
mkdirSync(`${dir}api`, { recursive: true });
for (const spec of WORKFLOWS) {
  const ui = buildUi(spec);
  const api = uiToApi(UiWorkflow.parse(ui), ObjectInfo.parse(info));
  writeFileSync(`${dir}${spec.name}.json`, `${JSON.stringify(ui, null, 2)}\n`);
  writeFileSync(`${dir}api/${spec.name}.json`, `${JSON.stringify(api, null, 2)}\n`);
  process.stdout.write(`wrote workflows/${spec.name}.json and api/${spec.name}.json\n`);
}
