"""Remote mode: a worker started by hand (`dp-hyperlora worker --comfy ws://HOST:PORT/... --token-file F`)
serves the bridge; the bridge does not spawn one. A token file with the wrong token is refused."""
import os
import subprocess
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
from workflows_api import dp_chain


def _worker(port, token_file):
    return subprocess.Popen(["node", os.path.join(ROOT, "bin", "dp-hyperlora.js"), "worker", "--comfy",
                             f"ws://127.0.0.1:{port}/dp_hyperlora/worker", "--token-file", token_file, "--once"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={k: v for k, v in os.environ.items() if k != "DP_HYPERLORA_WORKER_TOKEN"})


def test_a_remote_worker_with_the_token_file_serves_nodes(host, tmp_path, monkeypatch):
    token_file = tmp_path / "worker.token"
    token_file.write_text("remote-token-for-the-test-0123456789\n")
    host.hub.restart("test: switch to remote mode")
    monkeypatch.setattr(host.hub.settings, "remote", True)
    monkeypatch.setattr(host.hub, "_file_token", "remote-token-for-the-test-0123456789")
    proc = _worker(host.port, str(token_file))
    try:
        results = host.executor().run(dp_chain("sd15-test", release=201))
        assert results["1"]["ui"]["text"][0].startswith("pack sd15-test 1.0.0")
        assert host.hub._proc is None  # nothing was spawned: the remote worker ran the nodes
    finally:
        host.hub.restart("test: back to local mode")
        proc.wait(10)


def test_a_remote_worker_with_a_wrong_token_is_refused(host, tmp_path, monkeypatch):
    token_file = tmp_path / "wrong.token"
    token_file.write_text("not-the-token\n")
    monkeypatch.setattr(host.hub, "_file_token", "remote-token-for-the-test-0123456789")
    proc = _worker(host.port, str(token_file))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 7  # AUTH_FAILED
    assert "refused this worker's token (HTTP 401)" in err.decode()
    assert "not-the-token" not in err.decode()


def test_no_remote_worker_is_an_error_in_bounded_time(host, monkeypatch):
    host.hub.restart("test: remote mode without a worker")
    monkeypatch.setattr(host.hub.settings, "remote", True)
    monkeypatch.setattr(host.hub.settings, "start_timeout", 1.0)
    monkeypatch.setattr(host.hub.settings, "token_file", "/path/to/worker.token")
    t0 = time.monotonic()
    with pytest.raises(Exception) as err:
        host.executor().run(dp_chain("sd15-test", release=202))
    assert time.monotonic() - t0 < 10
    assert "[WORKER_UNAVAILABLE] no worker connected within 1 s; start `dp-hyperlora worker --comfy ws://127.0.0.1:" in str(err.value)
    assert "--token-file /path/to/worker.token` on the worker machine" in str(err.value)
