"""API-format prompts used by the bridge tests (core stand-ins PreviewImage/ModelSink plus our nodes)."""


def dp_chain(pack: str, folder: str = "private-set", epsilon: float = 1.0, release: int = 1, relation: str = "add-remove", n_public: int = 0,
             too_few: str = "make the LoRA anyway") -> dict:
    """Load → Embed → Noisy Aggregate → Hypernetwork LoRA (no model yet). The test set is small (6 images), so the
    chain opts in by default; test_noise_gate.py checks the stop after the count."""
    return {
        "1": {"class_type": "DPHyperLoRA_LoadHypernetwork", "inputs": {"pack": pack}},
        "2": {"class_type": "DPHyperLoRA_Embed", "inputs": {"pack": ["1", 0], "folder": folder, "on_unreadable": "fail"}},
        "3": {"class_type": "DPHyperLoRA_NoisyAggregate", "inputs": {
            "embeddings": ["2", 0], "epsilon": epsilon, "delta": 1e-5, "relation": relation, "n_public": n_public, "release": release,
            "too_few_images": too_few}},
        "4": {"class_type": "DPHyperLoRA_HypernetworkLoRA", "inputs": {
            "pack": ["1", 0], "dataset_embedding": ["3", 0], "strength_model": 1.0, "strength_clip": 1.0}},
        "11": {"class_type": "LoraSink", "inputs": {"lora": ["4", 2]}},
    }


def with_save(prompt: dict, prefix: str = "dp_test") -> dict:
    p = dict(prompt)
    p["5"] = {"class_type": "DPHyperLoRA_SaveLoRA", "inputs": {"lora": ["4", 2], "filename_prefix": prefix}}
    return p


def reference_demo(pack: str = "ref-test", count: int = 4, steps: int = 4, seed: int = 7) -> dict:
    p = dp_chain(pack)
    p["6"] = {"class_type": "DPHyperLoRA_ReferenceSampler", "inputs": {
        "pack": ["1", 0], "lora": ["4", 2], "count": count, "seed": seed, "steps": steps, "strength": 1.0, "upscale": 2}}
    p["7"] = {"class_type": "PreviewImage", "inputs": {"images": ["6", 0]}}
    return p
