"""Embedding functions: one protocol (Chroma's ``EmbeddingFunction``), one file per provider."""

from knowledge_base.embeddings.image_backend import ImageBackend, Label
from knowledge_base.embeddings.image_embedding import ImageEmbedding
from knowledge_base.embeddings.image_registry import IMAGE_BACKENDS, create_image_backend
from knowledge_base.embeddings.registry import TEXT_MODELS, resolve_text_model
from knowledge_base.embeddings.sentence_transformer import (
    SentenceTransformerEmbedding,
    resolve_device,
)

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
