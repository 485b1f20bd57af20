"""Local check against a REAL ComfyUI (not run in CI; see docs/comfyui.md): what ComfyUI receives when DP Embed's
folder holds unreadable files (on_unreadable = fail) or no image files at all.

Start ComfyUI with this project in custom_nodes (run.sh), then:
    /usr/bin/python3 test/bridge/real_comfyui_unreadable_check.py http://127.0.0.1:PORT COMFY
It writes folders under COMFY/models/dp_private_sets/ (demo-data images plus 1 or 3 broken .png files; 1 or 3 .txt
files), runs the chain on each, and prints the execution error ComfyUI recorded: it must be one text for 1 and
for 3 files, with no digit and no file name, and no budget may be charged."""
import json
import os
import shutil
import sys
import time

from real_comfyui_http import make_http
from workflows_api import dp_chain

BASE, COMFY = sys.argv[1], sys.argv[2]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SETS = os.path.join(COMFY, "models", "dp_private_sets")


http = make_http(BASE)


def run_prompt(prompt, timeout=300):
    prompt = {k: v for k, v in prompt.items() if v["class_type"] != "LoraSink"}  # a stand-in node of the tests
    prompt["5"] = {"class_type": "DPHyperLoRA_SaveLoRA", "inputs": {"lora": ["4", 2], "filename_prefix": "unreadable_check"}}
    status, raw = http("/prompt", {"prompt": prompt, "client_id": "dp-check-unreadable"})
    if status != 200:
        return {"http": status, "reply": json.loads(raw)}
    pid = json.loads(raw)["prompt_id"]
    t0 = time.time()
    while time.time() - t0 < timeout:
        hist = json.loads(http(f"/history/{pid}")[1])
        if pid in hist and (hist[pid]["status"].get("completed") or hist[pid]["status"].get("status_str") == "error"):
            msgs = hist[pid]["status"]["messages"]
            return {"status": hist[pid]["status"]["status_str"],
                    "errors": [m[1].get("exception_message") for m in msgs if m[0] == "execution_error"]}
        time.sleep(0.5)
    return {"timeout": True}


def make_set(name: str, broken: int, notes: int) -> None:
    d = os.path.join(SETS, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    if broken:
        src = os.path.join(ROOT, "demo-data", "private-set")
        for f in sorted(os.listdir(src))[:12]:
            shutil.copy(os.path.join(src, f), os.path.join(d, f"zoe-secret-{f}"))
    for i in range(broken):
        with open(os.path.join(d, f"zoe-secret-broken-{i}.png"), "wb") as fh:
            fh.write(b"not a png")
    for i in range(notes):
        with open(os.path.join(d, f"zoe-secret-notes-{i}.txt"), "w", encoding="utf-8") as fh:
            fh.write("text")


def main() -> int:
    cases = [("bad-1", 1, 0), ("bad-3", 3, 0), ("notes-1", 0, 1), ("notes-3", 0, 3)]
    for name, broken, notes in cases:
        make_set(name, broken, notes)
    errors = {}
    for name, _, _ in cases:
        r = run_prompt(dp_chain("reference (bundled)", folder=name, release=1))
        errors[name] = r
        print(json.dumps({"case": name, **r}, ensure_ascii=False))
    ok = True
    for a, b in [("bad-1", "bad-3"), ("notes-1", "notes-3")]:
        ea, eb = errors[a].get("errors"), errors[b].get("errors")
        same = bool(ea) and ea == eb
        clean = all("zoe-secret" not in (m or "") and not any(ch.isdigit() for ch in (m or "")) for m in (ea or []) + (eb or []))
        print(f"{a} vs {b}: same error text: {same}; no name and no digit: {clean}")
        ok = ok and same and clean
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
