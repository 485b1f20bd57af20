"""training/sdpack's CLIP-vision family rule agrees with src/conditioning/family.ts (the worker's refusal uses it)."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from training.sdpack.comfy_backend import family_from_shapes
from training.sdpack.errors import SdPackError

ROOT = Path(__file__).resolve().parents[2]
CASES = [([2, 1024], [2, 257, 1280]), ([2, 1280], [2, 257, 1664]), ([1, 768], [1, 257, 1024]), ([1, 768], [1, 577, 1024]),
         ([3, 1024], None), ([3, 512], [3, 50, 768])]
TS = """
const f = await import(new URL('src/conditioning/family.ts', 'file://' + process.argv[1] + '/').href);
const cases = JSON.parse(process.argv[2]);
process.stdout.write(JSON.stringify(cases.map(([e, l]) => f.familyOf({ imageEmbeds: e, lastHiddenState: l ?? undefined }))));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_family_rule_matches_the_typescript():
    r = subprocess.run(["node", "--import", "tsx", "--input-type=module", "-e", TS, str(ROOT), json.dumps(CASES)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert [family_from_shapes(e, l) for e, l in CASES] == json.loads(r.stdout)
    assert family_from_shapes([2, 1024], [2, 257, 1280]) == {"family": "clip-vit-h-14", "dim": 1024}
    with pytest.raises(SdPackError, match="not \\[batch, dim\\]"):
        family_from_shapes([1024], None)
