"""Worker queries outside any graph: a route whose JSON body becomes the inputs of a worker-only node, and whose
answer is that node's `ui` dict. Generic: the route, the node id and the allowed inputs are given by the caller.
Queries are for public values only (the node decides what it computes; nothing private goes in or out)."""
from __future__ import annotations

import asyncio

from .errors import BridgeError, fail


class QueryRoute:
    """POST handler: `{"input": value, ...}` → the worker node `node_id` → `{"ok": true, "ui": {...}}`.

    `inputs` maps each allowed input name to "json" (sent as is) or a choice source of the pack's config (the label
    is resolved as a CHOICE input's is). Unknown names are refused; errors answer {"ok": false, "error": "[CODE] message"}."""

    def __init__(self, hub_getter, node_id: str, inputs: dict, choices: dict | None = None):
        self.hub_getter = hub_getter
        self.choices = dict(choices or {})
        self.node_id = node_id
        self.inputs = dict(inputs)

    def wire_inputs(self, body: dict) -> dict:
        """The worker's wire inputs for `body` (raises the pack's error for unknown or missing names)."""
        if not isinstance(body, dict) or set(body) != set(self.inputs):
            raise fail("INVALID_ARGUMENT", f"a {self.node_id} query takes exactly the inputs {sorted(self.inputs)}; reload the page.")
        wire = {}
        for name, kind in self.inputs.items():
            value = body[name]
            if kind != "json":
                value = {"name": value, "path": self.choices[kind].resolve(value)}
            wire[name] = {"kind": "json", "value": value}
        return wire

    def run(self, body: dict) -> dict:
        """Runs the query in the worker (blocking; call it off the event loop)."""
        wire = self.wire_inputs(body)
        message, _ = self.hub_getter().call(self.node_id, lambda call_id, _shm: (wire, []), lambda v, m: None,
                                            lambda: False, lambda: None)
        return message.get("ui") or {}

    async def handle(self, request):
        """aiohttp handler (POST, JSON body)."""
        from aiohttp import web
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"ok": False, "error": "[INVALID_ARGUMENT] the body must be JSON"}, status=400)
        try:
            ui = await asyncio.get_running_loop().run_in_executor(None, self.run, body)
        except BridgeError as e:
            return web.json_response({"ok": False, "error": str(e)}, status=400)
        return web.json_response({"ok": True, "ui": ui})
