"""Embedding functions: one protocol (Chroma's ``EmbeddingFunction``), one file per provider."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from knowledge_base.embeddings.image_backend import ImageBackend, Label
from knowledge_base.embeddings.registry import TEXT_MODELS, resolve_text_model

if TYPE_CHECKING:
    from knowledge_base.embeddings.image_embedding import ImageEmbedding
    from knowledge_base.embeddings.image_registry import IMAGE_BACKENDS, create_image_backend
    from knowledge_base.embeddings.sentence_transformer import (
        SentenceTransformerEmbedding,
        resolve_device,
    )

# The providers import Chroma, torch or ONNX Runtime: they load when first named.
_LAZY = {
    "IMAGE_BACKENDS": "knowledge_base.embeddings.image_registry",
    "ImageEmbedding": "knowledge_base.embeddings.image_embedding",
    "SentenceTransformerEmbedding": "knowledge_base.embeddings.sentence_transformer",
    "create_image_backend": "knowledge_base.embeddings.image_registry",
    "resolve_device": "knowledge_base.embeddings.sentence_transformer",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "IMAGE_BACKENDS",
    "TEXT_MODELS",
    "ImageBackend",
    "ImageEmbedding",
    "Label",
    "SentenceTransformerEmbedding",
    "create_image_backend",
    "resolve_device",
    "resolve_text_model",
]
