"""dp-hyperlora as comfyui-node-ts-sdk sees it: one PackConfig for the generic bridge, and what we add at load time
(the dp_hyperlora models folder, the private-set roots taken out of ComfyUI's served folders, the cost route)."""
from __future__ import annotations

import os

from . import paths, private_sets
from .comfy_ts_bridge import Choice, PackConfig
from .comfy_ts_bridge.queries import QueryRoute
from .errors import DPHyperLoRAError
from .base_check import check_base
from .host_ops import apply_lora
from .values import CONVERTERS, DISPLAY_NAME

WORKER_ROUTE = "/dp_hyperlora/worker"
STATUS_ROUTE = "/dp_hyperlora/status"
COST_ROUTE = "/dp_hyperlora/cost"

CHOICES = {
    "packs": Choice(paths.list_packs, paths.resolve_pack),
    "input_folders": Choice(paths.list_input_folders, paths.resolve_input_folder),
}


def _pack_manifest_key(name) -> str:
    return paths.file_hash(os.path.join(paths.resolve_pack(name), "manifest.json"))


def _folder_content_key(name) -> str:
    return paths.folder_content_hash(paths.resolve_input_folder(name))


def on_load(hub, server) -> None:
    """Registers our models folder, claims the private-set roots, and serves the cost preview."""
    paths.register_model_folder()
    private_sets.claim_roots()
    # What a Noisy Aggregate release will cost, shown by the frontend before a run (public values only).
    cost = QueryRoute(lambda: hub, "DPHyperLoRA_CostQuery",
                      {"pack": "packs", "epsilon": "json", "delta": "json", "relation": "json", "n_public": "json"}, CHOICES)
    server.routes.post(COST_ROUTE)(cost.handle)


CONFIG = PackConfig(
    name=DISPLAY_NAME,
    node_prefix="DPHyperLoRA_",
    category="DP HyperLoRA",
    route=WORKER_ROUTE,
    env_prefix="DP_HYPERLORA_",
    data_folder="dp_hyperlora",
    error_class=DPHyperLoRAError,
    worker_command=("bin/dp-hyperlora.js", "worker", "--comfy", "{url}", "--once"),
    worker_files=(os.path.join("dist", "src", "cli", "main.js"), "node_modules"),
    remote_command="dp-hyperlora worker",
    shm_prefix="dp-hyperlora",
    manifest=os.path.join("nodes", "manifest.json"),
    manifest_format="dp-hyperlora-nodes",
    web_directory="./web/js",
    status_route=STATUS_ROUTE,
    choices=CHOICES,
    cache_keys={"folder_content": _folder_content_key, "pack_manifest": _pack_manifest_key},
    host_ops={"applyLora": apply_lora, "checkBase": check_base},
    converters=CONVERTERS,
    write_file=paths.write_model_file,
    on_load=on_load,
    logger_name="dp_hyperlora",
)
