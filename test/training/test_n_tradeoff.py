"""training/n_tradeoff.py: the n x epsilon table is built from evaluate's summaries, and shows what was not run."""
import json
import math

import pytest

from training.n_tradeoff import load_summaries, main, tradeoff_table


def _row(method, eps, mean, sets=3):
    key = "base" if method == "base" else f"{method}_eps{eps:g}"
    return {"key": key, "method": method, "epsilon": eps, "fid": {"mean": mean, "n": sets}}


def _summary(n, rows, ratios):
    return {"protocol": {"n": n, "seeds": [1, 2, 3]}, "rows": rows, "ratios": ratios}


def _write(folder, summary):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "reference-comparison.json").write_text(json.dumps(summary))


def test_table_has_a_cell_per_n_method_and_epsilon_and_dashes_where_nothing_ran(tmp_path):
    _write(tmp_path, _summary(128, [_row("base", None, 500.0), _row("dpsgd", 1.0, 400.0), _row("ours", 1.0, 200.0),
                                    _row("dpsgd", 8.0, 270.0), _row("ours", 8.0, 190.0),
                                    _row("ours", math.inf, 180.0), _row("nonprivate", math.inf, 150.0)],
                              [{"epsilon": 1.0, "fid_ratio_of_means": 0.5, "ours_better_sets": 3, "sets": 3},
                               {"epsilon": 8.0, "fid_ratio_of_means": 190 / 270, "ours_better_sets": 2, "sets": 3}]))
    _write(tmp_path / "n32", _summary(32, [_row("base", None, 540.0), _row("dpsgd", 1.0, 510.0),
                                           _row("ours", 1.0, 470.0, sets=1)],
                                      [{"epsilon": 1.0, "fid_ratio_of_means": 470 / 510, "ours_better_sets": 1,
                                        "sets": 1}]))
    summaries = load_summaries(tmp_path)
    assert list(summaries) == [32, 128]
    lines = tradeoff_table(summaries).splitlines()
    assert lines[0] == "| n | method | ε = 1 | ε = 8 | ε = ∞ |"
    assert lines[2] == "| 32 (base model 540.0) | DP-SGD | 510.0 | - | - |"
    assert lines[3] == "| 32 (base model 540.0) | ours | 470.0 (1 set of 3) | - | - |"
    assert lines[4] == "| 32 (base model 540.0) | ours / DP-SGD (sets where ours is better) | 0.922 (1/1) | - | - |"
    assert lines[5] == "| 128 (base model 500.0) | DP-SGD | 400.0 | 270.0 | - |"
    assert lines[6] == "| 128 (base model 500.0) | ours | 200.0 | 190.0 | 180.0 |"
    assert lines[7] == "| 128 (base model 500.0) | ours / DP-SGD (sets where ours is better) | 0.500 (3/3) | 0.704 (2/3) | - |"
    assert len(lines) == 8  # the non-private ceiling is not an (n, ε) method


def test_cli_refuses_a_folder_without_summaries(tmp_path, capsys):
    with pytest.raises(SystemExit) as err:
        main(["--results", str(tmp_path)])
    assert err.value.code == 2
    assert "no reference-comparison.json" in capsys.readouterr().err
