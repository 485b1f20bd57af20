"""Private-set roots: where DP Embed's `folder` dropdown finds private image folders, kept out of ComfyUI's HTTP API.

ComfyUI serves its `input/` directory to any client (`GET /view?type=input&subfolder=...`) and, for every name in
`folder_paths.folder_names_and_paths`, lists the files (`/models/{name}`, `/experiment/models/{name}`) and serves
image "previews" beside them (`/experiment/models/preview/{name}/...`). A private set must be in none of these.
So the roots are configured the way model folders are (an `extra_model_paths.yaml` entry `dp_private_sets:`, read
by ComfyUI before custom nodes load), but the entry is then taken OUT of folder_names_and_paths and kept here:
  1. models/dp_private_sets/ (the default, created at start-up; not served, not listed),
  2. every path an extra_model_paths.yaml section gives for `dp_private_sets`,
  3. every path in the DP_HYPERLORA_PRIVATE_SETS environment variable (os.pathsep-separated).
Each plain sub-folder of a root is one private set; its name is the label shown in the graph (the user's choice;
workflow JSON and PNG metadata carry it). Sub-folders of input/ are still offered, as "input/<name>", and using
one logs a warning and makes DP Embed say that ComfyUI serves those files."""
from __future__ import annotations

import logging
import os

from .errors import DPHyperLoRAError

log = logging.getLogger("dp_hyperlora")

FOLDER_NAME = "dp_private_sets"
ENV_ROOTS = "DP_HYPERLORA_PRIVATE_SETS"
INPUT_PREFIX = "input/"
SERVED_WARNING = ("DP Embed: this private set is in ComfyUI's input/ folder, which ComfyUI serves to any client "
                  "(GET /view); move the folder into models/dp_private_sets/ and pick it again.")

_claimed: list[str] = []


def is_plain_name(name: str) -> bool:
    """True for one path component that cannot climb out of its parent folder."""
    return (isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\\" not in name
            and "\x00" not in name and not name.startswith(".") and ":" not in name)


def default_root() -> str:
    """models/dp_private_sets under ComfyUI's models directory."""
    import folder_paths
    return os.path.join(folder_paths.models_dir, FOLDER_NAME)


def claim_roots() -> list[str]:
    """Takes the `dp_private_sets` entry out of folder_paths (so no ComfyUI route lists or serves it) and keeps its
    paths here; creates the default root. Call once at import, after ComfyUI has read extra_model_paths.yaml."""
    import folder_paths
    entry = folder_paths.folder_names_and_paths.pop(FOLDER_NAME, None)
    configured = list(entry[0]) if entry else []
    for path in [default_root(), *configured]:
        path = os.path.abspath(path)
        if path not in _claimed:
            _claimed.append(path)
    try:
        os.makedirs(default_root(), exist_ok=True)
    except OSError as e:
        log.warning("DP HyperLoRA: could not create %s (%s); create it by hand to keep private sets there.",
                    default_root(), type(e).__name__)
    return list(_claimed)


def roots() -> list[str]:
    """Every private-set root, in search order (default, extra_model_paths.yaml, DP_HYPERLORA_PRIVATE_SETS)."""
    extra = [os.path.abspath(p) for p in os.environ.get(ENV_ROOTS, "").split(os.pathsep) if p.strip()]
    out = list(_claimed) or [os.path.abspath(default_root())]
    return out + [p for p in extra if p not in out]


def _subfolders(base: str) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(base) if e.is_dir() and is_plain_name(e.name))
    except OSError:
        return []


def labels() -> list[str]:
    """Private-set labels from the roots (a name found in two roots is listed once: the first root wins), then the
    input/ sub-folders as "input/<name>"."""
    import folder_paths
    names: list[str] = []
    for base in roots():
        names += [n for n in _subfolders(base) if n not in names]
    return names + [INPUT_PREFIX + n for n in _subfolders(folder_paths.get_input_directory())]


def is_served(label: str) -> bool:
    """True when the label names a folder under ComfyUI's input/, which ComfyUI's /view serves."""
    return isinstance(label, str) and label.startswith(INPUT_PREFIX)


def resolve(label: str) -> str:
    """The absolute folder of a private-set label; PATH_TRAVERSAL or IMAGES_EMPTY otherwise."""
    refuse = DPHyperLoRAError("PATH_TRAVERSAL", "the folder must be one plain folder name from the dropdown (no '/', '\\' "
                              "or '..', apart from the input/ prefix); pick it from the list.")
    if is_served(label):
        name = label[len(INPUT_PREFIX):]
        if not is_plain_name(name):
            raise refuse
        import folder_paths
        path = os.path.join(folder_paths.get_input_directory(), name)
        if os.path.isdir(path):
            log.warning(SERVED_WARNING)
            return path
    elif not is_plain_name(label):
        raise refuse
    else:
        for base in roots():
            path = os.path.join(base, label)
            if os.path.isdir(path):
                return path
    # The label is the user's own widget value, but we still do not echo it (it may be telling).
    raise DPHyperLoRAError("IMAGES_EMPTY", "the selected private-set folder does not exist any more (private sets live "
                           "in models/dp_private_sets/); refresh the node and pick again.")
