"""A public image folder -> the public sets the pack is meta-trained on.

- Sets are the folder's sub-folders that hold images (one level; a set is whatever the user grouped: one artist, one
  style, one subject). Sub-folders with fewer than ``min_set`` images are left out, with a note.
- With no such sub-folders, the images in the folder itself become pseudo-sets: k-means over their CLIP-vision
  embeddings (unit-normalised, scipy's kmeans2 with k-means++ seeding, seeded), so that each pseudo-set is a group
  of similar images, the kind of set a user personalises on.
- An empty folder, or one without readable images, is a ``SdPackError`` that says what was looked for.

For the VAE, images are decoded with PIL, made RGB, resized so the short side is ``size`` (the training resolution)
and centre-cropped to size×size, as a ComfyUI IMAGE batch (float [N, size, size, 3] in [0, 1]). For CLIP-vision,
``clip_images(paths)`` gives each image as the private route would give it to CLIPVisionEncode (frames.py: the
product's own decoding and squaring), so φ sees the same input for the same image both ways. The data is public by
definition: names and counts may be logged and recorded in the manifest.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, List, Tuple

import numpy as np
import torch
from PIL import Image

from .errors import SdPackError
from .meta_train import PublicSets

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}
# (images at the training resolution, CLIP-vision images) -> (image_embeds [N, D], latents [N, C, h, w])
Encode = Callable[[torch.Tensor, torch.Tensor], Tuple[torch.Tensor, torch.Tensor]]
# image paths -> the CLIP-vision IMAGE batch [N, s, s, 3] for them
ClipImages = Callable[[List[Path]], torch.Tensor]


def _images_in(folder: Path) -> List[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
                  and not p.name.startswith("."))


def list_public_sets(folder: Path, min_set: int = 2) -> Tuple[List[Tuple[str, List[Path]]], List[str]]:
    """([(set name, image paths)], notes). One unnamed group "" when the folder has no image sub-folders."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SdPackError(f"public image folder {folder} does not exist or is not a folder; give a folder of public "
                          "images (its sub-folders become the training sets)")
    notes: List[str] = []
    sets = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        imgs = _images_in(sub)
        if len(imgs) >= min_set:
            sets.append((sub.name, imgs))
        elif imgs:
            notes.append(f"sub-folder {sub.name} has {len(imgs)} image(s), fewer than {min_set}: left out")
    if sets:
        return sets, notes
    imgs = _images_in(folder)
    if not imgs:
        raise SdPackError(f"public image folder {folder} holds no images ({', '.join(sorted(IMAGE_EXTENSIONS))}) in "
                          "itself or in its sub-folders; put public images there (sub-folders = sets)")
    return [("", imgs)], notes


def load_images(paths: List[Path], size: int) -> torch.Tensor:
    """ComfyUI IMAGE [N, size, size, 3] in [0, 1]: RGB, short side resized to size (Lanczos), centre-cropped."""
    out = []
    for p in paths:
        try:
            with Image.open(p) as im:
                im = im.convert("RGB")
                w, h = im.size
                s = size / min(w, h)
                im = im.resize((max(size, round(w * s)), max(size, round(h * s))), Image.LANCZOS)
                w, h = im.size
                left, top = (w - size) // 2, (h - size) // 2
                out.append(np.asarray(im.crop((left, top, left + size, top + size)), dtype=np.float32) / 255.0)
        except OSError as e:
            raise SdPackError(f"public image {p} cannot be read ({e}); remove it or replace it") from e
    return torch.from_numpy(np.stack(out))


def pseudo_set_labels(embeds: torch.Tensor, k: int, seed: int) -> np.ndarray:
    """k-means cluster index per row (unit-normalised rows; scipy kmeans2, k-means++ init, seeded)."""
    from scipy.cluster.vq import kmeans2
    x = embeds.double().numpy()
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    k = max(1, min(k, x.shape[0]))
    _, labels = kmeans2(x, k, minit="++", seed=seed)
    return labels


def build_public_sets(folder: Path, encode: Encode, clip_images: ClipImages, size: int, pseudo_sets: int = 16,
                      seed: int = 0, batch: int = 8, min_set: int = 2,
                      log: Callable[[str], None] = lambda s: None) -> PublicSets:
    """Encode every public image once (CLIP-vision image_embeds and latents, via ``encode(images, clip_images)``)
    and group them."""
    groups, notes = list_public_sets(folder, min_set)
    for n in notes:
        log(n)
    embeds, latents, names = [], [], []
    for name, paths in groups:
        es, ls = [], []
        clip = clip_images(paths)
        for start in range(0, len(paths), batch):
            e, lat = encode(load_images(paths[start:start + batch], size), clip[start:start + batch])
            es.append(e.float().cpu())
            ls.append(lat.float().cpu())
        embeds.append(torch.cat(es))
        latents.append(torch.cat(ls))
        names.append(name)
    if names == [""]:
        labels = pseudo_set_labels(embeds[0], pseudo_sets, seed)
        e, lat = embeds[0], latents[0]
        keep = [c for c in range(int(labels.max()) + 1) if int((labels == c).sum()) >= min_set]
        if not keep:
            raise SdPackError(f"the {e.shape[0]} images of {folder} do not form any pseudo-set of {min_set}+ images; "
                              "add images or sub-folders")
        embeds = [e[torch.from_numpy(labels == c)] for c in keep]
        latents = [lat[torch.from_numpy(labels == c)] for c in keep]
        names = [f"cluster{c:02d}" for c in keep]
        log(f"no sub-folders: {len(keep)} pseudo-sets by k-means over CLIP-vision embeddings")
    return PublicSets(embeds, latents, names)
