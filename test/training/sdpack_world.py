"""Shared pieces of the SD pack trainer's tiny-model tests (test_sdpack.py, test_sdpack_sdxl.py): the LoRA targets,
the trainer config, and synthetic public sets whose CLIP-like embeddings and images differ by set."""
import torch

from training.lora_delta import DeltaLoraModel
from training.sdpack.meta_train import PublicSets

ATTN = [r"attn[12]\.to_(q|k|v|out)\.weight$"]
CLIP_DIM = 24
CFG = dict(dim=8, head_hidden=16, rank=2, alpha=2.0, components=3, rho_hidden=8, n_min=6, n_max=6, groups=3,
           loss_images=6, enc_images=6, p_no_noise=1.0, lr_hyper=3e-2, lr_head=3e-2, steps=25, ckpt_every=10)


def public_sets(g: torch.Generator, sets: int, per_set: int) -> PublicSets:
    """``sets`` sets of ``per_set`` items: embeddings around a set centre, 28×28 images around a set pattern."""
    embeds, latents = [], []
    for _ in range(sets):
        centre = torch.randn(CLIP_DIM, generator=g) * 3
        embeds.append(centre + torch.randn(per_set, CLIP_DIM, generator=g))
        pattern = torch.randn(1, 1, 28, 28, generator=g).clamp(-1, 1)
        latents.append((pattern + 0.1 * torch.randn(per_set, 1, 28, 28, generator=g)).clamp(-1, 1))
    return PublicSets(embeds, latents, [f"set{s}" for s in range(sets)])


def delta_model(base: torch.nn.Module, layout) -> DeltaLoraModel:
    """The base with a LoRA slot on every module of ``layout`` (training/sdpack/layout.py's Module list)."""
    return DeltaLoraModel(base, [(m.weight, m.out, m.fan_in, (m.out, m.fan_in)) for m in layout])
