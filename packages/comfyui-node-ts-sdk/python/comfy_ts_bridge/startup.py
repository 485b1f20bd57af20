"""The start-up check: whether the worker can start, said in ComfyUI's log and to the frontend at start-up.

Generic: it knows only a route, a display name and a function that returns the problem (or None). The route
answers {"ok": bool, "problem": str | null}; the problem is an install instruction (what to install, where to
run `npm ci`), never anything about a user's data."""
from __future__ import annotations

from .logs import logger


class StartupCheck:
    """Runs `check()` once at construction (ComfyUI start-up), logs an error when it fails, and serves the result."""

    def __init__(self, display_name: str, check):
        self.display_name = display_name
        self.problem: str | None = check()
        if self.problem is not None:
            logger().error("%s: the worker cannot start, so its nodes will fail until this is fixed: %s", display_name, self.problem)

    def payload(self) -> dict:
        """The JSON the status route returns."""
        return {"ok": self.problem is None, "name": self.display_name, "problem": self.problem}

    async def handle(self, request):
        """aiohttp handler of the status route (GET)."""
        from aiohttp import web
        return web.json_response(self.payload())
