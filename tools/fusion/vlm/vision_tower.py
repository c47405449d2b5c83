"""Vision towers: images in, a grid of feature tokens out ([batch, tokens, dim]). Frozen:
their features can be computed once per image and cached for training."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import torch
from PIL import Image


class VisionTower(Protocol):
    dim: int

    def __call__(self, images: list[Image.Image]) -> torch.Tensor: ...


class EfficientNetTower:
    """The packaged EfficientNet-Lite0's last feature map: 7x7 spatial tokens of 1280 values,
    where it is in the picture kept (not only the pooled vector)."""

    dim = 1280

    def __init__(self) -> None:
        from knowledge_base.embeddings.efficientnet import EfficientNetLiteBackend

        self._backend = EfficientNetLiteBackend()

    @torch.inference_mode()
    def __call__(self, images: list[Image.Image]) -> torch.Tensor:
        from knowledge_base.embeddings.efficientnet import preprocess

        batch = torch.from_numpy(np.stack([preprocess(img) for img in images]))
        grid = self._backend.model.extract_features(batch)  # [B, 1280, 7, 7]
        return grid.flatten(2).transpose(1, 2).float()  # [B, 49, 1280]


class HFVisionTower:
    """Any transformers vision model (CLIP, SigLIP, ViT): its last hidden states."""

    def __init__(self, name: str) -> None:
        from transformers import AutoImageProcessor, AutoModel

        self.processor = AutoImageProcessor.from_pretrained(name)
        model = AutoModel.from_pretrained(name)
        self.model = (getattr(model, "vision_model", None) or model).eval()
        self.dim = int(self.model.config.hidden_size)

    @torch.inference_mode()
    def __call__(self, images: list[Image.Image]) -> torch.Tensor:
        pixels = self.processor(images=[i.convert("RGB") for i in images], return_tensors="pt")
        return self.model(pixel_values=pixels["pixel_values"]).last_hidden_state.float()


VISION_TOWERS: dict[str, Callable[[str], VisionTower]] = {
    "efficientnet-lite0": lambda _: EfficientNetTower(),
    "hf": HFVisionTower,
}


def create_vision_tower(spec: str) -> VisionTower:
    """``efficientnet-lite0`` or ``hf:<id or path>``."""
    kind, _, name = spec.partition(":")
    if kind not in VISION_TOWERS:
        raise ValueError(f"unknown vision tower {spec!r}: use {', '.join(VISION_TOWERS)}")
    return VISION_TOWERS[kind](name)
