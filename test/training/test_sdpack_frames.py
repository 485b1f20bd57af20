"""φ's input is the same for the same image on the private route and in pack training (training/sdpack/frames.py).

Private route: Load Private Images' loadPrivateImageBatch (the worker, TypeScript) → the bridge's IMAGE converter
(comfy_ts_bridge.converters.decode_image) → CLIPVisionEncode. Training: frames.clip_frames (the built CLI's
`pack clip-frames`) → frames.image_of → the same CLIP-vision call. The IMAGEs must be equal bit for bit, for images
that exercise every decoding choice (EXIF rotation, alpha, grey, non-square, smaller and larger than 224 px)."""
import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from training.sdpack.comfy_backend import encoder_for
from training.sdpack.errors import SdPackError
from training.sdpack.frames import BUILT, PRIVATE_ROUTE_SIZE, clip_frames, image_of

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("node") is None or not BUILT.is_file(),
                                reason="needs node and the built CLI (npm run build)")

PRIVATE_ROUTE = """
const { loadPrivateImageBatch } = await import(new URL('src/conditioning/private-images.ts', 'file://' + process.argv[1] + '/').href);
const out = [];
for (const dir of JSON.parse(process.argv[2])) {
  const t = await loadPrivateImageBatch({ dir, size: Number(process.argv[3]), onUnreadable: 'fail' });
  out.push({ dtype: t.dtype, shape: t.shape, data: Buffer.from(t.data).toString('base64') });
}
process.stdout.write(JSON.stringify(out));
"""


def _images(root: Path):
    """One image per folder (Load Private Images reads a folder), each exercising one decoding choice."""
    rng = np.random.default_rng(0)
    made = {}

    def put(name, im, **save):
        (root / name).mkdir()
        path = root / name / (name + (".jpg" if save.get("format") == "JPEG" else ".png"))
        im.save(path, **save)
        made[name] = path

    put("wide", Image.fromarray(rng.integers(0, 256, (300, 500, 3), dtype=np.uint8)))
    put("small", Image.fromarray(rng.integers(0, 256, (80, 100, 3), dtype=np.uint8)))
    rgba = rng.integers(0, 256, (240, 260, 4), dtype=np.uint8)
    rgba[:100, :, 3] = 0                                   # transparent pixels that store colour
    put("alpha", Image.fromarray(rgba, "RGBA"))
    put("grey", Image.fromarray(rng.integers(0, 256, (230, 231), dtype=np.uint8), "L"))
    exif = Image.Exif()
    exif[0x0112] = 6                                       # rotate 90° when shown
    put("exif", Image.fromarray(rng.integers(0, 256, (200, 320, 3), dtype=np.uint8)), format="JPEG", exif=exif, quality=95)
    put("exact", Image.fromarray(rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)))
    return made


def _private_route_images(dirs, size):
    """What CLIPVisionEncode receives on the private route: the worker's IMAGE through the bridge's converter."""
    sys.path.insert(0, str(ROOT / "packages" / "comfyui-node-ts-sdk" / "python"))
    converters = importlib.import_module("comfy_ts_bridge.converters")
    r = subprocess.run(["node", "--import", "tsx", "--input-type=module", "-e", PRIVATE_ROUTE, str(ROOT),
                        json.dumps([str(d) for d in dirs]), str(size)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = []
    import base64
    for t in json.loads(r.stdout):
        wire = {"kind": "tensor", "tensor": {"dtype": t["dtype"], "shape": t["shape"], "ref": 0}}
        out.append(converters.decode_image(wire, {0: bytearray(base64.b64decode(t["data"]))}))
    return torch.cat(out)


def test_the_clip_vision_image_is_identical_on_the_private_route_and_in_training(tmp_path):
    made = _images(tmp_path)
    names = sorted(made)
    private = _private_route_images([made[n].parent for n in names], PRIVATE_ROUTE_SIZE)
    trained = image_of(clip_frames([made[n] for n in names], PRIVATE_ROUTE_SIZE))
    assert private.dtype == trained.dtype == torch.float32
    assert private.shape == trained.shape == (len(names), 224, 224, 3)
    assert torch.equal(private, trained)
    # The EXIF image was rotated (its frame is not the unrotated file's), and transparent pixels became black.
    alpha = trained[names.index("alpha")]
    assert float(alpha[:20].abs().max()) == 0.0 and float(alpha[-20:].mean()) > 0.2


def test_training_calls_clip_vision_as_clipvisionencode_center_does(tmp_path):
    class RecordingClipVision:
        """Stand-in for comfy.clip_vision.ClipVisionModel: records encode_image's arguments."""

        def __init__(self):
            self.calls = []

        def encode_image(self, image, crop=True):
            self.calls.append((image, crop))
            return type("Output", (), {"image_embeds": image.mean((1, 2))})()

    class Vae:
        def encode(self, images):
            return images.permute(0, 3, 1, 2)

    model = type("Patcher", (), {"model": type("Base", (), {"process_latent_in": staticmethod(lambda x: x)})()})()
    cv = RecordingClipVision()
    clip = torch.rand(2, 224, 224, 3)
    encoder_for(model, cv, Vae())(torch.rand(2, 64, 64, 3), clip)
    assert cv.calls[0][0] is clip and cv.calls[0][1] is True      # CLIPVisionEncode's crop "center"


def test_an_unreadable_public_image_is_named(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(SdPackError, match=r"public image .*broken\.png cannot be decoded"):
        clip_frames([bad], 224)
