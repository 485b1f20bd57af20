// Runs inside the ComfyUI page (injected by frontend.browser.test.ts): small probes that read the frontend's state
// through the DOM and `window.app` (the canvas itself cannot be read as DOM) and drive it as a user would. Every
// probe returns plain JSON, which the test validates with zod. Only the frontend's public surfaces are used: the
// legacy modules /scripts/app.js and /scripts/api.js (reference/comfyui.md §6), the node library's tree and
// PrimeVue dialogs, and the server's /api routes.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, test, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = test();
    if (value) return value;
    if (Date.now() > end) throw new Error(`page probe: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

const app = () => window.app;
const widget = (node, name) => (node.widgets ?? []).find((w) => w.name === name);
const treeNodes = () => [...document.querySelectorAll('.p-tree-node')];
const label = (el) => el.getAttribute('aria-label') ?? el.querySelector('.p-tree-node-label')?.textContent?.trim() ?? '';

window.dpProbes = {
  /** The names of the registered dp-hyperlora extensions. */
  extensionNames() {
    return app().extensions.map((e) => e.name).filter((n) => n.startsWith('dp-hyperlora.'));
  },

  /** Opens the node library and the category folder; returns the folder's own label and its node labels. */
  async openNodeLibrary(category) {
    document.querySelector('button:has(.pi-book)')?.click();
    const folder = await until(`the "${category}" folder in the node library`,
      () => treeNodes().find((el) => el.getAttribute('aria-level') === '1' && label(el).startsWith(category)));
    if (folder.getAttribute('aria-expanded') !== 'true') folder.querySelector('.p-tree-node-content')?.click();
    await until('the folder to open', () => folder.getAttribute('aria-expanded') === 'true');
    folder.scrollIntoView({ block: 'start' });
    const children = [...folder.querySelectorAll('.p-tree-node')].filter((el) => el.getAttribute('aria-level') === '2');
    return { folder: label(folder), nodes: children.map(label) };
  },

  /** Closes the side panel again (clicks the node library button a second time). */
  closeSidePanel() {
    document.querySelector('button:has(.pi-book)')?.click();
    return true;
  },

  /**
   * Loads a plugin template the way the template browser does: the server's list (GET /api/workflow_templates, the
   * list the browser shows under the plugin), then the file it serves, then app.loadGraphData.
   */
  async loadTemplate(name) {
    const list = await (await fetch('/api/workflow_templates')).json();
    const pkg = Object.keys(list).find((k) => list[k].includes(name));
    if (pkg === undefined) return { pkg: null, templates: [], nodes: [] };
    const workflow = await (await fetch(`/api/workflow_templates/${pkg}/${name}.json`)).json();
    await app().loadGraphData(workflow);
    return { pkg, templates: [...list[pkg]].sort(), nodes: app().graph._nodes.map((n) => ({ id: String(n.id), type: n.type })) };
  },

  /** Sets widget values on a node as an edit in the UI would (value, then the widget's callback). */
  setWidgets(nodeId, values) {
    const node = app().graph.getNodeById(nodeId);
    for (const [name, value] of Object.entries(values)) {
      const w = widget(node, name);
      if (w === undefined) throw new Error(`page probe: node ${nodeId} has no widget ${name}`);
      w.value = value;
      w.callback?.(value);
    }
    return true;
  },

  /** Queues the graph (the Queue button's action) and waits for its execution_success or execution_error. */
  async queueAndWait(timeoutMs) {
    const { api } = await import('/scripts/api.js');
    const outcome = new Promise((resolve) => {
      const done = (event) => {
        api.removeEventListener('execution_success', done);
        api.removeEventListener('execution_error', done);
        const d = event.detail ?? {};
        resolve(event.type === 'execution_success' ? { status: 'success' }
          : { status: 'error', nodeId: String(d.node_id), nodeType: String(d.node_type), message: String(d.exception_message) });
      };
      api.addEventListener('execution_success', done);
      api.addEventListener('execution_error', done);
    });
    await app().queuePrompt(0, 1);
    return Promise.race([outcome, sleep(timeoutMs).then(() => ({ status: 'timeout' }))]);
  },

  /** Noisy Aggregate's two display boxes (and any node's summary box) as the user sees them. */
  boxes(nodeId) {
    const node = app().graph.getNodeById(nodeId);
    const summary = widget(node, 'dp_summary');
    const cost = widget(node, 'dp_cost');
    return {
      order: (node.widgets ?? []).map((w) => w.name).filter((n) => n === 'dp_cost' || n === 'dp_summary'),
      summary: summary?.element?.value ?? null,
      severity: summary?.element?.dataset?.dpSeverity ?? null,
      tinted: (summary?.element?.style?.borderLeft ?? '') !== '',
      cost: cost?.element?.value ?? null,
    };
  },

  /** The node the frontend marks with the last execution error, where it exposes it (1.4.13: app.lastExecutionError). */
  errorNode() {
    const last = app().lastExecutionError;
    return last ? String(last.node_id) : null;
  },

  /** The text of the open dialogs (the execution error, missing node types) and toasts (alerts such as "Invalid workflow"). */
  messagesShown() {
    return [...document.querySelectorAll('.p-dialog, .p-toast-message')].map((d) => d.innerText).join('\n');
  },

  /** Closes open dialogs and toasts with their close buttons (a closing dialog can reveal another): how many are left. */
  async closeDialogs() {
    const open = () => document.querySelectorAll('.p-dialog, .p-toast-message');
    for (let round = 0; round < 5 && open().length > 0; round++) {
      for (const b of document.querySelectorAll('.p-dialog-close-button, .p-dialog-header-close, .p-toast-close-button')) b.click();
      await sleep(400);
    }
    return open().length;
  },

  /**
   * Asks ComfyUI to drop its cached outputs (POST /api/free {free_memory: true}, what the UI's "free memory" does), so
   * that the next queue runs every node: a fully cached prompt re-sends only its output nodes' results, and Noisy
   * Aggregate's box would stay empty on a fresh page.
   */
  async freeCaches() {
    const r = await fetch('/api/free', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ free_memory: true }) });
    await sleep(1000);
    return r.ok;
  },

  /** Zooms the canvas to `scale` with the graph point (x, y) at the canvas's top-left corner. */
  view(scale, x, y) {
    const c = app().canvas;
    c.ds.scale = scale;
    c.ds.offset = [-x, -y];
    c.setDirty(true, true);
    return true;
  },

  /** Pans and zooms the canvas so that the node sits near the top-left corner. */
  focusNode(nodeId, scale) {
    const c = app().canvas;
    const node = app().graph.getNodeById(nodeId);
    c.ds.scale = scale;
    c.ds.offset = [-node.pos[0] + 380 / scale, -node.pos[1] + 160 / scale];
    c.setDirty(true, true);
    return true;
  },

  /** Everything the page shows or holds for the graph: its visible text, every widget value and the saved workflow. */
  everythingShown() {
    const widgets = app().graph._nodes.flatMap((n) => (n.widgets ?? []).map((w) => String(w.value ?? '')));
    return [document.body.innerText, ...widgets, JSON.stringify(app().graph.serialize())].join('\n');
  },
};
