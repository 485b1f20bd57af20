"""Our host operation `host.checkBase` (src/worker/node-definition.ts): where the generated LoRA meets a MODEL, compare
the identity of the base UNet the SD pack was trained for (the DP_PACK value's `base`, from the manifest) with the
connected MODEL's, computed by the trainer's own function (training/unet_identity.py) once per loaded model object.

A mismatch WARNS and never refuses (a close fine-tune of the base often works): one line in ComfyUI's log, in the
node's text (ui.text, shown as a warning by our frontend extension) and in the node's progress text. It names the
pack and both identities (short hashes of public model weights) and nothing about the private set. A match says
nothing; a pack without `base` (the reference pack, older packs) or with another identity scheme is not compared.
"""
from __future__ import annotations

from typing import Optional

from .comfy_ts_bridge.logs import logger

#: Hex digits of each identity shown in the warning.
SHORT = 12


def mismatch_line(pack: dict, expected: str, found: str) -> str:
    """The warning (public: the pack's id and version and two hashes of model weights)."""
    return (f"⚠ base checkpoint mismatch: pack {pack.get('id')} {pack.get('version')} was trained for the UNet "
            f"{expected[:SHORT]}, but the connected MODEL's UNet is {found[:SHORT]}. The LoRA is applied anyway; "
            "train a pack for this checkpoint with Train SD Pack, or ignore this if the MODEL is a close fine-tune "
            "of the pack's base (or the same file loaded in bf16/fp8).")


def _progress_text(line: str) -> None:
    """Shows the line on the running node in ComfyUI's frontend, where the host offers that (0.3.6x)."""
    try:
        from comfy_execution.utils import get_executing_context
        from server import PromptServer
    except ImportError:
        return
    context = get_executing_context()
    send = getattr(getattr(PromptServer, "instance", None), "send_progress_text", None)
    if context is not None and send is not None:
        send(line, context.node_id)


def check_base(op: dict, spec: dict, kwargs: dict, outputs: list) -> Optional[dict]:
    """Compares the pack's base UNet identity with the MODEL input's; returns {"text": [warning]} on a mismatch."""
    pack, model = kwargs.get(op["packInput"]), kwargs.get(op["modelInput"])
    base = pack.get("base") if isinstance(pack, dict) else None
    if model is None or not base:
        return None
    from ..training.unet_identity import SCHEME, UnetIdentityError, cached_unet_sha256
    if not str(base.get("hashOf") or "").startswith(SCHEME):
        logger().info("%s: pack %s records its base UNet under another identity scheme than %s; not compared "
                      "(re-export the pack with this version to get the check)", spec["id"], pack.get("id"), SCHEME)
        return None
    try:
        found = cached_unet_sha256(model)
    except UnetIdentityError as e:
        logger().info("%s: the base checkpoint was not compared: %s", spec["id"], e)
        return None
    except Exception as e:  # noqa: BLE001 - a check that only warns must never fail the node (an unusual MODEL object)
        logger().warning("%s: the base checkpoint was not compared (%s: %s); the LoRA is applied anyway",
                         spec["id"], type(e).__name__, e)
        return None
    if found == base["unetSha256"]:
        return None
    line = mismatch_line(pack, base["unetSha256"], found)
    logger().warning("%s: %s", spec["id"], line)
    _progress_text(line)
    return {"text": [line]}
