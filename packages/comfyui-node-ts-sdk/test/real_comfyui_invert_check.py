"""Local check of the example pack against a REAL ComfyUI (not run in CI; the package README says how it was run).

With test/example-pack linked into ComfyUI's custom_nodes/ and an RGB PNG in ComfyUI's input/ folder:
    /usr/bin/python3 real_comfyui_invert_check.py http://127.0.0.1:PORT INPUT_NAME.png
It queues LoadImage → Invert Image (TypeScript) → SaveImage through /prompt, waits for /history, fetches the saved
PNG through /view and checks every channel value is 255 − the input's. Prints one JSON line; exit 0 when equal."""
import io
import json
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
from PIL import Image

BASE, NAME = sys.argv[1], sys.argv[2]


def get(path):
    with urllib.request.urlopen(BASE + path, timeout=30) as r:
        return r.read()


def main() -> int:
    prompt = {
        "1": {"class_type": "LoadImage", "inputs": {"image": NAME}},
        "2": {"class_type": "ExampleInvert_InvertImage", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "invert-check"}},
    }
    req = urllib.request.Request(BASE + "/prompt", data=json.dumps({"prompt": prompt, "client_id": "invert-check"}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        pid = json.loads(r.read())["prompt_id"]
    t0 = time.time()
    while time.time() - t0 < 120:
        hist = json.loads(get(f"/history/{pid}"))
        if pid in hist and hist[pid].get("status", {}).get("completed") is not None:
            break
        time.sleep(0.5)
    entry = hist[pid]
    images = entry["outputs"]["3"]["images"]
    out = np.array(Image.open(io.BytesIO(get("/view?" + urllib.parse.urlencode(images[0])))).convert("RGB"))
    src = np.array(Image.open(io.BytesIO(get("/view?" + urllib.parse.urlencode({"filename": NAME, "type": "input"})))).convert("RGB"))
    equal = out.shape == src.shape and bool((out.astype(np.int16) == 255 - src.astype(np.int16)).all())
    print(json.dumps({"status": entry["status"]["status_str"], "seconds": round(time.time() - t0, 1), "saved": images[0],
                      "shape": list(out.shape), "pixels_equal_255_minus_input": equal,
                      "first_pixels_in_out": [src[0, 1].tolist(), out[0, 1].tolist()]}))
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
