"""The one exception the bridge raises into ComfyUI (shown as the node's error)."""


class DPHyperLoRAError(Exception):
    """A node failure with a stable code (docs/errors.md) and a message that says what to do.

    Messages never carry private data: the worker's messages follow that rule, and the bridge adds only
    public facts (node names, timeouts, install steps)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
