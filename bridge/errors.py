"""The one exception the bridge raises into ComfyUI (shown as the node's error)."""
from .comfy_ts_bridge.errors import BridgeError, set_error_class


class DPHyperLoRAError(BridgeError):
    """A node failure with a stable code (docs/errors.md) and a message that says what to do.

    Messages never carry private data: the worker's messages follow that rule, and the bridge adds only
    public facts (node names, timeouts, install steps)."""


# The generic bridge raises this class too, so every error a user sees is ours.
set_error_class(DPHyperLoRAError)
