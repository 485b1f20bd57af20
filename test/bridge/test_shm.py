"""Shared-memory tensor transport (the SDK bridge's shm.py with the real worker): the handshake accepts only the worker's
own private folder, tensors round-trip, files are owner-only, and nothing is left behind after success, error,
interrupt or worker death."""
import os
import secrets
import signal
import stat
import time

import pytest

from comfy_standin import PROGRESS_HOOKS
from workflows_api import dp_chain, reference_demo



@pytest.fixture
def mods(host):
    """the SDK bridge's shm.py and frames.py as the plugin package imported them (the `host` fixture loads it)."""
    import sys
    return sys.modules["dp_hyperlora_plugin.bridge.comfy_ts_bridge.shm"], sys.modules["dp_hyperlora_plugin.bridge.comfy_ts_bridge.frames"]


def _folder(tmp_path, mode=0o700, probe=None):
    d = tmp_path / f"dp-hyperlora-{os.getpid()}-{secrets.token_hex(8)}"
    d.mkdir(mode=mode)
    os.chmod(d, mode)
    nonce = probe or secrets.token_hex(16)
    (d / "probe").write_text(nonce)
    return str(d), nonce


def test_the_handshake_accepts_only_a_private_folder_with_the_right_probe(mods, tmp_path, monkeypatch):
    shm_mod, _ = mods
    monkeypatch.delenv("DP_HYPERLORA_SHM", raising=False)
    d, nonce = _folder(tmp_path)
    assert shm_mod.accept_folder({"dir": d, "probe": nonce}, "dp-hyperlora", "DP_HYPERLORA_SHM").dir == d
    assert shm_mod.accept_folder({"dir": d, "probe": secrets.token_hex(16)}, "dp-hyperlora", "DP_HYPERLORA_SHM") is None  # another machine's folder
    assert shm_mod.accept_folder({"dir": str(tmp_path / "dp-hyperlora-1-0000000000000000"), "probe": nonce}, "dp-hyperlora", "DP_HYPERLORA_SHM") is None
    open_dir, open_nonce = _folder(tmp_path, mode=0o755)
    assert shm_mod.accept_folder({"dir": open_dir, "probe": open_nonce}, "dp-hyperlora", "DP_HYPERLORA_SHM") is None  # readable by others
    named = tmp_path / "elsewhere"
    named.mkdir(mode=0o700)
    (named / "probe").write_text(nonce)
    assert shm_mod.accept_folder({"dir": str(named), "probe": nonce}, "dp-hyperlora", "DP_HYPERLORA_SHM") is None  # not a folder the worker makes
    monkeypatch.setenv("DP_HYPERLORA_SHM", "off")
    assert shm_mod.accept_folder({"dir": d, "probe": nonce}, "dp-hyperlora", "DP_HYPERLORA_SHM") is None


def test_frames_round_trip_through_owner_only_files_and_the_reader_deletes_them(mods, tmp_path):
    shm_mod, frames = mods
    Reassembler, encode_frames = frames.Reassembler, frames.encode_frames
    d, _ = _folder(tmp_path)
    shm = shm_mod.SharedMemory(d)
    data = bytes(range(256)) * 1024
    (frame,) = encode_frames("c1", "p0", data, shm=shm)
    assert len(frame) < 200
    (name,) = [n for n in os.listdir(d) if n != "probe"]
    assert stat.S_IMODE(os.stat(os.path.join(d, name)).st_mode) == 0o600
    small = encode_frames("c1", "p1", b"x" * 100, shm=shm)  # below SHM_MIN_BYTES: inline
    r = Reassembler(shm=shm)
    r.push(frame)
    for f in small:
        r.push(f)
    assert bytes(r.take("c1", "p0", len(data))) == data and bytes(r.take("c1", "p1", 100)) == b"x" * 100
    assert os.listdir(d) == ["probe"]
    with pytest.raises(Exception, match="not agreed"):
        Reassembler().push(encode_frames("c2", "p0", data, shm=shm)[0])
    shm.release_call("c2")
    assert os.listdir(d) == ["probe"]


def _shm_files(host):
    conn = host.hub._conn
    assert conn is not None and conn.shm is not None, "a local worker must be on shared memory"
    return conn.shm.dir, [n for n in os.listdir(conn.shm.dir) if n != "probe"]


@pytest.fixture
def writes(mods, monkeypatch):
    """(bytes, file mode, folder mode) of every shared-memory file the bridge makes (`write` and the IMAGE
    path both go through `write_parts`)."""
    shm_mod = mods[0]
    seen = []
    original_parts = shm_mod.SharedMemory.write_parts

    def record(self, name, nbytes):
        seen.append((nbytes, stat.S_IMODE(os.stat(os.path.join(self.dir, name)).st_mode),
                     stat.S_IMODE(os.stat(self.dir).st_mode)))

    def spy_parts(self, call_id, parts):
        name = original_parts(self, call_id, parts)
        record(self, name, os.path.getsize(os.path.join(self.dir, name)))
        return name
    monkeypatch.setattr(shm_mod.SharedMemory, "write_parts", spy_parts)
    return seen


def test_an_image_is_converted_into_its_file_piece_by_piece_with_the_same_bytes_as_the_copy_path(host, mods, tmp_path, monkeypatch):
    import sys
    import torch
    shm_mod, frames = mods

    def no_copy(self, call_id, view):
        raise AssertionError("a large IMAGE must be converted into its file piece by piece, not built whole and copied in")
    monkeypatch.setattr(shm_mod.SharedMemory, "write", no_copy)
    wire = sys.modules["dp_hyperlora_plugin.bridge.comfy_ts_bridge.wire"]
    d, _ = _folder(tmp_path)
    shm = shm_mod.SharedMemory(d)
    image = torch.rand(3, 100, 90, 3, generator=torch.Generator().manual_seed(5))  # 81,000 bytes: above FILE_MIN_BYTES
    image[0, 0, 0] = torch.tensor([0.0, 1.0, 0.5 / 255])  # the ends and a half level, rounded up
    image[1, 0, 0] = torch.tensor([-0.2, 1.7, 127.5 / 255])  # out of range: clamped
    sink = wire.FrameSink("c1", shm=shm)
    ref = sink.add_image(image)
    assert ref["dtype"] == "uint8" and ref["shape"] == [3, 100, 90, 3] and len(sink.frames) == 1 and len(sink.frames[0]) < 200
    (name,) = [n for n in os.listdir(d) if n != "probe"]
    assert stat.S_IMODE(os.stat(os.path.join(d, name)).st_mode) == 0o600
    r = frames.Reassembler(shm=shm)
    r.push(sink.frames[0])
    got = torch.frombuffer(r.take("c1", ref["ref"], image.numel()), dtype=torch.uint8).reshape(3, 100, 90, 3)
    assert torch.equal(got, wire.image_to_uint8(image))
    assert got[0, 0, 0].tolist() == [0, 255, 1] and got[1, 0, 0].tolist() == [0, 255, 128]
    assert os.listdir(d) == ["probe"]  # the reader deleted it
    unread = wire.FrameSink("c2", shm=shm)
    unread.add_image(image)
    shm.release_call("c2")  # the call ended before the worker read it
    assert os.listdir(d) == ["probe"]
    tiny = wire.FrameSink("c3", shm=shm)
    tiny.add_image(image[:, :2, :2])  # below FILE_MIN_BYTES: inline frames, no file
    assert os.listdir(d) == ["probe"] and len(tiny.frames[0]) > 36
    with pytest.raises(Exception, match="INVALID_INPUT_DATA"):
        wire.FrameSink("c4", shm=shm).add_image(image[0])


def _images(prompt, count, size, seed):
    prompt["2"]["inputs"]["folder"] = "(none: use the images input)"
    prompt["2"]["inputs"]["images"] = ["10", 0]
    prompt["10"] = {"class_type": "RandomImages", "inputs": {"count": count, "size": size, "seed": seed}}
    return prompt


def test_success_and_error_leave_no_files_and_files_are_owner_only(host, mods, writes):
    shm_mod = mods[0]
    results = host.executor().run(_images(reference_demo("ref-test"), 40, 64, 11))
    assert results["6"]["result"][0].shape[0] == 4  # sample images came back (worker -> bridge)
    assert writes and all(n >= mods[1].FILE_MIN_BYTES and f == 0o600 and d == 0o700 for n, f, d in writes)
    assert _shm_files(host)[1] == []
    both = _images(dp_chain("sd15-test", release=120), 40, 64, 12)
    both["2"]["inputs"]["folder"] = "private-set"
    with pytest.raises(Exception, match="INVALID_ARGUMENT"):
        host.executor().run(both)
    assert _shm_files(host)[1] == []


def test_interrupt_and_worker_death_leave_no_files(host, writes):
    import comfy.model_management as mm
    hook = lambda value, total: mm.interrupt_current_processing(True)  # noqa: E731
    PROGRESS_HOOKS.append(hook)
    try:
        with pytest.raises(mm.InterruptProcessingException):
            host.executor().run(_images(dp_chain("sd15-test", release=121), 4000, 16, 13))
    finally:
        PROGRESS_HOOKS.remove(hook)
        mm.interrupt_current_processing(False)
    assert writes and _shm_files(host)[1] == []
    folder, _ = _shm_files(host)
    pid = host.hub._proc.pid

    def kill(value, total):
        if host.hub._proc is not None and host.hub._proc.pid == pid:
            os.kill(pid, signal.SIGKILL)
    PROGRESS_HOOKS.append(kill)
    try:
        with pytest.raises(Exception, match="WORKER_UNAVAILABLE"):
            host.executor().run(_images(dp_chain("sd15-test", release=122), 3000, 16, 14))
    finally:
        PROGRESS_HOOKS.remove(kill)
    deadline = time.monotonic() + 5
    while os.path.exists(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(folder), "the dead worker's shared-memory folder must be removed by the bridge"
    host.executor().run(dp_chain("sd15-test", release=122))  # a fresh worker, on a fresh folder
    assert _shm_files(host)[0] != folder and _shm_files(host)[1] == []
