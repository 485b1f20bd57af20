"""Local check of issue 17 against a REAL ComfyUI (not run in CI; see docs/comfyui.md "Tested against real ComfyUI").

Start ComfyUI with this project in custom_nodes and the worker on a ledger of its own:
    DP_HYPERLORA_WORKER_ARGS="--ledger COMFY/user/ledger.sqlite" bash /work/shared/tools/real-comfyui/run.sh COMFY PLUGIN PORT
with the fixtures of make-fixtures.ts written into COMFY (packs in models/dp_hyperlora, the private set in
models/dp_private_sets/private-set, a served set in input/served-set), then:
    /usr/bin/python3 test/bridge/real_comfyui_private_check.py http://127.0.0.1:PORT COMFY [--write-fixture]
It checks that /view and the model routes cannot serve or list the private set, asks for the cost before a run,
runs a too-small set under add-remove (stops after the noisy count) and replace-one (refused before any charge),
reading the ledger with the CLI before and after, and runs the committed reference demo for the summary text."""
import json
import os
import subprocess
import sys
import time

from real_comfyui_http import make_http
from workflows_api import dp_chain, with_save

BASE, COMFY = sys.argv[1], sys.argv[2]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LEDGER = os.path.join(COMFY, "user", "ledger.sqlite")


http = make_http(BASE)


def ledger():
    out = subprocess.run(["node", os.path.join(ROOT, "bin", "dp-hyperlora.js"), "ledger", "list", "--json", "--ledger", LEDGER],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return []
    data = json.loads(out.stdout)
    return data["releases"] if isinstance(data, dict) else data


def run(name, prompt, timeout=300):
    prompt = {k: v for k, v in prompt.items() if v["class_type"] != "LoraSink"}  # a stand-in node; Save DP LoRA is the output
    status, raw = http("/prompt", {"prompt": prompt, "client_id": "dp-check-17"})
    if status != 200:
        return {"name": name, "http": status, "reply": json.loads(raw)}
    pid = json.loads(raw)["prompt_id"]
    t0 = time.time()
    while time.time() - t0 < timeout:
        hist = json.loads(http(f"/history/{pid}")[1])
        if pid in hist and (hist[pid]["status"].get("completed") or hist[pid]["status"].get("status_str") == "error"):
            h = hist[pid]
            errors = [m[1].get("exception_message") for m in h["status"]["messages"] if m[0] == "execution_error"]
            return {"name": name, "status": h["status"]["status_str"], "errors": errors,
                    "texts": {nid: out.get("text") for nid, out in h["outputs"].items() if out.get("text")}}
        time.sleep(0.5)
    return {"name": name, "timeout": True}


def main():
    private = sorted(os.listdir(os.path.join(COMFY, "models", "dp_private_sets", "private-set")))
    f = private[0]
    print("private-set files:", len(private))
    for q in [f"/view?filename={f}&type=input&subfolder=private-set", f"/view?filename={f}&type=output&subfolder=private-set",
              f"/view?filename={f}&type=temp&subfolder=private-set", f"/view?filename={f}&type=input&subfolder=../models/dp_private_sets/private-set",
              f"/view?filename=../models/dp_private_sets/private-set/{f}&type=input", "/models/dp_private_sets",
              "/experiment/models/dp_private_sets", f"/experiment/models/preview/dp_private_sets/0/private-set/{f}",
              "/view?filename=secret_served_0.png&type=input&subfolder=served-set", "/api/dp_hyperlora/status"]:
        status, body = http(q)
        print(f"GET {q} -> {status}" + (f" {body[:120].decode('utf-8', 'replace')}" if q.endswith("status") else ""))
    info = json.loads(http("/object_info")[1])
    # The nodes the manifest registers (the pack trainer is a plain Python node, outside the manifest).
    manifest_ids = [n["id"] for n in json.load(open(os.path.join(ROOT, "nodes", "manifest.json"), encoding="utf-8"))["nodes"]]
    ours = {k: info[k] for k in manifest_ids if k in info}
    print("DP Embed folder choices:", ours["DPHyperLoRA_Embed"]["input"]["required"]["folder"][0])
    if "--write-fixture" in sys.argv:
        with open(os.path.join(ROOT, "test", "workflows", "fixtures", "object_info.dp-hyperlora.real.json"), "w", encoding="utf-8") as fh:
            json.dump({"recorded_from": "real ComfyUI 0.3.64 with this plugin (test/bridge/real_comfyui_private_check.py)", "object_info": ours}, fh, indent=1, ensure_ascii=False)
            fh.write("\n")
    for body in [{"pack": "reference (bundled)", "epsilon": 1, "delta": 1e-5, "relation": "add-remove", "n_public": 0},
                 {"pack": "strict-test", "epsilon": 1, "delta": 1e-5, "relation": "add-remove", "n_public": 0}]:
        status, raw = http("/api/dp_hyperlora/cost", body)
        print(f"POST /api/dp_hyperlora/cost {body['pack']} -> {status}")
        for line in json.loads(raw)["ui"]["text"]:
            print("   ", line)
    before = ledger()
    r = run("add-remove, 6 images, strict pack: stop after the count", with_save(dp_chain("strict-test", release=1, too_few="stop after the count"), prefix="real_stop"))
    after = ledger()
    print(json.dumps(r, ensure_ascii=False))
    print("   ledger entries added:", [(x["params"].get("part"), x["rho"], round(x["epsilon"], 4)) for x in after[len(before):]])
    before = after
    r = run("replace-one, declared n = 6, strict pack", with_save(dp_chain("strict-test", relation="replace-one", n_public=6, release=1, too_few="stop after the count"), prefix="real_refuse"))
    after = ledger()
    print(json.dumps(r, ensure_ascii=False))
    print("   ledger entries added:", len(after) - len(before))
    with open(os.path.join(ROOT, "workflows", "api", "0-reference-demo.json"), encoding="utf-8") as fh:
        demo = json.load(fh)
    before = after
    r = run("committed reference demo (bundled pack and set)", demo)
    after = ledger()
    print(json.dumps(r, ensure_ascii=False))
    print("   ledger entries added:", [(x["params"].get("part"), x["rho"]) for x in after[len(before):]])
    r = run("a set under input/ (served by ComfyUI)", with_save(dp_chain("ref-test", folder="input/served-set", release=2), prefix="real_served"))
    print(json.dumps({k: v for k, v in r.items() if k != "texts"}, ensure_ascii=False), "DP Embed:", (r.get("texts") or {}).get("2"))


if __name__ == "__main__":
    main()
