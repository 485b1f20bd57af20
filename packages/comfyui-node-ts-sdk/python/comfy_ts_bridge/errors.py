"""The one exception the bridge raises into ComfyUI (shown as the node's error).

A node pack names its own class (config `error_class`): every module of this bridge raises through `fail`, which
builds an instance of that class, so ComfyUI's error panel shows the pack's name, not this SDK's."""
from __future__ import annotations


class BridgeError(Exception):
    """A node failure with a stable code and a message that says what failed, why, and what to do."""

    def __init__(self, code: str, message: str):
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message


_error_class: type[BridgeError] = BridgeError


def set_error_class(cls) -> type[BridgeError]:
    """Makes `cls` (a BridgeError subclass, or a class name to create one) the class `fail` raises; returns it."""
    global _error_class
    if isinstance(cls, str):
        cls = type(cls, (BridgeError,), {"__doc__": "A node failure with a stable code (see BridgeError)."})
    if not (isinstance(cls, type) and issubclass(cls, BridgeError)):
        raise TypeError("error_class must be a BridgeError subclass or a class name")
    _error_class = cls
    return cls


def fail(code: str, message: str) -> BridgeError:
    """An instance of the pack's error class (raise it)."""
    return _error_class(code, message)
