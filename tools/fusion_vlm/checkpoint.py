"""A trained fusion VLM on disk: its config and only the weights that trained (projector,
fusion, heads, LoRA adapters). The frozen language model and vision tower are loaded from
where the config names them, so a run's model is megabytes, not the LM's gigabytes."""

from __future__ import annotations

import json
from pathlib import Path

from tools.fusion_vlm.config import FusionVLMConfig
from tools.fusion_vlm.data import Encoder
from tools.fusion_vlm.domain import Domain
from tools.fusion_vlm.language_model import load_language_model
from tools.fusion_vlm.model import FusionVLM
from tools.fusion_vlm.vision_tower import create_vision_tower

WEIGHTS, CONFIG = "trained.safetensors", "fusion_vlm.json"


def save_trained(
    model: FusionVLM, folder: Path, max_tokens: int, domain: Domain | None = None
) -> Path:
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    # What trained, and the parts of our own that were kept frozen (a frozen projector).
    trained = {n: p.detach().cpu().contiguous() for n, p in model.named_parameters()
               if p.requires_grad or not n.startswith("lm.")}  # fmt: skip
    save_file(trained, str(folder / WEIGHTS))
    meta = {"model": model.config.to_dict(), "max_tokens": max_tokens}
    if domain is not None:
        meta["trained_on"] = domain.to_dict()
    (folder / CONFIG).write_text(json.dumps(meta, indent=2))
    return folder


def assemble(
    config: FusionVLMConfig, models_dir: Path, max_tokens: int
) -> tuple[FusionVLM, Encoder]:
    """A fresh model for ``config`` (the LM and the tower loaded, the new parts initialised)
    and the encoder that turns examples into its inputs."""
    from knowledge_base.embeddings import SentenceTransformerEmbedding

    lm, tokenizer = load_language_model(config.language_model, models_dir)
    tower = create_vision_tower(config.vision)
    model = FusionVLM(config, lm, tower.dim)
    if config.lora_rank:
        from peft import LoraConfig, get_peft_model

        adapters = LoraConfig(r=config.lora_rank)
        model.lm = get_peft_model(model.lm, adapters)
    text = SentenceTransformerEmbedding()
    return model, Encoder(tower, tokenizer, text.encode, config.knowledge_dim, max_tokens)


def load_trained(folder: Path, models_dir: Path) -> tuple[FusionVLM, Encoder]:
    """The model (eval mode) and its example encoder, as ``save_trained`` left them."""
    from safetensors.torch import load_file

    meta = json.loads((folder / CONFIG).read_text())
    config = FusionVLMConfig.from_dict(meta["model"])
    model, encoder = assemble(config, models_dir, meta["max_tokens"])
    weights = load_file(str(folder / WEIGHTS))
    unknown = set(weights) - set(dict(model.named_parameters()))
    if unknown:
        raise ValueError(f"{folder}: weights this model does not have: {sorted(unknown)[:3]}")
    model.load_state_dict(weights, strict=False)
    return model.eval(), encoder


def trained_on(folder: Path) -> Domain | None:
    """What the run in ``folder`` was trained on (None for a run saved before it was kept)."""
    meta = json.loads((folder / CONFIG).read_text())
    return Domain.from_dict(meta["trained_on"]) if "trained_on" in meta else None
