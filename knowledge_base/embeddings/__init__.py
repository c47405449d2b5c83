"""Embedding functions: one protocol (Chroma's ``EmbeddingFunction``), one file per provider."""

from knowledge_base.embeddings.registry import TEXT_MODELS, resolve_text_model
from knowledge_base.embeddings.sentence_transformer import (
    SentenceTransformerEmbedding,
    resolve_device,
)

__all__ = ["TEXT_MODELS", "SentenceTransformerEmbedding", "resolve_device", "resolve_text_model"]
