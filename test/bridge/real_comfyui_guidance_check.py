"""Local check against a REAL ComfyUI (not run in CI): DP Reference Sampler follows the pack's LoRA guidance weight.

Start ComfyUI with this project in custom_nodes (bash /work/shared/tools/real-comfyui/run.sh COMFY_SRC PLUGIN PORT),
with a copy of models/reference in COMFY_SRC/models/dp_hyperlora/ref-guided whose manifest has
"sampler": {..., "loraGuidance": 2} (the manifest is not hashed; the ONNX files are), then:
    /usr/bin/python3 test/bridge/real_comfyui_guidance_check.py http://127.0.0.1:PORT
It queues the committed reference demo workflow (workflows/api/0-reference-demo.json) with the bundled pack and with
ref-guided, fetches both PreviewImage outputs through /view and prints whether both ran, the node's UI text, and
whether the images differ (same seed; only the guidance weight differs when the release is reused)."""
import hashlib
import json
import os
import sys
import urllib.parse
import urllib.request

from real_comfyui_check import run

BASE = sys.argv[1]


def image_digests(outputs):
    digests = []
    for out in outputs.values():
        for img in out.get("images", []):
            query = urllib.parse.urlencode({"filename": img["filename"], "subfolder": img["subfolder"], "type": img["type"]})
            with urllib.request.urlopen(f"{BASE}/view?{query}", timeout=30) as r:
                digests.append(hashlib.sha256(r.read()).hexdigest()[:16])
    return digests


def main():
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "workflows", "api", "0-reference-demo.json"), encoding="utf-8") as fh:
        demo = json.load(fh)
    guided = json.loads(json.dumps(demo))
    loaders = [k for k, v in guided.items() if v["class_type"] == "DPHyperLoRA_LoadHypernetwork"]
    for k in loaders:
        guided[k]["inputs"]["pack"] = "ref-guided"
    results = {}
    for name, prompt in (("bundled pack (no loraGuidance: w = 1)", demo), ("ref-guided (loraGuidance 2)", guided)):
        r = run(name, prompt)
        results[name] = r
        texts = {nid: out.get("text") for nid, out in r.get("outputs", {}).items() if "text" in out}
        print(json.dumps({"name": name, "status": r.get("status"), "seconds": r.get("seconds"), "text": texts}, ensure_ascii=False)[:600])
        for m in r.get("messages", []):
            if m[0] == "execution_error":
                print("    error:", json.dumps(m[1].get("exception_message", ""), ensure_ascii=False)[:400])
    digests = [image_digests(r.get("outputs", {})) for r in results.values()]
    same = sum(1 for a, b in zip(digests[0], digests[1]) if a == b)
    print(f"images: {len(digests[0])} (w = 1) and {len(digests[1])} (w = 2); identical pairs: {same}")
    print("images differ between w = 1 and w = 2:", len(digests[0]) == len(digests[1]) > 0 and same == 0)


if __name__ == "__main__":
    main()
