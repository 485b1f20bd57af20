"""Shared-memory tensor transport for a worker on this machine (src/shared-memory.ts is the worker side).

The worker makes a private folder (mode 0700, named `<prefix>-<pid>-<16 hex>`) in /dev/shm, writes a random nonce
into `probe` and names both in its `hello`. `accept_folder` checks that this process sees that very folder (right
name, a real directory owned by this user, mode 0700, same nonce): then the worker is local and `welcome` says
`shm: true`. Large tensors then travel as owner-only files in the folder (names: ./frames.py FILE_PATTERN); the
frame names the file and the receiver reads and deletes it. The files hold a node's input bytes, readable by this
user only: the same trust domain as the worker's memory."""
from __future__ import annotations

import mmap
import os
import re
import secrets
import shutil
import stat
import threading

from .errors import fail
from .frames import FILE_PATTERN


def dir_pattern(prefix: str):
    """The folder names a worker of this pack makes (`<prefix>-<pid>-<16 hex>`)."""
    return re.compile(rf"^{re.escape(prefix)}-\d+-[0-9a-f]{{16}}$")


class SharedMemory:
    """One connection's shared-memory folder, as the bridge uses it."""

    def __init__(self, folder: str, off_env: str = "SHM"):
        self.dir = folder
        self._off_env = off_env
        self._lock = threading.Lock()
        self._written: dict[str, set[str]] = {}

    def _new_file(self, call_id: str, flags: int) -> tuple[str, int]:
        """A new owner-only file for call `call_id` (deleted by `release_call` unless the worker reads it first)."""
        name = secrets.token_hex(16) + ".t"
        fd = os.open(os.path.join(self.dir, name), flags | os.O_CREAT | os.O_EXCL, 0o600)
        with self._lock:
            self._written.setdefault(call_id, set()).add(name)
        return name, fd

    def write(self, call_id: str, view: memoryview) -> str:
        """Writes `view` (bytes) as a new owner-only file for call `call_id`; returns its name."""
        return self.write_parts(call_id, (view,))

    def write_parts(self, call_id: str, parts) -> str:
        """Writes the buffers of `parts` (an iterable, consumed one at a time) one after another as a new
        owner-only file for call `call_id`; returns its name. Lets a sender produce the bytes in cache-sized
        pieces (e.g. converting float IMAGE pixels) instead of building them whole and copying them in."""
        name, fd = self._new_file(call_id, os.O_WRONLY)
        try:
            for part in parts:
                view = memoryview(part).cast("B")
                done = 0
                while done < view.nbytes:
                    done += os.write(fd, view[done:])
        finally:
            os.close(fd)
        return name

    def read(self, name: str, total: int):
        """Maps file `name` (exactly `total` bytes, > 0) and deletes its name; returns the mapping (a writable,
        copy-on-write buffer: no copy is made; the memory goes when the last tensor viewing it is freed)."""
        if not isinstance(name, str) or not FILE_PATTERN.match(name):
            raise self._bad("the frame names a file the worker does not make")
        path = os.path.join(self.dir, name)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError as e:
            raise self._bad(f"tensor file missing ({e.errno})") from None
        try:
            os.unlink(path)
            size = os.fstat(fd).st_size
            if size != total or total <= 0:
                raise self._bad(f"tensor file holds {size} bytes, the frame says {total}")
            return mmap.mmap(fd, total, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)

    def _bad(self, message: str):
        return fail("PROTOCOL", f"shared-memory tensor: {message}. Reinstall the plugin so the bridge and worker match, or set {self._off_env}=off.")

    def release_call(self, call_id: str) -> None:
        """Deletes what call `call_id` wrote that the worker has not read (the call ended or was abandoned)."""
        with self._lock:
            names = self._written.pop(call_id, set())
        for name in names:
            try:
                os.unlink(os.path.join(self.dir, name))
            except FileNotFoundError:
                pass  # the worker read it (and deleted it): the usual case

    def remove_folder(self) -> None:
        """Deletes the folder (the worker died or the connection ended)."""
        with self._lock:
            self._written.clear()
        shutil.rmtree(self.dir, ignore_errors=True)


def accept_folder(offer, prefix: str, off_env: str) -> SharedMemory | None:
    """A SharedMemory for the worker's `hello.shm` offer when this process sees the same folder, else None (also when
    the environment variable `off_env` is `off`). `prefix`: the folder name prefix this pack's worker uses."""
    if os.environ.get(off_env) == "off" or not isinstance(offer, dict):
        return None
    folder, probe = offer.get("dir"), offer.get("probe")
    if not isinstance(folder, str) or not isinstance(probe, str) or not dir_pattern(prefix).match(os.path.basename(folder)):
        return None
    try:
        st = os.lstat(folder)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & 0o077:
            return None
        fd = os.open(os.path.join(folder, "probe"), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "r", encoding="ascii") as fh:
            seen = fh.read(64)
    except (OSError, ValueError):
        return None  # not on this machine (a remote worker) or not readable: WebSocket frames
    return SharedMemory(folder, off_env) if secrets.compare_digest(seen, probe) else None
