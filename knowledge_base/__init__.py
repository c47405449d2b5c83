"""Vira's knowledge base: loaders, chunking, Chroma storage and hybrid retrieval."""

from knowledge_base import types
from knowledge_base.errors import KnowledgeBaseError, RejectedFile, StoreUnavailable
from knowledge_base.kb import KnowledgeBase
from knowledge_base.settings import KnowledgeSettings
from knowledge_base.source_view import SourceView
from knowledge_base.types import *  # noqa: F403 - the value types, named in types.__all__

__all__ = [
    "KnowledgeBase",
    "KnowledgeBaseError",
    "KnowledgeSettings",
    "RejectedFile",
    "SourceView",
    "StoreUnavailable",
    *types.__all__,
]
