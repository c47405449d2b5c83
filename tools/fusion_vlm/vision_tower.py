"""Vision towers: images in, a grid of feature tokens out ([batch, tokens, dim]). Frozen:
their features can be computed once per image and cached for training."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import torch
from PIL import Image
from torch import nn


class VisionTower(Protocol):
    dim: int

    def __call__(self, images: list[Image.Image]) -> torch.Tensor: ...


class EfficientNetPyramidTower:
    """The packaged EfficientNet-Lite0's last feature map (7x7 spatial tokens of 1280 values),
    each token also holding the earlier stride-8 and stride-16 feature maps averaged onto it
    (40 + 112 values): the last map is trained to name ImageNet classes and keeps colour
    poorly, the earlier ones keep it (the probe in ``docs/training.md``). Each map is
    layer-normalised per token: the earlier ones are several times larger than the last."""

    dim = 1280 + 112 + 40

    def __init__(self) -> None:
        from knowledge_base.embeddings.efficientnet import EfficientNetLiteBackend

        self._backend = EfficientNetLiteBackend()

    @torch.inference_mode()
    def __call__(self, images: list[Image.Image]) -> torch.Tensor:
        from knowledge_base.embeddings.efficientnet import preprocess

        model = self._backend.model
        x = torch.from_numpy(np.stack([preprocess(img) for img in images]))
        x = model._swish(model._bn0(model._conv_stem(x)))
        by_size: dict[int, torch.Tensor] = {}
        for block in model._blocks:  # keep the last map of each resolution
            x = block(x)
            by_size[x.shape[-1]] = x
        head = model._swish(model._bn1(model._conv_head(x)))  # [B, 1280, 7, 7]
        side = head.shape[-1]
        earlier = [
            nn.functional.adaptive_avg_pool2d(by_size[side * k], side) for k in (2, 4)
        ]  # stride 16 (112 channels), stride 8 (40)
        tokens = [m.flatten(2).transpose(1, 2).float() for m in (head, *earlier)]
        return torch.cat([nn.functional.layer_norm(t, t.shape[-1:]) for t in tokens], -1)


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
    "efficientnet-lite0-pyramid": lambda _: EfficientNetPyramidTower(),
    "hf": HFVisionTower,
}


def create_vision_tower(spec: str) -> VisionTower:
    """``efficientnet-lite0-pyramid`` or ``hf:<id or path>``."""
    kind, _, name = spec.partition(":")
    if kind not in VISION_TOWERS:
        raise ValueError(f"unknown vision tower {spec!r}: use {', '.join(VISION_TOWERS)}")
    return VISION_TOWERS[kind](name)
