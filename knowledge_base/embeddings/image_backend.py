"""The protocol every image backend (image embeddings + labels) implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Label:
    name: str
    score: float


class ImageBackend(Protocol):
    #: Identifies the backend and its model in caches and collection names.
    key: str
    #: True when ``embed_text`` puts text in the same space as images (CLIP, SigLIP).
    joint_text_space: bool

    def embed_and_label(
        self, images: list[Image.Image], top_k: int
    ) -> tuple[np.ndarray, list[list[Label]]]:
        """L2-normalised image embeddings (n, d) and the top-k labels of each image."""
        ...

    def embed_text(self, texts: list[str]) -> np.ndarray:
        """Text embeddings in the image space; only where ``joint_text_space``."""
        ...
