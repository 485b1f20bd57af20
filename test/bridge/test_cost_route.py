"""POST /dp_hyperlora/cost: what a Noisy Aggregate release will cost, before a run, from public values only. Runs the
real worker's cost query through the real bridge in the stand-in host; spends nothing."""
import json
import os
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _post(host, body):
    req = urllib.request.Request(f"http://127.0.0.1:{host.port}/dp_hyperlora/cost", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


BODY = {"pack": "ref-test", "epsilon": 1, "delta": 1e-5, "relation": "add-remove", "n_public": 0}


def test_cost_before_a_run_in_plain_words(host, comfy_root):
    status, answer = _post(host, BODY)
    assert status == 200 and answer["ok"] is True
    cost = answer["ui"]["dp_cost"][0]
    assert cost["schema"] == "dp-hyperlora.release-cost/1" and cost["packId"] == "ref-test"
    assert 0.99 < cost["epsilonCharged"] <= 1 and cost["budget"] == {"epsilon": 10, "delta": 1e-5}
    assert cost["fewestImages"] >= 1 and cost["releasesPerFreshImage"] >= 10
    assert 0 < cost["countOnlyEpsilon"] < cost["epsilonCharged"]
    assert cost["ledger"]["path"] == os.path.join(comfy_root, "user", "ledger.sqlite")
    ledger = cost["ledger"]["path"]
    assert cost["ledger"]["backup"] == f'node "{ROOT}/bin/dp-hyperlora.js" ledger backup <backup file>.sqlite --ledger "{ledger}"'
    assert cost["ledger"]["change"] == f'node "{ROOT}/bin/dp-hyperlora.js" ledger budget --epsilon E --delta D --ledger "{ledger}"'
    text = answer["ui"]["text"]
    assert text[0] == (f"before you run: this release costs ε = 1 of your 10 per image · about {cost['releasesPerFreshImage']} "
                       "releases like it fit a fresh image's budget")
    assert text[1] == f"the ref-test pack needs at least {cost['fewestImages']} images at this ε (fewer: the LoRA would be mostly noise)"
    assert text[2].startswith("too few images? the run stops after the noisy count and charges only ε = ")
    assert text[3:] == [f"your budget: ε = 10 at δ = 0.00001 per image, kept in the ledger {ledger}",
                        f"back it up (with its .key file): {cost['ledger']['backup']}",
                        f"change the budget (weakens the guarantee for every image): {cost['ledger']['change']}"]


def test_a_bigger_epsilon_needs_fewer_images_and_allows_fewer_releases(host):
    small = _post(host, BODY)[1]["ui"]["dp_cost"][0]
    big = _post(host, {**BODY, "epsilon": 4})[1]["ui"]["dp_cost"][0]
    assert big["fewestImages"] < small["fewestImages"]
    assert big["releasesPerFreshImage"] < small["releasesPerFreshImage"]
    one = _post(host, {**BODY, "relation": "replace-one", "n_public": 40})[1]["ui"]["dp_cost"][0]
    assert one["relation"] == "replace-one" and "countOnlyEpsilon" not in one


def test_bad_queries_are_refused_with_a_message(host):
    status, answer = _post(host, {**BODY, "pack": "../../etc"})
    assert status == 400 and answer["error"].startswith("[PATH_TRAVERSAL] the pack must be one plain folder name")
    status, answer = _post(host, {**BODY, "images": "x"})
    assert status == 400 and answer["error"].startswith("[INVALID_ARGUMENT] a DPHyperLoRA_CostQuery query takes exactly the inputs")
    status, answer = _post(host, {**BODY, "epsilon": 0})
    assert status == 400 and answer["error"].startswith("[INVALID_ARGUMENT]")
