"""The IS_CHANGED key of a private folder (bridge/paths.py folder_content_hash): no file is read, and any change
to a file (even one that keeps its size and mtime) changes the key, so the node runs and the worker re-hashes."""
import builtins
import os
import sys

import pytest


@pytest.fixture
def paths(host):
    return sys.modules["dp_hyperlora_plugin.bridge.paths"]


def _write(path, data):
    with open(path, "wb") as fh:
        fh.write(data)


def test_the_key_reads_no_file_and_is_stable(paths, tmp_path, monkeypatch):
    for i in range(5):
        _write(tmp_path / f"{i}.png", bytes([i]) * 100)
    first = paths.folder_content_hash(str(tmp_path))

    def no_open(*a, **k):
        raise AssertionError("the key must not open files")
    monkeypatch.setattr(builtins, "open", no_open)
    assert paths.folder_content_hash(str(tmp_path)) == first


def test_any_change_changes_the_key_even_with_size_and_mtime_restored(paths, tmp_path):
    for i in range(3):
        _write(tmp_path / f"{i}.png", bytes([i]) * 100)
    target = tmp_path / "1.png"
    before = os.stat(target)
    key = paths.folder_content_hash(str(tmp_path))
    with open(target, "r+b") as fh:  # same size, different content, mtime set back: ctime still moves
        fh.write(b"\xff")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(target).st_size == before.st_size and os.stat(target).st_mtime_ns == before.st_mtime_ns
    changed = paths.folder_content_hash(str(tmp_path))
    assert changed != key
    os.rename(tmp_path / "2.png", tmp_path / "3.png")
    renamed = paths.folder_content_hash(str(tmp_path))
    assert renamed != changed
    _write(tmp_path / "4.png", b"x")
    added = paths.folder_content_hash(str(tmp_path))
    assert added != renamed
    os.remove(tmp_path / "4.png")
    assert paths.folder_content_hash(str(tmp_path)) == renamed
    assert paths.folder_content_hash(None) == "none"
