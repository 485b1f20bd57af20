"""The Comfy Registry metadata in pyproject.toml: complete, no placeholders, and in step with package.json.

Field rules follow the registry's pyproject.toml specification (docs.comfy.org/registry/specifications) and
ComfyUI 0.3.64's comfy_config/types.py, as summarised in shared/reference/comfyui.md section 7.
"""
import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGE = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
COMFY = PYPROJECT["tool"]["comfy"]

# The keys ComfyUI's comfy_config model reads from [tool.comfy]; anything else is a typo the registry ignores.
KNOWN_COMFY_KEYS = {"PublisherId", "DisplayName", "Icon", "Models", "includes", "web", "banner_url", "requires-comfyui"}
PLACEHOLDER = re.compile(r"(todo|tbd|fixme|placeholder|example\.com|your[-_ ]|username|<[^>]*>|xxx)", re.IGNORECASE)
RAW_PREFIX = "https://raw.githubusercontent.com/dp-hyperlora/dp-hyperlora/main/"


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_project_identity_follows_the_registry_rules_and_matches_package_json():
    name = PROJECT["name"]
    assert len(name) < 100
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*", name), name
    assert "comfyui" not in name.lower()
    assert re.fullmatch(r"\d+\.\d+\.\d+", PROJECT["version"]), PROJECT["version"]
    assert PROJECT["version"] == PACKAGE["version"], "pyproject.toml and package.json must carry the same version"
    assert PROJECT["license"] == {"text": PACKAGE["license"]}
    assert PROJECT["description"].startswith("Differentially private LoRA from a private image set")
    assert PROJECT["urls"]["Repository"].startswith("https://github.com/")


def test_classifiers_are_ones_the_registry_reads():
    valid = re.compile(r"Operating System :: (Microsoft|POSIX|MacOS|OS Independent)"
                       r"|Environment :: (GPU :: (NVIDIA CUDA|AMD ROCm|Intel Arc|Apple Metal)|NPU :: Huawei Ascend)")
    assert PROJECT["classifiers"], "at least the operating-system classifier"
    for c in PROJECT["classifiers"]:
        assert valid.fullmatch(c), c


def test_tool_comfy_is_complete_with_known_keys_only():
    assert set(COMFY) <= KNOWN_COMFY_KEYS, set(COMFY) - KNOWN_COMFY_KEYS
    for key in ("PublisherId", "DisplayName", "Icon", "requires-comfyui", "includes"):
        assert key in COMFY, f"[tool.comfy] lacks {key}"
    assert re.fullmatch(r"[a-z][a-z0-9-]*", COMFY["PublisherId"]), COMFY["PublisherId"]
    assert COMFY["DisplayName"].strip() != ""
    assert re.fullmatch(r"(>=|==|~=|>|<=|<)\s*\d+\.\d+(\.\d+)?(\s*,\s*(<|<=|!=)\s*\d+\.\d+(\.\d+)?)*", COMFY["requires-comfyui"]), COMFY["requires-comfyui"]
    # A web entry would register web/js a second time beside __init__.py's WEB_DIRECTORY (see the comment there).
    assert "web" not in COMFY


def test_icon_is_an_image_url_to_a_file_this_repository_holds():
    icon = COMFY["Icon"]
    assert re.fullmatch(r"https://\S+\.(svg|png|jpe?g|gif)", icon), icon
    assert icon.startswith(RAW_PREFIX), "the icon is served from this repository, so that it cannot go stale elsewhere"
    path = ROOT / icon[len(RAW_PREFIX):]
    assert path.is_file(), f"{path} is missing"
    if path.suffix == ".svg":
        head = path.read_text(encoding="utf-8")
        size = re.search(r'width="(\d+)" height="(\d+)"', head)
        assert size and int(size.group(1)) <= 400 and int(size.group(2)) <= 400, "the registry shows icons up to 400 px"


def test_includes_name_existing_paths_and_nothing_is_a_placeholder():
    for inc in COMFY["includes"]:
        assert (ROOT / inc).exists(), inc
    for s in _strings({"project": PROJECT, "comfy": COMFY}):
        assert not PLACEHOLDER.search(s), f"placeholder-like value: {s!r}"
    assert all(s.strip() != "" for s in _strings(COMFY)), "no empty [tool.comfy] values"
