"""Image embeddings as a Chroma ``EmbeddingFunction``, over any registered image backend.

The knowledge base stores image items with it, and the tools' image encoder uses the same
backend object, so both live in one vector space with one loaded model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from chromadb.api.types import EmbeddingFunction, Embeddings, Images
from chromadb.utils.embedding_functions import register_embedding_function
from PIL import Image

from knowledge_base.embeddings.cosine import CosineSpace
from knowledge_base.embeddings.image_backend import ImageBackend, Label
from knowledge_base.embeddings.image_registry import create_image_backend


@register_embedding_function
class ImageEmbedding(CosineSpace, EmbeddingFunction[Images]):
    def __init__(
        self, spec: str = "packaged", device: str = "cpu", backend: ImageBackend | None = None
    ):
        self.spec = spec
        self.device = device
        self.backend = backend or create_image_backend(spec, device)

    @property
    def key(self) -> str:
        return self.backend.key

    @property
    def text_queryable(self) -> bool:
        """Whether text can be embedded into this space (CLIP/SigLIP): text -> image search."""
        return self.backend.joint_text_space

    def embed_and_label(
        self, images: list[Image.Image], top_k: int
    ) -> tuple[np.ndarray, list[list[Label]]]:
        return self.backend.embed_and_label(images, top_k)

    def embed_text(self, texts: list[str]) -> np.ndarray:
        return self.backend.embed_text(texts)

    def __call__(self, input: Images) -> Embeddings:
        images = [Image.fromarray(np.asarray(a, dtype=np.uint8)) for a in input]
        vectors, _ = self.backend.embed_and_label(images, top_k=1)
        return list(vectors)

    @staticmethod
    def name() -> str:
        return "vira-image"

    def get_config(self) -> dict[str, Any]:
        return {"spec": self.spec, "device": self.device}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ImageEmbedding:
        return ImageEmbedding(config.get("spec", "packaged"), config.get("device", "cpu"))
