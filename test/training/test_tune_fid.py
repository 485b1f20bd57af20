"""training/tune_fid.py: the cross grid, and that the baselines are picked by FID exactly as the table measures it."""
import numpy as np
import torch

from training.dpsgd import tuning_sets
from training.features import FeatureNet
from training.finetune import finetune_lora
from training.tune_fid import cross_grid, tune_dpsgd_fid, tune_finetune_fid
from training.unet import TinyUNet


def test_cross_grid_varies_one_axis_at_a_time_around_the_centre():
    grid = cross_grid({"a": 1, "b": (2, 3)}, {"a": (0, 1, 5), "b": ((2, 3), (4, 5))})
    assert grid == [{"a": 1, "b": (2, 3)}, {"a": 0, "b": (2, 3)}, {"a": 5, "b": (2, 3)}, {"a": 1, "b": (4, 5)}]


def _tiny():
    torch.manual_seed(0)
    unet = TinyUNet((8, 16), temb_dim=16, heads=2).eval().requires_grad_(False)
    fnet = FeatureNet(width=8).eval().requires_grad_(False)
    return unet, fnet


def test_finetune_minibatch_uses_only_batch_images_per_step():
    unet, _ = _tiny()
    x = torch.rand((6, 1, 28, 28)) * 2 - 1
    seen = []
    orig = unet.forward

    def spy(xx, *a, **k):
        seen.append(xx.shape[0])
        return orig(xx, *a, **k)
    unet.forward = spy
    finetune_lora(unet, x, {"steps": 3, "lr": 1e-2, "batch": 2}, torch.Generator().manual_seed(0))
    assert seen == [2, 2, 2]
    seen.clear()
    finetune_lora(unet, x, {"steps": 2, "lr": 1e-2}, torch.Generator().manual_seed(0))
    assert seen == [6, 6]


def test_tuning_picks_the_configuration_and_guidance_with_the_lowest_mean_fid():
    unet, fnet = _tiny()
    sets = [(pi, xs[:8], hold[:16]) for pi, xs, hold in tuning_sets(seed=1, count=2, n=16, held_out=16)]
    plan = {"samples": 99, "samples_tune": 12, "ddim_steps": 2, "guidance": 2.5}
    cfgs = [{"steps": 1, "lr": 1e-3, "batch": 4}, {"steps": 3, "lr": 0.3, "batch": 4}]
    ft = tune_finetune_fid(unet, fnet, sets, plan, seed=1, configs=cfgs)
    # Every configuration at both weights: 1 (none) and the table's.
    assert [(r["steps"], r["guidance"]) for r in ft["rows"]] == [(1, 1.0), (1, 2.5), (3, 1.0), (3, 2.5)]
    fids = [r["fid"] for r in ft["rows"]]
    assert all(np.isfinite(fids)) and len(set(fids)) == 4
    win = ft["rows"][int(np.argmin(fids))]
    assert ft["best"] == {"steps": win["steps"], "lr": win["lr"], "batch": 4, "guidance": win["guidance"]}
    assert all(len(r["fid_per_set"]) == 2 and np.isclose(r["fid"], np.mean(r["fid_per_set"])) for r in ft["rows"])
    dp = tune_dpsgd_fid(unet, fnet, [1.0, 8.0], sets, plan, seed=1,
                        configs=[{"clip": 0.01, "schedule": (1, 1e-2)}, {"clip": 0.01, "schedule": (2, 3e-1)}])
    assert set(dp["per_eps"]) == {"1.0", "8.0"} and dp["guidances"] == [1.0, 2.5]
    for per in dp["per_eps"].values():
        f = [r["fid"] for r in per["rows"]]
        win = per["rows"][int(np.argmin(f))]
        assert per["best"] == {"clip": 0.01, "schedule": win["schedule"], "guidance": win["guidance"]}
    assert "12 samples (2 DDIM steps)" in dp["criterion"]


def _tiny_run(tmp_path):
    from training.features import save_features
    unet, fnet = _tiny()
    torch.save({"config": {"ch": [8, 16], "temb_dim": 16, "heads": 2}, "state_dict": unet.state_dict()},
               tmp_path / "base.pt")
    save_features(fnet, tmp_path / "features.pt", {})
    return tmp_path


def test_edge_check_rows_cover_every_edge_configuration_at_every_epsilon_and_weight(tmp_path):
    from training.tune_fid import edge_check
    run = _tiny_run(tmp_path)
    plan = {"samples": 99, "samples_tune": 8, "ddim_steps": 2, "guidance": 2.0, "tune_reference": 16}
    cfgs = [{"clip": 0.001, "schedule": (1, 1e-2)}, {"clip": 0.003, "schedule": (2, 1e-3)}]
    out = edge_check(run, plan, [1.0, 8.0], tune_sets=1, configs=cfgs)
    assert sorted(out["per_eps"]) == ["1.0", "8.0"]
    for per in out["per_eps"].values():
        assert [(r["clip"], r["schedule"], r["guidance"]) for r in per["rows"]] == [
            (0.001, [1, 1e-2], 1.0), (0.001, [1, 1e-2], 2.0), (0.003, [2, 1e-3], 1.0), (0.003, [2, 1e-3], 2.0)]
        assert min(r["fid"] for r in per["rows"]) == next(
            r["fid"] for r in per["rows"] if (r["clip"], r["guidance"]) == (per["best"]["clip"], per["best"]["guidance"])
            and list(r["schedule"]) == list(per["best"]["schedule"]))


def test_edge_check_cli_refuses_a_folder_without_a_base(tmp_path, capsys):
    import pytest
    from training.tune_fid import main
    with pytest.raises(SystemExit) as err:
        main(["--run", str(tmp_path), "--out", str(tmp_path / "x.json")])
    assert err.value.code == 2
    assert "base.pt is missing" in capsys.readouterr().err


def test_a_widened_grid_reuses_the_rows_already_measured_and_fits_only_new_configurations(monkeypatch):
    import training.tune_fid as tf
    unet, fnet = _tiny()
    sets = [(pi, xs[:8], hold[:16]) for pi, xs, hold in tuning_sets(seed=1, count=2, n=16, held_out=16)]
    plan = {"samples": 99, "samples_tune": 8, "ddim_steps": 2, "guidance": 2.0}
    a, b = {"steps": 1, "lr": 1e-3, "batch": 4}, {"steps": 2, "lr": 1e-2, "batch": 4}
    first = tf.tune_finetune_fid(unet, fnet, sets, plan, seed=1, configs=[a])
    fitted = []
    real = tf.finetune_lora

    def counting(u, xs, cfg, gen):
        fitted.append(cfg["steps"])
        return real(u, xs, cfg, gen)
    monkeypatch.setattr(tf, "finetune_lora", counting)
    wide = tf.tune_finetune_fid(unet, fnet, sets, plan, seed=1, configs=[a, b], known=first)
    assert fitted == [2, 2]  # b on each of the two sets; a not again
    assert wide["rows"][:2] == first["rows"]
    # Rows measured on another number of sets are not reused.
    fitted.clear()
    tf.tune_finetune_fid(unet, fnet, sets[:1], plan, seed=1, configs=[a], known=first)
    assert fitted == [1]
