"""training/base.py: the schedule and exact resumption (a run continued from a checkpoint, even one made under
the first cycle only, ends with the same weights as an uninterrupted run)."""
import torch

from training.base import BASE_CONFIG, _lr_at, total_steps, train_base


def test_schedule_cycles():
    assert total_steps(BASE_CONFIG) == 3000
    assert _lr_at(49, BASE_CONFIG) == BASE_CONFIG["lr"]
    assert abs(_lr_at(999, BASE_CONFIG) - 0.05 * BASE_CONFIG["lr"]) < 1e-6
    assert _lr_at(1019, BASE_CONFIG) == 1e-3
    assert _lr_at(2019, BASE_CONFIG) == 5e-4
    assert abs(_lr_at(2999, BASE_CONFIG) - 0.05 * 5e-4) < 1e-7
    first_only = {k: v for k, v in BASE_CONFIG.items() if k != "extra_cycles"}
    assert all(_lr_at(s, first_only) == _lr_at(s, BASE_CONFIG) for s in range(1000))


def test_resume_is_exact(tmp_path):
    small = dict(BASE_CONFIG, ch=[16, 32], steps=3, batch=8, warmup=1, ckpt_every=1, extra_cycles=[[2, 1e-3, 1]])
    train_base(tmp_path / "a", small, seed=5)
    first = {k: v for k, v in small.items() if k != "extra_cycles"}
    train_base(tmp_path / "b", first, seed=5)          # leaves a checkpoint at step 2 of the first cycle
    stats = train_base(tmp_path / "b", small, seed=5)  # resumes at step 2 and runs the extra cycle
    assert stats["steps"] == 5
    a = torch.load(tmp_path / "a" / "base.pt")["state_dict"]
    b = torch.load(tmp_path / "b" / "base.pt")["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_warm_start_and_kept_checkpoints(tmp_path):
    small = dict(BASE_CONFIG, ch=[16, 32], steps=2, batch=8, warmup=1, ckpt_every=1, extra_cycles=[])
    train_base(tmp_path / "a", small, seed=5)
    init = tmp_path / "a" / "base.pt"
    a = torch.load(init)["state_dict"]
    # lr 0: Adam leaves the weights where the warm start put them, so the EMA ends at init's weights.
    still = dict(small, lr=0.0, keep_every=1)
    train_base(tmp_path / "w", still, seed=6, init=init)
    w = torch.load(tmp_path / "w" / "base.pt")["state_dict"]
    assert all(torch.allclose(a[k], w[k], atol=1e-6) for k in a)
    assert (tmp_path / "w" / "base_step1.pt").exists() and (tmp_path / "w" / "base_step2.pt").exists()
    # Without the warm start the same run ends elsewhere (a fresh initialisation).
    train_base(tmp_path / "c", still, seed=6)
    c = torch.load(tmp_path / "c" / "base.pt")["state_dict"]
    assert not all(torch.allclose(a[k], c[k], atol=1e-6) for k in a)


def test_warm_start_then_resume_is_exact(tmp_path):
    small = dict(BASE_CONFIG, ch=[16, 32], steps=3, batch=8, warmup=1, ckpt_every=1, extra_cycles=[[2, 1e-3, 1]])
    train_base(tmp_path / "init", dict(small, extra_cycles=[]), seed=5)
    init = tmp_path / "init" / "base.pt"
    train_base(tmp_path / "a", small, seed=7, init=init)
    first = {k: v for k, v in small.items() if k != "extra_cycles"}
    train_base(tmp_path / "b", first, seed=7, init=init)          # checkpoint inside the first cycle
    train_base(tmp_path / "b", small, seed=7, init=init)          # resumes from it, not from init
    a = torch.load(tmp_path / "a" / "base.pt")["state_dict"]
    b = torch.load(tmp_path / "b" / "base.pt")["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_device_choice_is_checked_and_recorded(tmp_path):
    import pytest
    import torch
    from training.common import pick_device
    assert pick_device("cpu").type == "cpu"
    assert pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="not one of auto, cpu, cuda"):
        pick_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="torch sees no CUDA GPU"):
            pick_device("cuda")
    from training.base import SMOKE_BASE_CONFIG, train_base
    cfg = dict(SMOKE_BASE_CONFIG, steps=2, ckpt_every=1)
    stats = train_base(tmp_path, cfg, seed=5, device="cpu")
    assert stats["device"] == "cpu"
    saved = torch.load(tmp_path / "base.pt")
    assert all(t.device.type == "cpu" for t in saved["state_dict"].values())


def test_a_finished_run_given_more_cycles_continues_exactly_and_a_changed_cycle_is_not_resumed(tmp_path, capfd):
    small = dict(BASE_CONFIG, ch=[16, 32], steps=3, batch=8, warmup=1, ckpt_every=1, extra_cycles=[[2, 1e-3, 1]])
    longer = dict(small, extra_cycles=[[2, 1e-3, 1], [2, 5e-4, 1]])
    train_base(tmp_path / "a", longer, seed=5)                 # uninterrupted, three cycles
    train_base(tmp_path / "b", small, seed=5)                  # two cycles, finished (last checkpoint at step 4)
    capfd.readouterr()
    stats = train_base(tmp_path / "b", longer, seed=5)         # given a third: continues from step 4
    assert stats["steps"] == 7
    assert "base: resuming at step 4" in capfd.readouterr().err
    a = torch.load(tmp_path / "a" / "base.pt")["state_dict"]
    b = torch.load(tmp_path / "b" / "base.pt")["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    # A second cycle with another peak lr does not share the schedule up to step 4: start again, not resume.
    other = dict(small, extra_cycles=[[2, 2e-3, 1]])
    train_base(tmp_path / "c", other, seed=5)
    fresh = torch.load(tmp_path / "c" / "base.pt")["state_dict"]
    train_base(tmp_path / "b2", small, seed=5)
    capfd.readouterr()
    train_base(tmp_path / "b2", other, seed=5)
    assert "resuming" not in capfd.readouterr().err
    b2 = torch.load(tmp_path / "b2" / "base.pt")["state_dict"]
    assert all(torch.equal(fresh[k], b2[k]) for k in fresh)
