"""training/deepsets.py: meta-training continued from a checkpoint starts exactly from its phi and rho (part 2 of
the pack's meta-training), keeps the class head, and refuses a checkpoint of other sizes."""
import pytest
import torch

from training.deepsets import SMOKE_DEEPSETS_CONFIG, train_deepsets
from training.unet import TinyUNet


def _run(tmp_path):
    torch.manual_seed(0)
    unet = TinyUNet((8, 16), temb_dim=16, heads=2)
    torch.save({"config": {"ch": [8, 16], "temb_dim": 16, "heads": 2}, "state_dict": unet.state_dict()},
               tmp_path / "base.pt")
    return tmp_path


def _dir(root, name):
    (root / name).mkdir()
    return root / name


def _same(a, b):
    return set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)


def test_continuing_starts_from_the_checkpoint_and_saves_its_head(tmp_path):
    first = _run(_dir(tmp_path, "a"))
    train_deepsets(first, SMOKE_DEEPSETS_CONFIG, seed=0)
    part1 = torch.load(first / "deepsets.pt")
    assert "head" in part1
    second = _run(_dir(tmp_path, "b"))
    # Zero further steps: what is saved is what was loaded.
    stats = train_deepsets(second, dict(SMOKE_DEEPSETS_CONFIG, steps=0), seed=1, init=first / "deepsets.pt")
    part2 = torch.load(second / "deepsets.pt")
    assert _same(part2["encoder"], part1["encoder"]) and _same(part2["hyper"], part1["hyper"])
    assert _same(part2["head"], part1["head"])
    assert stats["continued_from"] == str(first / "deepsets.pt")
    # Some steps: rho moves away from the checkpoint.
    train_deepsets(second, dict(SMOKE_DEEPSETS_CONFIG, steps=2), seed=1, init=first / "deepsets.pt")
    assert not _same(torch.load(second / "deepsets.pt")["hyper"], part1["hyper"])


def test_a_checkpoint_saved_without_a_head_gets_one_fitted_on_the_frozen_encoder(tmp_path):
    first = _run(_dir(tmp_path, "a"))
    train_deepsets(first, SMOKE_DEEPSETS_CONFIG, seed=0)
    blob = torch.load(first / "deepsets.pt")
    del blob["head"]
    torch.save(blob, first / "old.pt")
    second = _run(_dir(tmp_path, "b"))
    train_deepsets(second, dict(SMOKE_DEEPSETS_CONFIG, steps=0), seed=1, init=first / "old.pt")
    part2 = torch.load(second / "deepsets.pt")
    assert _same(part2["encoder"], blob["encoder"])
    assert not _same(part2["head"], torch.load(first / "deepsets.pt")["head"])


def test_a_checkpoint_of_other_sizes_is_refused_with_what_to_do(tmp_path):
    first = _run(_dir(tmp_path, "a"))
    train_deepsets(first, SMOKE_DEEPSETS_CONFIG, seed=0)
    second = _run(_dir(tmp_path, "b"))
    with pytest.raises(ValueError, match="continue with the config that made it"):
        train_deepsets(second, dict(SMOKE_DEEPSETS_CONFIG, dim=8, steps=0), seed=1, init=first / "deepsets.pt")
