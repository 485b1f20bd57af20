"""The smoke run of THE one command: every stage's code path, tiny sizes, <= 3 min on 2 cores (CI runs this)."""
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_run_all_smoke(tmp_path):
    out = tmp_path / "smoke"
    t0 = time.time()
    res = subprocess.run([sys.executable, "-m", "training.run_all", "--smoke", "--out", str(out)], cwd=ROOT,
                         capture_output=True, text=True, timeout=400)
    seconds = time.time() - t0
    assert res.returncode == 0, res.stderr[-4000:]
    assert seconds <= 180, f"smoke run took {seconds:.0f}s, over the 3 min budget"
    stages = json.loads((out / "stages.json").read_text())
    for name in ("base", "features", "deepsets", "export", "examples"):
        assert name in stages, f"stage {name} did not run"
    # Meta-training ran in two parts: part 2 continued from part 1.
    assert (out / "deepsets_part1.pt").is_file()
    assert stages["deepsets"]["result"]["continued_from"] == str(out / "deepsets_part1.pt")
    manifest = json.loads((out / "pack" / "manifest.json").read_text())
    assert set(manifest["files"]) == {"encoder.onnx", "hypernet.onnx", "unet.onnx", "features.onnx"}
    assert manifest["formatVersion"] == 1 and manifest["embeddingDim"] == 16
    assert len(list((out / "fixtures").glob("*.json"))) == 4
    assert len(list((out / "demo-data" / "private-set").glob("*.png"))) == 128
    # The folder is an image set and holds images only; its mixture record sits beside it.
    assert sorted(p.suffix for p in (out / "demo-data" / "private-set").iterdir()) == [".png"] * 128
    assert json.loads((out / "demo-data" / "private-set.mixture.json").read_text())["n"] == 128
    # The smoke run never touches the committed artefacts.
    assert str(ROOT / "models") not in res.stderr
