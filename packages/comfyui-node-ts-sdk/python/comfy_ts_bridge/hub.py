"""The bridge's WebSocket endpoint and the RPC that ComfyUI's prompt thread uses to run a node in the worker.

Threads: the WebSocket lives on the server's event loop (PromptServer.instance.loop); node execution runs on
ComfyUI's prompt thread, which sends through `asyncio.run_coroutine_threadsafe` and waits on a queue that the
event loop fills. Waiting is in short slices, so an interrupt, a dead worker (connection closed) or a silent
one (no heartbeat within the idle timeout) always ends the wait in bounded time."""
from __future__ import annotations

import asyncio
import hmac
import json
import os
import queue
import secrets
import threading
import time
import uuid

from .errors import BridgeError, fail
from .frames import Reassembler
from .logs import logger
from .shm import accept_folder
from .wire import byte_size, tensor_refs

PROTOCOL_VERSION = 1
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


def _env_seconds(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class Settings:
    """Bridge settings from the pack's environment variables (./config.py lists them)."""

    def __init__(self, config):
        env = config.env
        self.remote = os.environ.get(env("WORKER"), "local") == "remote"
        self.token_file = os.environ.get(env("TOKEN_FILE"))
        self.start_timeout = _env_seconds(env("START_TIMEOUT"), 60.0)
        self.idle_timeout = _env_seconds(env("IDLE_TIMEOUT"), 60.0)
        self.cancel_grace = _env_seconds(env("CANCEL_GRACE"), 5.0)
        self.heartbeat = _env_seconds(env("HEARTBEAT"), 10.0)
        self.bridge_url = os.environ.get(env("BRIDGE_URL"))
        self.worker_args = os.environ.get(env("WORKER_ARGS"), "").split()


class _Connection:
    """One authenticated worker connection."""

    def __init__(self, ws, loop, shm=None):
        self.ws = ws
        self.loop = loop
        self.shm = shm  # ./shm.py SharedMemory when the worker runs on this machine, else None
        self.calls: dict[str, queue.Queue] = {}
        self.frames = Reassembler(shm=shm)
        self.closed_reason: str | None = None

    async def _send(self, frames, text):
        for f in frames:
            await self.ws.send_bytes(f)
        if text is not None:
            await self.ws.send_str(text)

    def send(self, frames, message: dict | None, timeout: float) -> None:
        """Sends frames then one control message, from any thread other than the loop's."""
        text = None if message is None else json.dumps(message, separators=(",", ":"))
        fut = asyncio.run_coroutine_threadsafe(self._send(frames, text), self.loop)
        try:
            fut.result(timeout)
        except Exception as e:  # noqa: BLE001 - any send failure means the connection is unusable
            fut.cancel()
            raise fail("WORKER_UNAVAILABLE", f"could not send to the worker ({type(e).__name__}); it will be restarted on the next run.") from None

    def dispatch(self, msg: dict) -> None:
        """Routes one worker message to the waiting call (runs on the loop)."""
        kind, call_id = msg.get("type"), msg.get("id")
        q = self.calls.get(call_id) if isinstance(call_id, str) else None
        if kind == "result":
            blobs = {r["ref"]: self.frames.take(call_id, r["ref"], byte_size(r)) for r in tensor_refs(msg)}
            if q is not None:
                q.put(("result", msg, blobs))
        elif kind in ("progress", "alive", "error"):
            if q is not None:
                q.put((kind, msg))
            if kind == "error":
                self.frames.drop_call(call_id)
        else:
            raise fail("PROTOCOL", f"unknown message type {kind!r} from the worker")

    def close_all(self, reason: str) -> None:
        self.closed_reason = reason
        for q in list(self.calls.values()):
            q.put(("closed", reason))


class WorkerHub:
    """Owns the worker: its token, its process (local mode) and its connection."""

    def __init__(self, config, loop_getter, port_getter, settings: Settings | None = None, spawn=None):
        self.config = config
        self.settings = settings or Settings(config)
        self._loop_getter = loop_getter
        self._port_getter = port_getter
        self._spawn = spawn
        self._lock = threading.Lock()
        self._conn: _Connection | None = None
        self._connected = threading.Condition(self._lock)
        self._proc = None
        self._token = secrets.token_urlsafe(32)
        self._file_token = self._read_token_file() if self.settings.remote else None

    # ---- authentication -------------------------------------------------------------------------------
    def _read_token_file(self) -> str:
        path = self.settings.token_file
        if not path:
            import folder_paths
            path = os.path.join(folder_paths.get_user_directory(), self.config.data_folder, "worker.token")
            self.settings.token_file = path
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(32) + "\n")
        with open(path, encoding="utf-8") as fh:
            token = fh.read().strip()
        logger().info("%s: remote worker mode; the worker's token file is %s", self.config.name, path)
        return token

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        given = header[len("Bearer "):].encode()
        ok = hmac.compare_digest(given, self._token.encode())
        if self._file_token is not None:
            ok = hmac.compare_digest(given, self._file_token.encode()) or ok
        return ok

    # ---- the WebSocket route (runs on the server loop) --------------------------------------------------
    async def handle(self, request):
        from aiohttp import WSMsgType, web
        peer = request.remote
        if not self._authorized(request.headers.get("Authorization")):
            logger().warning("%s: refused a worker connection from %s: missing or invalid token", self.config.name, peer)
            return web.Response(status=401, text=f"{self.config.name}: invalid or missing worker token\n")
        ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES, heartbeat=self.settings.heartbeat, compress=False)
        await ws.prepare(request)
        try:
            hello = await ws.receive_json(timeout=10)
        except (asyncio.TimeoutError, ValueError, TypeError):
            await ws.close(code=1002, message=b"expected hello")
            return ws
        if hello.get("type") != "hello" or hello.get("protocol") != PROTOCOL_VERSION:
            logger().warning("%s: refused a worker speaking protocol %r (bridge speaks %d); reinstall the plugin", self.config.name, hello.get("protocol"), PROTOCOL_VERSION)
            await ws.close(code=1002, message=b"protocol version mismatch")
            return ws
        shm = accept_folder(hello.get("shm"), self.config.shm_prefix, self.config.env("SHM")) if self.config.shm_prefix else None
        await ws.send_str(json.dumps({"type": "welcome", "protocol": PROTOCOL_VERSION, "shm": shm is not None}))
        conn = _Connection(ws, asyncio.get_running_loop(), shm)
        self._attach(conn)
        logger().info("%s: worker %s connected from %s; tensors travel %s", self.config.name, hello.get("version"), peer,
                 "through shared memory" if shm is not None else "over the WebSocket")
        reason = "the worker closed the connection"
        try:
            async for msg in ws:
                if msg.type == WSMsgType.BINARY:
                    conn.frames.push(msg.data)
                elif msg.type == WSMsgType.TEXT:
                    conn.dispatch(json.loads(msg.data))
                elif msg.type == WSMsgType.ERROR:
                    reason = "the worker connection failed"
                    break
        except (BridgeError, ValueError, KeyError, TypeError) as e:
            reason = f"the worker broke the protocol ({e})"
            logger().error("%s: %s", self.config.name, reason)
            await ws.close(code=1002)
        finally:
            self._detach(conn, reason)
        return ws

    def _attach(self, conn: _Connection) -> None:
        with self._lock:
            old, self._conn = self._conn, conn
            self._connected.notify_all()
        if old is not None:
            old.close_all("a new worker connection replaced this one")
            asyncio.ensure_future(old.ws.close(code=1001, message=b"replaced"))

    def _detach(self, conn: _Connection, reason: str) -> None:
        with self._lock:
            if self._conn is conn:
                self._conn = None
        conn.close_all(reason)
        if conn.shm is not None:
            conn.shm.remove_folder()  # a dead worker cannot remove its own folder

    # ---- the worker process (local mode) ----------------------------------------------------------------
    def _bridge_url(self) -> str:
        if self.settings.bridge_url:
            return self.settings.bridge_url
        return f"ws://127.0.0.1:{self._port_getter()}{self.config.route}"

    def _ensure_connected(self) -> _Connection:
        with self._lock:
            if self._conn is not None and self._conn.closed_reason is None:
                return self._conn
            if not self.settings.remote:
                # Calls come one at a time from the prompt thread, so a local process without a connection here
                # is stale (exiting, or cut off): stop it and start a fresh one.
                self._stop_process_locked()
                self._token = secrets.token_urlsafe(32)  # a fresh token for every process
                self._proc = self._spawn(self._bridge_url(), self._token, list(self.settings.worker_args))
            deadline = time.monotonic() + self.settings.start_timeout
            while self._conn is None:
                left = deadline - time.monotonic()
                if not self.settings.remote and self._proc is not None and self._proc.poll() is not None:
                    code = self._proc.returncode
                    self._proc = None
                    raise fail("WORKER_UNAVAILABLE", f"the worker exited (code {code}) before connecting; see the [worker] lines in the ComfyUI log. It is retried on the next run.")
                if left <= 0:
                    self._stop_process_locked()
                    where = f"start `{self.config.remote_command} --comfy {self._bridge_url()} --token-file {self.settings.token_file}` on the worker machine" if self.settings.remote else "see the [worker] lines in the ComfyUI log"
                    raise fail("WORKER_UNAVAILABLE", f"no worker connected within {self.settings.start_timeout:.0f} s; {where}.")
                self._connected.wait(min(left, 0.2))
            return self._conn

    def _stop_process_locked(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            try:
                proc.wait(5)
            except Exception:  # noqa: BLE001 - a zombie is harmless here; the next run starts a new one
                logger().warning("%s: the old worker did not exit after kill", self.config.name)

    def restart(self, reason: str) -> None:
        """Drops the connection and stops a local worker; the next run starts a fresh one."""
        with self._lock:
            conn, self._conn = self._conn, None
            self._stop_process_locked()
        if conn is not None:
            conn.close_all(reason)
            asyncio.run_coroutine_threadsafe(conn.ws.close(code=1001), conn.loop)

    def shutdown(self) -> None:
        with self._lock:
            self._stop_process_locked()

    # ---- RPC (runs on the prompt thread) ---------------------------------------------------------------
    def call(self, node_id: str, build, on_progress, interrupted, raise_interrupt):
        """Runs node `node_id` in the worker; `build(call_id, shm)` returns (wire inputs, frames), writing large
        tensors through `shm` (the connection's ./shm.py SharedMemory, or None for WebSocket frames).

        Returns (result message, {ref: bytearray}). Raises the pack's error on worker errors, timeouts and
        lost connections, and ComfyUI's interrupt exception (through `raise_interrupt`) on interrupts."""
        conn = self._ensure_connected()
        call_id = uuid.uuid4().hex
        q: queue.Queue = queue.Queue()
        conn.calls[call_id] = q
        finished = False
        try:
            inputs, frames = build(call_id, conn.shm)
            conn.send(frames, {"type": "execute", "id": call_id, "node": node_id, "inputs": inputs}, self.settings.idle_timeout)
            result = self._wait(conn, call_id, q, on_progress, interrupted, raise_interrupt)
            finished = True
            return result
        finally:
            conn.calls.pop(call_id, None)
            if conn.shm is not None:
                conn.shm.release_call(call_id)  # files the worker did not read (error, interrupt, lost worker)
            if not finished and conn.closed_reason is None:
                try:
                    conn.send([], {"type": "cancel", "id": call_id}, 5)
                except BridgeError:
                    logger().warning("%s: could not tell the worker to cancel", self.config.name)

    def _wait(self, conn, call_id, q, on_progress, interrupted, raise_interrupt):
        last = time.monotonic()
        cancelled_at = None
        while True:
            try:
                ev = q.get(timeout=0.05)
            except queue.Empty:
                ev = None
            now = time.monotonic()
            if ev is None:
                if cancelled_at is None and interrupted():
                    conn.send([], {"type": "cancel", "id": call_id}, 5)
                    cancelled_at = now
                elif cancelled_at is not None and now - cancelled_at > self.settings.cancel_grace:
                    self.restart("the worker did not stop after a cancel")
                    raise_interrupt()
                elif now - last > self.settings.idle_timeout:
                    self.restart("the worker stopped responding")
                    raise fail("TIMEOUT", f"the worker sent nothing for {self.settings.idle_timeout:.0f} s (no progress, no heartbeat); it was stopped and will be restarted on the next run.")
                continue
            last = now
            kind = ev[0]
            if kind == "progress":
                on_progress(ev[1]["value"], ev[1]["max"])
            elif kind == "result":
                return ev[1], ev[2]
            elif kind == "error":
                if cancelled_at is not None:
                    raise_interrupt()
                err = fail(str(ev[1].get("code", "INTERNAL")), str(ev[1].get("message", "")))
                err.reason = ev[1].get("reason")
                raise err
            elif kind == "closed":
                if cancelled_at is not None:
                    raise_interrupt()
                raise fail("WORKER_UNAVAILABLE", f"the worker went away while running this node ({ev[1]}); it will be restarted on the next run.")
