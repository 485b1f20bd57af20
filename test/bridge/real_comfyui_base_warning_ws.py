"""Local check against a REAL ComfyUI (not CI): what the browser receives when Hypernetwork LoRA meets a UNet other than
its SD pack's base: the node's progress text (binary /ws frame type 3, shown on the node) and its `executed` text.

Set up as real_comfyui_sdpack_check.py says, with a pack PACK whose manifest names another base UNet, then:
    /usr/bin/python3 test/bridge/real_comfyui_base_warning_ws.py http://127.0.0.1:PORT PRIVATE PACK [STRENGTH] [--match]
STRENGTH (default 0.9) sets Hypernetwork LoRA's strength_model, so the node runs again even when the rest of the
prompt is cached (no budget: the release is a stored repeat). Prints the frames for node 11 and exits 1 unless both
carry the warning; with --match (a pack trained for this UNet), unless neither does."""
import asyncio
import json
import struct
import sys
import uuid

import aiohttp

from real_comfyui_sdpack_check import private_route

TEXT_FRAME = 3   # server.py BinaryEventTypes.TEXT


async def main(base: str, private: str, pack: str, strength: float, match: bool) -> int:
    prompt = private_route(private, pack)
    prompt["11"]["inputs"]["strength_model"] = strength
    client_id, progress_text, executed = uuid.uuid4().hex, [], []
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"{base.replace('http', 'ws', 1)}/ws?clientId={client_id}") as ws:
            async with session.post(f"{base}/prompt", json={"prompt": prompt, "client_id": client_id}) as r:
                reply = await r.json()
            if "prompt_id" not in reply:
                raise SystemExit(f"/prompt refused the workflow: {reply}")
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.BINARY:
                    (event,) = struct.unpack(">I", msg.data[:4])
                    if event == TEXT_FRAME:
                        (n,) = struct.unpack(">I", msg.data[4:8])
                        progress_text.append((msg.data[8:8 + n].decode(), msg.data[8 + n:].decode()))
                    continue
                m = json.loads(msg.data)
                data = m.get("data", {})
                if m["type"] == "executed" and data.get("node") == "11":
                    executed.extend(data["output"].get("text", []))
                if m["type"] in ("execution_success", "execution_error", "execution_interrupted") and data.get("prompt_id") == reply["prompt_id"]:
                    print("end:", m["type"])
                    break
    print("progress text frames:", json.dumps(progress_text, ensure_ascii=False))
    print("executed text of node 11:", json.dumps(executed, ensure_ascii=False))
    warned = [t for node, t in progress_text if node == "11" and t.startswith("⚠ base checkpoint mismatch")]
    shown = [t for t in executed if t.startswith("⚠ base checkpoint mismatch")]
    if match:
        return 0 if not warned and not shown and executed else 1
    return 0 if warned and shown else 1


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--match"]
    sys.exit(asyncio.run(main(args[0], args[1], args[2], float(args[3]) if len(args) > 3 else 0.9, "--match" in sys.argv)))
