"""Too few images, in ComfyUI: under add-remove the run stops after the noisy count (only the count's share of ρ is
charged, no LoRA), under replace-one it is refused before any charge, and an explicit opt-in makes the LoRA. Real
bridge, real worker, stand-in host; the ledger is read back with the real CLI (`ledger list --json`). The pack
`strict-test` was trained only for very little noise, so the 6-image test set is always too few for it."""
import json
import os
import subprocess

import pytest

from workflows_api import dp_chain

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _ledger(comfy_root):
    out = subprocess.run(["node", os.path.join(ROOT, "bin", "dp-hyperlora.js"), "ledger", "list", "--json", "--ledger",
                          os.path.join(comfy_root, "user", "ledger.sqlite")], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _releases(listing):
    return listing["releases"] if isinstance(listing, dict) else listing


def test_add_remove_stops_after_the_noisy_count_charging_only_its_share(host, comfy_root):
    before = len(_releases(_ledger(comfy_root)))
    ex = host.executor()
    prompt = dp_chain("strict-test", release=150, too_few="stop after the count")
    with pytest.raises(Exception) as err:
        ex.run(prompt)
    msg = str(err.value)
    assert msg.startswith("[TOO_FEW_IMAGES] stopped after the noisy image count: it came out at about ")
    assert "Only the noisy count's share of this release was charged: ε = " in msg and "no LoRA was made" in msg
    assert "secret_holiday_" not in msg
    assert "4" not in ex.executed  # Hypernetwork LoRA never ran: no LoRA
    new = _releases(_ledger(comfy_root))[before:]
    assert [r["params"].get("part") for r in new] == ["noisy-count"]
    count_rho = new[0]["rho"]

    with pytest.raises(Exception) as again:
        host.executor().run(prompt)
    assert "Nothing more was charged now: release #150 already stopped here" in str(again.value)
    assert len(_releases(_ledger(comfy_root))) == before + 1

    opted = host.executor().run(dp_chain("strict-test", release=150, too_few="make the LoRA anyway"))
    assert opted["4"]["result"][2] is not None  # the LoRA
    assert any(t.startswith("⚠ at epsilon 1 with a noisy image count of about") for t in opted["3"]["ui"]["text"])
    new = _releases(_ledger(comfy_root))[before:]
    assert [r["params"].get("part") for r in new] == ["noisy-count", "sum"]
    summary = opted["3"]["ui"]["dp_release"][0]
    assert new[0]["rho"] == count_rho and new[0]["rho"] + new[1]["rho"] >= summary["rho"]


def test_replace_one_with_too_few_declared_images_is_refused_before_any_charge(host, comfy_root):
    before = _releases(_ledger(comfy_root))
    with pytest.raises(Exception) as err:
        host.executor().run(dp_chain("strict-test", relation="replace-one", n_public=6, release=151, too_few="stop after the count"))
    assert str(err.value).startswith("[TOO_FEW_IMAGES] refused before any privacy budget was spent: with the declared n = 6 at ε = 1")
    assert _releases(_ledger(comfy_root)) == before
