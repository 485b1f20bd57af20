"""Local check against a REAL ComfyUI (not run in CI): queue workflows/api/0-reference-demo.json and record every
/ws message of the run, to show what ComfyUI broadcasts for each DP node (progress, executing, executed).

    /usr/bin/python3 test/bridge/real_comfyui_ws_progress.py http://127.0.0.1:8188 OUT_JSON [RELEASE]

Start ComfyUI first as test/bridge/real_comfyui_check.py says. RELEASE (default: the workflow's own) sets Noisy
Aggregate's release number, so a fresh release (not a stored repeat) can be asked for. Writes {prompt_id,
messages: [{type, data}], progress_by_node: {node: [[value, max], …]}} to OUT_JSON; binary frames (previews) are
recorded by size only."""
import asyncio
import json
import os
import sys
import uuid

import aiohttp

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


async def main(base: str, out: str, release: int | None) -> None:
    with open(os.path.join(ROOT, "workflows", "api", "0-reference-demo.json"), encoding="utf-8") as f:
        prompt = json.load(f)
    if release is not None:
        next(v for v in prompt.values() if v["class_type"] == "DPHyperLoRA_NoisyAggregate")["inputs"]["release"] = release
    client_id = uuid.uuid4().hex
    messages = []
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"{base.replace('http', 'ws', 1)}/ws?clientId={client_id}") as ws:
            async with session.post(f"{base}/prompt", json={"prompt": prompt, "client_id": client_id}) as r:
                reply = await r.json()
            if "prompt_id" not in reply:
                raise SystemExit(f"/prompt refused the workflow: {reply}")
            pid = reply["prompt_id"]
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.BINARY:
                    messages.append({"type": "binary", "bytes": len(msg.data)})
                    continue
                m = json.loads(msg.data)
                messages.append(m)
                data = m.get("data", {})
                if m["type"] in ("execution_success", "execution_error", "execution_interrupted") and data.get("prompt_id") == pid:
                    break
    progress = {}
    for m in messages:
        if m.get("type") == "progress":
            progress.setdefault(m["data"]["node"], []).append([m["data"]["value"], m["data"]["max"]])
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"prompt_id": pid, "messages": messages, "progress_by_node": progress}, f, indent=1, ensure_ascii=False)
    print(json.dumps(progress))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else None))
