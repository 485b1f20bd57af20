"""The logger every module of this bridge writes to: the pack's own (config `logger_name`), so that ComfyUI's log
and a pack's log filters see the pack's name."""
from __future__ import annotations

import logging

_logger = logging.getLogger("comfy_ts_bridge")


def set_logger(name: str) -> None:
    """Sends this bridge's lines to the logger `name`."""
    global _logger
    _logger = logging.getLogger(name)


def logger() -> logging.Logger:
    """The current logger."""
    return _logger
