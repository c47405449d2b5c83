"""Vira's knowledge base: loaders, chunking, Chroma storage and hybrid retrieval."""

from knowledge_base.errors import KnowledgeBaseError, RejectedFile, StoreUnavailable
from knowledge_base.kb import KnowledgeBase
from knowledge_base.settings import KnowledgeSettings
from knowledge_base.types import (
    DocumentInfo,
    FileReport,
    FileStatus,
    Hit,
    IngestProgress,
    IngestReport,
)

__all__ = [
    "DocumentInfo",
    "FileReport",
    "FileStatus",
    "Hit",
    "IngestProgress",
    "IngestReport",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "KnowledgeSettings",
    "RejectedFile",
    "StoreUnavailable",
]
