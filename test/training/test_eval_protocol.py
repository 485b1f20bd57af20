"""Evaluation protocol: fixed private sets from the test split, disjoint references, summary maths."""
import json
import math

import numpy as np

from training.evaluate import (SEEDS_FILE, dpsgd_cfg_for, job_guidance, load_eval_sets, method_jobs, summarise,
                               write_markdown)


def test_private_and_reference_sets_are_fixed_disjoint_and_from_the_test_split():
    spec = json.loads(SEEDS_FILE.read_text())
    assert spec["split"] == "test" and spec["n"] == 128 and len(spec["seeds"]) >= 10
    assert spec["reference_size"] >= 500
    a = load_eval_sets(SEEDS_FILE)
    b = load_eval_sets(SEEDS_FILE)
    for sa, sb in zip(a["sets"], b["sets"]):
        assert np.array_equal(sa["private"], sb["private"]) and np.allclose(sa["pi"], sb["pi"])
        assert len(sa["private"]) == 128 and len(sa["reference"]) == spec["reference_size"]
        assert len(np.intersect1d(sa["private"], sa["reference"])) == 0
        assert len(np.unique(sa["reference"])) == len(sa["reference"])
        assert sa["private"].max() < 10_000  # indices into the 10k-image test split


def test_every_epsilon_gets_both_methods_plus_infinity_and_the_ceiling():
    keys = [j["key"] for j in method_jobs([0.5, 1.0, 2.0, 4.0, 8.0])]
    for e in ("0.5", "1", "2", "4", "8"):
        assert f"dpsgd_eps{e}" in keys and f"ours_eps{e}" in keys
    assert "ours_epsinf" in keys and "nonprivate" in keys


def test_nearest_tuned_epsilon_on_a_log_scale():
    tuned = {"dpsgd": {"per_eps": {"1.0": {"best": {"clip": 0.01, "schedule": [8, 0.03]}},
                                   "8.0": {"best": {"clip": 0.05, "steps": 24, "lr": 0.01}}}}}
    assert dpsgd_cfg_for(tuned, 2.0) == {"clip": 0.01, "steps": 8, "lr": 0.03}
    assert dpsgd_cfg_for(tuned, 4.0) == {"clip": 0.05, "steps": 24, "lr": 0.01}


def test_baselines_sample_with_their_own_tuned_guidance_and_ours_with_the_tables():
    tuned = {"dpsgd": {"per_eps": {"1.0": {"best": {"clip": 0.01, "schedule": [8, 0.03], "guidance": 1.0}},
                                   "8.0": {"best": {"clip": 0.05, "schedule": [24, 0.01], "guidance": 2.0}}}},
             "finetune": {"best": {"steps": 300, "lr": 0.01, "batch": 32, "guidance": 1.0}}}
    jobs = {j["key"]: j for j in method_jobs([0.5, 1.0, 8.0])}
    assert job_guidance(jobs["dpsgd_eps0.5"], tuned, 2.0) == 1.0
    assert job_guidance(jobs["dpsgd_eps8"], tuned, 3.0) == 2.0
    assert job_guidance(jobs["nonprivate"], tuned, 2.0) == 1.0
    assert job_guidance(jobs["ours_eps1"], tuned, 2.0) == 2.0 and job_guidance(jobs["ours_epsinf"], tuned, 1.5) == 1.5
    # Tuned by held-out loss (no guidance in the tuning): the table's weight.
    assert job_guidance(jobs["nonprivate"], {"finetune": {"best": {"steps": 60, "lr": 0.01}}}, 2.0) == 2.0


def test_summary_reports_means_spreads_and_ratios():
    def rec(seed, ours, dp):
        m = {"fid": 0.0, "kl": 0.1, "lora_seconds": 1.0}
        return {"seed": seed, "fid_floor": 2.0, "kl_floor": 0.01, "base": {"fid": 50.0, "kl": 1.0},
                "methods": {"ours_eps1": dict(m, fid=ours), "dpsgd_eps1": dict(m, fid=dp)}}
    records = [rec(1, 10.0, 20.0), rec(2, 30.0, 20.0)]
    jobs = [j for j in method_jobs([1.0]) if j["key"] in ("ours_eps1", "dpsgd_eps1")]
    spec = {"n": 128, "concentration": 0.3, "delta": 1e-5, "reference_size": 500, "epsilons": [1.0]}
    tuned = {"dpsgd": {"per_eps": {"1.0": {"best": {"clip": 0.01}}}}, "finetune": {"best": {"lr": 0.01}}}
    s = summarise(records, jobs, spec, {"samples": 500, "ddim_steps": 10}, tuned)
    ours = next(r for r in s["rows"] if r["key"] == "ours_eps1")
    assert ours["fid"]["mean"] == 20.0 and math.isclose(ours["fid"]["std"], math.sqrt(200.0))
    (ratio,) = s["ratios"]
    assert ratio["fid_ratio_of_means"] == 1.0 and ratio["ours_better_sets"] == 1 and ratio["sets"] == 2
    md = write_markdown(s, "python3 -m training.run_all")
    assert "| DP-DeepSets (ours) | 1 | 2 | 20.00 ± 14.14 |" in md and "python3 -m training.run_all" in md


def test_another_set_size_keeps_the_seeds_and_mixtures_and_draws_that_many_private_images():
    base, small = load_eval_sets(SEEDS_FILE), load_eval_sets(SEEDS_FILE, n=32)
    assert small["spec"]["n"] == 32 and base["spec"]["n"] == 128
    for a, b in zip(base["sets"], small["sets"]):
        assert a["seed"] == b["seed"] and np.array_equal(a["pi"], b["pi"])
        assert len(b["private"]) == 32 and len(np.intersect1d(b["private"], b["reference"])) == 0
