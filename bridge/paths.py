"""Where packs and private image folders are found, and how a chosen name becomes a path.

- Packs: every folder under each `dp_hyperlora` models path (folder_paths, so extra_model_paths.yaml is
  respected; any folder name), plus the pack bundled with the plugin.
- Private image folders: the private-set roots (bridge/private_sets.py: models/dp_private_sets and any configured
  folder, none of them served by ComfyUI), the bundled sample set, and, with a warning, sub-folders of input/.
A choice is a single plain folder name (or one of the bundled labels); anything with a path separator or
a ".." is refused, so a crafted workflow cannot point the worker outside these folders."""
from __future__ import annotations

import hashlib
import os

from . import private_sets
from .errors import DPHyperLoRAError
from .private_sets import is_plain_name

PLUGIN_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDER_NAME = "dp_hyperlora"
BUNDLED_PACK = "reference (bundled)"
BUNDLED_PACK_DIR = os.path.join(PLUGIN_DIR, "models", "reference")
BUNDLED_SET = "demo-data/private-set (bundled)"
BUNDLED_SET_DIR = os.path.join(PLUGIN_DIR, "demo-data", "private-set")
NO_FOLDER = "(none: use the images input)"


def register_model_folder() -> None:
    """Registers models/dp_hyperlora with folder_paths (folder entries only, so no extension filter)."""
    import folder_paths
    default = os.path.join(folder_paths.models_dir, FOLDER_NAME)
    if FOLDER_NAME not in folder_paths.folder_names_and_paths:
        folder_paths.folder_names_and_paths[FOLDER_NAME] = ([default], set())
    elif default not in folder_paths.folder_names_and_paths[FOLDER_NAME][0]:
        folder_paths.folder_names_and_paths[FOLDER_NAME][0].append(default)


def _subfolders(base: str) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(base) if e.is_dir() and is_plain_name(e.name))
    except OSError:
        return []


def list_packs() -> list[str]:
    """Pack names for the dropdown: the bundled pack first, then folders under every dp_hyperlora path."""
    import folder_paths
    names = [BUNDLED_PACK]
    for base in folder_paths.get_folder_paths(FOLDER_NAME):
        for n in _subfolders(base):
            if n not in names:
                names.append(n)
    return names


def list_input_folders() -> list[str]:
    """Folder labels for DP Embed's dropdown: the bundled sample set, "none", the private-set folders, then the
    input/ sub-folders as "input/<name>" (ComfyUI serves those; DP Embed warns)."""
    return [BUNDLED_SET, NO_FOLDER] + private_sets.labels()


def _refuse(what: str) -> DPHyperLoRAError:
    return DPHyperLoRAError("PATH_TRAVERSAL", f"the {what} must be one plain folder name from the dropdown (no '/', '\\' or '..'); pick it from the list.")


def resolve_pack(name: str) -> str:
    """The absolute folder of pack `name`; PATH_TRAVERSAL or PACK_NOT_FOUND otherwise."""
    if name == BUNDLED_PACK:
        return BUNDLED_PACK_DIR
    if not is_plain_name(name):
        raise _refuse("pack")
    import folder_paths
    for base in folder_paths.get_folder_paths(FOLDER_NAME):
        candidate = os.path.join(base, name)
        if os.path.isdir(candidate):
            return candidate
    raise DPHyperLoRAError("PACK_NOT_FOUND", f"no pack folder named {name!r} under models/{FOLDER_NAME}; put the pack folder there (or in a path listed in extra_model_paths.yaml) and refresh.")


def resolve_input_folder(name: str) -> str | None:
    """The absolute private-image folder for `name`, or None for the "use the images input" choice."""
    if name == NO_FOLDER:
        return None
    if name == BUNDLED_SET:
        return BUNDLED_SET_DIR
    return private_sets.resolve(name)


def folder_content_hash(path: str | None) -> str:
    """A key that changes whenever the folder's content may have changed, so that ComfyUI re-runs the node then
    (IS_CHANGED). It is SHA-256 over each entry's relative name and its stat record (device, inode, size, mtime
    and ctime in ns), so re-queuing never reads a file: 10,000 images cost one stat each. It is exact in the
    direction that matters: any write to a file, or a file replaced, renamed, added or removed, moves its ctime,
    inode or name (ctime cannot be set back by tools that restore mtime), so the node runs again and the worker
    re-identifies every image from its decoded pixels. A false change (a `touch`) only costs a re-run, and that
    re-run makes no new release: the ledger recognises the same set. The key stays in ComfyUI's cache; it is
    never shown, and nothing about the images is stored on ComfyUI's side."""
    h = hashlib.sha256()
    if path is None:
        return "none"
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for f in sorted(files):
            full = os.path.join(root, f)
            h.update(os.path.relpath(full, path).encode("utf-8", "surrogateescape") + b"\x00")
            try:
                st = os.stat(full)
                h.update(f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}".encode() + b"\x00")
            except OSError:
                h.update(b"<unreadable>\x00")
    return h.hexdigest()


def file_hash(path: str) -> str:
    """SHA-256 of one file, or "missing"."""
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return "missing"


def write_model_file(folder: str, name: str, data, subfolder: str | None = None) -> str:
    """Writes `data` as a new file `name` in the first path of folder_paths `folder` (never overwrites).

    `loras`: a .safetensors LoRA. `dp_hyperlora`: a conditioning pack's manifest.json or basis.safetensors in the
    pack folder `subfolder` (a plain name)."""
    ok_lora = folder == "loras" and subfolder is None and name.endswith(".safetensors")
    ok_pack = folder == FOLDER_NAME and is_plain_name(subfolder or "") and name in ("manifest.json", "basis.safetensors")
    if not (ok_lora or ok_pack) or not is_plain_name(name):
        raise DPHyperLoRAError("PATH_TRAVERSAL", f"the worker asked for a file outside models/loras and models/{FOLDER_NAME}/<pack>; this is a bug, please report it.")
    import folder_paths
    base = folder_paths.get_folder_paths(folder)[0]
    if subfolder is not None:
        base = os.path.join(base, subfolder)
    os.makedirs(base, exist_ok=True)
    target = os.path.join(base, name)
    shown = f"models/{folder}/{subfolder + '/' if subfolder else ''}{name}"
    if os.path.exists(target):
        with open(target, "rb") as fh:
            if fh.read() == bytes(data):
                return target  # same content-addressed file already there
        raise DPHyperLoRAError("OUTPUT_EXISTS", f"{shown} exists with other content; delete or rename it, or choose another name.")
    tmp = f"{target}.tmp-{os.getpid()}"
    with open(tmp, "xb") as fh:
        fh.write(data)
    os.replace(tmp, target)
    return target
