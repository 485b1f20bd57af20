"""Local check against a REAL ComfyUI (not run in CI; see docs/comfyui.md "Tested against real ComfyUI").

Start ComfyUI with this project in custom_nodes (bash /work/shared/tools/real-comfyui/run.sh COMFY_SRC PLUGIN
PORT), put the test packs in COMFY_SRC/models/dp_hyperlora and a private set in COMFY_SRC/models/dp_private_sets/private-set
(make-fixtures.ts), then:
    /usr/bin/python3 test/bridge/real_comfyui_check.py http://127.0.0.1:8188 OUT_JSON
It queues the reference demo and the DP nodes through /prompt, waits for /history, and writes what the
server answered (outputs, status, /object_info of our nodes, /workflow_templates, /extensions) to OUT_JSON."""
import json
import sys
import time
import urllib.request

from workflows_api import dp_chain, reference_demo, with_save

BASE = sys.argv[1]


def get(path):
    with urllib.request.urlopen(BASE + path, timeout=30) as r:
        return json.loads(r.read())


def post(path, body):
    req = urllib.request.Request(BASE + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def run(name, prompt, timeout=300):
    prompt = {k: v for k, v in prompt.items() if v["class_type"] != "LoraSink"}
    status, reply = post("/prompt", {"prompt": prompt, "client_id": "dp-check"})
    if status != 200:
        return {"name": name, "http": status, "reply": reply}
    pid = reply["prompt_id"]
    t0 = time.time()
    while time.time() - t0 < timeout:
        hist = get(f"/history/{pid}")
        if pid in hist and hist[pid]["status"].get("completed") is not None and (hist[pid]["status"]["completed"] or hist[pid]["status"]["status_str"] == "error"):
            h = hist[pid]
            msgs = [m for m in h["status"]["messages"] if m[0] in ("execution_error", "execution_cached", "execution_success")]
            return {"name": name, "seconds": round(time.time() - t0, 2), "status": h["status"]["status_str"], "outputs": h["outputs"], "messages": msgs}
        time.sleep(0.5)
    return {"name": name, "timeout": True}


def main():
    if "--after-restart" in sys.argv:
        r = run("sd15 DP nodes again after a ComfyUI restart", with_save(dp_chain("sd15-test", release=1), prefix="real_sd15"))
        print(json.dumps({k: v for k, v in r.items() if k != "outputs"})[:400])
        print("    3", json.dumps(r.get("outputs", {}).get("3"), ensure_ascii=False))
        print("    5", json.dumps(r.get("outputs", {}).get("5"), ensure_ascii=False))
        return
    report = {"system": get("/system_stats")["system"]}
    info = get("/object_info")
    report["object_info"] = {k: v for k, v in info.items() if k.startswith("DPHyperLoRA_")}
    report["workflow_templates"] = get("/workflow_templates")
    report["extensions"] = [e for e in get("/extensions") if "dp" in e.lower() or "main" in e]
    import os
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "workflows", "api", "0-reference-demo.json"), encoding="utf-8") as fh:
        demo = json.load(fh)  # the committed workflow: bundled reference pack and bundled sample set
    report["runs"] = [
        run("reference demo", demo),
        run("reference demo again (re-queue: cached, no budget)", demo),
        run("sd15 DP nodes + Save DP LoRA", with_save(dp_chain("sd15-test", release=1), prefix="real_sd15")),
        run("sdxl DP nodes + Save DP LoRA", with_save(dp_chain("sdxl-test", release=1), prefix="real_sdxl")),
        run("path traversal in the pack name", with_save(dp_chain("../../etc"))),
        run("path traversal in the folder name", with_save(dp_chain("sd15-test", folder="../private-set"))),
    ]
    with open(sys.argv[2], "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1)
    for r in report["runs"]:
        print(json.dumps({k: v for k, v in r.items() if k not in ("outputs", "messages")}, ensure_ascii=False)[:700])
        for m in r.get("messages", []):
            print("    ", m[0], json.dumps(m[1].get("nodes", m[1].get("exception_message", "")), ensure_ascii=False)[:300])
        for nid, out in r.get("outputs", {}).items():
            print("   ", nid, json.dumps(out, ensure_ascii=False)[:400])


if __name__ == "__main__":
    main()
