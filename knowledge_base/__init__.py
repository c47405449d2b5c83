"""Vira's knowledge base: loaders, chunking, Chroma storage and hybrid retrieval."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from knowledge_base import types
from knowledge_base.errors import KnowledgeBaseError, RejectedFile, StoreUnavailable
from knowledge_base.settings import KnowledgeSettings
from knowledge_base.types import *  # noqa: F403 - the value types, named in types.__all__

if TYPE_CHECKING:
    from knowledge_base.kb import KnowledgeBase
    from knowledge_base.source_view import SourceView

# Chroma and the retrieval stack take a second to import. They load when first named, so
# that settings and types import light: the app starts its answering model before them.
_LAZY = {"KnowledgeBase": "knowledge_base.kb", "SourceView": "knowledge_base.source_view"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "KnowledgeBase",
    "KnowledgeBaseError",
    "KnowledgeSettings",
    "RejectedFile",
    "SourceView",
    "StoreUnavailable",
    *types.__all__,
]
