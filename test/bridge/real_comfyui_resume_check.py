"""Local check of cancel-then-resume of Train SD Pack inside a REAL ComfyUI 0.3.64 on the CPU (not CI; docs/packs.md).

Set COMFY up as real_comfyui_sdpack_check.py says, start it with run.sh writing its log to LOG, then:
    /usr/bin/python3 test/bridge/real_comfyui_resume_check.py http://127.0.0.1:PORT COMFY PUBLIC LOG [--steps 3]
1. queue Train SD Pack (pack random-sd15-resume, --steps steps at 64 px, 1 image per set) and watch /ws;
2. after the node's first progress message (step 1 done), POST /interrupt; wait for execution_interrupted;
3. read the checkpoint the node left on disk (COMFY/output/dp_hyperlora_training/random-sd15-resume/sdpack_ckpt.pt);
4. queue the same prompt again: it must resume (ComfyUI's log says "resuming from step N", the first progress
   message is past N) and finish (execution_success, the pack's manifest written).
Exits 1 on a failed expectation. The run folder and pack are removed first, so the check starts afresh."""
import asyncio
import json
import os
import shutil
import sys
import uuid

import aiohttp

from real_comfyui_sdpack_check import train

PACK = "random-sd15-resume"


def expect(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        sys.exit(1)


async def queue(session, base, prompt, client_id, interrupt_after=None):
    """Queues `prompt`; returns (final message type, [progress values of node 5], ui of node 5 or None)."""
    async with session.ws_connect(f"{base.replace('http', 'ws', 1)}/ws?clientId={client_id}") as ws:
        async with session.post(f"{base}/prompt", json={"prompt": prompt, "client_id": client_id}) as r:
            reply = await r.json()
        if "prompt_id" not in reply:
            raise SystemExit(f"/prompt refused the workflow: {reply}")
        pid, progress, ui = reply["prompt_id"], [], None
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            m = json.loads(msg.data)
            data = m.get("data", {})
            if data.get("prompt_id") not in (None, pid):
                continue
            if m["type"] == "progress" and data.get("node") == "5":
                progress.append(data["value"])
                print(f"     progress {data['value']}/{data['max']}", flush=True)
                if interrupt_after is not None and data["value"] >= interrupt_after and len(progress) == 1:
                    async with session.post(f"{base}/interrupt", json={}) as r:
                        print(f"     POST /interrupt -> HTTP {r.status}", flush=True)
            if m["type"] == "executed" and data.get("node") == "5":
                ui = data.get("output")
            if m["type"] in ("execution_success", "execution_error", "execution_interrupted"):
                if m["type"] == "execution_error":
                    print("     error:", data.get("exception_message"), flush=True)
                return m["type"], progress, ui
    raise SystemExit("the /ws connection closed before the prompt finished")


def checkpoint_step(path):
    import torch
    return int(torch.load(path, map_location="cpu", weights_only=False)["step"])


async def main():
    base, comfy, public, log = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    steps = int(sys.argv[sys.argv.index("--steps") + 1]) if "--steps" in sys.argv else 3
    run_dir = os.path.join(comfy, "output", "dp_hyperlora_training", PACK)
    pack_dir = os.path.join(comfy, "models", "dp_hyperlora", PACK)
    for d in (run_dir, pack_dir):
        shutil.rmtree(d, ignore_errors=True)
    prompt = train(public, steps)
    prompt["5"]["inputs"]["pack_name"] = PACK
    with open(log, encoding="utf-8", errors="replace") as f:
        log_start = len(f.read())
    async with aiohttp.ClientSession() as session:
        print(f"1. Train SD Pack, {steps} steps, interrupted after its first step", flush=True)
        end, progress, _ = await queue(session, base, prompt, uuid.uuid4().hex, interrupt_after=1)
        expect(end == "execution_interrupted", f"the first run ended with {end}")
        ckpt = os.path.join(run_dir, "sdpack_ckpt.pt")
        expect(os.path.isfile(ckpt), f"checkpoint on disk: {ckpt}")
        saved = checkpoint_step(ckpt)
        expect(1 <= saved < steps and not os.path.exists(os.path.join(pack_dir, "manifest.json")),
               f"it holds step {saved} of {steps}; no pack written yet")
        print("2. the same prompt queued again", flush=True)
        end, progress, ui = await queue(session, base, prompt, uuid.uuid4().hex)
        expect(end == "execution_success", f"the second run ended with {end}")
        expect(bool(progress) and progress[0] == saved + 1, f"its first progress message is step {progress[0] if progress else None}")
        with open(log, encoding="utf-8", errors="replace") as f:
            lines = [ln for ln in f.read()[log_start:].splitlines() if "resuming from step" in ln]
        expect(len(lines) == 1 and f"resuming from step {saved} of {steps}" in lines[0], f"ComfyUI's log: {lines}")
        expect(os.path.isfile(os.path.join(pack_dir, "manifest.json")) and checkpoint_step(ckpt) == steps,
               f"pack written to {pack_dir}; checkpoint at step {steps}")
        print("     ui:", json.dumps(ui, ensure_ascii=False)[:400], flush=True)


if __name__ == "__main__":
    asyncio.run(main())
